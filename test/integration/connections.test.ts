import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as bindPackage } from '../../functions/bindPackage';
import { handler as changePackageBandwidth } from '../../functions/changePackageBandwidth';
import { handler as createCen } from '../../functions/createCen';
import { handler as createConnection } from '../../functions/createConnection';
import { handler as createPackage } from '../../functions/createPackage';
import { handler as deleteConnection } from '../../functions/deleteConnection';
import { handler as getConnection } from '../../functions/getConnection';
import { handler as getEffectiveBandwidth } from '../../functions/getEffectiveBandwidth';
import { handler as listConnections } from '../../functions/listConnections';
import { handler as renewPackage } from '../../functions/renewPackage';
import { handler as unbindPackage } from '../../functions/unbindPackage';
import { handler as updateConnection } from '../../functions/updateConnection';
import { db, OPTIMISTIC, TABLE } from '../../lib/db/client';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { injectTransactionConflicts } from '../support/conflicts';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { invoke } from '../support/invoke';
import { connectionsIn } from '../support/stored';

/* ---------- fixtures: handlers called directly, as API Gateway would ---------- */

async function newCen(t: Tenant): Promise<string> {
  const res = await invoke(createCen, { apiKey: t.apiKey, method: 'POST', body: { name: 'conn' } });
  expect(res.status).toBe(201);
  return res.body.cenId;
}

