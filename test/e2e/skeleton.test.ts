import { describe, expect, it } from 'vitest';
import { accountItems, newTenant } from '../support/fixtures';
import { api } from '../support/http';

describe('the HTTP API through serverless-offline', () => {
  it('serves the catalogue to any valid key', async () => {
    const res = await api('local-tenant-a').get('/areas');
    expect(res.status).toBe(200);
    expect(res.body.areas.map((a: { areaId: string }) => a.areaId)).toEqual([
      'China',
      'North-America',
      'Asia-Pacific',
      'Europe',
      'Australia',
    ]);
    const regions = await api('local-operator').get('/regions');
    expect(regions.body.regions).toContainEqual({
      regionId: 'cn-hongkong',
      name: 'Hong Kong',
      areaId: 'Asia-Pacific',
    });
  });

  it('tells the caller its account and role: GET /whoami', async () => {
    expect((await api('local-tenant-b').get('/whoami')).body).toEqual({
      accountId: 'tenant-b',
      role: 'tenant',
    });
    expect((await api('local-operator').get('/whoami')).body).toEqual({
      accountId: 'operator',
      role: 'operator',
    });
    expect((await api('nope').get('/whoami')).status).toBe(401);
  });

  it('answers 401 Unauthorized without a key or with an unknown one', async () => {
    for (const key of [undefined, 'nope', 'LOCAL-TENANT-A'])
      for (const [method, path] of [
        ['GET', '/areas'],
        ['POST', '/cens'],
        ['DELETE', '/cens/cen-01m832b5jm8ftchane8hrtg7ah'],
      ] as const) {
        const res = await api(key).send(method, path, method === 'POST' ? { body: { name: 'x' } } : {});
        expect(res.status, `${method} ${path} with ${key}`).toBe(401);
        expect(res.body).toMatchObject({ code: 'Unauthorized' });
        expect(res.body.requestId).toEqual(expect.any(String));
      }
  });

  it("hides one tenant's CEN from another: 404 to read, delete, attach or list networks", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const cen = await api(a.apiKey).post('/cens', { name: 'private' });
    expect(cen.status).toBe(201);
    const id = cen.body.cenId;
    const before = await accountItems(a.accountId);

    const tb = api(b.apiKey);
    const attempts = [
      await tb.get(`/cens/${id}`),
      await tb.delete(`/cens/${id}`),
      await tb.post(`/cens/${id}/networks`, {
        networkId: 'vpc-x',
        networkType: 'VPC',
        regionId: 'cn-beijing',
      }),
      await tb.get(`/cens/${id}/networks`),
      await tb.delete(`/cens/${id}/networks/vpc-x`),
    ];
    for (const res of attempts) expect(res.body.code).toBe('NotFound.Cen');
    expect((await tb.get('/cens')).body.items).toEqual([]);
    expect(await accountItems(a.accountId)).toEqual(before);
    expect(await accountItems(b.accountId)).toEqual([]);
  });

  it('serves a CEN and network lifecycle', async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    const cen = (await c.post('/cens', { name: 'lifecycle' })).body;
    expect(cen).toMatchObject({ name: 'lifecycle', description: null, status: 'Active' });
    expect((await c.get(`/cens/${cen.cenId}`)).body).toEqual(cen);
    const net = await c.post(`/cens/${cen.cenId}/networks`, {
      networkId: 'vpc_1',
      networkType: 'CCN',
      regionId: 'ap-south-1',
    });
    expect(net.status).toBe(201);
    expect((await c.get(`/cens/${cen.cenId}/networks`)).body.items).toEqual([net.body]);
    expect((await c.delete(`/cens/${cen.cenId}`)).body.code).toBe('InvalidOperation.CenInUse');
    expect((await c.delete(`/cens/${cen.cenId}/networks/vpc_1`)).status).toBe(204);
    expect((await c.delete(`/cens/${cen.cenId}/networks/vpc_1`)).body.code).toBe('NotFound.Network');
    expect((await c.delete(`/cens/${cen.cenId}`)).status).toBe(204);
    expect((await c.get(`/cens/${cen.cenId}`)).status).toBe(404);
  });
});

