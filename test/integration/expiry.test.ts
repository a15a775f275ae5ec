/**
 * The expiry job (rule 8, SPEC §4) against DynamoDB Local, on a table of its own: the job at a
 * future time would otherwise expire the packages of every other test sharing the run's table.
 * Each test checks the transitions, the orders, the connections, the effective bandwidth and the
 * due index, and the job's idempotence and races with renewals.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { handler as createCen } from '../../functions/createCen';
import { handler as createConnection } from '../../functions/createConnection';
import { handler as createPackage } from '../../functions/createPackage';
import { handler as deleteCen } from '../../functions/deleteCen';
import { handler as expireSubscriptions } from '../../functions/expireSubscriptions';
import { handler as getConnection } from '../../functions/getConnection';
import { handler as getEffectiveBandwidth } from '../../functions/getEffectiveBandwidth';
import { handler as getPackage } from '../../functions/getPackage';
import { handler as listOrders } from '../../functions/listOrders';
import { handler as renewPackage } from '../../functions/renewPackage';
import { config } from '../../lib/config';
import { db, TABLE } from '../../lib/db/client';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { dueFields } from '../../lib/entities/package';
import { runExpiry } from '../../lib/expiry';
import { addDays, addMonths } from '../../lib/time';
import { createTable } from '../../local/table';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { invoke } from '../support/invoke';
import { chainViolations, setPackageTime } from '../support/time';

// Before any import runs (vitest hoists this): lib/config reads the table name at import.
vi.hoisted(() => {
  process.env.TABLE_NAME = `cen-bandwidth-expiry-${process.pid}`;
});

const ROUNDS = 12;
const GRACE = config.gracePeriodDays;

beforeAll(async () => {
  const client = new DynamoDBClient({
    endpoint: process.env.DYNAMODB_ENDPOINT,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createTable(client, TABLE);
  client.destroy();
});

/**
 * Each test starts from an empty table, so that the job's counts are this test's alone (a run
 * takes everything due at its time, whoever left it).
 */
beforeEach(async () => {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: TABLE, ProjectionExpression: 'PK, SK', ExclusiveStartKey: start }),
    );
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      await db.send(
        new BatchWriteCommand({
          RequestItems: { [TABLE]: items.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) },
        }),
      );
    }
    start = page.LastEvaluatedKey;
  } while (start);
});

/* ---------- fixtures ---------- */

async function newCen(t: Tenant): Promise<string> {
  const res = await invoke(createCen, { apiKey: t.apiKey, method: 'POST', body: { name: 'expiry' } });
  expect(res.status).toBe(201);
  return res.body.cenId;
}

async function buy(t: Tenant, extra: Record<string, unknown> = {}) {
  const body = { areaA: 'China', areaB: 'Asia-Pacific', bandwidthMbps: 20, ...extra };
  const res = await invoke(createPackage, { apiKey: t.apiKey, method: 'POST', body });
  expect(res.status).toBe(201);
  return res.body as { bandwidthPackageId: string; expiresAt: string; createdAt: string };
}

const pkgOf = (t: Tenant, id: string) =>
  invoke(getPackage, { apiKey: t.apiKey, params: { bandwidthPackageId: id } });
const ordersOf = async (t: Tenant, id: string) =>
  (
    await invoke(listOrders, {
      apiKey: t.apiKey,
      params: { bandwidthPackageId: id },
      query: { limit: '100' },
    })
  ).body.items as Record<string, unknown>[];
const renew = (t: Tenant, id: string, period = 1) =>
  invoke(renewPackage, {
    apiKey: t.apiKey,
    method: 'POST',
    params: { bandwidthPackageId: id },
    body: { period, pricingCycle: 'Month' },
  });
const connect = (t: Tenant, cenId: string, regionA: string, regionB: string, bandwidthMbps: number) =>
  invoke(createConnection, {
    apiKey: t.apiKey,
    method: 'POST',
    params: { cenId },
    body: { regionA, regionB, bandwidthMbps },
  });
const effective = (t: Tenant, cenId: string, regionA: string, regionB: string) =>
  invoke(getEffectiveBandwidth, { apiKey: t.apiKey, params: { cenId }, query: { regionA, regionB } });

/** The job as the scheduler calls it: "now" is the event's time. */
const job = (time: string) => expireSubscriptions({ time }) as ReturnType<typeof runExpiry>;