async function buy(t: Tenant, areaA: string, areaB: string, bandwidthMbps: number, cenId?: string) {
  const res = await invoke(createPackage, {
    apiKey: t.apiKey,
    method: 'POST',
    body: { areaA, areaB, bandwidthMbps, ...(cenId ? { cenId } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.bandwidthPackageId as string;
}

const create = (t: Tenant, cenId: string, body: Record<string, unknown>) =>
  invoke(createConnection, { apiKey: t.apiKey, method: 'POST', params: { cenId }, body });
const get = (t: Tenant, cenId: string, connectionId: string) =>
  invoke(getConnection, { apiKey: t.apiKey, params: { cenId, connectionId } });
const patch = (t: Tenant, cenId: string, connectionId: string, bandwidthMbps: number) =>
  invoke(updateConnection, {
    apiKey: t.apiKey,
    method: 'PATCH',
    params: { cenId, connectionId },
    body: { bandwidthMbps },
  });
const remove = (t: Tenant, cenId: string, connectionId: string) =>
  invoke(deleteConnection, { apiKey: t.apiKey, method: 'DELETE', params: { cenId, connectionId } });
const list = (t: Tenant, cenId: string, query: Record<string, string> = {}) =>
  invoke(listConnections, { apiKey: t.apiKey, params: { cenId }, query });
const effective = (t: Tenant, cenId: string, regionA: string, regionB: string) =>
  invoke(getEffectiveBandwidth, { apiKey: t.apiKey, params: { cenId }, query: { regionA, regionB } });

const pkgItem = async (t: Tenant, id: string) => (await getItem(keys.bandwidthPackage(t.accountId, id)))!;

/** The package's accounting, as stored. */
async function accounting(t: Tenant, id: string) {
  const p = await pkgItem(t, id);
  return {
    bandwidthMbps: p.bandwidthMbps,
    allocatedMbps: p.allocatedMbps,
    remainingMbps: p.remainingMbps,
    connectionCount: p.connectionCount,
  };
}

const connectionItems = async (t: Tenant) => connectionsIn(await accountItems(t.accountId));

/** What the expiry job writes when a package expires (rule 8); the job itself is tested elsewhere. */
async function expire(t: Tenant, id: string) {
  await db.send(
    new UpdateCommand({
      TableName: TABLE,
      Key: keys.bandwidthPackage(t.accountId, id),
      UpdateExpression: 'SET businessStatus = :expired, expiredAt = :now',
      ExpressionAttributeValues: { ':expired': 'Expired', ':now': new Date().toISOString() },
    }),
  );
}

/** A tenant with one CEN and a China/North-America package of `mbps` bound to it. */
async function world(mbps = 10) {
  const t = await newTenant();
  const cenId = await newCen(t);
  const pkg = await buy(t, 'China', 'North-America', mbps, cenId);
  return { t, cenId, pkg };
}

/* ---------- create ---------- */

describe('creating a region connection (rules 1 and 3)', () => {
  it('allocates from the package bound for the span, the connection and the accounting in one write', async () => {
    const { t, cenId, pkg } = await world(10);
    const res = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 4 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      connectionId: 'cn-hangzhou_us-east-1',
      cenId,
      regionA: 'cn-hangzhou',
      regionB: 'us-east-1',
      bandwidthMbps: 4,
      bandwidthPackageId: pkg,
      geographicSpanId: 'china_north-america',
      status: 'Active',
      createdAt: expect.any(String),
      updatedAt: res.body.createdAt,
    });
    const [item] = await connectionItems(t);
    expect(item).toMatchObject({
      connectionId: 'cn-hangzhou_us-east-1',
      accountId: t.accountId,
      bandwidthMbps: 4,
    });
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 4,
      remainingMbps: 6,
      connectionCount: 1,
    });
  });

  it('treats the pair as unordered: one id either way, and a second create is RegionConnectionExists', async () => {
    const { t, cenId, pkg } = await world(10);
    const first = await create(t, cenId, { regionA: 'us-east-1', regionB: 'cn-hangzhou', bandwidthMbps: 2 });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      connectionId: 'cn-hangzhou_us-east-1',
      regionA: 'cn-hangzhou',
      regionB: 'us-east-1',
    });
    const before = await accountItems(t.accountId);
    for (const [regionA, regionB] of [
      ['cn-hangzhou', 'us-east-1'],
      ['us-east-1', 'cn-hangzhou'],
    ]) {
      const again = await create(t, cenId, { regionA, regionB, bandwidthMbps: 1 });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('InvalidOperation.RegionConnectionExists');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
    expect((await accounting(t, pkg)).allocatedMbps).toBe(2);
  });

  it('refuses a pair whose areas are not the span of a package bound to the CEN', async () => {
    const { t, cenId } = await world(10);
    // An idle package of the right span does not count: it must be bound to this CEN.
    await buy(t, 'China', 'China', 10);
    const before = await accountItems(t.accountId);
    for (const [regionA, regionB] of [
      ['cn-hangzhou', 'cn-beijing'], // china_china: idle package only
      ['us-east-1', 'eu-west-1'], // europe_north-america: nothing
      ['us-west-1', 'us-east-1'], // north-america_north-america: nothing
    ]) {
      const res = await create(t, cenId, { regionA, regionB, bandwidthMbps: 1 });
      expect(res.status, `${regionA}/${regionB}`).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.BwpForGeoSpanNotAssociated');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it("answers NotFound.Cen for an absent CEN, and for another account's", async () => {
    const { t, cenId } = await world(10);
    const other = await newTenant();
    const body = { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 1 };
    const before = await accountItems(t.accountId);
    for (const [who, cen] of [
      [t, 'cen-01m832b5jm8ftchane8hrtg7ah'],
      [other, cenId],
    ] as const) {
      const res = await create(who, cen, body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NotFound.Cen');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
    expect(await accountItems(other.accountId)).toEqual([]);
  });

  it('checks a named bandwidthPackageId: 404 if the account has no such package, 409 if it is not the bound one', async () => {
    const { t, cenId, pkg } = await world(10);
    const other = await newTenant();
    const foreign = await buy(other, 'China', 'North-America', 10);
    const idleSameSpan = await buy(t, 'China', 'North-America', 10);
    const boundOtherSpan = await buy(t, 'Europe', 'Europe', 10, cenId);
    const body = { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 1 };
    const before = await accountItems(t.accountId);

    for (const id of [foreign, 'cenbwp-01m832b5jm8ftchane8hrtg7ah', 'not-a-package']) {
      const res = await create(t, cenId, { ...body, bandwidthPackageId: id });
      expect(res.status, id).toBe(404);
      expect(res.body.code).toBe('NotFound.BandwidthPackage');
    }
    for (const id of [idleSameSpan, boundOtherSpan]) {
      const res = await create(t, cenId, { ...body, bandwidthPackageId: id });
      expect(res.status, id).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.BwpForGeoSpanNotAssociated');
    }
    // The bound package of the span, named or not, but only on a span it serves.
    const euroPair = await create(t, cenId, {
      regionA: 'eu-west-1',
      regionB: 'eu-central-1',
      bandwidthMbps: 1,
      bandwidthPackageId: pkg,
    });
    expect(euroPair.body.code).toBe('InvalidOperation.BwpForGeoSpanNotAssociated');
    expect(await accountItems(t.accountId)).toEqual(before);

    const ok = await create(t, cenId, { ...body, bandwidthPackageId: pkg });
    expect(ok.status).toBe(201);
    expect(ok.body.bandwidthPackageId).toBe(pkg);
  });

  it('refuses a connection that would exceed the package, and accepts one that fills it exactly', async () => {
    const { t, cenId, pkg } = await world(10);
    // A single connection is never more than the package.
    const tooBig = await create(t, cenId, { regionA: 'cn-beijing', regionB: 'us-east-1', bandwidthMbps: 11 });
    expect(tooBig.status).toBe(409);
    expect(tooBig.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');

    expect(
      (await create(t, cenId, { regionA: 'cn-beijing', regionB: 'us-east-1', bandwidthMbps: 7 })).status,
    ).toBe(201);
    const before = await accountItems(t.accountId);
    const over = await create(t, cenId, { regionA: 'cn-shanghai', regionB: 'us-east-1', bandwidthMbps: 4 });
    expect(over.status).toBe(409);
    expect(over.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
    expect(await accountItems(t.accountId)).toEqual(before);

    const exact = await create(t, cenId, { regionA: 'cn-shanghai', regionB: 'us-east-1', bandwidthMbps: 3 });
    expect(exact.status).toBe(201);
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 10,
      remainingMbps: 0,
      connectionCount: 2,
    });
  });

  it('follows the binding when the package is swapped between its read and its write', async () => {
    const { t, cenId, pkg } = await world(10);
    const successor = await buy(t, 'China', 'North-America', 20);
    const call = (handler: typeof bindPackage, id: string) =>
      invoke(handler, {
        apiKey: t.apiKey,
        method: 'POST',
        params: { bandwidthPackageId: id },
        body: { cenId },
      });
    // The first attempt is held up (a conflict) while the span changes hands; the retry finds the
    // old package unbound, reads the binding again and allocates from the successor.
    const injection = injectTransactionConflicts(1, {
      beforeEach: async () => {
        expect((await call(unbindPackage, pkg)).status).toBe(200);
        expect((await call(bindPackage, successor)).status).toBe(200);
      },
    });
    try {
      const res = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 15 });
      expect(res.status).toBe(201);
      expect(res.body.bandwidthPackageId).toBe(successor);
    } finally {
      injection.remove();
    }
    expect(await accounting(t, pkg)).toMatchObject({ allocatedMbps: 0, connectionCount: 0 });
    expect(await accounting(t, successor)).toMatchObject({ allocatedMbps: 15, connectionCount: 1 });
  });

  it('answers BwpForGeoSpanNotAssociated when the package is unbound between its read and its write', async () => {
    const { t, cenId, pkg } = await world(10);
    const injection = injectTransactionConflicts(1, {
      beforeEach: async () => {
        const res = await invoke(unbindPackage, {
          apiKey: t.apiKey,
          method: 'POST',
          params: { bandwidthPackageId: pkg },
          body: { cenId },
        });
        expect(res.status).toBe(200);
      },
    });
    try {
      const res = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 1 });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.BwpForGeoSpanNotAssociated');
    } finally {
      injection.remove();
    }
    expect(await connectionItems(t)).toEqual([]);
    expect(await accounting(t, pkg)).toMatchObject({
      allocatedMbps: 0,
      remainingMbps: 10,
      connectionCount: 0,
    });
  });

  it('refuses the same region twice as a bad parameter', async () => {
    const { t, cenId } = await world(10);
    const res = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'cn-hangzhou', bandwidthMbps: 1 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('InvalidParameter.RegionB');
  });

  it('holds the sum rule when creates race (handlers in parallel)', async () => {
    const { t, cenId, pkg } = await world(10);
    const pairs = ['cn-qingdao', 'cn-beijing', 'cn-zhangjiakou', 'cn-shenzhen', 'cn-hangzhou', 'cn-shanghai'];
    const replies = await Promise.all(
      pairs.flatMap((r) =>
        ['us-east-1', 'us-west-1'].map((n) => create(t, cenId, { regionA: r, regionB: n, bandwidthMbps: 3 })),
      ),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(3);
    expect(replies.filter((r) => r.body.code === 'InvalidOperation.BwpBandwidthExceeded')).toHaveLength(9);
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 9,
      remainingMbps: 1,
      connectionCount: 3,
    });
    expect(await connectionItems(t)).toHaveLength(3);
  });
});

