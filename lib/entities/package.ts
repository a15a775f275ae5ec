/**
 * The stored bandwidth package: its schema, and every rule of SPEC §2.3 that is a condition on it,
 * each one named builder. The package item holds its own accounting and its own region
 * connections:
 *
 * - `allocatedMbps + remainingMbps = bandwidthMbps` always, both moved in the same update, so the
 *   sum rule (rule 1) is one condition on one attribute, `hasRoom(delta)`, stated by every write
 *   that takes bandwidth: a new or larger connection, and a downgrade;
 * - `conns`: the package's region connections, a map keyed by the canonical pair `<low>_<high>`
 *   (a span has at most 42 pairs, so the item stays a few KB). A connection is created, resized
 *   and deleted by ONE conditional `UpdateItem` of this item, whose condition states rules 1, 3
 *   and 8 together (docs/data-model.md, "Connections inside the package");
 * - `connectionCount`: the number of entries in `conns`, which unbind, deletion tickets and the
 *   release guard on (rules 5, 9);
 * - `gone`: for each pair deleted and not created again, the write id of that delete, so that a
 *   delete the SDK resent after a lost reply recognises its own effect (db/client.ts `writeOne`).
 *
 * A connection entry carries the write id (`w`) of the last write that set it, for the same reason.
 */
import { z } from 'zod';
import { config } from '../config';
import { TABLE, type TransactItem, type Update } from '../db/client';
import { and, conditionOf, type Expr, expr, updateOf } from '../db/expression';
import { keys, shardOf } from '../db/keys';

export const ConnectionEntry = z.object({
  bw: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The write id of the write that last set this entry. */
  w: z.string(),
});
export type ConnectionEntry = z.infer<typeof ConnectionEntry>;

export const StoredPackage = z.object({
  PK: z.string(),
  SK: z.string(),
  entity: z.literal('BandwidthPackage'),
  accountId: z.string(),
  bandwidthPackageId: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  areaA: z.string(),
  areaB: z.string(),
  geographicSpanId: z.string(),
  isCrossBorder: z.boolean(),
  bandwidthMbps: z.number(),
  allocatedMbps: z.number(),
  remainingMbps: z.number(),
  connectionCount: z.number(),
  status: z.enum(['Idle', 'InUse']),
  businessStatus: z.enum(['Normal', 'Expired']),
  cenId: z.string().nullable(),
  chargeType: z.literal('PREPAY'),
  pricingCycle: z.enum(['Month', 'Year']),
  period: z.number(),
  autoRenew: z.boolean(),
  autoRenewPeriod: z.number(),
  createdAt: z.string(),
  expiresAt: z.string(),
  expiredAt: z.string().nullable(),
  /** The ticket that last asked for this package's deletion (lib/tickets.ts). */
  openTicketId: z.string().optional(),
  conns: z.record(z.string(), ConnectionEntry).default({}),
  gone: z.record(z.string(), z.string()).default({}),
  DuePK: z.string().optional(),
  DueSK: z.string().optional(),
});
export type StoredPackage = z.infer<typeof StoredPackage>;

/**
 * What the expiry job reads of a due package (lib/expiry.ts): only the attributes its transitions
 * decide on, so that one package with odd data elsewhere is still judged on what matters (SPEC §4:
 * a package whose transition cannot be decided is skipped and counted, never the whole run).
 */
export const DuePackage = z.object({
  accountId: z.string(),
  bandwidthPackageId: z.string(),
  businessStatus: z.enum(['Normal', 'Expired']),
  bandwidthMbps: z.number(),
  expiresAt: z.string(),
  expiredAt: z.string().nullish(),
  autoRenew: z.boolean(),
  autoRenewPeriod: z.number(),
  cenId: z.string().nullish(),
  geographicSpanId: z.string().optional(),
});
export type DuePackage = z.infer<typeof DuePackage>;

export const packageKey = (accountId: string, packageId: string) =>
  keys.bandwidthPackage(accountId, packageId);

/* ---------- conditions: one per rule ---------- */

/** The package exists (a write to an absent key would create a stray item). */
export const exists = (): Expr => expr('attribute_exists(PK)');

/** Rule 1, the sum rule: the package has `delta` Mbps left to give. The only place it is written. */
export const hasRoom = (delta: number): Expr => expr('remainingMbps >= :room', { ':room': delta });

