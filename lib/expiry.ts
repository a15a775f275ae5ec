/**
 * The scheduled job (rule 8, SPEC §4): expire, auto-renew and release subscription packages.
 *
 * It reads only what is due. A package is in the sparse `DueIndex` all its life, under
 * `DUE#<shard>` / `E#<expiresAt>#<id>` while `Normal` and `R#<expiredAt>#<id>` while `Expired`,
 * so the packages due at `now` are exactly two key ranges per shard: `E#…` up to `now`, and
 * `R#…` up to `now − grace`. Its cost grows with the number of due packages, never with the
 * number of packages; there is no scan.
 *
 * Every transition is ONE conditional transaction on the values the job read (`businessStatus`,
 * `expiresAt` or `expiredAt`, `bandwidthMbps`, `connectionCount`): two runs at once, or the same
 * event delivered twice, find the condition false the second time and change nothing; a renewal
 * that commits first makes the job's condition false, and a renewal that comes second fails its
 * own condition and re-reads (lib/packages.ts), so no renewal is ever lost. A transition whose
 * condition fails is re-read and decided again, a few times, and otherwise left to the next run.
 *
 * It pages through the index and stops before the Lambda's deadline; what is left is still due
 * and the next run picks it up.
 *
 * Failures are isolated per package (SPEC §4): a package whose transition fails for any reason but
 * an unreachable database (its data is strange, a bug, its item keeps changing) is logged with its
 * id, counted in `failed` and skipped, and the run goes on with every other package and shard. No
 * one package, however strange, holds back the expiry of any other account. An unreachable
 * database fails the run: nothing else could be done either.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { giveBackQuota } from './accounts';
import { config } from './config';
import { db, type Reason, TABLE, type TransactItem, transact, translate } from './db/client';
import { getItem, type Item } from './db/items';
import { keys } from './db/keys';
import { ServiceUnavailable } from './errors';
import { log } from './log';
import { dueFields, orderPut, unbindItems } from './packages';
import { addDays, addMonths, instant } from './time';

export interface ExpiryResult {
  expired: number;
  autoRenewed: number;
  released: number;
  /** Due packages whose transition failed (logged with their ids); still due for the next run. */
  failed: number;
  /** Items read from DynamoDB: due packages, plus the connections of the CENs of released ones. */
  itemsRead: number;
  /** False when the run stopped for its deadline with due packages left for the next run. */
  complete: boolean;
}

export interface ExpiryOptions {
  /** Milliseconds left before the caller must return (the Lambda's remaining time). */
  remainingMs?: () => number;
  /** Stop taking new work when less than this is left. */
  reserveMs?: number;
  /** Transitions in flight at once. */
  parallelism?: number;
  /** Index page size. */
  pageSize?: number;
}

type Outcome = 'expired' | 'autoRenewed' | 'released' | 'skipped';

/** Re-reads of one package whose condition failed before the job leaves it to the next run. */
const ATTEMPTS = 3;
/** At most this many renewal periods (one order each) in one transaction; DynamoDB allows 100 items. */
const MAX_PERIODS_PER_WRITE = 90;

export async function runExpiry(now: string, options: ExpiryOptions = {}): Promise<ExpiryResult> {
  const remainingMs = options.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const reserveMs = options.reserveMs ?? 3_000;
  const parallelism = options.parallelism ?? 8;
  const pageSize = options.pageSize ?? 100;
  const result: ExpiryResult = {
    expired: 0,
    autoRenewed: 0,
    released: 0,
    failed: 0,
    itemsRead: 0,
    complete: true,
  };
  const count = (outcome: Outcome) => {
    if (outcome !== 'skipped') result[outcome]++;
  };

  // Releases first: a package expired by this run is released by a later one, never by the same.
  const releaseBefore = addDays(now, -config.gracePeriodDays);
  const ranges = [
    {
      from: 'R#',
      to: `${keys.dueRelease(releaseBefore, '')}~`,
      apply: (item: Item) => release(item, releaseBefore),
    },
    { from: 'E#', to: `${keys.dueExpiry(now, '')}~`, apply: (item: Item) => expireOrRenew(item, now) },
  ];

  for (const range of ranges) {
    for (let shard = 0; shard < config.dueShards; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        if (remainingMs() < reserveMs) {
          result.complete = false;
          return result;
        }
        const page = await db
          .send(
            new QueryCommand({
              TableName: TABLE,
              IndexName: 'DueIndex',
              KeyConditionExpression: 'DuePK = :pk AND DueSK BETWEEN :from AND :to',
              ExpressionAttributeValues: {
                ':pk': keys.dueShard(shard),
                ':from': range.from,
                ':to': range.to,
              },
              Limit: pageSize,
              ExclusiveStartKey: start,
            }),
          )
          .catch(translate);
        const items = page.Items ?? [];
        result.itemsRead += items.length;
        await forEachLimited(items, parallelism, async (item) => {
          try {
            const outcome = await range.apply(item);
            count(outcome.outcome);
            result.itemsRead += outcome.itemsRead;
          } catch (error) {
            if (error instanceof ServiceUnavailable && error.unreachable) throw error;
            result.failed++;
            log.error('expireSubscriptions: package skipped, its transition failed', {
              bandwidthPackageId: item.bandwidthPackageId,
              accountId: item.accountId,
              dueKey: item.DueSK,
              error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
            });
          }
        });
        start = page.LastEvaluatedKey;
      } while (start);
    }
  }
  return result;
}