/* ---------- read ---------- */

describe('reading region connections', () => {
  it('gets a connection by its id in either order, and 404s what does not exist', async () => {
    const { t, cenId } = await world(10);
    const made = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 2 });
    expect((await get(t, cenId, 'cn-hangzhou_us-east-1')).body).toEqual(made.body);
    expect((await get(t, cenId, 'us-east-1_cn-hangzhou')).body).toEqual(made.body);
    for (const id of [
      'cn-beijing_us-east-1',
      'cn-hangzhou_cn-hangzhou',
      'mars-1_cn-hangzhou',
      'cn-hangzhou_us-east-1_x',
    ]) {
      const res = await get(t, cenId, id);
      expect(res.status, id).toBe(404);
      expect(res.body.code).toBe('NotFound.RegionConnection');
    }
    const noCen = await get(t, 'cen-01m832b5jm8ftchane8hrtg7ah', 'cn-hangzhou_us-east-1');
    expect(noCen.body.code).toBe('NotFound.Cen');
    const otherAccount = await get(await newTenant(), cenId, 'cn-hangzhou_us-east-1');
    expect(otherAccount.body.code).toBe('NotFound.Cen');
  });

  it("lists a CEN's connections page by page, each with its package's status", async () => {
    const { t, cenId, pkg } = await world(20);
    const euro = await buy(t, 'Europe', 'Asia-Pacific', 20, cenId);
    const made: any[] = [];
    for (const [regionA, regionB] of [
      ['cn-hangzhou', 'us-east-1'],
      ['cn-beijing', 'us-west-1'],
      ['us-east-1', 'cn-shenzhen'],
      ['eu-west-1', 'ap-south-1'],
      ['ap-southeast-1', 'eu-central-1'],
    ]) {
      made.push((await create(t, cenId, { regionA, regionB, bandwidthMbps: 1 })).body);
    }
    await expire(t, euro);
    const seen: any[] = [];
    let nextToken: string | undefined;
    do {
      const page = await list(t, cenId, { limit: '2', ...(nextToken ? { nextToken } : {}) });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      nextToken = page.body.nextToken;
    } while (nextToken);
    const expected = made
      .map((c) => ({ ...c, status: c.bandwidthPackageId === pkg ? 'Active' : 'Suspended' }))
      .sort((a, b) => (String(a.connectionId) < String(b.connectionId) ? -1 : 1));
    expect(seen).toEqual(expected);
    expect((await list(t, cenId)).body).toEqual({ items: expected });
  });

  it('lists nothing for a CEN without connections, and 404s an absent or foreign CEN', async () => {
    const { t, cenId } = await world(10);
    expect((await list(t, cenId)).body).toEqual({ items: [] });
    expect((await list(t, 'cen-01m832b5jm8ftchane8hrtg7ah')).body.code).toBe('NotFound.Cen');
    expect((await list(await newTenant(), cenId)).body.code).toBe('NotFound.Cen');
  });
});