/** Puts a package's expiry in the past (a test cannot wait a month): what a purchase long ago left. */
const makeDue = (t: Tenant, id: string, expiresAt: string) => setPackageTime(t.accountId, id, { expiresAt });

/** The package's due-index entry agrees with its state. */
async function dueEntryOf(t: Tenant, id: string) {
  const item = await getItem(keys.bandwidthPackage(t.accountId, id));
  return item && { DuePK: item.DuePK, DueSK: item.DueSK };
}

/* ---------- transitions ---------- */

describe('expiry (rule 8)', () => {
  it('leaves a package alone before its expiresAt, and expires it at expiresAt', async () => {
    const t = await newTenant();
    const p = await buy(t);
    const before = await accountItems(t.accountId);
    expect(await job(addDays(p.expiresAt, -0.001))).toMatchObject({
      expired: 0,
      autoRenewed: 0,
      released: 0,
    });
    expect(await accountItems(t.accountId)).toEqual(before);

    const out = await job(p.expiresAt);
    expect(out).toMatchObject({ expired: 1, autoRenewed: 0, released: 0, complete: true });
    const after = (await pkgOf(t, p.bandwidthPackageId)).body;
    expect(after).toMatchObject({
      businessStatus: 'Expired',
      expiredAt: p.expiresAt,
      expiresAt: p.expiresAt,
    });
    expect(await dueEntryOf(t, p.bandwidthPackageId)).toEqual(
      dueFields(p.bandwidthPackageId, { expiredAt: p.expiresAt }),
    );
    expect((await ordersOf(t, p.bandwidthPackageId)).map((o) => o.type)).toEqual(['Purchase']);
  });

  it('suspends the connections: the effective bandwidth falls to 1 Kbps, and renewal revives them', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const p = await buy(t, { cenId });
    expect((await connect(t, cenId, 'cn-hangzhou', 'ap-southeast-1', 7)).status).toBe(201);
    const pair = { cenId, connectionId: 'ap-southeast-1_cn-hangzhou' };
    expect((await invoke(getConnection, { apiKey: t.apiKey, params: pair })).body.status).toBe('Active');
    expect((await effective(t, cenId, 'cn-hangzhou', 'ap-southeast-1')).body).toMatchObject({
      source: 'RegionConnection',
      bandwidthKbps: 7000,
    });

    await job(addDays(p.expiresAt, 1));
    const conn = await invoke(getConnection, { apiKey: t.apiKey, params: pair });
    expect(conn.body).toMatchObject({ status: 'Suspended', bandwidthMbps: 7 });
    expect((await effective(t, cenId, 'cn-hangzhou', 'ap-southeast-1')).body).toMatchObject({
      source: 'Default',
      bandwidthKbps: 1,
    });
    // Expired: no new or larger connection.
    const refused = await connect(t, cenId, 'cn-beijing', 'ap-southeast-1', 1);
    expect(refused.body.code).toBe('InvalidOperation.BwpBusinessStatus');

    expect((await renew(t, p.bandwidthPackageId)).status).toBe(200);
    expect((await invoke(getConnection, { apiKey: t.apiKey, params: pair })).body.status).toBe('Active');
    expect((await effective(t, cenId, 'cn-hangzhou', 'ap-southeast-1')).body.bandwidthKbps).toBe(7000);
  });

  it('auto-renews by autoRenewPeriod months from the old expiresAt, with an AutoRenewal order', async () => {
    const t = await newTenant();
    const p = await buy(t, { autoRenew: true, autoRenewPeriod: 2 });
    const out = await job(p.expiresAt);
    expect(out).toMatchObject({ expired: 0, autoRenewed: 1, released: 0 });
    const renewed = addMonths(p.expiresAt, 2);
    expect((await pkgOf(t, p.bandwidthPackageId)).body).toMatchObject({
      businessStatus: 'Normal',
      expiresAt: renewed,
      expiredAt: null,
    });
    const orders = await ordersOf(t, p.bandwidthPackageId);
    expect(orders.map((o) => o.type)).toEqual(['Purchase', 'AutoRenewal']);
    expect(orders[1]).toMatchObject({
      bandwidthMbpsBefore: 20,
      bandwidthMbpsAfter: 20,
      expiresAtBefore: p.expiresAt,
      expiresAtAfter: renewed,
    });
    expect(await dueEntryOf(t, p.bandwidthPackageId)).toEqual(
      dueFields(p.bandwidthPackageId, { expiresAt: renewed }),
    );
  });

  it('catches up a job that did not run for months: one AutoRenewal order per period, one package', async () => {
    const t = await newTenant();
    const p = await buy(t, { autoRenew: true, autoRenewPeriod: 1 });
    const now = addMonths(p.expiresAt, 3); // due for 4 periods: +1, +2, +3 (= now, still due), +4
    expect(await job(now)).toMatchObject({ autoRenewed: 1, expired: 0 });
    const body = (await pkgOf(t, p.bandwidthPackageId)).body;
    expect(body.expiresAt > now).toBe(true);
    const orders = await ordersOf(t, p.bandwidthPackageId);
    expect(orders.map((o) => o.type)).toEqual(['Purchase', ...Array(4).fill('AutoRenewal')]);
    expect(chainViolations(orders)).toEqual([]);
    expect(orders.at(-1)!.expiresAtAfter).toBe(body.expiresAt);
  });

  it('releases a package still Expired a grace period after expiredAt: package, binding, connections; orders stay', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const p = await buy(t, { cenId });
    const id = p.bandwidthPackageId;
    for (const [a, b, mbps] of [
      ['cn-hangzhou', 'ap-southeast-1', 5],
      ['cn-beijing', 'ap-northeast-1', 3],
    ] as const) {
      expect((await connect(t, cenId, a, b, mbps)).status).toBe(201);
    }
    const expiredAt = addDays(p.expiresAt, 1);
    expect(await job(expiredAt)).toMatchObject({ expired: 1 });
    // One millisecond before the grace period ends: nothing.
    const before = await accountItems(t.accountId);
    // Rule 12: an expired package still counts until it is released.
    expect(before.find((i) => i.entity === 'Account')).toMatchObject({ usedBandwidthPackages: 1 });
    expect(await job(addDays(expiredAt, GRACE - 1e-8))).toMatchObject({ released: 0 });
    expect(await accountItems(t.accountId)).toEqual(before);

    const out = await job(addDays(expiredAt, GRACE));
    expect(out).toMatchObject({ expired: 0, autoRenewed: 0, released: 1 });
    expect((await pkgOf(t, id)).status).toBe(404);
    const left = await accountItems(t.accountId);
    expect(
      left.filter(
        (i) =>
          i.entity !== 'Order' && i.entity !== 'Cen' && i.entity !== 'Idempotency' && i.entity !== 'Account',
      ),
    ).toEqual([]);
    // Rule 12: the released package no longer counts.
    expect(left.find((i) => i.entity === 'Account')).toMatchObject({ usedBandwidthPackages: 0 });
    expect(left.find((i) => i.entity === 'Cen')).toMatchObject({ packageCount: 0 });
    expect((await ordersOf(t, id)).map((o) => o.type)).toEqual(['Purchase']);
    expect((await effective(t, cenId, 'cn-hangzhou', 'ap-southeast-1')).body.source).toBe('Default');
    // The CEN holds nothing any more: it can be deleted.
    expect((await invoke(deleteCen, { apiKey: t.apiKey, method: 'DELETE', params: { cenId } })).status).toBe(
      204,
    );
    // A second run finds nothing to do.
    expect(await job(addDays(expiredAt, GRACE))).toMatchObject({ expired: 0, autoRenewed: 0, released: 0 });
  });

  it('renewal of an expired package moves it out of the release range', async () => {
    const t = await newTenant();
    const p = await buy(t);
    const id = p.bandwidthPackageId;
    await makeDue(t, id, addDays(new Date().toISOString(), -1));
    expect(await job(new Date().toISOString())).toMatchObject({ expired: 1 });
    expect((await renew(t, id)).status).toBe(200);
    const renewed = (await pkgOf(t, id)).body;
    expect(renewed.businessStatus).toBe('Normal');
    expect(await job(addDays(new Date().toISOString(), GRACE + 1))).toMatchObject({ released: 0 });
    expect((await pkgOf(t, id)).status).toBe(200);
  });

  it('takes "now" from the event, refuses an event whose time is not a time, and runs now without one', async () => {
    await expect(expireSubscriptions({ time: 'yesterday' })).rejects.toThrow(/ISO 8601/);
    const out = await expireSubscriptions({});
    expect(out).toMatchObject({
      expired: expect.any(Number),
      autoRenewed: expect.any(Number),
      released: expect.any(Number),
    });
  });
});

