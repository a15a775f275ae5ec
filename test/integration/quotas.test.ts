/**
 * Quotas and account administration (rule 12, SPEC §3), handlers called directly against
 * DynamoDB Local: the usage counters move with every create and every removal, a create past a
 * quota is refused and changes nothing, a lowered quota deletes nothing, and only operators
 * administer accounts. (The job's release giving a package back is in expiry.test.ts, which has a
 * table of its own; the races over HTTP are in test/e2e/quotas.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handler as approveTicket } from '../../functions/approveTicket';
import { handler as attachNetwork } from '../../functions/attachNetwork';
import { handler as createAccountApiKey } from '../../functions/createAccountApiKey';
import { handler as createCen } from '../../functions/createCen';
import { handler as createPackage } from '../../functions/createPackage';
import { handler as createTicket } from '../../functions/createTicket';
import { handler as deleteCen } from '../../functions/deleteCen';
import { handler as detachNetwork } from '../../functions/detachNetwork';
import { handler as getAccountQuotas } from '../../functions/getAccountQuotas';
import { handler as getQuotas } from '../../functions/getQuotas';
import { handler as listCens } from '../../functions/listCens';
import { handler as rejectTicket } from '../../functions/rejectTicket';
import { handler as setAccountQuotas } from '../../functions/setAccountQuotas';
import { handler as whoami } from '../../functions/whoami';
import { hashKey } from '../../lib/auth';
import { config } from '../../lib/config';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { invoke } from '../support/invoke';

/* ---------- fixtures ---------- */

const newCen = (t: Tenant) => invoke(createCen, { apiKey: t.apiKey, method: 'POST', body: { name: 'q' } });
const attach = (t: Tenant, cenId: string, networkId: string) =>
  invoke(attachNetwork, {
    apiKey: t.apiKey,
    method: 'POST',
    params: { cenId },
    body: { networkId, networkType: 'VPC', regionId: 'cn-beijing' },
  });
const detach = (t: Tenant, cenId: string, networkId: string) =>
  invoke(detachNetwork, { apiKey: t.apiKey, method: 'DELETE', params: { cenId, networkId } });
const removeCen = (t: Tenant, cenId: string) =>
  invoke(deleteCen, { apiKey: t.apiKey, method: 'DELETE', params: { cenId } });
const buy = (t: Tenant, extra: Record<string, unknown> = {}) =>
  invoke(createPackage, {
    apiKey: t.apiKey,
    method: 'POST',
    body: { areaA: 'China', areaB: 'Europe', bandwidthMbps: 10, ...extra },
  });
const openTicket = (t: Tenant, bandwidthPackageId: string) =>
  invoke(createTicket, {
    apiKey: t.apiKey,
    method: 'POST',
    body: { type: 'DeleteBandwidthPackage', bandwidthPackageId },
  });
const resolve = (op: Tenant, handler: typeof approveTicket, ticketId: string) =>
  invoke(handler, { apiKey: op.apiKey, method: 'POST', params: { ticketId }, body: {} });

const quotasOf = async (t: Tenant) => (await invoke(getQuotas, { apiKey: t.apiKey })).body;
const usageOf = async (t: Tenant) => (await quotasOf(t)).usage;
const setQuotas = (op: Tenant, accountId: string, body: unknown) =>
  invoke(setAccountQuotas, { apiKey: op.apiKey, method: 'PUT', params: { accountId }, body });

const issue = (op: Tenant, accountId: string, body: unknown) =>
  invoke(createAccountApiKey, { apiKey: op.apiKey, method: 'POST', params: { accountId }, body });

const randomAccount = () => `acct-${randomBytes(5).toString('hex')}`;

/* ---------- defaults and reading ---------- */

