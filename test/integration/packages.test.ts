/**
 * Bandwidth packages, handlers called directly against DynamoDB Local: purchase, read, bind and
 * unbind (rules 2 and 5), upgrade and downgrade (rule 6), renewal (rule 7), orders, and the refusal
 * of direct deletion (rule 9). Each test checks the table, not only the answer.
 *
 * Expiry is simulated by writing what the expiry job writes (`expire` below): the job is another
 * module with its own tests; here only the package operations' reaction to an expired package is
 * under test.
 */
import { describe, expect, it } from 'vitest';
import { handler as bindPackage } from '../../functions/bindPackage';
import { handler as changePackageBandwidth } from '../../functions/changePackageBandwidth';
import { handler as createCen } from '../../functions/createCen';
import { handler as createConnection } from '../../functions/createConnection';
import { handler as createPackage } from '../../functions/createPackage';
import { handler as deleteCen } from '../../functions/deleteCen';
import { handler as deleteConnection } from '../../functions/deleteConnection';
import { handler as deletePackage } from '../../functions/deletePackage';
import { handler as getPackage } from '../../functions/getPackage';
import { handler as listOrders } from '../../functions/listOrders';
import { handler as listPackages } from '../../functions/listPackages';
import { handler as renewPackage } from '../../functions/renewPackage';
import { handler as unbindPackage } from '../../functions/unbindPackage';
import { handler as updatePackage } from '../../functions/updatePackage';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { dueFields } from '../../lib/entities/package';
import { addMonths } from '../../lib/time';
import { bindingViolations } from '../support/bindings';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { invoke } from '../support/invoke';
import { chainViolations, setPackageTime } from '../support/time';

const ROUNDS = 10;

/* ---------- fixtures ---------- */

async function newCen(t: Tenant): Promise<string> {
  const res = await invoke(createCen, { apiKey: t.apiKey, method: 'POST', body: { name: 'pkg' } });
  expect(res.status).toBe(201);
  return res.body.cenId;
}

