import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { createAccessKey, open } from '../../lib/alibaba/accessKeys';
import { createApiKey, hashKey } from '../../lib/auth';
import { db, TABLE } from '../../lib/db/client';
import { newTenant } from '../support/fixtures';
import { api } from '../support/http';

async function scanAll(): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

describe('security', () => {
  it('never keeps an issued API key in an idempotency record: a replay shows it as null', async () => {
    const op = api((await newTenant('operator')).apiKey);
    const headers = { 'Idempotency-Key': 'issue a key once' };
    const account = `acct-${Date.now()}`;
    const first = await op.post(`/accounts/${account}/api-keys`, { role: 'tenant' }, { headers });
    expect(first.status).toBe(201);
    expect(first.body.apiKey).toEqual(expect.any(String));
    const replay = await op.post(`/accounts/${account}/api-keys`, { role: 'tenant' }, { headers });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual({ ...first.body, apiKey: null });
    expect(JSON.stringify(await scanAll())).not.toContain(first.body.apiKey);
    expect((await api(first.body.apiKey).get('/whoami')).body).toEqual({
      accountId: account,
      role: 'tenant',
    });
  });

  it('stores each API key only as its SHA-256', async () => {
    const t = await newTenant();
    const items = await scanAll();
    const dump = JSON.stringify(items);
    expect(dump).not.toContain(t.apiKey);
    // The demo AccessKeyId `LTAI-local-tenant-a` is a public id that contains the demo API key.
    expect(dump.replaceAll('LTAI-local-tenant-a', '')).not.toContain('local-tenant-a');
    const record = items.find((i) => i.PK === `APIKEY#${hashKey(t.apiKey)}`);
    expect(record).toMatchObject({ entity: 'ApiKey', accountId: t.accountId, role: 'tenant' });
  });

  it('stores each AccessKey secret only sealed, bound to its AccessKeyId', async () => {
    const pair = await createAccessKey({ accountId: `sec-${randomUUID().slice(0, 8)}`, role: 'tenant' });
    const items = await scanAll();
    const dump = JSON.stringify(items);
    for (const secret of [pair.accessKeySecret, 'local-tenant-a-secret', 'local-operator-secret']) {
      expect(dump).not.toContain(secret);
    }
    const record = items.find((i) => i.PK === `ACCESSKEY#${pair.accessKeyId}`)!;
    expect(record).toMatchObject({ entity: 'AccessKey', accountId: pair.accountId, role: 'tenant' });
    expect(open(String(record.sealedSecret), pair.accessKeyId)).toBe(pair.accessKeySecret);
    // Copied onto another id, a sealed secret does not open.
    expect(() => open(String(record.sealedSecret), 'LTAI-local-tenant-a')).toThrow();
  });

  it('generates keys with 256 bits of randomness: none derives from another', async () => {
    const tenantKey = await createApiKey({ accountId: 'sec-a', role: 'tenant' });
    const operatorKey = await createApiKey({ accountId: 'sec-a', role: 'operator' });
    for (const key of [tenantKey, operatorKey]) expect(key).toMatch(/^cbk_[A-Za-z0-9_-]{43}$/);
    const shared = [...tenantKey.slice(4)].filter((ch, i) => operatorKey[i + 4] === ch).length;
    expect(shared).toBeLessThan(12); // independent draws share about 43/64 ≈ 1 position
  });

  it('takes the role and account only from the stored key, never from headers', async () => {
    const t = await newTenant();
    const forged = {
      'x-role': 'operator',
      'x-account-id': 'operator',
      'x-amzn-oidc-identity': 'operator',
      'sls-offline-authorizer-override': '{"iam":{"cognitoUser":{"amr":["operator"]}}}',
    };
    const tickets = await api(t.apiKey).get('/tickets', { headers: forged });
    expect(tickets.status).toBe(200);
    expect(tickets.body.items).toEqual([]);
    const approve = await api(t.apiKey).post(
      '/tickets/ticket-01m832qx643gx8w8vz4pa1hw8p/approve',
      {},
      { headers: forged },
    );
    expect(approve.status).toBe(403);
    expect(approve.body.code).toBe('Forbidden');
  });

  it("never lists another account's packages through a filter", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const cenId = (await api(a.apiKey).post('/cens', { name: 'a' })).body.cenId;
    await api(a.apiKey).post('/bandwidth-packages', {
      areaA: 'Europe',
      areaB: 'China',
      bandwidthMbps: 5,
      cenId,
    });
    const asB = await api(b.apiKey).get('/bandwidth-packages', { query: { cenId } });
    expect(asB.status).toBe(200);
    expect(asB.body.items).toEqual([]);
    const asA = await api(a.apiKey).get('/bandwidth-packages', { query: { cenId } });
    expect(asA.body.items).toHaveLength(1);
  });

  it('writes no API key to the logs, valid or not', async () => {
    const t = await newTenant();
    const wrong = `cbk_not-a-key-${Date.now()}`;
    const ok = await api(t.apiKey).post('/cens', { name: 'logged' });
    const denied = await api(wrong).get('/cens');
    expect(denied.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300)); // let the stack's output reach the file
    const log = readFileSync(inject('stackLog'), 'utf8');
    expect(log).toContain(ok.headers.get('x-request-id')); // the request was logged…
    expect(log).not.toContain(t.apiKey); // …without its key
    expect(log).not.toContain(wrong);
  });
});