describe('reading quotas', () => {
  it('starts an account at the configured defaults with no usage', async () => {
    const t = await newTenant();
    expect(await quotasOf(t)).toEqual({
      accountId: t.accountId,
      quotas: { cens: 100, bandwidthPackages: 200, networks: 1000 },
      usage: { cens: 0, bandwidthPackages: 0, networks: 0 },
    });
    expect(config.defaultQuotas).toEqual({ cens: 100, bandwidthPackages: 200, networks: 1000 });
  });

  it('lets an operator read and set the quotas of an account that has no key yet', async () => {
    const op = await newTenant('operator');
    const accountId = randomAccount();
    const read = await invoke(getAccountQuotas, { apiKey: op.apiKey, params: { accountId } });
    expect(read.status).toBe(200);
    expect(read.body.quotas).toEqual(config.defaultQuotas);
    const set = await setQuotas(op, accountId, { networks: 7 });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({
      accountId,
      quotas: { ...config.defaultQuotas, networks: 7 },
      usage: { cens: 0, bandwidthPackages: 0, networks: 0 },
    });
    // Only what the body names changes.
    expect((await setQuotas(op, accountId, { cens: 3 })).body.quotas).toEqual({
      ...config.defaultQuotas,
      cens: 3,
      networks: 7,
    });
    expect((await setQuotas(op, accountId, {})).body.quotas).toEqual({
      ...config.defaultQuotas,
      cens: 3,
      networks: 7,
    });
  });

  it('answers GET /quotas with the caller’s own account, whatever its role', async () => {
    const op = await newTenant('operator');
    expect((await quotasOf(op)).accountId).toBe(op.accountId);
  });
});

/* ---------- usage follows creates and removals ---------- */

describe('usage counters', () => {
  it('counts CENs and networks, and gives them back on detach and delete', async () => {
    const t = await newTenant();
    const cenId = (await newCen(t)).body.cenId;
    expect((await attach(t, cenId, 'vpc-1')).status).toBe(201);
    expect((await attach(t, cenId, 'vpc-2')).status).toBe(201);
    expect(await usageOf(t)).toEqual({ cens: 1, bandwidthPackages: 0, networks: 2 });
    // A refused detach (no such network) gives nothing back.
    expect((await detach(t, cenId, 'vpc-9')).status).toBe(404);
    expect((await detach(t, cenId, 'vpc-1')).status).toBe(204);
    expect(await usageOf(t)).toEqual({ cens: 1, bandwidthPackages: 0, networks: 1 });
    // A refused delete (rule 10) gives nothing back either.
    expect((await removeCen(t, cenId)).status).toBe(409);
    expect((await detach(t, cenId, 'vpc-2')).status).toBe(204);
    expect((await removeCen(t, cenId)).status).toBe(204);
    expect((await removeCen(t, cenId)).status).toBe(404);
    expect(await usageOf(t)).toEqual({ cens: 0, bandwidthPackages: 0, networks: 0 });
  });

  it('counts packages until an approved ticket deletes them; a rejected or refused one changes nothing', async () => {
    const t = await newTenant();
    const op = await newTenant('operator');
    const cenId = (await newCen(t)).body.cenId;
    const idle = (await buy(t)).body.bandwidthPackageId;
    const bound = (await buy(t, { areaB: 'Asia-Pacific', cenId })).body.bandwidthPackageId;
    expect((await usageOf(t)).bandwidthPackages).toBe(2);

    const rejected = (await openTicket(t, idle)).body.ticketId;
    expect((await resolve(op, rejectTicket, rejected)).status).toBe(200);
    const refused = (await openTicket(t, bound)).body.ticketId;
    expect((await resolve(op, approveTicket, refused)).body.code).toBe('InvalidOperation.BwpInstanceStatus');
    expect((await usageOf(t)).bandwidthPackages).toBe(2);

    const approved = (await openTicket(t, idle)).body.ticketId;
    expect((await resolve(op, approveTicket, approved)).status).toBe(200);
    expect((await usageOf(t)).bandwidthPackages).toBe(1);
  });
});

/* ---------- refusals ---------- */