const purchase = (t: Tenant, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  invoke(createPackage, { apiKey: t.apiKey, method: 'POST', path: '/bandwidth-packages', body, headers });

async function buy(t: Tenant, areaA: string, areaB: string, bandwidthMbps = 10, extra = {}) {
  const res = await purchase(t, { areaA, areaB, bandwidthMbps, ...extra });
  expect(res.status).toBe(201);
  return res.body.bandwidthPackageId as string;
}

const id = (bandwidthPackageId: string) => ({ bandwidthPackageId });
const get = (t: Tenant, pkg: string) => invoke(getPackage, { apiKey: t.apiKey, params: id(pkg) });
const list = (t: Tenant, query: Record<string, string> = {}) =>
  invoke(listPackages, { apiKey: t.apiKey, query });
const bind = (t: Tenant, pkg: string, cenId: string) =>
  invoke(bindPackage, { apiKey: t.apiKey, method: 'POST', params: id(pkg), body: { cenId } });
const unbind = (t: Tenant, pkg: string, cenId: string) =>
  invoke(unbindPackage, { apiKey: t.apiKey, method: 'POST', params: id(pkg), body: { cenId } });
const bandwidth = (t: Tenant, pkg: string, bandwidthMbps: number) =>
  invoke(changePackageBandwidth, {
    apiKey: t.apiKey,
    method: 'POST',
    params: id(pkg),
    body: { bandwidthMbps },
  });
const renew = (t: Tenant, pkg: string, body: Record<string, unknown>) =>
  invoke(renewPackage, { apiKey: t.apiKey, method: 'POST', params: id(pkg), body });
const orders = (t: Tenant, pkg: string, query: Record<string, string> = {}) =>
  invoke(listOrders, { apiKey: t.apiKey, params: id(pkg), query });
const connect = (t: Tenant, cenId: string, regionA: string, regionB: string, bandwidthMbps: number) =>
  invoke(createConnection, {
    apiKey: t.apiKey,
    method: 'POST',
    params: { cenId },
    body: { regionA, regionB, bandwidthMbps },
  });

const pkgItem = async (t: Tenant, pkg: string) => (await getItem(keys.bandwidthPackage(t.accountId, pkg)))!;
const cenItem = async (t: Tenant, cenId: string) => (await getItem(keys.cen(t.accountId, cenId)))!;
const ofEntity = async (t: Tenant, entity: string) =>
  (await accountItems(t.accountId)).filter((i) => i.entity === entity);

/** What the expiry job writes when a package expires (rule 8): Expired, and due for release. */
const expire = (t: Tenant, pkg: string, expiredAt = new Date().toISOString()) =>
  setPackageTime(t.accountId, pkg, { expiredAt });

/* ---------- purchase ---------- */

describe('purchasing a package', () => {
  it('writes the package and its Purchase order in one transaction, with the computed fields', async () => {
    const t = await newTenant();
    const res = await purchase(t, { areaA: 'China', areaB: 'Asia-Pacific', bandwidthMbps: 20, name: 'hk' });
    expect(res.status).toBe(201);
    const p = res.body;
    expect(p).toEqual({
      bandwidthPackageId: expect.stringMatching(/^cenbwp-[0-9a-z]{26}$/),
      name: 'hk',
      description: null,
      areaA: 'China',
      areaB: 'Asia-Pacific',
      geographicSpanId: 'asia-pacific_china',
      isCrossBorder: true,
      bandwidthMbps: 20,
      allocatedMbps: 0,
      remainingMbps: 20,
      status: 'Idle',
      businessStatus: 'Normal',
      cenId: null,
      chargeType: 'PREPAY',
      pricingCycle: 'Month',
      period: 1,
      autoRenew: false,
      autoRenewPeriod: 1,
      createdAt: expect.any(String),
      expiresAt: addMonths(p.createdAt, 1),
      expiredAt: null,
    });
    expect(await pkgItem(t, p.bandwidthPackageId)).toMatchObject({
      entity: 'BandwidthPackage',
      accountId: t.accountId,
      connectionCount: 0,
      GSI1PK: keys.packagesOfAccount(t.accountId),
      ...dueFields(p.bandwidthPackageId, { expiresAt: p.expiresAt }),
    });
    const stored = await ofEntity(t, 'Order');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      type: 'Purchase',
      bandwidthPackageId: p.bandwidthPackageId,
      bandwidthMbpsBefore: null,
      bandwidthMbpsAfter: 20,
      expiresAtBefore: null,
      expiresAtAfter: p.expiresAt,
      createdAt: p.createdAt,
    });
  });

  it.each([
    ['China', 'China', 'china_china', false],
    ['North-America', 'China', 'china_north-america', true],
    ['Europe', 'North-America', 'europe_north-america', false],
    ['Asia-Pacific', 'Asia-Pacific', 'asia-pacific_asia-pacific', false],
    ['Australia', 'China', 'australia_china', true],
  ])('derives the span and cross-border flag of %s ↔ %s', async (areaA, areaB, span, crossBorder) => {
    const t = await newTenant();
    const res = await purchase(t, { areaA, areaB, bandwidthMbps: 2 });
    expect(res.body).toMatchObject({ areaA, areaB, geographicSpanId: span, isCrossBorder: crossBorder });
  });

  it.each([
    ['Month', 1, 1],
    ['Month', 6, 6],
    ['Year', 1, 12],
    ['Year', 3, 36],
  ])(
    'sets expiresAt for %s × %i as %i calendar months after purchase',
    async (pricingCycle, period, months) => {
      const t = await newTenant();
      const res = await purchase(t, {
        areaA: 'Europe',
        areaB: 'Europe',
        bandwidthMbps: 10000,
        pricingCycle,
        period,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ pricingCycle, period, bandwidthMbps: 10000 });
      expect(res.body.expiresAt).toBe(addMonths(res.body.createdAt, months));
    },
  );

  it('keeps the auto-renew settings', async () => {
    const t = await newTenant();
    const res = await purchase(t, {
      areaA: 'Europe',
      areaB: 'China',
      bandwidthMbps: 5,
      autoRenew: true,
      autoRenewPeriod: 3,
      description: 'd',
    });
    expect(res.body).toMatchObject({ autoRenew: true, autoRenewPeriod: 3, description: 'd' });
  });

  it.each([
    ['a bandwidth under 2 Mbps', { bandwidthMbps: 1 }, 'InvalidParameter.BandwidthMbps'],
    ['a bandwidth over 10000 Mbps', { bandwidthMbps: 10001 }, 'InvalidParameter.BandwidthMbps'],
    ['a fractional bandwidth', { bandwidthMbps: 2.5 }, 'InvalidParameter.BandwidthMbps'],
    ['an unknown area', { areaA: 'Antarctica' }, 'InvalidParameter.AreaA'],
    ['a period of 4 months', { pricingCycle: 'Month', period: 4 }, 'InvalidParameter.Period'],
    ['a period of 6 years', { pricingCycle: 'Year', period: 6 }, 'InvalidParameter.Period'],
    ['an auto-renew period of 6', { autoRenewPeriod: 6 }, 'InvalidParameter.AutoRenewPeriod'],
    ['a postpaid charge type', { chargeType: 'POSTPAY' }, 'InvalidParameter'],
  ])('refuses %s and writes nothing', async (_name, change, code) => {
    const t = await newTenant();
    const res = await purchase(t, { areaA: 'China', areaB: 'Europe', bandwidthMbps: 10, ...change });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    expect(await accountItems(t.accountId)).toEqual([]);
  });

  it('binds at once when cenId is given: package, order, binding and CEN counter in one transaction', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const res = await purchase(t, { areaA: 'China', areaB: 'Europe', bandwidthMbps: 10, cenId });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'InUse', cenId });
    const pkg = res.body.bandwidthPackageId;
    expect(await getItem(keys.binding(t.accountId, cenId, 'china_europe'))).toMatchObject({
      entity: 'Binding',
      bandwidthPackageId: pkg,
    });
    expect((await cenItem(t, cenId)).packageCount).toBe(1);
    expect((await pkgItem(t, pkg)).GSI2PK).toBe(keys.packagesOfCen(t.accountId, cenId));
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });

  it("refuses a cenId that is absent, malformed or another account's, and writes nothing", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const foreign = await newCen(other);
    for (const cenId of ['cen-01m832b5jm8ftchane8hrtg7ah', 'not-a-cen', foreign]) {
      const res = await purchase(t, { areaA: 'China', areaB: 'Europe', bandwidthMbps: 10, cenId });
      expect(res.status, cenId).toBe(404);
      expect(res.body.code).toBe('NotFound.Cen');
    }
    expect(await accountItems(t.accountId)).toEqual([]);
    expect((await cenItem(other, foreign)).packageCount).toBe(0);
  });

  it('refuses a second package of the same span on a CEN (rule 2), writing neither package nor order', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const first = await buy(t, 'China', 'Europe', 10, { cenId });
    const before = await accountItems(t.accountId);
    const res = await purchase(t, { areaA: 'Europe', areaB: 'China', bandwidthMbps: 10, cenId });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('InvalidOperation.BwpForGeoSpanAlreadyAssociated');
    expect(res.body.message).toContain(first);
    expect(await accountItems(t.accountId)).toEqual(before);
    // Another span on the same CEN is fine.
    expect((await purchase(t, { areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 10, cenId })).status).toBe(
      201,
    );
    expect((await cenItem(t, cenId)).packageCount).toBe(2);
  });

  it('creates one package and one order for a purchase retried with the same Idempotency-Key', async () => {
    const t = await newTenant();
    const body = { areaA: 'China', areaB: 'North-America', bandwidthMbps: 8 };
    // API Gateway hands headers over lower-cased; the direct invocation must do the same.
    const headers = { 'idempotency-key': 'buy-once' };
    const first = await purchase(t, body, headers);
    const again = await purchase(t, body, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(await ofEntity(t, 'BandwidthPackage')).toHaveLength(1);
    expect(await ofEntity(t, 'Order')).toHaveLength(1);
    const other = await purchase(t, { ...body, bandwidthMbps: 9 }, headers);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IdempotenceParam.NotMatch');
    expect(await ofEntity(t, 'BandwidthPackage')).toHaveLength(1);
  });
});