describe('bad input changes nothing', () => {
  const big = 'x'.repeat(17_000);
  const cases: [string, string, string, unknown | string, number, string][] = [
    // [name, method, path ("{cen}" is replaced), body (string = raw), status, code]
    ['malformed JSON', 'POST', '/cens', '{"name":', 400, 'InvalidParameter'],
    ['a JSON array', 'POST', '/cens', '[]', 400, 'InvalidParameter'],
    ['the JSON text null', 'POST', '/cens', 'null', 400, 'InvalidParameter'],
    ['the JSON text false', 'POST', '/cens', 'false', 400, 'InvalidParameter'],
    ['a missing name', 'POST', '/cens', {}, 400, 'InvalidParameter.Name'],
    ['an empty name', 'POST', '/cens', { name: '' }, 400, 'InvalidParameter.Name'],
    ['a name too long', 'POST', '/cens', { name: 'n'.repeat(129) }, 400, 'InvalidParameter.Name'],
    [
      'a description too long',
      'POST',
      '/cens',
      { name: 'n', description: 'd'.repeat(257) },
      400,
      'InvalidParameter.Description',
    ],
    ['an ill-typed name', 'POST', '/cens', { name: 42 }, 400, 'InvalidParameter.Name'],
    ['an unknown field', 'POST', '/cens', { name: 'n', color: 'red' }, 400, 'InvalidParameter'],
    ['a body over 16 KiB', 'POST', '/cens', { name: 'n', description: big }, 413, 'RequestTooLarge'],
    ['an out-of-range limit', 'GET', '/cens?limit=101', undefined, 400, 'InvalidParameter.Limit'],
    ['a non-numeric limit', 'GET', '/cens?limit=ten', undefined, 400, 'InvalidParameter.Limit'],
    [
      'a forged nextToken',
      'GET',
      '/cens?nextToken=eyJQSyI6IngifQ',
      undefined,
      400,
      'InvalidParameter.NextToken',
    ],
    ['an unknown query parameter', 'GET', '/cens?color=red', undefined, 400, 'InvalidParameter'],
    ['a malformed CEN id', 'GET', '/cens/not-a-cen', undefined, 404, 'NotFound.Cen'],
    [
      'a malformed CEN id to delete',
      'DELETE',
      '/cens/CEN-01M832B5JM8FTCHANE8HRTG7AH',
      undefined,
      404,
      'NotFound.Cen',
    ],
    ['a path that is no route', 'GET', '/cens/{cen}/nothing/here', undefined, 404, 'NotFound.Route'],
    [
      'an unknown region',
      'POST',
      '/cens/{cen}/networks',
      { networkId: 'v', networkType: 'VPC', regionId: 'mars-1' },
      400,
      'InvalidParameter.RegionId',
    ],
    [
      'an unknown network type',
      'POST',
      '/cens/{cen}/networks',
      { networkId: 'v', networkType: 'LAN', regionId: 'cn-beijing' },
      400,
      'InvalidParameter.NetworkType',
    ],
    [
      'a network id with a slash',
      'POST',
      '/cens/{cen}/networks',
      { networkId: 'a/b', networkType: 'VPC', regionId: 'cn-beijing' },
      400,
      'InvalidParameter.NetworkId',
    ],
    [
      'a network id too long',
      'POST',
      '/cens/{cen}/networks',
      { networkId: 'v'.repeat(65), networkType: 'VPC', regionId: 'cn-beijing' },
      400,
      'InvalidParameter.NetworkId',
    ],
    [
      'a network list with limit 0',
      'GET',
      '/cens/{cen}/networks?limit=0',
      undefined,
      400,
      'InvalidParameter.Limit',
    ],
    [
      'detaching a malformed network id',
      'DELETE',
      '/cens/{cen}/networks/a%20b',
      undefined,
      404,
      'NotFound.Network',
    ],
    ['a bad Idempotency-Key', 'POST', '/cens', { name: 'n' }, 400, 'InvalidParameter.Idempotency-Key'],
  ];

  it.each(cases)('refuses %s', async (name, method, path, body, status, code) => {
    const t = await newTenant();
    const c = api(t.apiKey);
    const cen = (await c.post('/cens', { name: 'fixture' })).body.cenId;
    const before = await accountItems(t.accountId);
    const headers: Record<string, string> =
      name === 'a bad Idempotency-Key' ? { 'Idempotency-Key': 'é'.repeat(3) } : {};
    const res = await c.send(method, path.replace('{cen}', cen), {
      headers,
      ...(typeof body === 'string' ? { rawBody: body } : { body }),
    });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.message).toEqual(expect.any(String));
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response, refuses another body, and keeps keys per account', async () => {
    const a = await newTenant();
    const b = await newTenant();
    const headers = { 'Idempotency-Key': 'create-cen-1' };
    const first = await api(a.apiKey).post('/cens', { name: 'once' }, { headers });
    const again = await api(a.apiKey).post('/cens', { name: 'once' }, { headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await api(a.apiKey).get('/cens')).body.items).toHaveLength(1);

    const other = await api(a.apiKey).post('/cens', { name: 'twice' }, { headers });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IdempotenceParam.NotMatch');

    const otherAccount = await api(b.apiKey).post('/cens', { name: 'twice' }, { headers });
    expect(otherAccount.status).toBe(201);
  });

  it('accepts any printable ASCII key, spaces inside included', async () => {
    const t = await newTenant();
    const headers = { 'Idempotency-Key': 'order 42: retry ~!"#$%&()*+,-./' };
    const first = await api(t.apiKey).post('/cens', { name: 'spaced' }, { headers });
    const again = await api(t.apiKey).post('/cens', { name: 'spaced' }, { headers });
    expect(first.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect((await api(t.apiKey).get('/cens')).body.items).toHaveLength(1);
  });

  it('lets exactly one of many concurrent repeats take effect', async () => {
    const t = await newTenant();
    const headers = { 'Idempotency-Key': 'burst' };
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => api(t.apiKey).post('/cens', { name: 'burst' }, { headers })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    for (const r of replies.filter((r) => r.status === 409)) {
      expect(r.body.code).toBe('OperationFailed.OperationIsProcessing');
    }
    const created = new Set(replies.filter((r) => r.status === 201).map((r) => r.body.cenId));
    expect(created.size).toBe(1);
    expect((await api(t.apiKey).get('/cens')).body.items).toHaveLength(1);
  });
});