/* ---------- reading only what is due ---------- */

describe('reading only what is due', () => {
  it('reads the due packages from the index, not the others', async () => {
    const t = await newTenant();
    const due = await Promise.all(Array.from({ length: 6 }, () => buy(t)));
    await Promise.all(Array.from({ length: 20 }, () => buy(t, { period: 6 })));
    const now = addDays(due[0]!.expiresAt, 1);
    const out = await runExpiry(now);
    expect(out).toMatchObject({ expired: 6, autoRenewed: 0, released: 0, itemsRead: 6 });
  });

  it('stops before the deadline and leaves the rest due for the next run', async () => {
    const t = await newTenant();
    const bought = await Promise.all(Array.from({ length: 5 }, () => buy(t, { period: 2 })));
    const now = addDays(bought[0]!.expiresAt, 1);
    let budget = 2; // two index pages, then the deadline
    const first = await runExpiry(now, {
      pageSize: 1,
      parallelism: 1,
      remainingMs: () => (budget-- > 0 ? 60_000 : 0),
    });
    expect(first.complete).toBe(false);
    const second = await runExpiry(now);
    expect(second.complete).toBe(true);
    for (const p of bought)
      expect((await pkgOf(t, p.bandwidthPackageId)).body.businessStatus).toBe('Expired');
  });
});