describe('creating past a quota', () => {
  it('refuses each kind with its QuotaExceeded code and changes nothing', async () => {
    const t = await newTenant();
    const op = await newTenant('operator');
    expect((await setQuotas(op, t.accountId, { cens: 1, bandwidthPackages: 1, networks: 1 })).status).toBe(
      200,
    );
    const cenId = (await newCen(t)).body.cenId;
    expect((await attach(t, cenId, 'vpc-1')).status).toBe(201);
    expect((await buy(t)).status).toBe(201);

    const before = await accountItems(t.accountId);
    const refusals = [
      [await newCen(t), 'QuotaExceeded.Cen'],
      [await attach(t, cenId, 'vpc-2'), 'QuotaExceeded.Network'],
      [await buy(t), 'QuotaExceeded.BandwidthPackage'],
      [await buy(t, { areaB: 'Asia-Pacific', cenId }), 'QuotaExceeded.BandwidthPackage'],
    ] as const;
    for (const [res, code] of refusals) {
      expect(res.status, code).toBe(409);
      expect(res.body.code).toBe(code);
    }
    expect(await accountItems(t.accountId)).toEqual(before);
    expect(await usageOf(t)).toEqual({ cens: 1, bandwidthPackages: 1, networks: 1 });
  });

  it('decides the other rules first: an absent CEN is 404, a network attached elsewhere is 409', async () => {
    const t = await newTenant();
    const op = await newTenant('operator');
    const cenId = (await newCen(t)).body.cenId;
    expect((await attach(t, cenId, 'vpc-1')).status).toBe(201);
    await setQuotas(op, t.accountId, { bandwidthPackages: 0, networks: 0 });
    const before = await accountItems(t.accountId);
    expect((await buy(t, { cenId: 'cen-01m832b5jm8ftchane8hrtg7ah' })).body.code).toBe('NotFound.Cen');
    expect((await attach(t, 'cen-01m832b5jm8ftchane8hrtg7ah', 'vpc-2')).body.code).toBe('NotFound.Cen');
    expect((await attach(t, cenId, 'vpc-1')).body.code).toBe('InvalidOperation.ChildInstanceAlreadyAttached');
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('refuses new creates below a lowered quota, deletes nothing, and allows them again once under it', async () => {
    const t = await newTenant();
    const op = await newTenant('operator');
    const cens = [];
    for (let i = 0; i < 3; i++) cens.push((await newCen(t)).body.cenId);
    const lowered = await setQuotas(op, t.accountId, { cens: 1 });
    expect(lowered.body).toMatchObject({ quotas: { cens: 1 }, usage: { cens: 3 } });
    expect((await invoke(listCens, { apiKey: t.apiKey })).body.items).toHaveLength(3);
    expect((await newCen(t)).body.code).toBe('QuotaExceeded.Cen');

    expect((await removeCen(t, cens[0])).status).toBe(204);
    expect((await removeCen(t, cens[1])).status).toBe(204);
    expect((await newCen(t)).body.code).toBe('QuotaExceeded.Cen'); // usage 1, quota 1
    expect((await removeCen(t, cens[2])).status).toBe(204);
    expect((await newCen(t)).status).toBe(201);
    expect(await usageOf(t)).toMatchObject({ cens: 1 });
  });

  it('refuses every create under a quota of 0', async () => {
    const t = await newTenant();
    const op = await newTenant('operator');
    await setQuotas(op, t.accountId, { cens: 0 });
    expect((await newCen(t)).body.code).toBe('QuotaExceeded.Cen');
    expect(await usageOf(t)).toMatchObject({ cens: 0 });
  });
});

/* ---------- one Open ticket per package ---------- */

describe('deletion tickets', () => {
  it('refuses a second Open ticket for a package with InvalidOperation.TicketExists, and changes nothing', async () => {
    const t = await newTenant();
    const op = await newTenant('operator');
    const pkg = (await buy(t)).body.bandwidthPackageId;
    const first = (await openTicket(t, pkg)).body.ticketId;
    const before = await accountItems(t.accountId);
    const second = await openTicket(t, pkg);
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('InvalidOperation.TicketExists');
    expect(await accountItems(t.accountId)).toEqual(before);
    // Once it is no longer Open, a new one may open.
    expect((await resolve(op, rejectTicket, first)).status).toBe(200);
    expect((await openTicket(t, pkg)).status).toBe(201);
  });

  it('opens exactly one of ten tickets racing for one package', async () => {
    const t = await newTenant();
    const pkg = (await buy(t)).body.bandwidthPackageId;
    const replies = await Promise.all(Array.from({ length: 10 }, () => openTicket(t, pkg)));
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(new Set(replies.filter((r) => r.status !== 201).map((r) => r.body.code))).toEqual(
      new Set(['InvalidOperation.TicketExists']),
    );
    const open = (await accountItems(t.accountId)).filter(
      (i) => i.entity === 'Ticket' && i.status === 'Open',
    );
    expect(open).toHaveLength(1);
  });
});

/* ---------- account administration ---------- */

const ADMIN = [
  ['createAccountApiKey', createAccountApiKey, 'POST', { role: 'tenant' }],
  ['getAccountQuotas', getAccountQuotas, 'GET', undefined],
  ['setAccountQuotas', setAccountQuotas, 'PUT', { cens: 5 }],
] as const;

describe('account administration', () => {
  it('answers a tenant 403 Forbidden on every admin route, whatever the path or body holds', async () => {
    const t = await newTenant();
    const target = randomAccount();
    const ids = [t.accountId, target, 'UPPER', '', 'a'.repeat(65), '../x', 'a b'];
    const bodies = [undefined, '{', '[]', JSON.stringify({ cens: -1, role: 'root', x: 1 })];
    for (const [name, handler, method, valid] of ADMIN) {
      for (const accountId of ids) {
        for (const rawBody of [JSON.stringify(valid ?? {}), ...bodies]) {
          const res = await invoke(handler, { apiKey: t.apiKey, method, params: { accountId }, rawBody });
          expect(res.status, `${name} ${accountId} ${rawBody}`).toBe(403);
          expect(res.body.code).toBe('Forbidden');
        }
      }
    }
    expect(await getItem(keys.account(target))).toBeUndefined();
    expect(await usageOf(t)).toEqual({ cens: 0, bandwidthPackages: 0, networks: 0 });
    expect((await quotasOf(t)).quotas).toEqual(config.defaultQuotas);
  });

  it('answers an operator 400 InvalidParameter.AccountId for a malformed account id', async () => {
    const op = await newTenant('operator');
    for (const [name, handler, method, valid] of ADMIN) {
      for (const accountId of ['UPPER', '', 'a'.repeat(65), 'a_b', 'a.b', 'é']) {
        const res = await invoke(handler, { apiKey: op.apiKey, method, params: { accountId }, body: valid });
        expect(res.status, `${name} ${accountId}`).toBe(400);
        expect(res.body.code).toBe('InvalidParameter.AccountId');
      }
    }
    // The limits: 64 characters, lower-case letters, digits and '-'.
    const edge = `${'a-9'.repeat(21)}z`;
    expect((await invoke(getAccountQuotas, { apiKey: op.apiKey, params: { accountId: edge } })).status).toBe(
      200,
    );
  });

  it('refuses bad quota bodies with 400 and changes nothing', async () => {
    const op = await newTenant('operator');
    const accountId = randomAccount();
    await setQuotas(op, accountId, { cens: 4 });
    const bad: [unknown, string][] = [
      [{ cens: -1 }, 'InvalidParameter.Cens'],
      [{ cens: 100_001 }, 'InvalidParameter.Cens'],
      [{ networks: 1.5 }, 'InvalidParameter.Networks'],
      [{ bandwidthPackages: '5' }, 'InvalidParameter.BandwidthPackages'],
      [{ bandwidthPackages: null }, 'InvalidParameter.BandwidthPackages'],
      [{ cens: 5, extra: 1 }, 'InvalidParameter'],
      [[], 'InvalidParameter'],
      [7, 'InvalidParameter'],
    ];
    for (const [body, code] of bad) {
      const res = await setQuotas(op, accountId, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code, JSON.stringify(body)).toBe(code);
    }
    const malformed = await invoke(setAccountQuotas, {
      apiKey: op.apiKey,
      method: 'PUT',
      params: { accountId },
      rawBody: '{"cens":',
    });
    expect(malformed.body.code).toBe('InvalidParameter');
    const read = await invoke(getAccountQuotas, { apiKey: op.apiKey, params: { accountId } });
    expect(read.body.quotas).toEqual({ ...config.defaultQuotas, cens: 4 });
    // The bounds themselves are allowed.
    expect((await setQuotas(op, accountId, { cens: 0, networks: 100_000 })).status).toBe(200);
  });

  it('issues keys shown once and stored hashed: a tenant key by default, an operator key on request', async () => {
    const op = await newTenant('operator');
    const accountId = randomAccount();
    for (const [body, role] of [
      [{}, 'tenant'],
      [{ role: 'operator' }, 'operator'],
    ] as const) {
      const res = await issue(op, accountId, body);
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        apiKey: expect.any(String),
        accountId,
        role,
        createdAt: expect.any(String),
      });
      expect(Date.parse(res.body.createdAt)).not.toBeNaN();
      const stored = await getItem(keys.apiKey(hashKey(res.body.apiKey)));
      expect(stored).toMatchObject({ entity: 'ApiKey', accountId, role, createdAt: res.body.createdAt });
      expect(JSON.stringify(stored)).not.toContain(res.body.apiKey);
      expect((await invoke(whoami, { apiKey: res.body.apiKey })).body).toEqual({ accountId, role });
    }
    const bad = await issue(op, accountId, { role: 'root' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('InvalidParameter.Role');
  });
});
