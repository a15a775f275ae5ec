/**
 * The expiry job end to end: invoked through serverless-offline's Lambda invoke endpoint with a
 * future `time`, as an operator would, and observed through the HTTP API.
 *
 * Runs on a stack of its own (stage `expiry`, its own table in the run's DynamoDB Local; see
 * test/support/own-stack.ts): a job moved months ahead would expire every other test's packages.
 */
import { describe, expect, it } from 'vitest';
import { createLoadAccount, documentClient } from '../../bench/load';
import { addDays, addMonths } from '../../lib/time';
import { useOwnStack } from '../support/own-stack';
import { setPackageTime } from '../support/time';

const GRACE_DAYS = 15;
const ROUNDS = 8;
const own = useOwnStack('expiry', { LOG_LEVEL: 'warn', GRACE_PERIOD_DAYS: String(GRACE_DAYS) });
const http = own.http;

/** The job through the Lambda invoke endpoint, "now" being `time`. */
async function job(time: string) {
  const res = await own.invokeJob(time);
  expect(res.status).toBe(200);
  return (await res.json()) as { expired: number; autoRenewed: number; released: number };
}

async function tenant() {
  return (await createLoadAccount(own.stack.dbUrl, own.stack.tableName)).apiKey;
}

async function setup(key: string, extra: Record<string, unknown> = {}) {
  const cen = await http(key, 'POST', '/cens', { name: 'expiry' });
  const cenId = cen.body.cenId as string;
  const pkg = await http(key, 'POST', '/bandwidth-packages', {
    areaA: 'China',
    areaB: 'North-America',
    bandwidthMbps: 10,
    cenId,
    ...extra,
  });
  expect(pkg.status).toBe(201);
  const conn = await http(key, 'POST', `/cens/${cenId}/region-connections`, {
    regionA: 'us-east-1',
    regionB: 'cn-shanghai',
    bandwidthMbps: 4,
  });
  expect(conn.status).toBe(201);
  return { cenId, id: pkg.body.bandwidthPackageId as string, expiresAt: pkg.body.expiresAt as string };
}

const effective = (key: string, cenId: string) =>
  http(key, 'GET', `/cens/${cenId}/effective-bandwidth?regionA=cn-shanghai&regionB=us-east-1`);
const orderTypes = async (key: string, id: string) =>
  (await http(key, 'GET', `/bandwidth-packages/${id}/orders`)).body.items.map(
    (o: { type: string }) => o.type,
  );

