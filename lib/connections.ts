/**
 * Region connections (cross-region interconnection bandwidth) and the effective bandwidth of a
 * region pair: rules 1, 3 and 4, and the expired-package half of rule 8.
 *
 * A connection is identified by its CEN and its unordered region pair; its id is the canonical
 * pair `<low>_<high>` (regions sorted), which is also its sort key (`CONN#<low>#<high>`), so at
 * most one connection per pair per CEN is the item key itself, and get/modify/delete need no
 * index. An id in the other order names the same connection.
 *
 * The sum rule (rule 1) is held by the package item: every change here is ONE transaction that
 * moves the package's `allocatedMbps`/`remainingMbps` together with the connection write, and a
 * change that takes bandwidth states `remainingMbps >= :delta` as its condition. Where the change
 * depends on a value read first (the connection's bandwidth before a modify or delete, the package
 * bound for a span), the write is conditioned on that value and retried on a mismatch: optimistic
 * concurrency, never read-check-write. See docs/concurrency.md.
 *
 * A connection's `status` is not stored: it is derived at read time from its package's
 * `businessStatus` (Suspended while Expired), so expiry and renewal never rewrite connections.
 */
import type { Principal } from './auth';
import { areaOf, geographicSpanId, orderedPair, REGION_IDS, type RegionId } from './catalogue';
import { requireCen } from './cens';
import { type Reason, TABLE, TRANSACTION_RETRY, type TransactItem, transact } from './db/client';
import { getItem, type Item, pick } from './db/items';
import { keys } from './db/keys';
import { listPage, type Page } from './db/list';
import { ApiError, conflict, notFound } from './errors';
import { ID_PATTERNS } from './ids';
import type { Connection } from './schemas';
import { nowIso } from './time';

const STORED_FIELDS = [
  'connectionId',
  'cenId',
  'regionA',
  'regionB',
  'bandwidthMbps',
  'bandwidthPackageId',
  'geographicSpanId',
  'createdAt',
  'updatedAt',
] as const;

/** Optimistic attempts before a 503 (a value read keeps changing under the request). */
const OPTIMISTIC_ATTEMPTS = 10;
/** Internal signal: a condition on a value read failed because a concurrent change won; re-read. */
const RETRY = Symbol('retry');

/**
 * Before re-reading after a lost race: full-jitter backoff, as for transaction conflicts, so that
 * many writers of one connection spread out instead of colliding again in lock step.
 */