/* ---------- expiry and auto-renewal ---------- */

async function expireOrRenew(indexed: Item, now: string): Promise<{ outcome: Outcome; itemsRead: number }> {
  let pkg: Item | undefined = indexed;
  let itemsRead = 0;
  for (let attempt = 0; attempt < ATTEMPTS && pkg; attempt++) {
    if (pkg.businessStatus !== 'Normal' || instant(pkg.expiresAt) > instant(now))
      return { outcome: 'skipped', itemsRead };
    const done = pkg.autoRenew === true ? await autoRenew(pkg, now) : await expire(pkg, now);
    if (done) return { outcome: pkg.autoRenew === true ? 'autoRenewed' : 'expired', itemsRead };
    pkg = await getItem(packageKey(pkg));
    itemsRead++;
  }
  return { outcome: 'skipped', itemsRead };
}

/** Rule 8: `Normal` → `Expired` at `now`; the package moves to the release range of the index. */
function expire(pkg: Item, now: string): Promise<boolean> {
  const due = dueFields(String(pkg.bandwidthPackageId), { expiredAt: now });
  return conditional([
    {
      Update: {
        TableName: TABLE,
        Key: packageKey(pkg),
        UpdateExpression: 'SET businessStatus = :expired, expiredAt = :now, DuePK = :duePk, DueSK = :dueSk',
        ConditionExpression: 'businessStatus = :normal AND expiresAt = :expiresAt',
        ExpressionAttributeValues: {
          ':expired': 'Expired',
          ':normal': 'Normal',
          ':now': now,
          ':expiresAt': pkg.expiresAt,
          ':duePk': due.DuePK,
          ':dueSk': due.DueSK,
        },
      },
    },
  ]);
}

/**
 * Rule 8: renew by `autoRenewPeriod` months from the old `expiresAt`, with an `AutoRenewal` order
 * per period, until the package is no longer due (a job that did not run for a while catches up,
 * charging each period it renews).
 */
function autoRenew(pkg: Item, now: string): Promise<boolean> {
  const id = String(pkg.bandwidthPackageId);
  const accountId = String(pkg.accountId);
  const bandwidth = Number(pkg.bandwidthMbps);
  const months = Number(pkg.autoRenewPeriod);
  if (!Number.isInteger(months) || months < 1) throw new Error(`autoRenewPeriod is ${pkg.autoRenewPeriod}`);
  const before = String(pkg.expiresAt);
  const orders: TransactItem[] = [];
  let after = before;
  while (instant(after) <= instant(now) && orders.length < MAX_PERIODS_PER_WRITE) {
    const next = addMonths(after, months);
    orders.push(
      orderPut(accountId, id, {
        type: 'AutoRenewal',
        bandwidthMbpsBefore: bandwidth,
        bandwidthMbpsAfter: bandwidth,
        expiresAtBefore: after,
        expiresAtAfter: next,
        createdAt: now,
      }),
    );
    after = next;
  }
  const due = dueFields(id, { expiresAt: after });
  return conditional([
    {
      Update: {
        TableName: TABLE,
        Key: packageKey(pkg),
        UpdateExpression: 'SET expiresAt = :after, DuePK = :duePk, DueSK = :dueSk',
        // The orders record the bandwidth and expiry read: exact only against them.
        ConditionExpression:
          'businessStatus = :normal AND expiresAt = :before AND bandwidthMbps = :bw AND autoRenew = :true',
        ExpressionAttributeValues: {
          ':after': after,
          ':normal': 'Normal',
          ':before': before,
          ':bw': bandwidth,
          ':true': true,
          ':duePk': due.DuePK,
          ':dueSk': due.DueSK,
        },
      },
    },
    ...orders,
  ]);
}

