/**
 * Quotas under concurrency, over HTTP (rule 12): N creates at once with headroom k leave exactly k
 * created, for CENs, bandwidth packages and networks; the account's usage counter then equals the
 * real number of items in the table. And of concurrent deletion tickets for one package, exactly
 * one is Open.
 */
import { describe, expect, it } from 'vitest';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { type Api, api, type Reply } from '../support/http';

const N = 20;
const HEADROOM = 5;

async function setQuotas(t: Tenant, quotas: Record<string, number>) {
  const op = api((await newTenant('operator')).apiKey);
  const res = await op.send('PUT', `/accounts/${t.accountId}/quotas`, { body: quotas });
  expect(res.status).toBe(200);
}

/** The account item's counters, and the items of each kind that really exist. */
async function usageAndReality(t: Tenant) {
  const account = await getItem(keys.account(t.accountId));
  const items = await accountItems(t.accountId);
  const count = (entity: string) => items.filter((i) => i.entity === entity).length;
  return {
    usage: {
      cens: Number(account?.usedCens ?? 0),
      bandwidthPackages: Number(account?.usedBandwidthPackages ?? 0),
      networks: Number(account?.usedNetworks ?? 0),
    },
    real: { cens: count('Cen'), bandwidthPackages: count('BandwidthPackage'), networks: count('Network') },
  };
}

function outcome(replies: Reply[]) {
  return {
    created: replies.filter((r) => r.status === 201).length,
    codes: [...new Set(replies.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.body?.code}`))],
  };
}

const race = (n: number, create: (i: number) => Promise<Reply>) =>
  Promise.all(Array.from({ length: n }, (_, i) => create(i)));

describe('quotas under concurrent creates (HTTP)', () => {
  it(`creates exactly ${HEADROOM} of ${N} concurrent CENs when ${HEADROOM} are left`, async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    for (let i = 0; i < 2; i++) expect((await c.post('/cens', { name: `pre-${i}` })).status).toBe(201);
    await setQuotas(t, { cens: 2 + HEADROOM });
    const replies = await race(N, (i) => c.post('/cens', { name: `race-${i}` }));
    expect(outcome(replies)).toEqual({ created: HEADROOM, codes: ['409 QuotaExceeded.Cen'] });
    const { usage, real } = await usageAndReality(t);
    expect(real.cens).toBe(2 + HEADROOM);
    expect(usage).toEqual(real);
  });

  it(`buys exactly ${HEADROOM} of ${N} concurrent packages when ${HEADROOM} are left`, async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    await setQuotas(t, { bandwidthPackages: HEADROOM });
    const replies = await race(N, () =>
      c.post('/bandwidth-packages', { areaA: 'China', areaB: 'Europe', bandwidthMbps: 10 }),
    );
    expect(outcome(replies)).toEqual({ created: HEADROOM, codes: ['409 QuotaExceeded.BandwidthPackage'] });
    const { usage, real } = await usageAndReality(t);
    expect(real.bandwidthPackages).toBe(HEADROOM);
    expect(usage).toEqual(real);
  });

  it(`attaches exactly ${HEADROOM} of ${N} concurrent networks when ${HEADROOM} are left`, async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    const cens = [
      (await c.post('/cens', { name: 'a' })).body.cenId,
      (await c.post('/cens', { name: 'b' })).body.cenId,
    ];
    await setQuotas(t, { networks: HEADROOM });
    const replies = await race(N, (i) =>
      c.post(`/cens/${cens[i % 2]}/networks`, {
        networkId: `vpc-${i}`,
        networkType: 'VPC',
        regionId: 'cn-hangzhou',
      }),
    );
    expect(outcome(replies)).toEqual({ created: HEADROOM, codes: ['409 QuotaExceeded.Network'] });
    const { usage, real } = await usageAndReality(t);
    expect(real.networks).toBe(HEADROOM);
    expect(usage).toEqual(real);
  });

  it('keeps the counter equal to the real count when deletes race creates at the quota', async () => {
    const t = await newTenant();
    const c: Api = api(t.apiKey);
    const quota = 5;
    await setQuotas(t, { cens: quota });
    const existing: string[] = [];
    for (let i = 0; i < quota; i++) existing.push((await c.post('/cens', { name: `old-${i}` })).body.cenId);
    const replies = await Promise.all([
      ...existing.map((id) => c.delete(`/cens/${id}`)),
      ...Array.from({ length: 2 * quota }, (_, i) => c.post('/cens', { name: `new-${i}` })),
    ]);
    expect(replies.slice(0, quota).map((r) => r.status)).toEqual(Array(quota).fill(204));
    for (const r of replies.slice(quota)) expect([201, 409]).toContain(r.status);
    const { usage, real } = await usageAndReality(t);
    expect(real.cens).toBeLessThanOrEqual(quota);
    expect(real.cens).toBe(replies.filter((r) => r.status === 201).length);
    expect(usage).toEqual(real);
  });
});

describe('one Open deletion ticket per package under concurrency (HTTP)', () => {
  it(`opens exactly one of ${N} concurrent tickets for one package`, async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    const pkg = (await c.post('/bandwidth-packages', { areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 5 }))
      .body.bandwidthPackageId;
    const replies = await race(N, () =>
      c.post('/tickets', { type: 'DeleteBandwidthPackage', bandwidthPackageId: pkg }),
    );
    expect(outcome(replies)).toEqual({ created: 1, codes: ['409 InvalidOperation.TicketExists'] });
    const tickets = (await accountItems(t.accountId)).filter((i) => i.entity === 'Ticket');
    expect(tickets.map((i) => i.status)).toEqual(['Open']);
    // Not a quota: GET /quotas does not list it.
    expect(Object.keys((await c.get('/quotas')).body.quotas).sort()).toEqual([
      'bandwidthPackages',
      'cens',
      'networks',
    ]);
  });
});