/* ---------- read, update, delete ---------- */

describe('reading packages', () => {
  it("gets a package, and 404s an absent, malformed or another account's one", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const pkg = await buy(t, 'China', 'Europe');
    const res = await get(t, pkg);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ bandwidthPackageId: pkg, allocatedMbps: 0, remainingMbps: 10 });
    for (const [who, which] of [
      [other, pkg],
      [t, 'cenbwp-01m832qx643gx8w8vz4pa1hw8p'],
      [t, 'cen-01m832qx643gx8w8vz4pa1hw8p'],
    ] as const) {
      const miss = await get(who, which);
      expect(miss.status).toBe(404);
      expect(miss.body.code).toBe('NotFound.BandwidthPackage');
    }
  });

  it('lists with the cenId, status and businessStatus filters, page by page, with the accounting', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const bound = await buy(t, 'China', 'Europe', 10, { cenId });
    const idle = await buy(t, 'Europe', 'Europe', 6);
    const old = await buy(t, 'China', 'China', 4);
    await expire(t, old);
    expect((await connect(t, cenId, 'cn-beijing', 'eu-west-1', 3)).status).toBe(201);

    const ids = async (query: Record<string, string>) => {
      const res = await list(t, query);
      expect(res.status).toBe(200);
      return res.body.items.map((p: { bandwidthPackageId: string }) => p.bandwidthPackageId);
    };
    const all = (await list(t)).body.items;
    expect(all.map((p: { bandwidthPackageId: string }) => p.bandwidthPackageId)).toEqual([bound, idle, old]);
    expect(all[0]).toMatchObject({ bandwidthMbps: 10, allocatedMbps: 3, remainingMbps: 7 });
    expect(all[1]).toMatchObject({ allocatedMbps: 0, remainingMbps: 6 });
    expect(await ids({ status: 'InUse' })).toEqual([bound]);
    expect(await ids({ status: 'Idle' })).toEqual([idle, old]);
    expect(await ids({ businessStatus: 'Expired' })).toEqual([old]);
    expect(await ids({ businessStatus: 'Normal', status: 'Idle' })).toEqual([idle]);
    expect(await ids({ cenId })).toEqual([bound]);
    expect(await ids({ cenId, status: 'Idle' })).toEqual([]);
    expect(await ids({ cenId: 'cen-01m832b5jm8ftchane8hrtg7ah' })).toEqual([]);

    // Pages of one, with and without a filter: nothing skipped or repeated, no token on the last.
    for (const [query, expected] of [
      [{}, [bound, idle, old]],
      [{ status: 'Idle' }, [idle, old]],
    ] as const) {
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const res = await list(t, { ...query, limit: '1', ...(nextToken ? { nextToken } : {}) });
        expect(res.body.items.length).toBe(1);
        seen.push(res.body.items[0].bandwidthPackageId);
        nextToken = res.body.nextToken;
        pages++;
      } while (nextToken);
      expect(seen).toEqual(expected);
      expect(pages).toBe(expected.length);
    }
  });

  it('renames a package; the areas cannot be changed', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'China', 'Europe');
    const params = id(pkg);
    const ok = await invoke(updatePackage, {
      apiKey: t.apiKey,
      method: 'PATCH',
      params,
      body: { name: 'n2' },
    });
    expect(ok.body).toMatchObject({ name: 'n2', areaA: 'China' });
    const before = await accountItems(t.accountId);
    const refused = await invoke(updatePackage, {
      apiKey: t.apiKey,
      method: 'PATCH',
      params,
      body: { areaA: 'Europe' },
    });
    expect(refused.status).toBe(400);
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it("refuses direct deletion with 403 Forbidden.Release, and 404s another account's package", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const pkg = await buy(t, 'China', 'Europe');
    const before = await accountItems(t.accountId);
    const del = (who: Tenant) =>
      invoke(deletePackage, { apiKey: who.apiKey, method: 'DELETE', params: id(pkg) });
    const mine = await del(t);
    expect(mine.status).toBe(403);
    expect(mine.body.code).toBe('Forbidden.Release');
    expect(mine.body.message).toMatch(/ticket/);
    const theirs = await del(other);
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe('NotFound.BandwidthPackage');
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});