/* ---------- release ---------- */

/**
 * Rule 8: a package still `Expired` a grace period after `expiredAt` is deleted together with its
 * binding and its connections, in one transaction; its orders stay. The connections are found by
 * a query of the CEN's partition, and the package's `connectionCount` is part of the condition, so
 * a connection deleted or shrunk meanwhile makes the write fail and the job read again: the
 * transaction deletes exactly the connections the package holds. (No connection can be created or
 * grow on an expired package, and a span has at most 42 region pairs: the transaction stays far
 * below DynamoDB's 100 items.)
 */
async function release(
  indexed: Item,
  releaseBefore: string,
): Promise<{ outcome: Outcome; itemsRead: number }> {
  let pkg: Item | undefined = indexed;
  let itemsRead = 0;
  for (let attempt = 0; attempt < ATTEMPTS && pkg; attempt++) {
    if (pkg.businessStatus !== 'Expired' || instant(pkg.expiredAt) > instant(releaseBefore)) {
      return { outcome: 'skipped', itemsRead };
    }
    const connections = pkg.cenId ? await connectionsOf(pkg) : [];
    itemsRead += connections.length;
    if (await conditional(releaseItems(pkg, connections))) return { outcome: 'released', itemsRead };
    pkg = await getItem(packageKey(pkg));
    itemsRead++;
  }
  return { outcome: 'skipped', itemsRead };
}

function releaseItems(pkg: Item, connections: Item[]): TransactItem[] {
  const id = String(pkg.bandwidthPackageId);
  const accountId = String(pkg.accountId);
  return [
    {
      Delete: {
        TableName: TABLE,
        Key: packageKey(pkg),
        ConditionExpression:
          'businessStatus = :expired AND expiredAt = :expiredAt AND connectionCount = :n AND ' +
          (pkg.cenId ? 'cenId = :cenId' : 'attribute_type(cenId, :nullType)'),
        ExpressionAttributeValues: {
          ':expired': 'Expired',
          ':expiredAt': pkg.expiredAt,
          ':n': connections.length,
          ...(pkg.cenId ? { ':cenId': pkg.cenId } : { ':nullType': 'NULL' }),
        },
      },
    },
    // Rule 12: a released package no longer counts against its account's quota.
    giveBackQuota(accountId, 'bandwidthPackages'),
    ...(pkg.cenId ? unbindItems(accountId, id, String(pkg.geographicSpanId), String(pkg.cenId)) : []),
    ...connections.map(
      (c): TransactItem => ({
        Delete: {
          TableName: TABLE,
          Key: { PK: String(c.PK), SK: String(c.SK) },
          ConditionExpression: 'bandwidthPackageId = :id',
          ExpressionAttributeValues: { ':id': id },
        },
      }),
    ),
  ];
}

/** The connections a bound package holds on its CEN: one partition, read strongly consistently. */
async function connectionsOf(pkg: Item): Promise<Item[]> {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db
      .send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :conn)',
          FilterExpression: 'bandwidthPackageId = :id',
          ProjectionExpression: 'PK, SK',
          ExpressionAttributeValues: {
            ':pk': keys.cen(String(pkg.accountId), String(pkg.cenId)).PK,
            ':conn': keys.connectionPrefix,
            ':id': pkg.bandwidthPackageId,
          },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      )
      .catch(translate);
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/* ---------- helpers ---------- */

const packageKey = (pkg: Item) =>
  keys.bandwidthPackage(String(pkg.accountId), String(pkg.bandwidthPackageId));

/** A transaction whose failed condition means "someone else changed it first": false, not an error. */
function conditional(items: TransactItem[]): Promise<boolean> {
  const LOST = new Error('condition');
  return transact(items, (_reasons: Reason[]) => {
    throw LOST;
  }).then(
    () => true,
    (error) => {
      if (error === LOST) return false;
      throw error;
    },
  );
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export function logResult(now: string, result: ExpiryResult, ms: number): void {
  log.info('expireSubscriptions', { now, ...result, ms });
}