/* ---------- modify ---------- */

describe('modifying a region connection', () => {
  it('tries the bandwidth it last saw, and learns the real one when another writer changed it', async () => {
    const { t, cenId, pkg } = await world(10);
    await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 3 });
    // Another container's write of the pair, which this process's memory does not see.
    const behindItsBack = (update: string, values: Record<string, number>) =>
      db.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: keys.bandwidthPackage(t.accountId, pkg),
          UpdateExpression: update,
          ExpressionAttributeNames: { '#p': 'cn-hangzhou_us-east-1' },
          ExpressionAttributeValues: values,
        }),
      );
    // Resized to 6 (this process still remembers 3).
    await behindItsBack(
      'SET conns.#p.bw = :six, allocatedMbps = allocatedMbps + :three, remainingMbps = remainingMbps - :three',
      { ':six': 6, ':three': 3 },
    );
    // 6 → 9 takes 3 more, all that is left; a guess of 3 would have asked for 6 and been refused.
    const up = await patch(t, cenId, 'cn-hangzhou_us-east-1', 9);
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body).toMatchObject({ bandwidthMbps: 9, status: 'Active', createdAt: expect.any(String) });
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 9,
      remainingMbps: 1,
      connectionCount: 1,
    });
    // And deleted: a 404, nothing changed.
    await behindItsBack(
      'SET allocatedMbps = :zero, remainingMbps = :ten, connectionCount = :zero REMOVE conns.#p',
      {
        ':zero': 0,
        ':ten': 10,
      },
    );
    const gone = await patch(t, cenId, 'cn-hangzhou_us-east-1', 2);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('NotFound.RegionConnection');
    expect((await accounting(t, pkg)).allocatedMbps).toBe(0);
  });

  it('moves the package accounting by the difference, up and down, in either id order', async () => {
    const { t, cenId, pkg } = await world(10);
    await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 3 });
    const up = await patch(t, cenId, 'us-east-1_cn-hangzhou', 8);
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({
      connectionId: 'cn-hangzhou_us-east-1',
      bandwidthMbps: 8,
      status: 'Active',
    });
    expect(up.body.updatedAt >= up.body.createdAt).toBe(true);
    expect(await accounting(t, pkg)).toMatchObject({
      allocatedMbps: 8,
      remainingMbps: 2,
      connectionCount: 1,
    });
    const down = await patch(t, cenId, 'cn-hangzhou_us-east-1', 1);
    expect(down.body.bandwidthMbps).toBe(1);
    expect(await accounting(t, pkg)).toMatchObject({
      allocatedMbps: 1,
      remainingMbps: 9,
      connectionCount: 1,
    });
    expect((await get(t, cenId, 'cn-hangzhou_us-east-1')).body).toEqual(down.body);
  });

  it('refuses growth beyond what the package has left, and changes nothing', async () => {
    const { t, cenId, pkg } = await world(10);
    await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 3 });
    await create(t, cenId, { regionA: 'cn-beijing', regionB: 'us-east-1', bandwidthMbps: 5 });
    const before = await accountItems(t.accountId);
    const res = await patch(t, cenId, 'cn-hangzhou_us-east-1', 6);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
    expect(await accountItems(t.accountId)).toEqual(before);
    expect((await patch(t, cenId, 'cn-hangzhou_us-east-1', 5)).status).toBe(200);
    expect(await accounting(t, pkg)).toMatchObject({ allocatedMbps: 10, remainingMbps: 0 });
  });

  it('answers the connection unchanged when the bandwidth is the same', async () => {
    const { t, cenId } = await world(10);
    const made = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 3 });
    const before = await accountItems(t.accountId);
    const same = await patch(t, cenId, 'cn-hangzhou_us-east-1', 3);
    expect(same.status).toBe(200);
    expect(same.body).toEqual(made.body);
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('answers NotFound.RegionConnection for an absent or malformed id', async () => {
    const { t, cenId } = await world(10);
    const before = await accountItems(t.accountId);
    for (const id of ['cn-hangzhou_us-east-1', 'cn-hangzhou_cn-hangzhou', 'xx_yy']) {
      const res = await patch(t, cenId, id, 2);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NotFound.RegionConnection');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});

/* ---------- delete ---------- */

describe('deleting a region connection', () => {
  it('gives the bandwidth back; then, and only then, the package can be unbound (rule 5)', async () => {
    const { t, cenId, pkg } = await world(10);
    await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 6 });
    const unbind = () =>
      invoke(unbindPackage, {
        apiKey: t.apiKey,
        method: 'POST',
        params: { bandwidthPackageId: pkg },
        body: { cenId },
      });
    const refused = await unbind();
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('InvalidOperation.CenBandwidthLimitsNotZero');

    expect((await remove(t, cenId, 'us-east-1_cn-hangzhou')).status).toBe(204);
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 0,
      remainingMbps: 10,
      connectionCount: 0,
    });
    expect(await connectionItems(t)).toEqual([]);
    const again = await remove(t, cenId, 'cn-hangzhou_us-east-1');
    expect(again.status).toBe(404);
    expect(again.body.code).toBe('NotFound.RegionConnection');

    expect((await unbind()).status).toBe(200);
    // The span has no bound package any more.
    const orphan = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 1 });
    expect(orphan.body.code).toBe('InvalidOperation.BwpForGeoSpanNotAssociated');
  });
});