/* ---------- bind, unbind ---------- */

describe('binding and unbinding (rules 2 and 5)', () => {
  it('binds an Idle package, unbinds it, and binds it to another CEN; counters follow', async () => {
    const t = await newTenant();
    const [a, b] = [await newCen(t), await newCen(t)];
    const pkg = await buy(t, 'China', 'Asia-Pacific');
    const bound = await bind(t, pkg, a);
    expect(bound.status).toBe(200);
    expect(bound.body).toMatchObject({ status: 'InUse', cenId: a });
    expect((await cenItem(t, a)).packageCount).toBe(1);
    expect((await list(t, { cenId: a })).body.items).toHaveLength(1);

    // Rule 10: a CEN with a bound package cannot be deleted.
    const delCen = await invoke(deleteCen, { apiKey: t.apiKey, method: 'DELETE', params: { cenId: a } });
    expect(delCen.body.code).toBe('InvalidOperation.CenInUse');

    const unbound = await unbind(t, pkg, a);
    expect(unbound.status).toBe(200);
    expect(unbound.body).toMatchObject({ status: 'Idle', cenId: null });
    expect(await getItem(keys.binding(t.accountId, a, 'asia-pacific_china'))).toBeUndefined();
    expect((await cenItem(t, a)).packageCount).toBe(0);
    expect((await pkgItem(t, pkg)).GSI2PK).toBeUndefined();
    expect((await list(t, { cenId: a })).body.items).toEqual([]);

    expect((await bind(t, pkg, b)).body).toMatchObject({ status: 'InUse', cenId: b });
    expect(await bindingViolations(t.accountId)).toEqual([]);
    expect(
      (await invoke(deleteCen, { apiKey: t.apiKey, method: 'DELETE', params: { cenId: a } })).status,
    ).toBe(204);
  });

  it('refuses to bind an InUse package, to its own CEN too (BwpInstanceStatus)', async () => {
    const t = await newTenant();
    const [a, b] = [await newCen(t), await newCen(t)];
    const pkg = await buy(t, 'China', 'Europe', 10, { cenId: a });
    const before = await accountItems(t.accountId);
    for (const cenId of [a, b]) {
      const res = await bind(t, pkg, cenId);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.BwpInstanceStatus');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('refuses to bind an expired package (BwpBusinessStatus)', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const pkg = await buy(t, 'China', 'Europe');
    await expire(t, pkg);
    const before = await accountItems(t.accountId);
    const res = await bind(t, pkg, cenId);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('InvalidOperation.BwpBusinessStatus');
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('refuses a second package of a span on one CEN (BwpForGeoSpanAlreadyAssociated); other spans bind', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    await buy(t, 'China', 'Europe', 10, { cenId });
    const same = await buy(t, 'Europe', 'China');
    const before = await accountItems(t.accountId);
    const res = await bind(t, same, cenId);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('InvalidOperation.BwpForGeoSpanAlreadyAssociated');
    expect(await accountItems(t.accountId)).toEqual(before);
    expect((await bind(t, await buy(t, 'China', 'China'), cenId)).status).toBe(200);
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });

  it("404s an absent or another account's package or CEN, package first", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const cenId = await newCen(t);
    const theirCen = await newCen(other);
    const pkg = await buy(t, 'China', 'Europe');
    const theirPkg = await buy(other, 'China', 'Europe');
    const before = await accountItems(t.accountId);
    for (const [op, p, c, code] of [
      [bind, theirPkg, cenId, 'NotFound.BandwidthPackage'],
      [bind, theirPkg, 'cen-01m832b5jm8ftchane8hrtg7ah', 'NotFound.BandwidthPackage'],
      [bind, pkg, theirCen, 'NotFound.Cen'],
      [bind, pkg, 'cen-01m832b5jm8ftchane8hrtg7ah', 'NotFound.Cen'],
      [bind, pkg, 'nonsense', 'NotFound.Cen'],
      [unbind, theirPkg, cenId, 'NotFound.BandwidthPackage'],
      [unbind, pkg, theirCen, 'NotFound.Cen'],
    ] as const) {
      const res = await op(t, p, c);
      expect(res.status, `${op === bind ? 'bind' : 'unbind'} ${p} ${c}`).toBe(404);
      expect(res.body.code).toBe(code);
    }
    expect(await accountItems(t.accountId)).toEqual(before);
    expect((await cenItem(other, theirCen)).packageCount).toBe(0);
  });

  it('refuses to unbind an Idle package, or from a CEN it is not bound to (BwpInstanceStatus)', async () => {
    const t = await newTenant();
    const [a, b] = [await newCen(t), await newCen(t)];
    const idle = await buy(t, 'China', 'Europe');
    const bound = await buy(t, 'China', 'China', 10, { cenId: a });
    const before = await accountItems(t.accountId);
    for (const [pkg, cenId] of [
      [idle, a],
      [bound, b],
    ] as const) {
      const res = await unbind(t, pkg, cenId);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.BwpInstanceStatus');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('refuses to unbind while the package has connections (CenBandwidthLimitsNotZero), then unbinds', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const pkg = await buy(t, 'China', 'Europe', 10, { cenId });
    expect((await connect(t, cenId, 'cn-shanghai', 'eu-central-1', 4)).status).toBe(201);
    const before = await accountItems(t.accountId);
    const res = await unbind(t, pkg, cenId);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('InvalidOperation.CenBandwidthLimitsNotZero');
    expect(await accountItems(t.accountId)).toEqual(before);
    const gone = await invoke(deleteConnection, {
      apiKey: t.apiKey,
      method: 'DELETE',
      params: { cenId, connectionId: 'cn-shanghai_eu-central-1' },
    });
    expect(gone.status).toBe(204);
    expect((await unbind(t, pkg, cenId)).body).toMatchObject({ status: 'Idle', allocatedMbps: 0 });
  });

  it('unbinds an expired package without connections (it stays billed and expired)', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const pkg = await buy(t, 'China', 'Europe', 10, { cenId });
    await expire(t, pkg);
    expect((await unbind(t, pkg, cenId)).body).toMatchObject({ status: 'Idle', businessStatus: 'Expired' });
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });
});

describe('binding races, decided by DynamoDB conditions (handlers in parallel)', () => {
  it(`binds exactly one of two same-span packages racing for one CEN (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    for (let round = 0; round < ROUNDS; round++) {
      const cenId = await newCen(t);
      const pkgs = [await buy(t, 'China', 'Europe'), await buy(t, 'Europe', 'China')];
      const replies = await Promise.all(pkgs.map((p) => bind(t, p, cenId)));
      const codes = replies.map((r) => r.status).sort();
      expect(codes, `round ${round}`).toEqual([200, 409]);
      expect(replies.find((r) => r.status === 409)!.body.code).toBe(
        'InvalidOperation.BwpForGeoSpanAlreadyAssociated',
      );
      expect((await cenItem(t, cenId)).packageCount).toBe(1);
    }
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });

  it(`binds one package to exactly one of two CENs racing for it (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    for (let round = 0; round < ROUNDS; round++) {
      const cens = [await newCen(t), await newCen(t)];
      const pkg = await buy(t, 'China', 'Europe');
      const replies = await Promise.all(cens.map((c) => bind(t, pkg, c)));
      expect(replies.map((r) => r.status).sort(), `round ${round}`).toEqual([200, 409]);
      expect(replies.find((r) => r.status === 409)!.body.code).toBe('InvalidOperation.BwpInstanceStatus');
      const winner = replies.find((r) => r.status === 200)!.body.cenId;
      expect((await pkgItem(t, pkg)).cenId).toBe(winner);
    }
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });

  it('lets exactly one of a purchase-with-cenId and a bind of the same span win; the loser writes nothing', async () => {
    const t = await newTenant();
    for (let round = 0; round < ROUNDS; round++) {
      const cenId = await newCen(t);
      const idle = await buy(t, 'China', 'North-America');
      const packagesBefore = (await ofEntity(t, 'BandwidthPackage')).length;
      const ordersBefore = (await ofEntity(t, 'Order')).length;
      const [bought, bound] = await Promise.all([
        purchase(t, { areaA: 'North-America', areaB: 'China', bandwidthMbps: 5, cenId }),
        bind(t, idle, cenId),
      ]);
      const wins = Number(bought.status === 201) + Number(bound.status === 200);
      expect(wins, `round ${round}: ${bought.status} ${bound.status}`).toBe(1);
      const loser = bought.status === 201 ? bound : bought;
      expect(loser.status).toBe(409);
      expect(loser.body.code).toBe('InvalidOperation.BwpForGeoSpanAlreadyAssociated');
      const added = bought.status === 201 ? 1 : 0;
      expect((await ofEntity(t, 'BandwidthPackage')).length).toBe(packagesBefore + added);
      expect((await ofEntity(t, 'Order')).length).toBe(ordersBefore + added);
    }
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });

  it('never lets an unbind and a new connection both succeed', async () => {
    const t = await newTenant();
    for (let round = 0; round < ROUNDS; round++) {
      const cenId = await newCen(t);
      const pkg = await buy(t, 'China', 'Europe', 10, { cenId });
      const [unbound, connected] = await Promise.all([
        unbind(t, pkg, cenId),
        connect(t, cenId, 'cn-hangzhou', 'eu-west-1', 2),
      ]);
      const item = await pkgItem(t, pkg);
      if (unbound.status === 200) {
        expect(connected.body.code, `round ${round}`).toBe('InvalidOperation.BwpForGeoSpanNotAssociated');
        expect(item).toMatchObject({ status: 'Idle', connectionCount: 0, allocatedMbps: 0 });
      } else {
        expect(connected.status, `round ${round}`).toBe(201);
        expect(unbound.body.code).toBe('InvalidOperation.CenBandwidthLimitsNotZero');
        expect(item).toMatchObject({ status: 'InUse', connectionCount: 1, allocatedMbps: 2 });
      }
    }
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });
});

/* ---------- upgrade, downgrade ---------- */

describe('upgrading and downgrading (rule 6)', () => {
  it('upgrades at once with an Upgrade order, and downgrades a non-cross-border package with a Downgrade order', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'Europe', 'North-America', 10);
    const up = await bandwidth(t, pkg, 50);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ bandwidthMbps: 50, allocatedMbps: 0, remainingMbps: 50 });
    const down = await bandwidth(t, pkg, 2);
    expect(down.body).toMatchObject({ bandwidthMbps: 2, remainingMbps: 2 });
    const list = (await orders(t, pkg)).body.items;
    expect(list.map((o: { type: string }) => o.type)).toEqual(['Purchase', 'Upgrade', 'Downgrade']);
    expect(list[1]).toMatchObject({ bandwidthMbpsBefore: 10, bandwidthMbpsAfter: 50 });
    expect(list[2]).toMatchObject({
      bandwidthMbpsBefore: 50,
      bandwidthMbpsAfter: 2,
      expiresAtBefore: list[0].expiresAtAfter,
      expiresAtAfter: list[0].expiresAtAfter,
    });
  });

  it('answers an unchanged bandwidth with the package and no order', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'Europe', 'Europe', 10);
    expect((await bandwidth(t, pkg, 10)).body).toMatchObject({ bandwidthMbps: 10 });
    expect(await ofEntity(t, 'Order')).toHaveLength(1);
  });

  it('refuses to downgrade a cross-border package, but upgrades it', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'China', 'Asia-Pacific', 10);
    const before = await accountItems(t.accountId);
    const res = await bandwidth(t, pkg, 9);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('OperationFailed.CrossBorderDowngradeNotSupported');
    expect(await accountItems(t.accountId)).toEqual(before);
    expect((await bandwidth(t, pkg, 11)).body.bandwidthMbps).toBe(11);
  });

  it('refuses a downgrade below the allocated sum (BwpBandwidthExceeded), and allows one down to it', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const pkg = await buy(t, 'China', 'China', 20, { cenId });
    expect((await connect(t, cenId, 'cn-beijing', 'cn-shanghai', 6)).status).toBe(201);
    expect((await connect(t, cenId, 'cn-beijing', 'cn-hangzhou', 4)).status).toBe(201);
    const before = await accountItems(t.accountId);
    const res = await bandwidth(t, pkg, 9);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
    expect(await accountItems(t.accountId)).toEqual(before);
    expect((await bandwidth(t, pkg, 10)).body).toMatchObject({
      bandwidthMbps: 10,
      allocatedMbps: 10,
      remainingMbps: 0,
    });
  });

  it('refuses both directions on an expired package (BwpBusinessStatus)', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'Europe', 'Europe', 10);
    await expire(t, pkg);
    const before = await accountItems(t.accountId);
    for (const mbps of [20, 5]) {
      const res = await bandwidth(t, pkg, mbps);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.BwpBusinessStatus');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('holds the sum rule when a downgrade races new connections: the condition decides, not a read', async () => {
    const t = await newTenant();
    for (let round = 0; round < ROUNDS; round++) {
      const cenId = await newCen(t);
      const pkg = await buy(t, 'China', 'China', 10, { cenId });
      // Either fits alone; together they would exceed the package.
      const [down, conn] = await Promise.all([
        bandwidth(t, pkg, 5),
        connect(t, cenId, 'cn-qingdao', 'cn-shenzhen', 6),
      ]);
      const item = await pkgItem(t, pkg);
      expect(item.allocatedMbps, `round ${round}`).toBeLessThanOrEqual(Number(item.bandwidthMbps));
      expect(Number(item.allocatedMbps) + Number(item.remainingMbps)).toBe(item.bandwidthMbps);
      // Each fits alone, so exactly one wins, whichever DynamoDB commits first.
      const wins = Number(down.status === 200) + Number(conn.status === 201);
      expect(wins, `round ${round}: ${down.status} ${conn.status}`).toBe(1);
      const loser = down.status === 200 ? conn : down;
      expect(loser.status).toBe(409);
      expect(loser.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
    }
  });
});

