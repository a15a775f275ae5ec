/**
 * Region connections (cross-region interconnection bandwidth) and the effective bandwidth of a
 * region pair: rules 1, 3 and 4, and the expired-package half of rule 8.
 *
 * A connection is identified by its CEN and its unordered region pair; its id is the canonical
 * pair `<low>_<high>` (regions sorted). An id in the other order names the same connection.
 *
 * A connection lives inside the package that serves it: the package item's `conns` map, keyed by
 * the pair (lib/entities/package.ts). A pair's span decides the one package that can serve it on
 * a CEN (rule 2: one package per span per CEN), so "at most one connection per pair per CEN" is
 * "at most one entry per pair in that package". Create, resize and delete are each ONE conditional
 * `UpdateItem` of the package item whose condition states the rules together: the sum rule, the
 * package still serving this CEN's span, the pair free or held, the package not expired. See
 * docs/data-model.md ("Connections inside the package") for the reasons and the alternatives.
 *
 * Which package serves a CEN's span is the binding item (one `GetItem`), remembered per container
 * in `served`: a remembered answer is never trusted, only tried, because every write states
 * `servesSpan` (the package's `cenId` and span) in its condition, and every read checks the same on
 * the package it read. A stale entry costs one failed condition and a fresh read, never a wrong
 * answer. So a create or a delete is one write, with no read first. A resize states the bandwidth
 * before (a condition cannot compute a delta): the one this container last saw (`bandwidths`), so
 * it too is usually one write, answered from the item as written; with nothing seen, it reads.
 *
 * A connection's `status` is not stored: it is derived at read time from its package's
 * `businessStatus` (Suspended while Expired), so expiry and renewal never rewrite connections.
 */
import { randomBytes } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Principal } from './auth';
import { areaOf, geographicSpanId, orderedPair, REGION_IDS, type RegionId } from './catalogue';
import { requireCen } from './cens';
import { db, optimistic, RETRY, TABLE, translate, writeOne, writeOneReturning } from './db/client';
import { currentEffect } from './db/effect';
import { parsed, readItem } from './db/items';
import { keys } from './db/keys';
import type { Page } from './db/list';
import { decodeToken, encodeToken } from './db/pagination';
import { StoredBinding } from './entities/cen';
import {
  type ConnectionEntry,
  connect,
  disconnect,
  packageKey,
  resize,
  StoredPackage,
} from './entities/package';
import { conflict, notFound } from './errors';
import { ID_PATTERNS } from './ids';
import type { Connection } from './schemas';
import { nowIso } from './time';

/** Without a connection, two different regions of a CEN get 1 Kbps (rule 4). */
export const DEFAULT_KBPS = 1;

const isActive = (pkg: Pick<StoredPackage, 'businessStatus'> | undefined) => pkg?.businessStatus === 'Normal';