/* ---------- downgrade against connections ---------- */

describe('downgrading a package with connections (rules 1 and 6)', () => {
  it('refuses a downgrade below the allocated sum and allows one down to it; growth then fails', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const pkg = await buy(t, 'Asia-Pacific', 'Asia-Pacific', 20, cenId);
    await create(t, cenId, { regionA: 'ap-south-1', regionB: 'ap-southeast-1', bandwidthMbps: 7 });
    await create(t, cenId, { regionA: 'cn-hongkong', regionB: 'ap-northeast-1', bandwidthMbps: 5 });
    const change = (bandwidthMbps: number) =>
      invoke(changePackageBandwidth, {
        apiKey: t.apiKey,
        method: 'POST',
        params: { bandwidthPackageId: pkg },
        body: { bandwidthMbps },
      });
    const below = await change(11);
    expect(below.status).toBe(409);
    expect(below.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
    const exact = await change(12);
    expect(exact.status).toBe(200);
    expect(exact.body).toMatchObject({ bandwidthMbps: 12, allocatedMbps: 12, remainingMbps: 0 });
    const grow = await patch(t, cenId, 'ap-south-1_ap-southeast-1', 8);
    expect(grow.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
    const more = await create(t, cenId, { regionA: 'ap-south-1', regionB: 'cn-hongkong', bandwidthMbps: 1 });
    expect(more.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
  });
});

/* ---------- expired packages ---------- */

describe("an expired package's connections (rule 8)", () => {
  it('are Suspended with the default bandwidth, cannot grow, can shrink or go, and revive on renewal', async () => {
    const { t, cenId, pkg } = await world(10);
    await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 4 });
    await create(t, cenId, { regionA: 'cn-beijing', regionB: 'us-east-1', bandwidthMbps: 2 });
    await expire(t, pkg);
    const stored = await connectionItems(t);

    expect((await get(t, cenId, 'cn-hangzhou_us-east-1')).body.status).toBe('Suspended');
    expect((await list(t, cenId)).body.items.map((c: { status: string }) => c.status)).toEqual([
      'Suspended',
      'Suspended',
    ]);
    expect((await effective(t, cenId, 'us-east-1', 'cn-hangzhou')).body).toEqual({
      regionA: 'us-east-1',
      regionB: 'cn-hangzhou',
      source: 'Default',
      bandwidthKbps: 1,
    });
    // Status is derived at read time: the connection items were not rewritten.
    expect(await connectionItems(t)).toEqual(stored);

    const before = await accountItems(t.accountId);
    const grow = await patch(t, cenId, 'cn-hangzhou_us-east-1', 5);
    expect(grow.status).toBe(409);
    expect(grow.body.code).toBe('InvalidOperation.BwpBusinessStatus');
    const fresh = await create(t, cenId, { regionA: 'cn-shanghai', regionB: 'us-east-1', bandwidthMbps: 1 });
    expect(fresh.status).toBe(409);
    expect(fresh.body.code).toBe('InvalidOperation.BwpBusinessStatus');
    expect(await accountItems(t.accountId)).toEqual(before);

    const shrink = await patch(t, cenId, 'cn-hangzhou_us-east-1', 3);
    expect(shrink.status).toBe(200);
    expect(shrink.body).toMatchObject({ bandwidthMbps: 3, status: 'Suspended' });
    expect((await remove(t, cenId, 'cn-beijing_us-east-1')).status).toBe(204);
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 3,
      remainingMbps: 7,
      connectionCount: 1,
    });

    const renewed = await invoke(renewPackage, {
      apiKey: t.apiKey,
      method: 'POST',
      params: { bandwidthPackageId: pkg },
      body: { period: 1 },
    });
    expect(renewed.status).toBe(200);
    expect((await get(t, cenId, 'cn-hangzhou_us-east-1')).body.status).toBe('Active');
    expect((await patch(t, cenId, 'cn-hangzhou_us-east-1', 9)).body).toMatchObject({
      bandwidthMbps: 9,
      status: 'Active',
    });
    expect((await effective(t, cenId, 'cn-hangzhou', 'us-east-1')).body.bandwidthKbps).toBe(9000);
  });
});