/* ---------- renewal ---------- */

describe('renewing (rule 7)', () => {
  it('extends a Normal package from its current expiry, with a Renewal order and the due index moved', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'China', 'Europe', 10);
    const bought = (await get(t, pkg)).body;
    const res = await renew(t, pkg, { period: 2 });
    expect(res.status).toBe(200);
    expect(res.body.expiresAt).toBe(addMonths(bought.expiresAt, 2));
    const yearly = await renew(t, pkg, { period: 1, pricingCycle: 'Year' });
    expect(yearly.body.expiresAt).toBe(addMonths(res.body.expiresAt, 12));
    expect(await pkgItem(t, pkg)).toMatchObject(dueFields(pkg, { expiresAt: yearly.body.expiresAt }));
    const list = (await orders(t, pkg)).body.items;
    expect(list.map((o: { type: string }) => o.type)).toEqual(['Purchase', 'Renewal', 'Renewal']);
    expect(list[1]).toMatchObject({
      bandwidthMbpsBefore: 10,
      bandwidthMbpsAfter: 10,
      expiresAtBefore: bought.expiresAt,
      expiresAtAfter: res.body.expiresAt,
    });
    expect(chainViolations(list)).toEqual([]);
  });

  it('revives an expired package from the time of renewal', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const pkg = await buy(t, 'China', 'Europe', 10, { cenId });
    await expire(t, pkg, '2020-01-31T00:00:00.000Z');
    const start = new Date().toISOString();
    const res = await renew(t, pkg, { period: 1 });
    const end = new Date().toISOString();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ businessStatus: 'Normal', expiredAt: null, status: 'InUse', cenId });
    expect(res.body.expiresAt >= addMonths(start, 1) && res.body.expiresAt <= addMonths(end, 1)).toBe(true);
    expect(await pkgItem(t, pkg)).toMatchObject(dueFields(pkg, { expiresAt: res.body.expiresAt }));
    // Normal again: it accepts what an expired package refuses.
    expect((await bandwidth(t, pkg, 12)).status).toBe(200);
  });

  it('keeps every renewal when renewals and bandwidth changes race: the orders form one chain', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'Europe', 'Europe', 10);
    const bought = (await get(t, pkg)).body;
    const replies = await Promise.all([
      renew(t, pkg, { period: 1 }),
      bandwidth(t, pkg, 20),
      renew(t, pkg, { period: 2 }),
      bandwidth(t, pkg, 30),
      renew(t, pkg, { period: 3 }),
    ]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const final = (await get(t, pkg)).body;
    const list = (await orders(t, pkg)).body.items;
    expect(list).toHaveLength(6);
    expect(list[0].expiresAtAfter).toBe(bought.expiresAt);
    expect(chainViolations(list)).toEqual([]);
    // Each renewal added its own period to the expiry it found (in whatever order they ran).
    const periods = list
      .filter((o: { type: string }) => o.type === 'Renewal')
      .map((o: { expiresAtBefore: string; expiresAtAfter: string }) =>
        [1, 2, 3].find((m) => addMonths(o.expiresAtBefore, m) === o.expiresAtAfter),
      );
    expect(periods.sort()).toEqual([1, 2, 3]);
    expect(list[list.length - 1]).toMatchObject({
      expiresAtAfter: final.expiresAt,
      bandwidthMbpsAfter: final.bandwidthMbps,
    });
  });

  it('refuses a bad period and 404s an absent package, writing nothing', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'Europe', 'Europe', 10);
    const before = await accountItems(t.accountId);
    for (const body of [
      { period: 5 },
      { period: 6, pricingCycle: 'Year' },
      {},
      { period: 1, pricingCycle: 'Week' },
    ]) {
      const res = await renew(t, pkg, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const missing = await renew(t, 'cenbwp-01m832qx643gx8w8vz4pa1hw8p', { period: 1 });
    expect(missing.body.code).toBe('NotFound.BandwidthPackage');
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});