/** Rule 8: a package that is not expired (a new or larger connection, a bind, a bandwidth change). */
export const isNormal = (): Expr => expr('businessStatus = :normal', { ':normal': 'Normal' });

/** Rule 3: the package is the one bound to this CEN for this span (its span is fixed at purchase). */
export const servesSpan = (cenId: string, spanId: string): Expr =>
  expr('cenId = :cenId AND geographicSpanId = :span', { ':cenId': cenId, ':span': spanId });

/** Rule 5: bound to this CEN (unbind). */
export const boundTo = (cenId: string): Expr => expr('cenId = :cenId', { ':cenId': cenId });

/** Rules 5 and 9: no region connection left (unbind, deletion by ticket). */
export const hasNoConnections = (): Expr => expr('connectionCount = :zero', { ':zero': 0 });

/** Rule 5: only an Idle, Normal package can be bound. */
export const bindable = (): Expr =>
  and(exists(), expr('#status = :idle', { ':idle': 'Idle' }, { '#status': 'status' }), isNormal());

/** Rule 9: deletion needs an unbound package (with no connections: `hasNoConnections`). */
export const isIdle = (): Expr => expr('#status = :idle', { ':idle': 'Idle' }, { '#status': 'status' });

/** Rule 3: this CEN has no connection on this pair yet. */
export const pairFree = (pair: string): Expr =>
  expr('attribute_not_exists(conns.#pair)', undefined, { '#pair': pair });

/** The pair's connection exists (modify, delete). */
export const pairHeld = (pair: string): Expr =>
  expr('attribute_exists(conns.#pair)', undefined, { '#pair': pair });

/** Optimistic: the pair's connection still has the bandwidth read (the delta of a resize is exact). */
export const pairHas = (pair: string, bw: number): Expr =>
  expr('conns.#pair.bw = :before', { ':before': bw }, { '#pair': pair });

/** Optimistic: the values a change read and depends on are unchanged. */
export const unchanged = (read: Partial<Pick<StoredPackage, 'bandwidthMbps' | 'expiresAt' | 'expiredAt'>>) =>
  and(
    read.bandwidthMbps !== undefined && expr('bandwidthMbps = :bwRead', { ':bwRead': read.bandwidthMbps }),
    read.expiresAt !== undefined && expr('expiresAt = :expiresAtRead', { ':expiresAtRead': read.expiresAt }),
    read.expiredAt !== undefined && expr('expiredAt = :expiredAtRead', { ':expiredAtRead': read.expiredAt }),
  );

/** Rule 8: an expired package (expiry job's release, renewal of an expired package). */
export const isExpired = (): Expr => expr('businessStatus = :expired', { ':expired': 'Expired' });

/* ---------- commands on connections (rules 1, 3, 8 in one update each) ---------- */

const key = (pkg: { accountId: string; bandwidthPackageId: string }) =>
  packageKey(pkg.accountId, pkg.bandwidthPackageId);

/**
 * Create the pair's connection: take `bw` from the package only if it has it left (rule 1), only on
 * the package bound to this CEN for the pair's span and only one connection per pair (rule 3), and
 * not on an expired package (rule 8).
 */
export function connect(
  pkg: { accountId: string; bandwidthPackageId: string },
  at: { cenId: string; spanId: string; pair: string },
  entry: ConnectionEntry,
): Update {
  return updateOf(
    TABLE,
    key(pkg),
    {
      set: [
        expr('conns.#pair = :entry', { ':entry': entry }, { '#pair': at.pair }),
        expr('allocatedMbps = allocatedMbps + :bw, remainingMbps = remainingMbps - :bw', { ':bw': entry.bw }),
      ],
      remove: [expr('gone.#pair', undefined, { '#pair': at.pair })],
      add: [expr('connectionCount :one', { ':one': 1 })],
    },
    and(servesSpan(at.cenId, at.spanId), pairFree(at.pair), isNormal(), hasRoom(entry.bw)),
  );
}

/**
 * Resize the pair's connection from `before` to `after` Mbps. Growing takes the difference under
 * the sum rule and not while expired; shrinking is always allowed, expired or not.
 */