/* ---------- effective bandwidth ---------- */

describe('effective bandwidth (rule 4)', () => {
  it('is unlimited in one region, the connection in Kbps, or the 1 Kbps default', async () => {
    const { t, cenId } = await world(10);
    await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 4 });
    expect((await effective(t, cenId, 'cn-beijing', 'cn-beijing')).body).toEqual({
      regionA: 'cn-beijing',
      regionB: 'cn-beijing',
      source: 'SameRegion',
      bandwidthKbps: null,
    });
    for (const [a, b] of [
      ['cn-hangzhou', 'us-east-1'],
      ['us-east-1', 'cn-hangzhou'],
    ] as const) {
      expect((await effective(t, cenId, a, b)).body).toEqual({
        regionA: a,
        regionB: b,
        source: 'RegionConnection',
        bandwidthKbps: 4000,
      });
    }
    // A span with a bound package but no connection on this pair, and a span with none at all.
    for (const [a, b] of [
      ['cn-beijing', 'us-east-1'],
      ['eu-west-1', 'ap-southeast-2'],
    ] as const) {
      expect((await effective(t, cenId, a, b)).body).toEqual({
        regionA: a,
        regionB: b,
        source: 'Default',
        bandwidthKbps: 1,
      });
    }
  });

  it('answers NotFound.Cen for an absent or foreign CEN, even for one region', async () => {
    const { t, cenId } = await world(10);
    const other = await newTenant();
    for (const [who, cen, a, b] of [
      [t, 'cen-01m832b5jm8ftchane8hrtg7ah', 'cn-beijing', 'cn-beijing'],
      [t, 'cen-01m832b5jm8ftchane8hrtg7ah', 'cn-beijing', 'us-east-1'],
      [other, cenId, 'cn-beijing', 'us-east-1'],
    ] as const) {
      const res = await effective(who, cen, a, b);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NotFound.Cen');
    }
  });
});