/* ---------- orders ---------- */

describe('orders', () => {
  it('lists every chargeable event oldest first, page by page', async () => {
    const t = await newTenant();
    const pkg = await buy(t, 'Europe', 'North-America', 10);
    await bandwidth(t, pkg, 15);
    await renew(t, pkg, { period: 1 });
    await bandwidth(t, pkg, 5);
    await expire(t, pkg);
    await renew(t, pkg, { period: 3 });
    const seen: Record<string, unknown>[] = [];
    let nextToken: string | undefined;
    do {
      const res = await orders(t, pkg, { limit: '2', ...(nextToken ? { nextToken } : {}) });
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      nextToken = res.body.nextToken;
    } while (nextToken);
    expect(seen.map((o) => o.type)).toEqual(['Purchase', 'Upgrade', 'Renewal', 'Downgrade', 'Renewal']);
    expect(new Set(seen.map((o) => o.orderId)).size).toBe(5);
    // The chain breaks only where expiry restarted the clock: the last renewal starts from its own time.
    expect(chainViolations(seen.slice(0, 4))).toEqual([]);
    expect(seen[4]).toMatchObject({ expiresAtBefore: seen[3]!.expiresAtAfter, bandwidthMbpsBefore: 5 });
  });

  it('404s the orders of a package the account never owned', async () => {
    const t = await newTenant();
    const other = await newTenant();
    const pkg = await buy(other, 'Europe', 'Europe');
    for (const which of [pkg, 'cenbwp-01m832qx643gx8w8vz4pa1hw8p']) {
      const res = await orders(t, which);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NotFound.BandwidthPackage');
    }
  });
});