describe('the expiry job through the Lambda invoke endpoint', () => {
  it('expires, suspends connections to 1 Kbps, and releases after the grace period; orders stay', async () => {
    const key = await tenant();
    const { cenId, id, expiresAt } = await setup(key);
    expect((await effective(key, cenId)).body).toMatchObject({
      source: 'RegionConnection',
      bandwidthKbps: 4000,
    });

    const expiredAt = addDays(expiresAt, 1);
    expect(await job(expiredAt)).toEqual(
      expect.objectContaining({ expired: 1, autoRenewed: 0, released: 0 }),
    );
    const pkg = await http(key, 'GET', `/bandwidth-packages/${id}`);
    expect(pkg.body).toMatchObject({
      businessStatus: 'Expired',
      expiredAt,
      status: 'InUse',
      allocatedMbps: 4,
    });
    const conn = await http(key, 'GET', `/cens/${cenId}/region-connections/cn-shanghai_us-east-1`);
    expect(conn.body).toMatchObject({ status: 'Suspended', bandwidthMbps: 4 });
    expect((await effective(key, cenId)).body).toMatchObject({ source: 'Default', bandwidthKbps: 1 });
    const grow = await http(key, 'PATCH', `/cens/${cenId}/region-connections/cn-shanghai_us-east-1`, {
      bandwidthMbps: 5,
    });
    expect(grow.body.code).toBe('InvalidOperation.BwpBusinessStatus');

    expect(await job(addDays(expiredAt, GRACE_DAYS - 1))).toMatchObject({ released: 0 });
    expect(await job(addDays(expiredAt, GRACE_DAYS))).toMatchObject({ released: 1, expired: 0 });
    expect((await http(key, 'GET', `/bandwidth-packages/${id}`)).body.code).toBe('NotFound.BandwidthPackage');
    expect((await http(key, 'GET', `/cens/${cenId}/region-connections`)).body.items).toEqual([]);
    expect(await orderTypes(key, id)).toEqual(['Purchase']);
    expect((await http(key, 'GET', `/cens/${cenId}`)).status).toBe(200);
    expect((await http(key, 'DELETE', `/cens/${cenId}`)).status).toBe(204);
  });

  it('auto-renews from the old expiresAt with an AutoRenewal order; the connections stay Active', async () => {
    const key = await tenant();
    const { cenId, id, expiresAt } = await setup(key, { autoRenew: true, autoRenewPeriod: 3 });
    const out = await job(addDays(expiresAt, 0.5));
    expect(out.autoRenewed).toBeGreaterThanOrEqual(1);
    const pkg = await http(key, 'GET', `/bandwidth-packages/${id}`);
    expect(pkg.body).toMatchObject({ businessStatus: 'Normal', expiresAt: addMonths(expiresAt, 3) });
    expect(await orderTypes(key, id)).toEqual(['Purchase', 'AutoRenewal']);
    expect((await effective(key, cenId)).body.source).toBe('RegionConnection');
  });

  it('runs twice at once on the same due set: each transition once', async () => {
    const key = await tenant();
    const bought = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        http(key, 'POST', '/bandwidth-packages', {
          areaA: 'Europe',
          areaB: 'Europe',
          bandwidthMbps: 2,
          period: 6,
          autoRenew: i % 2 === 0,
        }),
      ),
    );
    const ids = bought.map((r) => r.body.bandwidthPackageId as string);
    // Six months on, every earlier test's packages are due too: a first run just before ours fall
    // due settles those; then the pair under test races on ours alone.
    const expiries = bought.map((r) => r.body.expiresAt as string).sort();
    await job(addDays(expiries[0]!, -0.0001));
    const now = addDays(expiries.at(-1)!, 1);
    const [a, b] = await Promise.all([job(now), job(now)]);
    expect(a.expired + b.expired).toBe(4);
    expect(a.autoRenewed + b.autoRenewed).toBe(4);
    for (const [i, id] of ids.entries()) {
      expect(await orderTypes(key, id)).toEqual(i % 2 === 0 ? ['Purchase', 'AutoRenewal'] : ['Purchase']);
    }
  });

  it(`never loses a renewal that races the job (${ROUNDS} rounds through HTTP)`, async () => {
    const { apiKey: key, accountId } = await createLoadAccount(own.stack.dbUrl, own.stack.tableName);
    const db = documentClient(own.stack.dbUrl);
    for (let round = 0; round < ROUNDS; round++) {
      const created = await http(key, 'POST', '/bandwidth-packages', {
        areaA: 'Europe',
        areaB: 'Australia',
        bandwidthMbps: 2,
      });
      const id = created.body.bandwidthPackageId as string;
      // Due a moment ago, so that the job at the real "now" and a renewal meet.
      const dueAt = new Date(Date.now() - 1_000).toISOString();
      await setPackageTime(accountId, id, { expiresAt: dueAt }, { db, table: own.stack.tableName });
      const now = new Date().toISOString();
      const [renewal] = await Promise.all([
        new Promise((r) => setTimeout(r, (round % 4) * 10)).then(() =>
          http(key, 'POST', `/bandwidth-packages/${id}/renewals`, { period: 1 }),
        ),
        job(now),
      ]);
      expect(renewal.status).toBe(200);
      const pkg = (await http(key, 'GET', `/bandwidth-packages/${id}`)).body;
      expect(pkg.businessStatus).toBe('Normal');
      expect(pkg.expiresAt > now).toBe(true);
      const orders = (await http(key, 'GET', `/bandwidth-packages/${id}/orders`)).body.items;
      expect(orders.map((o: { type: string }) => o.type)).toEqual(['Purchase', 'Renewal']);
      expect(orders[1].expiresAtAfter).toBe(pkg.expiresAt);
    }
  });

  it('answers an event whose time is not a time with a Lambda error', async () => {
    const res = await own.invokeJob('soon');
    expect(await res.text()).toMatch(/ISO 8601/);
  });
});
