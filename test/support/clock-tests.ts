/**
 * The simulated clock's tests over HTTP, run against a stack of a test file's own (the clock is
 * global state of a stack): in-process (test/e2e/emulator.test.ts) and in worker threads
 * (test/e2e/emulator-worker.test.ts), where every function has its own module state.
 */
import { expect, it } from 'vitest';
import { createLoadAccount } from '../../bench/load';
import { addMonths } from '../../lib/time';
import type { OwnStack } from './own-stack';

const DAY = 86_400_000;

export function control(own: OwnStack, method: string, path: string, body?: unknown) {
  return fetch(`${own.stack.apiUrl}/_local/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }).then(async (res) => {
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  });
}

export function clockTests(own: OwnStack) {
  const http = own.http;
  const clockNow = async () => (await control(own, 'GET', 'clock')).body.now as string;

  /** A bound one-month package with a 4 Mbps connection, bought at the stack's now. */
  async function bought(key: string) {
    const cen = await http(key, 'POST', '/cens', { name: 'clock' });
    const pkg = await http(key, 'POST', '/bandwidth-packages', {
      areaA: 'China',
      areaB: 'North-America',
      bandwidthMbps: 10,
      cenId: cen.body.cenId,
    });
    expect(pkg.status).toBe(201);
    const conn = await http(key, 'POST', `/cens/${cen.body.cenId}/region-connections`, {
      regionA: 'us-east-1',
      regionB: 'cn-shanghai',
      bandwidthMbps: 4,
    });
    expect(conn.status).toBe(201);
    return { cenId: cen.body.cenId as string, pkg: pkg.body };
  }

  it('expires a package bought, then the clock advanced 31 days with runJob, at the simulated time', async () => {
    await control(own, 'POST', 'clock', { reset: true });
    const { apiKey: key } = await createLoadAccount(own.stack.dbUrl, own.stack.tableName);
    const { cenId, pkg } = await bought(key);
    const before = Date.now();
    const moved = await control(own, 'POST', 'clock', { advanceBy: 'P31D', runJob: true });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ simulated: true, job: expect.objectContaining({ complete: true }) });
    expect(moved.body.job).toEqual(expect.objectContaining({ expired: expect.any(Number), released: 0 }));
    expect(moved.body.offsetMs).toBeGreaterThan(31 * DAY - 60_000);
    expect(moved.body.offsetMs).toBeLessThanOrEqual(31 * DAY);
    expect(Date.parse(moved.body.now)).toBeGreaterThanOrEqual(before + 31 * DAY - 60_000);

    const read = await http(key, 'GET', `/bandwidth-packages/${pkg.bandwidthPackageId}`);
    expect(read.body.businessStatus).toBe('Expired');
    // Expired by runJob at the new now; or, when the stack's minute schedule ran in the moment
    // between the clock's move and runJob, by that run, also at the simulated time.
    const expiredAt = Date.parse(read.body.expiredAt);
    expect(expiredAt).toBeGreaterThanOrEqual(before + 31 * DAY);
    expect(expiredAt).toBeLessThanOrEqual(Date.parse(moved.body.now));
    expect(expiredAt).toBeGreaterThan(Date.parse(pkg.expiresAt));
    const conn = await http(key, 'GET', `/cens/${cenId}/region-connections/cn-shanghai_us-east-1`);
    expect(conn.body.status).toBe('Suspended');
  });

  it('renews from the simulated now, and the next run at the simulated time leaves it Normal', async () => {
    const { apiKey: key } = await createLoadAccount(own.stack.dbUrl, own.stack.tableName);
    const { cenId, pkg } = await bought(key);
    const id = pkg.bandwidthPackageId as string;
    expect(Date.parse(pkg.createdAt)).toBeGreaterThan(Date.now() + 30 * DAY);
    await control(own, 'POST', 'clock', { advanceBy: 'P40D', runJob: true });
    expect((await http(key, 'GET', `/bandwidth-packages/${id}`)).body.businessStatus).toBe('Expired');

    const from = await clockNow();
    const renewed = await http(key, 'POST', `/bandwidth-packages/${id}/renewals`, { period: 1 });
    const to = await clockNow();
    expect(renewed.status).toBe(200);
    expect(renewed.body.businessStatus).toBe('Normal');
    expect(renewed.body.expiresAt >= addMonths(from, 1) && renewed.body.expiresAt <= addMonths(to, 1)).toBe(
      true,
    );
    const orders = (await http(key, 'GET', `/bandwidth-packages/${id}/orders`)).body.items;
    expect(orders.at(-1)).toMatchObject({ type: 'Renewal', expiresAtAfter: renewed.body.expiresAt });
    expect(orders.at(-1).createdAt >= from && orders.at(-1).createdAt <= to).toBe(true);

    const later = await control(own, 'POST', 'clock', { advanceBy: 'PT1H', runJob: true });
    expect(later.body.job.expired).toBe(0);
    expect((await http(key, 'GET', `/bandwidth-packages/${id}`)).body.businessStatus).toBe('Normal');
    const conn = await http(key, 'GET', `/cens/${cenId}/region-connections/cn-shanghai_us-east-1`);
    expect(conn.body.status).toBe('Active');
  });

  it("runs the schedule's own events at the simulated now, and an explicit time at that time", async () => {
    const { apiKey: key } = await createLoadAccount(own.stack.dbUrl, own.stack.tableName);
    const { pkg } = await bought(key);
    const id = pkg.bandwidthPackageId as string;
    // An explicit time before the package's expiry runs then: nothing of ours is due.
    const early = await own.invokeJob(new Date(Date.parse(pkg.expiresAt) - DAY).toISOString());
    expect(early.status).toBe(200);
    expect((await http(key, 'GET', `/bandwidth-packages/${id}`)).body.businessStatus).toBe('Normal');

    await control(own, 'POST', 'clock', { advanceBy: 'P32D' });
    // EventBridge's shape, with the wall-clock time serverless-offline's schedule puts in it.
    const fn = `cen-bandwidth-${own.stack.stage}-expireSubscriptions`;
    const scheduled = await fetch(`${own.stack.lambdaUrl}/2015-03-31/functions/${fn}/invocations`, {
      method: 'POST',
      body: JSON.stringify({
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        detail: {},
      }),
    });
    expect(scheduled.status).toBe(200);
    const read = await http(key, 'GET', `/bandwidth-packages/${id}`);
    expect(read.body.businessStatus).toBe('Expired');
    expect(Date.parse(read.body.expiredAt)).toBeGreaterThan(Date.now() + 31 * DAY);
  });

  it('sets the clock to a given now, and goes back to the wall clock on reset', async () => {
    const { apiKey: key } = await createLoadAccount(own.stack.dbUrl, own.stack.tableName);
    const set = await control(own, 'POST', 'clock', { now: '2031-05-01T12:00:00Z' });
    expect(set.body.simulated).toBe(true);
    expect(set.body.now >= '2031-05-01T12:00:00.000Z' && set.body.now < '2031-05-01T12:01:00.000Z').toBe(
      true,
    );
    const cen = await http(key, 'POST', '/cens', { name: 'then' });
    expect(cen.body.createdAt.startsWith('2031-05-01T12:0')).toBe(true);

    const back = await control(own, 'POST', 'clock', { reset: true });
    expect(back.body).toMatchObject({ simulated: false, offsetMs: 0 });
    const now = await http(key, 'POST', '/cens', { name: 'now' });
    expect(Math.abs(Date.parse(now.body.createdAt) - Date.now())).toBeLessThan(60_000);
  });
}
