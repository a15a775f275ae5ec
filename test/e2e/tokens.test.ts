/**
 * Pagination tokens are opaque and tamper-evident (SPEC §3): on every list route, a forged token
 * (a start key of the caller's own partition with a sort key DynamoDB refuses, which used to come
 * back as a 500), an edited or truncated one, and a genuine one from another list, filter or
 * account are all 400 `InvalidParameter.NextToken`; a genuine one pages on, with any `limit`.
 */
import { describe, expect, it } from 'vitest';
import { newTenant } from '../support/fixtures';
import { type Api, api } from '../support/http';

const P = '/bandwidth-packages';

/** What a token looked like before: base64url JSON of a start key, which a caller can write. */
const rawKey = (key: Record<string, string>) => Buffer.from(JSON.stringify(key)).toString('base64url');

async function world(c: Api) {
  const cenId = (await c.post('/cens', { name: 'tokens' })).body.cenId as string;
  await c.post('/cens', { name: 'tokens-2' });
  for (const n of ['net-a', 'net-b'])
    await c.post(`/cens/${cenId}/networks`, { networkId: n, networkType: 'VPC', regionId: 'cn-hangzhou' });
  const pkg = (await c.post(P, { areaA: 'China', areaB: 'China', bandwidthMbps: 10, cenId })).body
    .bandwidthPackageId as string;
  const other = (await c.post(P, { areaA: 'Europe', areaB: 'China', bandwidthMbps: 10, cenId })).body
    .bandwidthPackageId as string;
  await c.post(P, { areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 10 });
  await c.post(`${P}/${pkg}/renewals`, { period: 1 });
  for (const [a, b] of [
    ['cn-hangzhou', 'cn-beijing'],
    ['cn-hangzhou', 'cn-shanghai'],
  ])
    expect(
      (await c.post(`/cens/${cenId}/region-connections`, { regionA: a, regionB: b, bandwidthMbps: 1 }))
        .status,
    ).toBe(201);
  for (const id of [pkg, other])
    expect(
      (await c.post('/tickets', { type: 'DeleteBandwidthPackage', bandwidthPackageId: id })).status,
    ).toBe(201);
  return { cenId, pkg };
}

describe('pagination tokens', () => {
  it('refuses every forged, edited, truncated or foreign token on every list route, and never 5xx', async () => {
    const [ta, tb] = [await newTenant(), await newTenant()];
    const [a, b] = [api(ta.apiKey), api(tb.apiKey)];
    const { cenId, pkg } = await world(a);
    const lists: { path: string; query?: Record<string, string> }[] = [
      { path: '/cens' },
      { path: `/cens/${cenId}/networks` },
      { path: P },
      { path: P, query: { cenId } },
      { path: P, query: { status: 'InUse' } },
      { path: P, query: { businessStatus: 'Normal' } },
      { path: `${P}/${pkg}/orders` },
      { path: `/cens/${cenId}/region-connections` },
      { path: '/tickets' },
    ];
    // A genuine first-page token of each list.
    const tokens: string[] = [];
    for (const list of lists) {
      const res = await a.get(list.path, { query: { ...list.query, limit: 1 } });
      expect(res.status, list.path).toBe(200);
      expect(res.body.nextToken, `${list.path} ${JSON.stringify(list.query)}`).toEqual(expect.any(String));
      tokens.push(res.body.nextToken);
    }
    const own = `ACCT#${ta.accountId}#CEN#${cenId}`;
    const forged = [
      ...['', 'A', 'Z'.repeat(1100)].map((SK) => rawKey({ PK: own, SK })),
      ...['', 'A', 'Z'.repeat(1100)].map((SK) => `${rawKey({ PK: own, SK })}.${'A'.repeat(43)}`),
      'not a token',
      '',
    ];
    for (const [i, list] of lists.entries()) {
      const token = tokens[i]!;
      const [payload, signature] = token.split('.') as [string, string];
      const flipped = `${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
      const foreign = tokens.filter((_, j) => j !== i);
      const bad = [
        ...forged,
        flipped,
        token.slice(0, -2),
        `${payload.slice(0, -2)}.${signature}`,
        ...foreign,
      ];
      for (const nextToken of bad) {
        const res = await a.get(list.path, { query: { ...list.query, limit: 1, nextToken } });
        const shown = `${list.path} ${JSON.stringify(list.query ?? {})} with ${nextToken.slice(0, 50)}`;
        if (nextToken === '') {
          // An empty token is not a token: refused like any other malformed value.
          expect(res.status, shown).toBe(400);
          continue;
        }
        expect(res.status, shown).toBe(400);
        expect(res.body.code, shown).toBe('InvalidParameter.NextToken');
      }
      // The genuine token pages on, with another limit too.
      const next = await a.get(list.path, { query: { ...list.query, limit: 5, nextToken: token } });
      expect(next.status, list.path).toBe(200);
    }
    // Another account, presenting A's genuine tokens on its own lists: refused, nothing of A's shown.
    const bCen = (await b.post('/cens', { name: 'b' })).body.cenId as string;
    for (const token of tokens) {
      for (const path of ['/cens', P, '/tickets', `/cens/${bCen}/networks`]) {
        const res = await b.get(path, { query: { nextToken: token } });
        expect(res.status, path).toBe(400);
        expect(res.body.code).toBe('InvalidParameter.NextToken');
      }
    }
  });

  it('reads a bounded number of items per request when a filter matches few of many', async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    const cenId = (await c.post('/cens', { name: 'bounded' })).body.cenId as string;
    // 130 Idle packages and one InUse: the filtered list must page rather than read them all at once.
    const buys = Array.from({ length: 130 }, () => ({ areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 2 }));
    for (let i = 0; i < buys.length; i += 10)
      await Promise.all(buys.slice(i, i + 10).map((body) => c.post(P, body)));
    const inUse = (await c.post(P, { areaA: 'China', areaB: 'China', bandwidthMbps: 2, cenId })).body;
    const found: string[] = [];
    let pages = 0;
    let nextToken: string | undefined;
    do {
      const res = await c.get(P, {
        query: { status: 'InUse', limit: 1, ...(nextToken ? { nextToken } : {}) },
      });
      expect(res.status).toBe(200);
      found.push(...res.body.items.map((p: { bandwidthPackageId: string }) => p.bandwidthPackageId));
      nextToken = res.body.nextToken;
      pages++;
    } while (nextToken && pages < 20);
    expect(found).toEqual([inUse.bandwidthPackageId]);
    // At most 100 items are read per request: the match, after 130 others, needs a second one.
    expect(pages).toBeGreaterThanOrEqual(2);
  });
});