/* ---------- transaction conflicts, injected ---------- */

describe('transaction conflicts (TransactionConflict injected; DynamoDB Local never raises it)', () => {
  it('retries a create cancelled by conflicts and commits it exactly once', async () => {
    const { t, cenId, pkg } = await world(10);
    const injection = injectTransactionConflicts(3);
    try {
      const res = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 4 });
      expect(res.status).toBe(201);
      expect(injection.injected).toBe(3);
      expect(injection.passed).toBe(1);
    } finally {
      injection.remove();
    }
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 4,
      remainingMbps: 6,
      connectionCount: 1,
    });
    expect(await connectionItems(t)).toHaveLength(1);
  });

  it('retries a modify and a delete cancelled by conflicts', async () => {
    const { t, cenId, pkg } = await world(10);
    await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 4 });
    let injection = injectTransactionConflicts(2);
    try {
      expect((await patch(t, cenId, 'cn-hangzhou_us-east-1', 9)).status).toBe(200);
      expect(injection.injected).toBe(2);
    } finally {
      injection.remove();
    }
    expect(await accounting(t, pkg)).toMatchObject({ allocatedMbps: 9, remainingMbps: 1 });
    injection = injectTransactionConflicts(2);
    try {
      expect((await remove(t, cenId, 'cn-hangzhou_us-east-1')).status).toBe(204);
      expect(injection.injected).toBe(2);
    } finally {
      injection.remove();
    }
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 0,
      remainingMbps: 10,
      connectionCount: 0,
    });
  });

  it('answers 503 ServiceUnavailable, with nothing written, when conflicts outlast the retry budget', async () => {
    const { t, cenId } = await world(10);
    await create(t, cenId, { regionA: 'cn-beijing', regionB: 'us-east-1', bandwidthMbps: 2 });
    const before = await accountItems(t.accountId);
    const injection = injectTransactionConflicts(1_000);
    try {
      const calls = [
        () => create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 4 }),
        () => patch(t, cenId, 'cn-beijing_us-east-1', 3),
        () => remove(t, cenId, 'cn-beijing_us-east-1'),
      ];
      for (const call of calls) {
        const res = await call();
        expect(res.status).toBe(503);
        expect(res.body).toEqual({
          code: 'ServiceUnavailable',
          message: expect.any(String),
          requestId: expect.any(String),
        });
      }
      // Each request spent exactly its budget, and none reached the database.
      expect(injection.injected).toBe(3 * OPTIMISTIC.attempts);
      expect(injection.passed).toBe(0);
    } finally {
      injection.remove();
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('answers BwpBandwidthExceeded only when the guard itself fails: a conflict, then a real shortage', async () => {
    const { t, cenId, pkg } = await world(10);
    // While the first attempt is "conflicting", another request really takes 8 of the 10 Mbps.
    const injection = injectTransactionConflicts(1, {
      beforeEach: async () => {
        const rival = await create(t, cenId, {
          regionA: 'cn-beijing',
          regionB: 'us-east-1',
          bandwidthMbps: 8,
        });
        expect(rival.status).toBe(201);
      },
    });
    try {
      const res = await create(t, cenId, { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps: 4 });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.BwpBandwidthExceeded');
      expect(injection.injected).toBe(1);
      expect(injection.passed).toBe(2);
    } finally {
      injection.remove();
    }
    expect(await accounting(t, pkg)).toEqual({
      bandwidthMbps: 10,
      allocatedMbps: 8,
      remainingMbps: 2,
      connectionCount: 1,
    });
    expect((await connectionItems(t)).map((c) => c.connectionId)).toEqual(['cn-beijing_us-east-1']);
  });
});