export function resize(
  pkg: { accountId: string; bandwidthPackageId: string },
  at: { cenId: string; pair: string },
  change: { before: number; after: number; updatedAt: string; w: string },
): Update {
  const delta = change.after - change.before;
  return updateOf(
    TABLE,
    key(pkg),
    {
      set: [
        expr('conns.#pair.bw = :after, conns.#pair.updatedAt = :now, conns.#pair.w = :w', {
          ':after': change.after,
          ':now': change.updatedAt,
          ':w': change.w,
        }),
        expr('allocatedMbps = allocatedMbps + :delta, remainingMbps = remainingMbps - :delta', {
          ':delta': delta,
        }),
      ],
    },
    and(
      boundTo(at.cenId),
      pairHas(at.pair, change.before),
      delta > 0 && isNormal(),
      delta > 0 && hasRoom(delta),
    ),
  );
}

/**
 * Delete the pair's connection and give its bandwidth back, whatever it is at the write: the
 * update reads `conns.#pair.bw` itself, so no read is needed first. (Only the paths written may
 * not overlap in an update expression; `conns.#pair.bw` is an operand, evaluated on the item as it
 * was before the update.)
 */
export function disconnect(
  pkg: { accountId: string; bandwidthPackageId: string },
  at: { cenId: string; pair: string },
  w: string,
): Update {
  return updateOf(
    TABLE,
    key(pkg),
    {
      set: [
        expr(
          'allocatedMbps = allocatedMbps - conns.#pair.bw, remainingMbps = remainingMbps + conns.#pair.bw',
          undefined,
          { '#pair': at.pair },
        ),
        expr('gone.#pair = :w', { ':w': w }),
      ],
      remove: [expr('conns.#pair', undefined, { '#pair': at.pair })],
      add: [expr('connectionCount :minusOne', { ':minusOne': -1 })],
    },
    and(boundTo(at.cenId), pairHeld(at.pair)),
  );
}

/* ---------- commands on the package ---------- */

/** Rule 6: upgrade or downgrade, exact against the bandwidth and expiry read (the order records them). */
export function changeBandwidth(
  pkg: Pick<StoredPackage, 'accountId' | 'bandwidthPackageId' | 'bandwidthMbps' | 'expiresAt'>,
  after: number,
): Update {
  const delta = after - pkg.bandwidthMbps;
  return updateOf(
    TABLE,
    key(pkg),
    {
      set: [
        expr('bandwidthMbps = :after, remainingMbps = remainingMbps + :delta', {
          ':after': after,
          ':delta': delta,
        }),
      ],
    },
    // Rules 1 and 6: a downgrade may not take back bandwidth that connections hold.
    and(unchanged(pkg), isNormal(), delta < 0 && hasRoom(-delta)),
  );
}

/** Rule 5: bind an Idle, Normal package to a CEN (with the binding items of lib/entities/cen.ts). */
export function bind(pkg: { accountId: string; bandwidthPackageId: string }, cenId: string): TransactItem {
  return {
    Update: updateOf(
      TABLE,
      key(pkg),
      {
        set: [
          expr('#status = :inUse, cenId = :cenId, GSI2PK = :gsi2pk, GSI2SK = :id', {
            ':inUse': 'InUse',
            ':cenId': cenId,
            ':gsi2pk': keys.packagesOfCen(pkg.accountId, cenId),
            ':id': pkg.bandwidthPackageId,
          }),
        ],
      },
      bindable(),
    ),
  };
}

/** Rule 5: unbind from the CEN it is bound to, only with no connections left. */
export function unbind(pkg: { accountId: string; bandwidthPackageId: string }, cenId: string): TransactItem {
  return {
    Update: updateOf(
      TABLE,
      key(pkg),
      {
        set: [
          expr(
            '#status = :idleNow, cenId = :none',
            { ':idleNow': 'Idle', ':none': null },
            { '#status': 'status' },
          ),
        ],
        remove: [expr('GSI2PK, GSI2SK')],
      },
      and(exists(), boundTo(cenId), hasNoConnections()),
    ),
  };
}

/* ---------- the subscription: renewal, expiry, release (rules 7, 8) ---------- */