/* ---------- isolation ---------- */

describe('isolating failures (SPEC §4)', () => {
  it('skips and counts a package whose data is strange, and expires every other account on time', async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const healthy = [
      ...(await Promise.all(Array.from({ length: 4 }, () => buy(a)))),
      ...(await Promise.all(Array.from({ length: 4 }, () => buy(b, { autoRenew: true })))),
    ];
    const now = addDays(healthy[0]!.expiresAt, 1);
    // In every shard, packages that sort before every healthy one in the due index: an expiry that
    // is not a time, an auto-renewal period that is not a number, and (what a tenant could write
    // before rule 11) an expiry in the year 10042, which is not due.
    const poisoned = { broken: [] as string[], future: [] as string[] };
    for (let shard = 0; shard < config.dueShards; shard++) {
      const variants = [
        { kind: 'broken', expiresAt: 'not a time', autoRenew: false, autoRenewPeriod: 1 },
        { kind: 'broken', expiresAt: addDays(now, -40), autoRenew: true, autoRenewPeriod: 'x' },
        { kind: 'future', expiresAt: '+010042-12-30T00:00:00.000Z', autoRenew: false, autoRenewPeriod: 1 },
      ] as const;
      for (const [i, v] of variants.entries()) {
        const id = `cenbwp-poison${shard}${i}${Date.now()}`;
        poisoned[v.kind].push(id);
        await db.send(
          new PutCommand({
            TableName: TABLE,
            Item: {
              ...keys.bandwidthPackage(a.accountId, id),
              DuePK: keys.dueShard(shard),
              DueSK: `E#${'0'.repeat(15)}${i}#${id}`,
              entity: 'BandwidthPackage',
              accountId: a.accountId,
              bandwidthPackageId: id,
              businessStatus: 'Normal',
              status: 'Idle',
              cenId: null,
              bandwidthMbps: 10,
              expiresAt: v.expiresAt,
              autoRenew: v.autoRenew,
              autoRenewPeriod: v.autoRenewPeriod,
            },
          }),
        );
      }
    }

    const out = await job(now);
    expect(out).toMatchObject({ expired: 4, autoRenewed: 4, failed: poisoned.broken.length });
    for (const p of healthy.slice(0, 4))
      expect((await pkgOf(a, p.bandwidthPackageId)).body.businessStatus).toBe('Expired');
    for (const p of healthy.slice(4))
      expect((await pkgOf(b, p.bandwidthPackageId)).body.expiresAt).toBe(addMonths(p.expiresAt, 1));
    for (const id of [...poisoned.broken, ...poisoned.future])
      expect((await getItem(keys.bandwidthPackage(a.accountId, id)))?.businessStatus).toBe('Normal');
  });
});

/* ---------- concurrency ---------- */