export function toConnection(
  pair: [RegionId, RegionId],
  entry: Pick<ConnectionEntry, 'bw' | 'createdAt' | 'updatedAt'>,
  pkg: Pick<StoredPackage, 'bandwidthPackageId' | 'cenId' | 'geographicSpanId' | 'businessStatus'>,
): Connection {
  const [low, high] = pair;
  return {
    connectionId: connectionIdOf(low, high),
    cenId: pkg.cenId ?? '',
    regionA: low,
    regionB: high,
    bandwidthMbps: entry.bw,
    bandwidthPackageId: pkg.bandwidthPackageId,
    geographicSpanId: pkg.geographicSpanId,
    status: isActive(pkg) ? 'Active' : 'Suspended',
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
  };
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

const spanOf = ([low, high]: [RegionId, RegionId]) => geographicSpanId(areaOf(low), areaOf(high));

/** A unique mark for one write, so that a resend of it recognises its own effect (writeOne). */
const writeId = () => randomBytes(9).toString('base64url');

/* ---------- which package serves a span of a CEN ---------- */

/** Remembered bindings of this container: hints that every write and read verifies. */
const served = new Map<string, string>();
const SERVED_LIMIT = 10_000;
const servedKey = (p: Principal, cenId: string, spanId: string) => `${p.accountId}\n${cenId}\n${spanId}`;

/** The id of the package bound to the CEN for the span, remembered or read (`fresh`: read). */
async function servingPackageId(
  p: Principal,
  cenId: string,
  spanId: string,
  fresh: boolean,
): Promise<string | undefined> {
  const k = servedKey(p, cenId, spanId);
  const known = fresh ? undefined : served.get(k);
  if (known !== undefined) return known;
  const binding = await readItem(keys.binding(p.accountId, cenId, spanId), StoredBinding);
  if (!binding) {
    served.delete(k);
    return undefined;
  }
  if (served.size >= SERVED_LIMIT) served.clear();
  served.set(k, binding.bandwidthPackageId);
  return binding.bandwidthPackageId;
}

const forget = (p: Principal, cenId: string, spanId: string) => served.delete(servedKey(p, cenId, spanId));

/**
 * The bandwidth this container last saw each connection hold: the guess a resize states as its
 * condition (`pairHas`), so that it needs no read first. Only a hint, like `served`.
 */
const bandwidths = new Map<string, number>();
const hintKey = (p: Principal, cenId: string, connectionId: string) =>
  `${p.accountId}\n${cenId}\n${connectionId}`;
const remember = (key: string, bw: number) => {
  if (bandwidths.size >= SERVED_LIMIT) bandwidths.clear();
  bandwidths.set(key, bw);
};

/** Does this package item (as read, or as a failed condition returned it) serve the CEN's span? */
const serves = (pkg: StoredPackage | undefined, cenId: string, spanId: string): pkg is StoredPackage =>
  pkg !== undefined && pkg.cenId === cenId && pkg.geographicSpanId === spanId;

/**
 * The old item a failed write returned, when it still serves the CEN's span. Otherwise the package
 * was unbound (or released) since the binding was read: the remembered binding is forgotten and
 * `unserved` thrown (`RETRY`: read the binding again).
 */
function stillServing(
  item: Record<string, unknown> | undefined,
  p: Principal,
  cenId: string,
  spanId: string,
  unserved: unknown = RETRY,
): StoredPackage {
  const old = parsed(StoredPackage, item);
  if (serves(old, cenId, spanId)) return old;
  forget(p, cenId, spanId);
  throw unserved;
}

/**
 * The package serving the CEN's span, read strongly consistently and checked to serve it; none
 * when the span is unbound. A remembered binding that no longer holds is read afresh once.
 */
async function servingPackage(
  p: Principal,
  cenId: string,
  spanId: string,
  fresh = false,
): Promise<StoredPackage | undefined> {
  for (let read = fresh; ; read = true) {
    const id = await servingPackageId(p, cenId, spanId, read);
    if (id === undefined) return undefined;
    const pkg = await readItem(packageKey(p.accountId, id), StoredPackage);
    if (serves(pkg, cenId, spanId)) return pkg;
    forget(p, cenId, spanId);
    // The binding just read named a package that no longer serves it: unbound in between.
    if (read) throw RETRY;
  }
}

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

const exists = (cenId: string, [low, high]: [RegionId, RegionId]) =>
  conflict(
    'InvalidOperation.RegionConnectionExists',
    `CEN ${cenId} already has a region connection between ${low} and ${high}.`,
  );

/** Internal signal: the package the caller named does not serve the span (decided by `explain`). */
const NAMED_PACKAGE_UNSERVING = Symbol('named package does not serve the span');

/* ---------- create ---------- */

export interface CreateConnectionInput {
  regionA: RegionId;
  regionB: RegionId;
  bandwidthMbps: number;
  bandwidthPackageId?: string;
}

export function createConnection(
  p: Principal,
  cenId: string,
  input: CreateConnectionInput,
): Promise<Connection> {
  const pair = orderedPair(input.regionA, input.regionB);
  const spanId = spanOf(pair);
  const connectionId = connectionIdOf(...pair);
  const bw = input.bandwidthMbps;
  const named = input.bandwidthPackageId;

  return optimistic(async (n) => {
    const packageId =
      named !== undefined && ID_PATTERNS.bandwidthPackage.test(named)
        ? named
        : named === undefined
          ? await servingPackageId(p, cenId, spanId, n > 0)
          : undefined;
    if (packageId === undefined) return explain(p, cenId, spanId, named);

    const now = nowIso();
    const entry: ConnectionEntry = { bw, createdAt: now, updatedAt: now, w: writeId() };
    // The write's condition sees the package Normal and serving the span: the connection is Active.
    const result = toConnection(pair, entry, {
      bandwidthPackageId: packageId,
      cenId,
      geographicSpanId: spanId,
      businessStatus: 'Normal',
    });
    try {
      await writeOne(
        connect(
          { accountId: p.accountId, bandwidthPackageId: packageId },
          { cenId, spanId, pair: connectionId },
          entry,
        ),
        (item) => {
          const old = stillServing(
            item,
            p,
            cenId,
            spanId,
            named === undefined ? RETRY : NAMED_PACKAGE_UNSERVING,
          );
          if (old.conns[connectionId]) throw exists(cenId, pair);
          if (old.businessStatus !== 'Normal') throw expired(packageId);
          throw exceeded(packageId, bw, old.remainingMbps);
        },
        { result, ours: (item) => parsed(StoredPackage, item)?.conns[connectionId]?.w === entry.w },
      );
    } catch (error) {
      if (error === NAMED_PACKAGE_UNSERVING) return explain(p, cenId, spanId, named);
      throw error;
    }
    remember(hintKey(p, cenId, connectionId), bw);
    return result;
  });
}

/**
 * Why no package the request may use serves the span, in the order of SPEC §3 (404s first: the
 * CEN, then a package the caller named); or `RETRY` when the named package serves it after all
 * (bound in between).
 */
async function explain(
  p: Principal,
  cenId: string,
  spanId: string,
  named: string | undefined,
): Promise<never> {
  const bound = await servingPackageId(p, cenId, spanId, true);
  if (named !== undefined && bound === named) throw RETRY;
  if (bound === undefined) await requireCen(p, cenId);
  if (named === undefined) throw bound === undefined ? notAssociated(cenId, spanId) : RETRY;
  if (
    !ID_PATTERNS.bandwidthPackage.test(named) ||
    !(await readItem(packageKey(p.accountId, named), StoredPackage))
  ) {
    throw notFound('BandwidthPackage', named);
  }
  throw bound === undefined ? notAssociated(cenId, spanId) : wrongPackage(cenId, spanId, named);
}

/* ---------- read ---------- */

/**
 * The package holding a CEN's connection on a pair, and the entry; 404 when there is none. Reads
 * answer `NotFound.Cen` for a CEN the caller does not have (`checkCen`); changes answer that the
 * connection is not found, as they always have.
 */
async function requireConnection(
  p: Principal,
  cenId: string,
  connectionId: string,
  { fresh, checkCen }: { fresh: boolean; checkCen: boolean },
) {
  const pair = requirePair(connectionId);
  const pkg = await servingPackage(p, cenId, spanOf(pair), fresh);
  const entry = pkg?.conns[connectionIdOf(...pair)];
  if (!pkg || !entry) {
    // A bound package means the CEN exists (it cannot be deleted under it): only check without.
    if (!pkg && checkCen) await requireCen(p, cenId);
    throw notFound('RegionConnection', connectionId);
  }
  return { pair, pkg, entry };
}

export function getConnection(p: Principal, cenId: string, connectionId: string): Promise<Connection> {
  return optimistic(async (n) => {
    const { pair, pkg, entry } = await requireConnection(p, cenId, connectionId, {
      fresh: n > 0,
      checkCen: true,
    });
    return toConnection(pair, entry, pkg);
  });
}

/** The scope of connection list tokens: as issued by lib/db/list.ts before v2, so they still work. */
const listScope = (partition: string) => ({ partition, sortPrefix: keys.connectionPrefix, equals: {} });

/**
 * A CEN's connections in the order of their ids: the CEN's partition (the CEN item and its span
 * bindings, one strongly consistent `Query`), then each bound package (at most one per span). A
 * CEN has at most a few hundred pairs, so the page is cut in memory.
 */
export async function listConnections(
  p: Principal,
  cenId: string,
  page: { limit: number; nextToken?: string },
): Promise<Page<Connection>> {
  const partition = keys.cen(p.accountId, cenId).PK;
  const after = decodeToken(listScope(partition), page.nextToken, ['PK', 'SK'])?.SK;
  const all = await optimistic(async () => {
    const items = await cenPartition(partition);
    if (!items.some((i) => i.SK === 'CEN')) await requireCen(p, cenId);
    const bindings = items.filter((i) => i.entity === 'Binding').map((i) => StoredBinding.parse(i));
    const packages = await Promise.all(
      bindings.map((b) => readItem(packageKey(p.accountId, b.bandwidthPackageId), StoredPackage)),
    );
    return packages.flatMap((pkg, i) => {
      const binding = bindings[i]!;
      // Unbound between the two reads: read again, rather than list a partial picture.
      if (!serves(pkg, cenId, binding.geographicSpanId)) throw RETRY;
      return Object.entries(pkg.conns).map(([id, entry]) => toConnection(parseConnectionId(id)!, entry, pkg));
    });
  });
  const sortKey = (c: Connection) => `${keys.connectionPrefix}${c.regionA}#${c.regionB}`;
  const rest = all
    .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))
    .filter((c) => !after || sortKey(c) > after);
  const items = rest.slice(0, page.limit);
  if (rest.length <= page.limit) return { items };
  const last = items[items.length - 1]!;
  return { items, nextToken: encodeToken(listScope(partition), { PK: partition, SK: sortKey(last) }) };
}