/** The due-index attributes of a package (see keys.ts): when its next transition falls due. */
export function dueFields(packageId: string, due: { expiresAt: string } | { expiredAt: string }) {
  return {
    DuePK: keys.dueShard(shardOf(packageId, config.dueShards)),
    DueSK:
      'expiredAt' in due
        ? keys.dueRelease(due.expiredAt, packageId)
        : keys.dueExpiry(due.expiresAt, packageId),
  };
}

const dueValues = (packageId: string, due: { expiresAt: string } | { expiredAt: string }) => {
  const f = dueFields(packageId, due);
  return { ':duePk': f.DuePK, ':dueSk': f.DueSK };
};

/** Set a new expiry, and move the package to it in the due index. */
const expiresAt = (packageId: string, after: string) =>
  expr('expiresAt = :after, DuePK = :duePk, DueSK = :dueSk', {
    ':after': after,
    ...dueValues(packageId, { expiresAt: after }),
  });

type Subscription = Pick<
  DuePackage,
  'accountId' | 'bandwidthPackageId' | 'bandwidthMbps' | 'businessStatus' | 'expiresAt'
> & {
  expiredAt?: string | null;
};

/**
 * Rule 7: renew to `after`: from the current expiry while Normal, from now when Expired (which
 * makes it Normal again). Exact against what was read: the order records the bandwidth and the
 * expiry, and the expiry job, whichever commits first, makes the other's condition false.
 */
export function renew(pkg: Subscription, after: string): Update {
  const wasExpired = pkg.businessStatus === 'Expired';
  return updateOf(
    TABLE,
    key(pkg),
    {
      set: [
        expiresAt(pkg.bandwidthPackageId, after),
        wasExpired &&
          expr('businessStatus = :normal, expiredAt = :none', { ':normal': 'Normal', ':none': null }),
      ],
    },
    wasExpired
      ? and(isExpired(), unchanged({ expiredAt: pkg.expiredAt, bandwidthMbps: pkg.bandwidthMbps }))
      : and(isNormal(), unchanged({ expiresAt: pkg.expiresAt, bandwidthMbps: pkg.bandwidthMbps })),
  );
}

/** Rule 8: `Normal` → `Expired` at `now`; the package moves to the release range of the index. */
export function expire(pkg: Subscription, now: string): Update {
  return updateOf(
    TABLE,
    key(pkg),
    {
      set: [
        expr('businessStatus = :expired, expiredAt = :now, DuePK = :duePk, DueSK = :dueSk', {
          ':expired': 'Expired',
          ':now': now,
          ...dueValues(pkg.bandwidthPackageId, { expiredAt: now }),
        }),
      ],
    },
    and(isNormal(), unchanged({ expiresAt: pkg.expiresAt })),
  );
}

/** Rule 8: auto-renewal to `after` (its orders record the bandwidth and expiry read). */
export function autoRenew(pkg: Subscription, after: string): Update {
  return updateOf(
    TABLE,
    key(pkg),
    {
      set: [expiresAt(pkg.bandwidthPackageId, after)],
    },
    and(
      isNormal(),
      unchanged({ expiresAt: pkg.expiresAt, bandwidthMbps: pkg.bandwidthMbps }),
      expr('autoRenew = :true', { ':true': true }),
    ),
  );
}

/**
 * Rule 8: release deletes the package, and its connections with it (they live in its item), if
 * it is still the expired package read, bound to the same CEN (or to none).
 */
export function release(pkg: Subscription & { cenId?: string | null }): TransactItem {
  if (typeof pkg.expiredAt !== 'string')
    throw new Error(`Package ${pkg.bandwidthPackageId} has no expiredAt`);
  const condition = and(
    isExpired(),
    unchanged({ expiredAt: pkg.expiredAt }),
    pkg.cenId ? boundTo(pkg.cenId) : expr('attribute_type(cenId, :nullType)', { ':nullType': 'NULL' }),
  );
  return {
    Delete: {
      TableName: TABLE,
      Key: key(pkg),
      ...conditionOf(condition),
    },
  };
}

/** Rule 9: a deletion ticket deletes only an unbound package with no connections. */
export function deleteIdle(pkg: { accountId: string; bandwidthPackageId: string }): TransactItem {
  const condition = and(exists(), isIdle(), hasNoConnections());
  return {
    Delete: {
      TableName: TABLE,
      Key: key(pkg),
      ...conditionOf(condition),
    },
  };
}