describe('concurrent runs and renewals', () => {
  it('two runs at once on the same due set: every transition once, orders once', async () => {
    const t = await newTenant();
    const plain = await Promise.all(Array.from({ length: 10 }, () => buy(t, { period: 3 })));
    const auto = await Promise.all(Array.from({ length: 10 }, () => buy(t, { period: 3, autoRenew: true })));
    const now = addDays(plain[0]!.expiresAt, 1);
    const [a, b] = await Promise.all([job(now), job(now)]);
    expect(a.expired + b.expired).toBe(10);
    expect(a.autoRenewed + b.autoRenewed).toBe(10);
    for (const p of plain) {
      expect((await pkgOf(t, p.bandwidthPackageId)).body).toMatchObject({
        businessStatus: 'Expired',
        expiredAt: now,
      });
    }
    for (const p of auto) {
      expect((await pkgOf(t, p.bandwidthPackageId)).body.expiresAt).toBe(addMonths(p.expiresAt, 1));
      expect((await ordersOf(t, p.bandwidthPackageId)).map((o) => o.type)).toEqual([
        'Purchase',
        'AutoRenewal',
      ]);
    }
    // The same event delivered again changes nothing.
    const items = await accountItems(t.accountId);
    expect(await job(now)).toMatchObject({ expired: 0, autoRenewed: 0, released: 0 });
    expect(await accountItems(t.accountId)).toEqual(items);
  });

  it(`a renewal racing the job is never lost (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    const seen = { 'job first': 0, 'renewal first': 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const autoRenew = round % 2 === 1;
      const p = await buy(t, { autoRenew });
      const id = p.bandwidthPackageId;
      const dueAt = addDays(new Date().toISOString(), -0.0001);
      await makeDue(t, id, dueAt);
      const now = new Date().toISOString();
      // Stagger the two a little differently each round so that either may commit first.
      const [renewal] = await Promise.all([
        new Promise((r) => setTimeout(r, (round % 4) * 8)).then(() => renew(t, id)),
        job(now),
      ]);
      expect(renewal.status).toBe(200);
      const body = (await pkgOf(t, id)).body;
      const orders = await ordersOf(t, id);
      const types = orders.map((o) => o.type);
      expect(types.filter((x) => x === 'Renewal')).toHaveLength(1);
      // Whichever committed first, the renewal shows in the final expiry, and the package is Normal.
      expect(body.businessStatus).toBe('Normal');
      expect(body.expiresAt > now).toBe(true);
      expect(orders.at(-1)!.expiresAtAfter).toBe(body.expiresAt);
      if (types.includes('AutoRenewal')) {
        // The job renewed first (from the old expiry), then the renewal extended that.
        expect(body.expiresAt).toBe(addMonths(addMonths(dueAt, 1), 1));
        expect(chainViolations(orders.slice(1))).toEqual([]);
        seen['job first']++;
      } else if (body.expiresAt !== addMonths(dueAt, 1)) {
        // The job expired it first: the renewal revived it from the time of renewal.
        expect(body.expiredAt).toBeNull();
        seen['job first']++;
      } else {
        expect(body.expiresAt).toBe(addMonths(dueAt, 1));
        seen['renewal first']++;
      }
      expect(await dueEntryOf(t, id)).toEqual(dueFields(id, { expiresAt: body.expiresAt }));
    }
    console.log('renewal races won:', seen);
  });

  it('a connection deleted while the job releases its package: released whole, or retried', async () => {
    const t = await newTenant();
    const cenId = await newCen(t);
    const p = await buy(t, { cenId });
    const id = p.bandwidthPackageId;
    await connect(t, cenId, 'cn-hangzhou', 'ap-southeast-1', 2);
    await connect(t, cenId, 'cn-beijing', 'ap-southeast-1', 2);
    const expiredAt = addDays(p.expiresAt, 1);
    await job(expiredAt);
    const [out] = await Promise.all([
      job(addDays(expiredAt, GRACE)),
      invoke((await import('../../functions/deleteConnection')).handler, {
        apiKey: t.apiKey,
        method: 'DELETE',
        params: { cenId, connectionId: 'cn-beijing_ap-southeast-1' },
      }),
    ]);
    expect(out.released).toBe(1);
    const left = await db.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': keys.cen(t.accountId, cenId).PK },
        ConsistentRead: true,
      }),
    );
    expect(left.Items!.map((i) => i.SK)).toEqual(['CEN']);
    expect((await pkgOf(t, id)).status).toBe(404);
    expect((await ordersOf(t, id)).map((o) => o.type)).toEqual(['Purchase']);
  });
});