function backoff(attempt: number): Promise<void> {
  if (attempt === 0) return Promise.resolve();
  const ceiling = Math.min(TRANSACTION_RETRY.capMs, TRANSACTION_RETRY.baseMs * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** Without a connection, two different regions of a CEN get 1 Kbps (rule 4). */
export const DEFAULT_KBPS = 1;

const isActive = (pkg: Item | undefined) => pkg?.businessStatus === 'Normal';

export function toConnection(item: Item, pkg: Item | undefined): Connection {
  const { createdAt, updatedAt, ...rest } = pick<Omit<Connection, 'status'>>(item, STORED_FIELDS);
  return { ...rest, status: isActive(pkg) ? 'Active' : 'Suspended', createdAt, updatedAt };
}

const isRegion = (value: string): value is RegionId => (REGION_IDS as readonly string[]).includes(value);

/** `<regionA>_<regionB>` in either order → the canonical pair; anything else names nothing. */
export function parseConnectionId(connectionId: string): [RegionId, RegionId] | undefined {
  const parts = connectionId.split('_');
  if (parts.length !== 2) return undefined;
  const [a, b] = parts as [string, string];
  if (!isRegion(a) || !isRegion(b) || a === b) return undefined;
  return orderedPair(a, b);
}

export const connectionIdOf = (low: RegionId, high: RegionId) => `${low}_${high}`;

function requirePair(connectionId: string): [RegionId, RegionId] {
  const pair = parseConnectionId(connectionId);
  if (!pair) throw notFound('RegionConnection', connectionId);
  return pair;
}

const packageKey = (p: Principal, packageId: string) => keys.bandwidthPackage(p.accountId, packageId);

/* ---------- errors ---------- */

const notAssociated = (cenId: string, spanId: string) =>
  conflict(
    'InvalidOperation.BwpForGeoSpanNotAssociated',
    `CEN ${cenId} has no bandwidth package bound for geographic span ${spanId}.`,
  );

const wrongPackage = (cenId: string, spanId: string, packageId: string) =>
  conflict(
    'InvalidOperation.BwpForGeoSpanNotAssociated',
    `Package ${packageId} is not the package bound to CEN ${cenId} for geographic span ${spanId}.`,
  );

const exceeded = (packageId: string, wanted: number, remaining: unknown) =>
  conflict(
    'InvalidOperation.BwpBandwidthExceeded',
    `Package ${packageId} has ${remaining} Mbps left; ${wanted} Mbps more would exceed its bandwidth.`,
  );

const expired = (packageId: string) =>
  conflict(
    'InvalidOperation.BwpBusinessStatus',
    `Package ${packageId} is expired: its connections are suspended and cannot grow; renew it first.`,
  );

const busy = () =>
  new ApiError(503, 'ServiceUnavailable', 'The connection is changing too often; retry the request.');

/** Run a transaction whose condition handler may ask for a re-read (RETRY). */
function attempt(items: TransactItem[], onConditionFailed: (reasons: Reason[]) => never, result: unknown) {
  return transact(items, onConditionFailed, { result }).then(
    () => 'done' as const,
    (error: unknown) => {
      if (error === RETRY) return 'retry' as const;
      throw error;
    },
  );
}

/* ---------- create ---------- */

export interface CreateConnectionInput {
  regionA: RegionId;
  regionB: RegionId;
  bandwidthMbps: number;
  bandwidthPackageId?: string;
}

export async function createConnection(
  p: Principal,
  cenId: string,
  input: CreateConnectionInput,
): Promise<Connection> {
  const [low, high] = orderedPair(input.regionA, input.regionB);
  const spanId = geographicSpanId(areaOf(low), areaOf(high));
  const connectionId = connectionIdOf(low, high);
  const bw = input.bandwidthMbps;
  const wanted = input.bandwidthPackageId;

  for (let i = 0; i < OPTIMISTIC_ATTEMPTS; i++) {
    await backoff(i);
    // Which package serves this span on this CEN (rule 3): the binding item, one GetItem.
    const binding = await getItem(keys.binding(p.accountId, cenId, spanId));
    const packageId = binding ? String(binding.bandwidthPackageId) : undefined;
    if (packageId === undefined || (wanted !== undefined && wanted !== packageId)) {
      // 404s first (SPEC §3): the CEN, then a package the caller named.
      if (!binding) await requireCen(p, cenId);
      if (wanted !== undefined) {
        if (!ID_PATTERNS.bandwidthPackage.test(wanted) || !(await getItem(packageKey(p, wanted)))) {
          throw notFound('BandwidthPackage', wanted);
        }
        throw wrongPackage(cenId, spanId, wanted);
      }
      throw notAssociated(cenId, spanId);
    }

    const now = nowIso();
    const item: Item = {
      ...keys.connection(p.accountId, cenId, low, high),
      entity: 'RegionConnection',
      accountId: p.accountId,
      connectionId,
      cenId,
      regionA: low,
      regionB: high,
      bandwidthMbps: bw,
      bandwidthPackageId: packageId,
      geographicSpanId: spanId,
      createdAt: now,
      updatedAt: now,
    };
    // The transaction's condition sees the package Normal: the new connection is Active.
    const result = toConnection(item, { businessStatus: 'Normal' });
    const outcome = await attempt(
      [
        {
          // Rule 1: take the bandwidth only if the package has it left; rule 3: only from the
          // package still bound to this CEN (so to this span); rule 8: not from an expired one.
          Update: {
            TableName: TABLE,
            Key: packageKey(p, packageId),
            UpdateExpression:
              'SET allocatedMbps = allocatedMbps + :bw, remainingMbps = remainingMbps - :bw ADD connectionCount :one',
            ConditionExpression: 'cenId = :cenId AND businessStatus = :normal AND remainingMbps >= :bw',
            ExpressionAttributeValues: { ':bw': bw, ':one': 1, ':cenId': cenId, ':normal': 'Normal' },
          },
        },
        {
          // Rule 3: at most one connection per unordered region pair per CEN (the key is the pair).
          Put: { TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' },
        },
      ],
      ([pkgReason, connReason]) => {
        if (connReason?.code === 'ConditionalCheckFailed') {
          throw conflict(
            'InvalidOperation.RegionConnectionExists',
            `CEN ${cenId} already has a region connection between ${low} and ${high}.`,
          );
        }
        const old = pkgReason?.item;
        // Unbound (or released) since the binding was read: read the binding again.
        if (!old || old.cenId !== cenId) throw RETRY;
        if (old.businessStatus !== 'Normal') throw expired(packageId);
        throw exceeded(packageId, bw, old.remainingMbps);
      },
      result,
    );
    if (outcome === 'done') return result;
  }
  throw busy();
}

/* ---------- read ---------- */

export async function getConnection(p: Principal, cenId: string, connectionId: string): Promise<Connection> {
  const [low, high] = requirePair(connectionId);
  const item = await getItem(keys.connection(p.accountId, cenId, low, high));
  if (!item) {
    await requireCen(p, cenId);
    throw notFound('RegionConnection', connectionId);
  }
  return toConnection(item, await getItem(packageKey(p, String(item.bandwidthPackageId))));
}

export async function listConnections(
  p: Principal,
  cenId: string,
  page: { limit: number; nextToken?: string },
): Promise<Page<Connection>> {
  await requireCen(p, cenId);
  const out = await listPage({
    partition: keys.cen(p.accountId, cenId).PK,
    sortPrefix: keys.connectionPrefix,
    ...page,
  });
  // At most one package per span serves a CEN: a handful of GetItems, in parallel.
  const ids = [...new Set(out.items.map((c) => String(c.bandwidthPackageId)))];
  const packages = new Map(
    await Promise.all(ids.map(async (id) => [id, await getItem(packageKey(p, id))] as const)),
  );
  return {
    ...out,
    items: out.items.map((c) => toConnection(c, packages.get(String(c.bandwidthPackageId)))),
  };
}

/* ---------- modify ---------- */

export async function updateConnection(
  p: Principal,
  cenId: string,
  connectionId: string,
  bandwidthMbps: number,
): Promise<Connection> {
  const [low, high] = requirePair(connectionId);
  const key = keys.connection(p.accountId, cenId, low, high);
  for (let i = 0; i < OPTIMISTIC_ATTEMPTS; i++) {
    await backoff(i);
    const conn = await getItem(key);
    if (!conn) throw notFound('RegionConnection', connectionId);
    const before = Number(conn.bandwidthMbps);
    const packageId = String(conn.bandwidthPackageId);
    if (bandwidthMbps === before) return toConnection(conn, await getItem(packageKey(p, packageId)));
    const grow = bandwidthMbps > before;
    const delta = Math.abs(bandwidthMbps - before);
    const now = nowIso();
    // A growth commits only under `businessStatus = Normal`; a shrink may be on an expired package.
    const result = toConnection(
      { ...conn, bandwidthMbps, updatedAt: now },
      grow ? { businessStatus: 'Normal' } : await getItem(packageKey(p, packageId)),
    );
    const outcome = await attempt(
      [
        {
          // Optimistic: the delta is exact only against the bandwidth (and package) read.
          Update: {
            TableName: TABLE,
            Key: key,
            UpdateExpression: 'SET bandwidthMbps = :after, updatedAt = :now',
            ConditionExpression: 'bandwidthMbps = :before AND bandwidthPackageId = :pkg',
            ExpressionAttributeValues: {
              ':after': bandwidthMbps,
              ':before': before,
              ':pkg': packageId,
              ':now': now,
            },
          },
        },
        grow
          ? {
              // Rule 1: grow only by what the package has left; rule 8: not while it is expired.
              Update: {
                TableName: TABLE,
                Key: packageKey(p, packageId),
                UpdateExpression:
                  'SET allocatedMbps = allocatedMbps + :delta, remainingMbps = remainingMbps - :delta',
                ConditionExpression: 'remainingMbps >= :delta AND businessStatus = :normal',
                ExpressionAttributeValues: { ':delta': delta, ':normal': 'Normal' },
              },
            }
          : {
              // Shrinking is always allowed, expired or not; the package must exist to be credited.
              Update: {
                TableName: TABLE,
                Key: packageKey(p, packageId),
                UpdateExpression:
                  'SET allocatedMbps = allocatedMbps - :delta, remainingMbps = remainingMbps + :delta',
                ConditionExpression: 'attribute_exists(PK)',
                ExpressionAttributeValues: { ':delta': delta },
              },
            },
      ],
      ([connReason, pkgReason]) => {
        if (connReason?.code === 'ConditionalCheckFailed') {
          if (!connReason.item) throw notFound('RegionConnection', connectionId);
          throw RETRY;
        }
        const old = pkgReason?.item;
        if (!old) throw RETRY;
        if (old.businessStatus !== 'Normal') throw expired(packageId);
        throw exceeded(packageId, delta, old.remainingMbps);
      },
      result,
    );
    if (outcome === 'done') return result;
  }
  throw busy();
}

/* ---------- delete ---------- */

export async function deleteConnection(p: Principal, cenId: string, connectionId: string): Promise<void> {
  const [low, high] = requirePair(connectionId);
  const key = keys.connection(p.accountId, cenId, low, high);
  for (let i = 0; i < OPTIMISTIC_ATTEMPTS; i++) {
    await backoff(i);
    const conn = await getItem(key);
    if (!conn) throw notFound('RegionConnection', connectionId);
    const bw = Number(conn.bandwidthMbps);
    const packageId = String(conn.bandwidthPackageId);
    const outcome = await attempt(
      [
        {
          // Optimistic: give back exactly the bandwidth the connection holds, to its package.
          Delete: {
            TableName: TABLE,
            Key: key,
            ConditionExpression: 'bandwidthMbps = :bw AND bandwidthPackageId = :pkg',
            ExpressionAttributeValues: { ':bw': bw, ':pkg': packageId },
          },
        },
        {
          // Rules 1 and 5: the bandwidth and the connection count go back in the same transaction.
          Update: {
            TableName: TABLE,
            Key: packageKey(p, packageId),
            UpdateExpression:
              'SET allocatedMbps = allocatedMbps - :bw, remainingMbps = remainingMbps + :bw ADD connectionCount :minusOne',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: { ':bw': bw, ':minusOne': -1 },
          },
        },
      ],
      ([connReason]) => {
        if (connReason?.code === 'ConditionalCheckFailed' && !connReason.item) {
          throw notFound('RegionConnection', connectionId);
        }
        throw RETRY;
      },
      undefined,
    );
    if (outcome === 'done') return;
  }
  throw busy();
}

/* ---------- effective bandwidth ---------- */

export interface EffectiveBandwidth {
  regionA: RegionId;
  regionB: RegionId;
  source: 'SameRegion' | 'RegionConnection' | 'Default';
  bandwidthKbps: number | null;
}

export async function effectiveBandwidth(
  p: Principal,
  cenId: string,
  query: { regionA: RegionId; regionB: RegionId },
): Promise<EffectiveBandwidth> {
  const { regionA, regionB } = query;
  // Rule 4: the same region needs no package and has no limit.
  if (regionA === regionB) {
    await requireCen(p, cenId);
    return { regionA, regionB, source: 'SameRegion', bandwidthKbps: null };
  }
  const [low, high] = orderedPair(regionA, regionB);
  const conn = await getItem(keys.connection(p.accountId, cenId, low, high));
  // A connection lives in its CEN's partition and keeps the CEN from being deleted: no CEN read.
  if (!conn) await requireCen(p, cenId);
  const pkg = conn ? await getItem(packageKey(p, String(conn.bandwidthPackageId))) : undefined;
  // Rule 8: a suspended connection (expired package) carries only the default.
  if (!conn || !isActive(pkg)) return { regionA, regionB, source: 'Default', bandwidthKbps: DEFAULT_KBPS };
  return { regionA, regionB, source: 'RegionConnection', bandwidthKbps: Number(conn.bandwidthMbps) * 1000 };
}
