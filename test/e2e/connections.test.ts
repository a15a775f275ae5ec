import { describe, expect, it } from 'vitest';
import { ConnectionResource, EffectiveBandwidthResource, listOf } from '../../lib/schemas';
import { accountItems, newTenant } from '../support/fixtures';
import { api } from '../support/http';
import { connectionsIn } from '../support/stored';

/** A tenant with a CEN, a China/North-America package of 10 Mbps bound to it, and one connection. */
async function fixture() {
  const t = await newTenant();
  const c = api(t.apiKey);
  const cenId = (await c.post('/cens', { name: 'conn' })).body.cenId as string;
  const pkg = await c.post('/bandwidth-packages', {
    areaA: 'China',
    areaB: 'North-America',
    bandwidthMbps: 10,
    cenId,
  });
  expect(pkg.status).toBe(201);
  const conn = await c.post(`/cens/${cenId}/region-connections`, {
    regionA: 'us-east-1',
    regionB: 'cn-hangzhou',
    bandwidthMbps: 2,
  });
  expect(conn.status).toBe(201);
  return { t, c, cenId, packageId: pkg.body.bandwidthPackageId as string };
}

describe('region connections through HTTP', () => {
  it('serves the lifecycle: create, get, list, modify, effective bandwidth, delete', async () => {
    const { c, cenId, packageId } = await fixture();
    const base = `/cens/${cenId}/region-connections`;
    const made = await c.post(base, { regionA: 'us-west-1', regionB: 'cn-beijing', bandwidthMbps: 3 });
    expect(made.status).toBe(201);
    expect(ConnectionResource.strict().parse(made.body)).toMatchObject({
      connectionId: 'cn-beijing_us-west-1',
      regionA: 'cn-beijing',
      regionB: 'us-west-1',
      bandwidthPackageId: packageId,
      status: 'Active',
    });

    const got = await c.get(`${base}/us-west-1_cn-beijing`);
    expect(got.body).toEqual(made.body);
    const listed = await c.get(base);
    expect(
      listOf(ConnectionResource.strict())
        .parse(listed.body)
        .items.map((x) => x.connectionId),
    ).toEqual(['cn-beijing_us-west-1', 'cn-hangzhou_us-east-1']);

    const patched = await c.patch(`${base}/cn-beijing_us-west-1`, { bandwidthMbps: 8 });
    expect(patched.status).toBe(200);
    expect(patched.body.bandwidthMbps).toBe(8);
    const full = await c.get(`/bandwidth-packages/${packageId}`);
    expect(full.body).toMatchObject({ bandwidthMbps: 10, allocatedMbps: 10, remainingMbps: 0 });

    const eff = await c.get(`/cens/${cenId}/effective-bandwidth`, {
      query: { regionA: 'us-west-1', regionB: 'cn-beijing' },
    });
    expect(EffectiveBandwidthResource.strict().parse(eff.body)).toEqual({
      regionA: 'us-west-1',
      regionB: 'cn-beijing',
      source: 'RegionConnection',
      bandwidthKbps: 8000,
    });

    const over = await c.post(base, { regionA: 'cn-shanghai', regionB: 'us-east-1', bandwidthMbps: 1 });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');

    expect((await c.delete(`${base}/cn-beijing_us-west-1`)).status).toBe(204);
    expect((await c.get(`${base}/cn-beijing_us-west-1`)).body.code).toBe('NotFound.RegionConnection');
    expect((await c.get(`/bandwidth-packages/${packageId}`)).body).toMatchObject({
      allocatedMbps: 2,
      remainingMbps: 8,
    });
    const fallback = await c.get(`/cens/${cenId}/effective-bandwidth`, {
      query: { regionA: 'us-west-1', regionB: 'cn-beijing' },
    });
    expect(fallback.body).toMatchObject({ source: 'Default', bandwidthKbps: 1 });
  });

  it("hides one tenant's connections from another: 404 for every operation, nothing changed", async () => {
    const { t, cenId, packageId } = await fixture();
    const before = await accountItems(t.accountId);
    const other = await newTenant();
    const o = api(other.apiKey);
    const base = `/cens/${cenId}/region-connections`;
    const attempts = [
      await o.post(base, { regionA: 'cn-shanghai', regionB: 'us-east-1', bandwidthMbps: 1 }),
      await o.post(base, {
        regionA: 'cn-shanghai',
        regionB: 'us-east-1',
        bandwidthMbps: 1,
        bandwidthPackageId: packageId,
      }),
      await o.get(base),
      await o.get(`${base}/cn-hangzhou_us-east-1`),
      await o.get(`/cens/${cenId}/effective-bandwidth`, {
        query: { regionA: 'cn-hangzhou', regionB: 'us-east-1' },
      }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NotFound.Cen');
    }
    for (const res of [
      await o.patch(`${base}/cn-hangzhou_us-east-1`, { bandwidthMbps: 1 }),
      await o.delete(`${base}/cn-hangzhou_us-east-1`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NotFound.RegionConnection');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
    expect(await accountItems(other.accountId)).toEqual([]);
  });

  it('replays a create with the same Idempotency-Key instead of allocating twice', async () => {
    const { t, c, cenId, packageId } = await fixture();
    const headers = { 'Idempotency-Key': 'conn-1' };
    const body = { regionA: 'cn-beijing', regionB: 'us-east-1', bandwidthMbps: 3 };
    const first = await c.post(`/cens/${cenId}/region-connections`, body, { headers });
    const again = await c.post(`/cens/${cenId}/region-connections`, body, { headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await c.get(`/bandwidth-packages/${packageId}`)).body.allocatedMbps).toBe(5);
    const stored = connectionsIn(await accountItems(t.accountId));
    expect(stored).toHaveLength(2);
  });
});

describe('bad input to the region-connection endpoints changes nothing', () => {
  const big = 'x'.repeat(17_000);
  const conns = '/cens/{cen}/region-connections';
  const one = `${conns}/cn-hangzhou_us-east-1`;
  const eff = '/cens/{cen}/effective-bandwidth';
  const ok = { regionA: 'cn-beijing', regionB: 'us-east-1', bandwidthMbps: 1 };
  const cases: [string, string, string, unknown | string, number, string][] = [
    // [name, method, path ("{cen}" is replaced), body (string = raw), status, code]
    ['create: malformed JSON', 'POST', conns, '{"regionA":', 400, 'InvalidParameter'],
    ['create: a JSON array', 'POST', conns, '[]', 400, 'InvalidParameter'],
    ['create: an empty body', 'POST', conns, '', 400, 'InvalidParameter.RegionA'],
    [
      'create: a missing regionA',
      'POST',
      conns,
      { ...ok, regionA: undefined },
      400,
      'InvalidParameter.RegionA',
    ],
    [
      'create: an unknown region',
      'POST',
      conns,
      { ...ok, regionB: 'mars-1' },
      400,
      'InvalidParameter.RegionB',
    ],
    [
      'create: a region of another case',
      'POST',
      conns,
      { ...ok, regionA: 'CN-BEIJING' },
      400,
      'InvalidParameter.RegionA',
    ],
    [
      'create: the same region twice',
      'POST',
      conns,
      { ...ok, regionB: 'cn-beijing' },
      400,
      'InvalidParameter.RegionB',
    ],
    [
      'create: bandwidth 0',
      'POST',
      conns,
      { ...ok, bandwidthMbps: 0 },
      400,
      'InvalidParameter.BandwidthMbps',
    ],
    [
      'create: bandwidth over 10000',
      'POST',
      conns,
      { ...ok, bandwidthMbps: 10_001 },
      400,
      'InvalidParameter.BandwidthMbps',
    ],
    [
      'create: a fractional bandwidth',
      'POST',
      conns,
      { ...ok, bandwidthMbps: 1.5 },
      400,
      'InvalidParameter.BandwidthMbps',
    ],
    [
      'create: a bandwidth as a string',
      'POST',
      conns,
      { ...ok, bandwidthMbps: '1' },
      400,
      'InvalidParameter.BandwidthMbps',
    ],
    [
      'create: a missing bandwidth',
      'POST',
      conns,
      { ...ok, bandwidthMbps: undefined },
      400,
      'InvalidParameter.BandwidthMbps',
    ],
    [
      'create: an empty bandwidthPackageId',
      'POST',
      conns,
      { ...ok, bandwidthPackageId: '' },
      400,
      'InvalidParameter.BandwidthPackageId',
    ],
    ['create: an unknown field', 'POST', conns, { ...ok, status: 'Active' }, 400, 'InvalidParameter'],
    ['create: a query parameter', 'POST', `${conns}?x=1`, ok, 400, 'InvalidParameter'],
    ['create: a body over 16 KiB', 'POST', conns, { ...ok, bandwidthPackageId: big }, 413, 'RequestTooLarge'],
    ['create: a malformed CEN id', 'POST', '/cens/cen-nope/region-connections', ok, 404, 'NotFound.Cen'],
    [
      'create: an absent CEN',
      'POST',
      '/cens/cen-01m832b5jm8ftchane8hrtg7ah/region-connections',
      ok,
      404,
      'NotFound.Cen',
    ],
    [
      'create: an absent package',
      'POST',
      conns,
      { ...ok, bandwidthPackageId: 'cenbwp-01m832b5jm8ftchane8hrtg7ah' },
      404,
      'NotFound.BandwidthPackage',
    ],
    ['create: a bad Idempotency-Key', 'POST', conns, ok, 400, 'InvalidParameter.Idempotency-Key'],
    ['list: limit 0', 'GET', `${conns}?limit=0`, undefined, 400, 'InvalidParameter.Limit'],
    ['list: limit 101', 'GET', `${conns}?limit=101`, undefined, 400, 'InvalidParameter.Limit'],
    ['list: a non-numeric limit', 'GET', `${conns}?limit=ten`, undefined, 400, 'InvalidParameter.Limit'],
    [
      'list: a forged nextToken',
      'GET',
      `${conns}?nextToken=eyJQSyI6IngifQ`,
      undefined,
      400,
      'InvalidParameter.NextToken',
    ],
    ['list: an unknown query parameter', 'GET', `${conns}?status=Active`, undefined, 400, 'InvalidParameter'],
    ['get: a malformed connection id', 'GET', `${conns}/nope`, undefined, 404, 'NotFound.RegionConnection'],
    [
      'get: the same region twice',
      'GET',
      `${conns}/cn-beijing_cn-beijing`,
      undefined,
      404,
      'NotFound.RegionConnection',
    ],
    [
      'get: an unknown region',
      'GET',
      `${conns}/mars-1_cn-beijing`,
      undefined,
      404,
      'NotFound.RegionConnection',
    ],
    [
      'get: three regions',
      'GET',
      `${conns}/cn-beijing_us-east-1_us-west-1`,
      undefined,
      404,
      'NotFound.RegionConnection',
    ],
    ['modify: malformed JSON', 'PATCH', one, '{"bandwidthMbps":', 400, 'InvalidParameter'],
    ['modify: an empty body', 'PATCH', one, {}, 400, 'InvalidParameter.BandwidthMbps'],
    ['modify: bandwidth 0', 'PATCH', one, { bandwidthMbps: 0 }, 400, 'InvalidParameter.BandwidthMbps'],
    [
      'modify: bandwidth over 10000',
      'PATCH',
      one,
      { bandwidthMbps: 10_001 },
      400,
      'InvalidParameter.BandwidthMbps',
    ],
    [
      'modify: a null bandwidth',
      'PATCH',
      one,
      { bandwidthMbps: null },
      400,
      'InvalidParameter.BandwidthMbps',
    ],
    [
      'modify: another field',
      'PATCH',
      one,
      { bandwidthMbps: 1, regionA: 'cn-beijing' },
      400,
      'InvalidParameter',
    ],
    ['modify: a body over 16 KiB', 'PATCH', one, `{"bandwidthMbps":1,"x":"${big}"}`, 413, 'RequestTooLarge'],
    [
      'modify: a malformed id',
      'PATCH',
      `${conns}/nope`,
      { bandwidthMbps: 1 },
      404,
      'NotFound.RegionConnection',
    ],
    [
      'modify: an absent connection',
      'PATCH',
      `${conns}/cn-beijing_us-east-1`,
      { bandwidthMbps: 1 },
      404,
      'NotFound.RegionConnection',
    ],
    [
      'modify: beyond the package',
      'PATCH',
      one,
      { bandwidthMbps: 11 },
      409,
      'InvalidOperation.BwpBandwidthExceeded',
    ],
    ['delete: a malformed id', 'DELETE', `${conns}/nope`, undefined, 404, 'NotFound.RegionConnection'],
    [
      'delete: an absent connection',
      'DELETE',
      `${conns}/cn-beijing_us-east-1`,
      undefined,
      404,
      'NotFound.RegionConnection',
    ],
    [
      'delete: a malformed CEN id',
      'DELETE',
      '/cens/x/region-connections/cn-hangzhou_us-east-1',
      undefined,
      404,
      'NotFound.Cen',
    ],
    ['effective: no regions', 'GET', eff, undefined, 400, 'InvalidParameter.RegionA'],
    [
      'effective: a missing regionB',
      'GET',
      `${eff}?regionA=cn-beijing`,
      undefined,
      400,
      'InvalidParameter.RegionB',
    ],
    [
      'effective: an unknown region',
      'GET',
      `${eff}?regionA=mars-1&regionB=cn-beijing`,
      undefined,
      400,
      'InvalidParameter.RegionA',
    ],
    [
      'effective: an unknown query parameter',
      'GET',
      `${eff}?regionA=cn-beijing&regionB=us-east-1&x=1`,
      undefined,
      400,
      'InvalidParameter',
    ],
    [
      'effective: an absent CEN',
      'GET',
      '/cens/cen-01m832b5jm8ftchane8hrtg7ah/effective-bandwidth?regionA=cn-beijing&regionB=us-east-1',
      undefined,
      404,
      'NotFound.Cen',
    ],
  ];

  it.each(cases)('refuses %s', async (name, method, path, body, status, code) => {
    const { t, c, cenId } = await fixture();
    const before = await accountItems(t.accountId);
    const headers: Record<string, string> = name.endsWith('Idempotency-Key')
      ? { 'Idempotency-Key': 'é'.repeat(3) }
      : {};
    const res = await c.send(method, path.replace('{cen}', cenId), {
      headers,
      ...(typeof body === 'string' ? { rawBody: body } : { body }),
    });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.message).toEqual(expect.any(String));
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});
