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
 * condition fails is re-read and decided again (`transition`, in the one optimistic loop).
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
import { db, optimistic, RETRY, TABLE, type TransactItem, transact, translate } from './db/client';
import { readItem } from './db/items';
import { keys } from './db/keys';
import { unbindItems } from './entities/cen';
import * as pkgItem from './entities/package';
import { DuePackage } from './entities/package';
import { ServiceUnavailable } from './errors';
import { log } from './log';
import { orderPut } from './packages';
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
      apply: (item: DuePackage) => release(item, releaseBefore),
    },
    {
      from: 'E#',
      to: `${keys.dueExpiry(now, '')}~`,
      apply: (item: DuePackage) => expireOrRenew(item, now),
    },
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
            const outcome = await range.apply(DuePackage.parse(item));
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

function expireOrRenew(indexed: DuePackage, now: string): Promise<{ outcome: Outcome; itemsRead: number }> {
  return transition(indexed, (pkg) => {
    if (pkg.businessStatus !== 'Normal' || instant(pkg.expiresAt) > instant(now)) return undefined;
    return pkg.autoRenew
      ? { outcome: 'autoRenewed', items: autoRenewItems(pkg, now) }
      : { outcome: 'expired', items: { pkg: { Update: pkgItem.expire(pkg, now) } } };
  });
}

/**
 * Rule 8: renew by `autoRenewPeriod` months from the old `expiresAt`, with an `AutoRenewal` order
 * per period, until the package is no longer due (a job that did not run for a while catches up,
 * charging each period it renews).
 */
function autoRenewItems(pkg: DuePackage, now: string): Record<string, TransactItem> {
  const months = pkg.autoRenewPeriod;
  if (!Number.isInteger(months) || months < 1) throw new Error(`autoRenewPeriod is ${months}`);
  const orders: Record<string, TransactItem> = {};
  let after = pkg.expiresAt;
  let periods = 0;
  while (instant(after) <= instant(now) && periods < MAX_PERIODS_PER_WRITE) {
    const next = addMonths(after, months);
    orders[`order${periods++}`] = orderPut(pkg.accountId, pkg.bandwidthPackageId, {
      type: 'AutoRenewal',
      bandwidthMbpsBefore: pkg.bandwidthMbps,
      bandwidthMbpsAfter: pkg.bandwidthMbps,
      expiresAtBefore: after,
      expiresAtAfter: next,
      createdAt: now,
    });
    after = next;
  }
  return { pkg: { Update: pkgItem.autoRenew(pkg, after) }, ...orders };
}

/* ---------- release ---------- */

/**
 * Rule 8: a package still `Expired` a grace period after `expiredAt` is deleted together with its
 * binding, in one transaction; its connections live in its item and go with it, and its orders
 * stay. The condition is the package as read (still expired since the same instant, bound to the
 * same CEN), so a renewal that commits first makes the release fail and the job read again.
 */
function release(
  indexed: DuePackage,
  releaseBefore: string,
): Promise<{ outcome: Outcome; itemsRead: number }> {
  return transition(indexed, (pkg) => {
    const due = pkg.businessStatus === 'Expired' && instant(pkg.expiredAt ?? '') <= instant(releaseBefore);
    return due ? { outcome: 'released', items: releaseItems(pkg) } : undefined;
  });
}

function releaseItems(pkg: DuePackage): Record<string, TransactItem> {
  return {
    pkg: pkgItem.release(pkg),
    // Rule 12: a released package no longer counts against its account's quota.
    quota: giveBackQuota(pkg.accountId, 'bandwidthPackages'),
    ...(pkg.cenId ? unbindItems(pkg.accountId, pkg.bandwidthPackageId, spanOf(pkg), pkg.cenId) : {}),
  };
}

/* ---------- helpers ---------- */

const spanOf = (pkg: DuePackage) => {
  if (!pkg.geographicSpanId) throw new Error(`Package ${pkg.bandwidthPackageId} has no geographicSpanId`);
  return pkg.geographicSpanId;
};

const packageKey = (pkg: DuePackage) => pkgItem.packageKey(pkg.accountId, pkg.bandwidthPackageId);

/**
 * One package's transition, decided by `step` on the package as read and written by one
 * conditional transaction on what it read. When the condition fails (a renewal, another run or a
 * connection change got there first), the package is read again and decided anew, in the one
 * optimistic loop (lib/db/client.ts): a package no longer due is skipped; one that keeps changing
 * past the budget is a 503 that the run counts in `failed` and leaves to the next run.
 */
function transition(
  indexed: DuePackage,
  step: (pkg: DuePackage) => { outcome: Outcome; items: Record<string, TransactItem> } | undefined,
): Promise<{ outcome: Outcome; itemsRead: number }> {
  let itemsRead = 0;
  return optimistic(async (n) => {
    const pkg = n === 0 ? indexed : await readItem(packageKey(indexed), DuePackage);
    if (n > 0) itemsRead++;
    const next = pkg && step(pkg);
    if (!next) return { outcome: 'skipped', itemsRead };
    await transact(next.items, () => {
      throw RETRY;
    });
    return { outcome: next.outcome, itemsRead };
  });
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