async function cenPartition(partition: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db
      .send(
        new QueryCommand({
          TableName: TABLE,
          // The CEN item (`CEN`) and the bindings (`SPAN#…`): the two sort keys from C to T.
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': partition, ':from': 'CEN', ':to': 'SPAN#~' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      )
      .catch(translate);
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items.filter((i) => i.SK === 'CEN' || String(i.SK).startsWith('SPAN#'));
}

/* ---------- modify ---------- */

export function updateConnection(
  p: Principal,
  cenId: string,
  connectionId: string,
  bandwidthMbps: number,
): Promise<Connection> {
  const pair = requirePair(connectionId);
  const spanId = spanOf(pair);
  const id = connectionIdOf(...pair);
  const hint = hintKey(p, cenId, id);
  return optimistic(async (n) => {
    // The fast path: the bandwidth and package this container last saw for the connection, tried
    // as the condition of the one write (a wrong guess fails it and teaches the right one); the
    // answer is the item as written. A keyed request must store its answer before it writes, so
    // it reads first.
    const guess = bandwidths.get(hint);
    const packageId = guess === undefined ? undefined : served.get(servedKey(p, cenId, spanId));
    if (guess !== undefined && packageId !== undefined && guess !== bandwidthMbps && !currentEffect()) {
      const change = { before: guess, after: bandwidthMbps, updatedAt: nowIso(), w: writeId() };
      const written = await writeOneReturning(
        resize({ accountId: p.accountId, bandwidthPackageId: packageId }, { cenId, pair: id }, change),
        (item) => {
          const old = stillServing(item, p, cenId, spanId);
          const now = old.conns[id];
          if (!now) {
            bandwidths.delete(hint);
            throw notFound('RegionConnection', connectionId);
          }
          if (now.bw !== guess) {
            remember(hint, now.bw);
            throw RETRY;
          }
          if (old.businessStatus !== 'Normal') throw expired(packageId);
          throw exceeded(packageId, bandwidthMbps - guess, old.remainingMbps);
        },
        { ours: (item) => parsed(StoredPackage, item)?.conns[id]?.w === change.w },
      );
      remember(hint, bandwidthMbps);
      const pkg = written
        ? StoredPackage.parse(written)
        : await readItem(packageKey(p.accountId, packageId), StoredPackage);
      const entry = pkg?.conns[id];
      // Deleted again between our write and the read after a resend: as deleted.
      if (!pkg || !entry) throw notFound('RegionConnection', connectionId);
      return toConnection(pair, entry, pkg);
    }

    const { pkg, entry } = await requireConnection(p, cenId, connectionId, { fresh: n > 0, checkCen: false });
    remember(hint, entry.bw);
    if (bandwidthMbps === entry.bw) return toConnection(pair, entry, pkg);
    const grow = bandwidthMbps > entry.bw;
    const delta = Math.abs(bandwidthMbps - entry.bw);
    const change = { before: entry.bw, after: bandwidthMbps, updatedAt: nowIso(), w: writeId() };
    // A growth commits only under `businessStatus = Normal`; a shrink may be on an expired package.
    const result = toConnection(
      pair,
      { ...entry, bw: bandwidthMbps, updatedAt: change.updatedAt },
      grow ? { ...pkg, businessStatus: 'Normal' } : pkg,
    );
    await writeOne(
      resize(pkg, { cenId, pair: id }, change),
      (item) => {
        const old = parsed(StoredPackage, item);
        // Deleted, resized or unbound meanwhile: read again (a deleted one is then a 404).
        if (!old || old.cenId !== cenId || old.conns[id]?.bw !== entry.bw) throw RETRY;
        if (old.businessStatus !== 'Normal') throw expired(pkg.bandwidthPackageId);
        throw exceeded(pkg.bandwidthPackageId, delta, old.remainingMbps);
      },
      { result, ours: (item) => parsed(StoredPackage, item)?.conns[id]?.w === change.w },
    );
    remember(hint, bandwidthMbps);
    return result;
  });
}

/* ---------- delete ---------- */

export function deleteConnection(p: Principal, cenId: string, connectionId: string): Promise<void> {
  const pair = requirePair(connectionId);
  const spanId = spanOf(pair);
  const id = connectionIdOf(...pair);
  return optimistic(async (n) => {
    const packageId = await servingPackageId(p, cenId, spanId, n > 0);
    if (packageId === undefined) throw notFound('RegionConnection', connectionId);
    const w = writeId();
    // The update gives back whatever bandwidth the connection holds at the write: no read first.
    await writeOne(
      disconnect({ accountId: p.accountId, bandwidthPackageId: packageId }, { cenId, pair: id }, w),
      (item) => {
        stillServing(item, p, cenId, spanId);
        throw notFound('RegionConnection', connectionId);
      },
      { ours: (item) => parsed(StoredPackage, item)?.gone[id] === w },
    );
    bandwidths.delete(hintKey(p, cenId, id));
  });
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
  const pair = orderedPair(regionA, regionB);
  const pkg = await optimistic((n) => servingPackage(p, cenId, spanOf(pair), n > 0));
  // A bound package keeps the CEN from being deleted: only check the CEN without one.
  if (!pkg) await requireCen(p, cenId);
  const entry = pkg?.conns[connectionIdOf(...pair)];
  // Rule 8: a suspended connection (expired package) carries only the default.
  if (!entry || !isActive(pkg)) return { regionA, regionB, source: 'Default', bandwidthKbps: DEFAULT_KBPS };
  return { regionA, regionB, source: 'RegionConnection', bandwidthKbps: entry.bw * 1000 };
}
