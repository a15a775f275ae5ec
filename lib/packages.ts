/**
 * Bandwidth packages: purchase, read, bind and unbind (rules 2 and 5), upgrade and downgrade
 * (rule 6), renewal (rule 7), orders, and the refusal of direct deletion (rule 9).
 *
 * The package item carries its own bandwidth accounting: `allocatedMbps + remainingMbps =
 * bandwidthMbps` always, both moved in the same update. The sum rule (rule 1) is then a condition
 * on one attribute, `hasRoom(delta)` (lib/entities/package.ts), that every change which takes bandwidth from the
 * package states inside DynamoDB: a new or larger connection, and a downgrade. `connectionCount`
 * guards unbind and deletion the same way.
 *
 * Where an operation depends on a value that can change (the bandwidth before a downgrade, the
 * expiry before a renewal), the write is conditioned on the value it read and retried on a
 * mismatch: optimistic concurrency, never read-check-write.
 */

import { z } from 'zod';
import { withQuota } from './accounts';
import type { Principal } from './auth';
import { type AreaId, geographicSpanId, isCrossBorder } from './catalogue';
import { requireCen } from './cens';
import { optimistic, RETRY, TABLE, type TransactItem, transact } from './db/client';
import { type Item, parsed, pick, readItem } from './db/items';
import { keys } from './db/keys';
import { listPage, type Page } from './db/list';
import { bindItems, StoredBinding, unbindItems } from './entities/cen';
import * as pkgItem from './entities/package';
import { dueFields, StoredPackage } from './entities/package';
import { ApiError, conflict, notFound } from './errors';
import { ID_PATTERNS, newId } from './ids';
import { type BandwidthPackage, type Order, OrderResource } from './schemas';
import { addMonths, HORIZON_MONTHS, nowIso, withinHorizon } from './time';

const PACKAGE_FIELDS = [
  'bandwidthPackageId',
  'name',
  'description',
  'areaA',
  'areaB',
  'geographicSpanId',
  'isCrossBorder',
  'bandwidthMbps',
  'allocatedMbps',
  'remainingMbps',
  'status',
  'businessStatus',
  'cenId',
  'chargeType',
  'pricingCycle',
  'period',
  'autoRenew',
  'autoRenewPeriod',
  'createdAt',
  'expiresAt',
  'expiredAt',
] as const;
const ORDER_FIELDS = [
  'orderId',
  'bandwidthPackageId',
  'type',
  'bandwidthMbpsBefore',
  'bandwidthMbpsAfter',
  'expiresAtBefore',
  'expiresAtAfter',
  'createdAt',
] as const;

export const toPackage = (item: Item) => pick<BandwidthPackage>(item, PACKAGE_FIELDS);
/** A stored order: the order the API answers with, plus its keys and account. */
const StoredOrder = OrderResource.extend({
  PK: z.string(),
  SK: z.string(),
  entity: z.literal('Order'),
  accountId: z.string(),
});
export const toOrder = (item: Item) => pick<Order>(StoredOrder.parse(item), ORDER_FIELDS);

export type OrderType = Order['type'];

export const months = (pricingCycle: 'Month' | 'Year', period: number) =>
  pricingCycle === 'Year' ? period * 12 : period;

export function orderPut(
  accountId: string,
  packageId: string,
  order: {
    type: OrderType;
    bandwidthMbpsBefore: number | null;
    bandwidthMbpsAfter: number;
    expiresAtBefore: string | null;
    expiresAtAfter: string;
    createdAt: string;
  },
  orderId = newId.order(),
): TransactItem {
  return {
    Put: {
      TableName: TABLE,
      Item: {
        ...keys.order(accountId, packageId, orderId),
        entity: 'Order',
        accountId,
        orderId,
        bandwidthPackageId: packageId,
        ...order,
      },
      ConditionExpression: 'attribute_not_exists(PK)',
    },
  };
}

/* ---------- purchase ---------- */

export interface PurchaseInput {
  areaA: AreaId;
  areaB: AreaId;
  bandwidthMbps: number;
  name?: string;
  description?: string;
  pricingCycle: 'Month' | 'Year';
  period: number;
  autoRenew: boolean;
  autoRenewPeriod: number;
  cenId?: string;
}

/** The package item a purchase writes (unbound; `purchase` adds the binding fields). */
export function newPackageItem(
  accountId: string,
  id: string,
  input: Omit<PurchaseInput, 'cenId'>,
  createdAt: string,
): Item {
  const expiresAt = addMonths(createdAt, months(input.pricingCycle, input.period));
  return {
    ...keys.bandwidthPackage(accountId, id),
    GSI1PK: keys.packagesOfAccount(accountId),
    GSI1SK: id,
    ...dueFields(id, { expiresAt }),
    entity: 'BandwidthPackage',
    accountId,
    bandwidthPackageId: id,
    name: input.name ?? null,
    description: input.description ?? null,
    areaA: input.areaA,
    areaB: input.areaB,
    geographicSpanId: geographicSpanId(input.areaA, input.areaB),
    isCrossBorder: isCrossBorder(input.areaA, input.areaB),
    bandwidthMbps: input.bandwidthMbps,
    allocatedMbps: 0,
    remainingMbps: input.bandwidthMbps,
    connectionCount: 0,
    conns: {},
    gone: {},
    status: 'Idle',
    businessStatus: 'Normal',
    cenId: null,
    chargeType: 'PREPAY',
    pricingCycle: input.pricingCycle,
    period: input.period,
    autoRenew: input.autoRenew,
    autoRenewPeriod: input.autoRenewPeriod,
    createdAt,
    expiresAt,
    expiredAt: null,
  };
}

export async function purchase(p: Principal, input: PurchaseInput): Promise<BandwidthPackage> {
  return (await purchaseWithOrder(p, input)).pkg;
}

/** A purchase, and the id of its `Purchase` order (Alibaba's answer names it, SPEC §8.3). */
export async function purchaseWithOrder(
  p: Principal,
  input: PurchaseInput,
): Promise<{ pkg: BandwidthPackage; orderId: string }> {
  if (input.cenId !== undefined && !ID_PATTERNS.cen.test(input.cenId)) throw notFound('Cen', input.cenId);
  const id = newId.bandwidthPackage();
  const createdAt = nowIso();
  const item = newPackageItem(p.accountId, id, input, createdAt);
  const expiresAt = String(item.expiresAt);
  const spanId = String(item.geographicSpanId);
  const orderId = newId.order();
  if (input.cenId) {
    Object.assign(item, {
      status: 'InUse',
      cenId: input.cenId,
      GSI2PK: keys.packagesOfCen(p.accountId, input.cenId),
      GSI2SK: id,
    });
  }
  const items: Record<string, TransactItem> = {
    pkg: { Put: { TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
    order: orderPut(
      p.accountId,
      id,
      {
        type: 'Purchase',
        bandwidthMbpsBefore: null,
        bandwidthMbpsAfter: input.bandwidthMbps,
        expiresAtBefore: null,
        expiresAtAfter: expiresAt,
        createdAt,
      },
      orderId,
    ),
    ...(input.cenId ? bindItems(p.accountId, id, spanId, input.cenId) : {}),
  };
  const cenId = input.cenId;
  await transact(
    ...withQuota(p.accountId, 'bandwidthPackages', items, ({ binding, cen }) => {
      if (cen?.code === 'ConditionalCheckFailed') throw notFound('Cen', cenId ?? '');
      if (binding?.code === 'ConditionalCheckFailed') throw spanTaken(cenId ?? '', spanId, binding.item);
      throw new ApiError(503, 'ServiceUnavailable', 'The purchase could not be completed; retry it.');
    }),
    { result: toPackage(item), facts: { orderId } },
  );
  return { pkg: toPackage(item), orderId };
}

const spanTaken = (cenId: string, spanId: string, binding: Item | undefined) =>
  conflict(
    'InvalidOperation.BwpForGeoSpanAlreadyAssociated',
    `CEN ${cenId} already has package ${binding?.bandwidthPackageId ?? ''} bound for span ${spanId}.`,
  );

/* ---------- read ---------- */

export async function requirePackage(p: Principal, id: string): Promise<StoredPackage> {
  const item = await readItem(keys.bandwidthPackage(p.accountId, id), StoredPackage);
  if (!item) throw notFound('BandwidthPackage', id);
  return item;
}

export async function getPackage(p: Principal, id: string): Promise<BandwidthPackage> {
  return toPackage(await requirePackage(p, id));
}

export async function listPackages(
  p: Principal,
  query: { limit: number; nextToken?: string; cenId?: string; status?: string; businessStatus?: string },
): Promise<Page<BandwidthPackage>> {
  const { cenId, status, businessStatus, ...page } = query;
  const source = cenId
    ? { index: 'GSI2' as const, partition: keys.packagesOfCen(p.accountId, cenId) }
    : { index: 'GSI1' as const, partition: keys.packagesOfAccount(p.accountId) };
  const out = await listPage({ ...source, ...page, equals: { status, businessStatus } });
  return { ...out, items: out.items.map(toPackage) };
}

export async function listOrders(
  p: Principal,
  id: string,
  page: { limit: number; nextToken?: string },
): Promise<Page<Order>> {
  const out = await listPage({
    partition: keys.bandwidthPackage(p.accountId, id).PK,
    sortPrefix: keys.orderPrefix,
    ...page,
  });
  // Every package ever bought has its Purchase order, which outlives it: none means never owned.
  if (out.items.length === 0 && !page.nextToken) throw notFound('BandwidthPackage', id);
  return { ...out, items: out.items.map(toOrder) };
}

/* ---------- update, delete ---------- */

export async function updatePackage(
  p: Principal,
  id: string,
  input: { name?: string; description?: string },
): Promise<BandwidthPackage> {
  const pkg = await requirePackage(p, id);
  const sets: string[] = [];
  const values: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const field of ['name', 'description'] as const) {
    if (input[field] === undefined) continue;
    sets.push(`#${field} = :${field}`);
    names[`#${field}`] = field;
    values[`:${field}`] = input[field];
  }
  const result = toPackage({ ...pkg, ...input });
  // A transaction even for one item: a lost reply that the SDK resends is then answered as the
  // first attempt was.
  await transact(
    {
      pkg: {
        Update: {
          TableName: TABLE,
          Key: keys.bandwidthPackage(p.accountId, id),
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: pkgItem.exists().text,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      },
    },
    () => {
      throw notFound('BandwidthPackage', id);
    },
    { result },
  );
  return result;
}

export async function deletePackage(p: Principal, id: string): Promise<never> {
  await requirePackage(p, id);
  throw new ApiError(
    403,
    'Forbidden.Release',
    'A subscription bandwidth package cannot be deleted directly; open a DeleteBandwidthPackage ticket.',
  );
}

/* ---------- bind, unbind ---------- */

export async function bind(p: Principal, id: string, cenId: string): Promise<BandwidthPackage> {
  const pkg = await requirePackage(p, id);
  if (!ID_PATTERNS.cen.test(cenId)) throw notFound('Cen', cenId);
  const spanId = pkg.geographicSpanId;
  const result = toPackage({ ...pkg, status: 'InUse', cenId });
  await transact(
    { pkg: pkgItem.bind(pkg, cenId), ...bindItems(p.accountId, id, spanId, cenId) },
    ({ pkg: pkgReason, binding, cen }) => {
      if (pkgReason.code === 'ConditionalCheckFailed' && !pkgReason.item)
        throw notFound('BandwidthPackage', id);
      if (cen.code === 'ConditionalCheckFailed') throw notFound('Cen', cenId);
      const old = parsed(StoredPackage, pkgReason.item);
      if (pkgReason.code === 'ConditionalCheckFailed' && old) {
        if (old.status !== 'Idle') {
          throw conflict(
            'InvalidOperation.BwpInstanceStatus',
            `Package ${id} is already bound to CEN ${old.cenId}; unbind it first.`,
          );
        }
        throw conflict('InvalidOperation.BwpBusinessStatus', `Package ${id} is expired; renew it first.`);
      }
      throw spanTaken(cenId, spanId, binding.item);
    },
    { result },
  );
  // The condition held the status; the rest is the package as read, with this change.
  return result;
}

export async function unbind(p: Principal, id: string, cenId: string): Promise<BandwidthPackage> {
  const pkg = await requirePackage(p, id);
  if (!ID_PATTERNS.cen.test(cenId)) throw notFound('Cen', cenId);
  if (pkg.cenId !== cenId) {
    await requireCen(p, cenId);
    throw notBoundTo(id, cenId);
  }
  const result = toPackage({ ...pkg, status: 'Idle', cenId: null });
  await transact(
    { pkg: pkgItem.unbind(pkg, cenId), ...unbindItems(p.accountId, id, pkg.geographicSpanId, cenId) },
    ({ pkg: pkgReason }) => {
      const old = parsed(StoredPackage, pkgReason.item);
      if (pkgReason.code === 'ConditionalCheckFailed' && !old) throw notFound('BandwidthPackage', id);
      if (old && old.cenId !== cenId) throw notBoundTo(id, cenId);
      if (old && old.connectionCount > 0) throw connectionsLeft(id, old.connectionCount);
      // Bound to this CEN with no connection, yet refused (the binding item disagreed): nothing
      // was written, and a 503 lets the retry run again.
      throw new ApiError(503, 'ServiceUnavailable', 'The package changed during the request; retry it.');
    },
    { result },
  );
  return result;
}

const notBoundTo = (id: string, cenId: string) =>
  conflict('InvalidOperation.BwpInstanceStatus', `Package ${id} is not bound to CEN ${cenId}.`);

export const connectionsLeft = (id: string, count: number) =>
  conflict(
    'InvalidOperation.CenBandwidthLimitsNotZero',
    `Package ${id} still has ${count} region connection(s); delete them first.`,
  );

/* ---------- upgrade, downgrade ---------- */

export function changeBandwidth(p: Principal, id: string, bandwidthMbps: number): Promise<BandwidthPackage> {
  return optimistic(async () => {
    const pkg = await requirePackage(p, id);
    const before = pkg.bandwidthMbps;
    if (pkg.businessStatus !== 'Normal') throw expired(id);
    if (bandwidthMbps === before) return toPackage(pkg);
    const upgrade = bandwidthMbps > before;
    // Rule 6: cross-border packages can only grow (an immutable attribute: safe to check on the read).
    if (!upgrade && pkg.isCrossBorder) {
      throw conflict(
        'OperationFailed.CrossBorderDowngradeNotSupported',
        `Package ${id} is cross-border; it cannot be downgraded.`,
      );
    }
    // Rule 1, as of the read: a downgrade below the allocation read is refused then (it would have
    // been refused at that instant). The condition still decides every downgrade that goes on,
    // against the allocation at the write; and the answer, the allocation as read, stays within the
    // new bandwidth.
    if (!upgrade && pkg.remainingMbps < before - bandwidthMbps) {
      throw belowAllocation(id, pkg.allocatedMbps, bandwidthMbps);
    }
    // Exact in what the condition holds (the bandwidth, the expiry); the allocation as read.
    const result = toPackage({
      ...pkg,
      bandwidthMbps,
      remainingMbps: pkg.remainingMbps + (bandwidthMbps - before),
    });
    await transact(
      {
        pkg: { Update: pkgItem.changeBandwidth(pkg, bandwidthMbps) },
        order: orderPut(p.accountId, id, {
          type: upgrade ? 'Upgrade' : 'Downgrade',
          bandwidthMbpsBefore: before,
          bandwidthMbpsAfter: bandwidthMbps,
          expiresAtBefore: pkg.expiresAt,
          expiresAtAfter: pkg.expiresAt,
          createdAt: nowIso(),
        }),
      },
      ({ pkg: reason }) => {
        const old = parsed(StoredPackage, reason.item);
        if (!old) throw notFound('BandwidthPackage', id);
        if (old.businessStatus !== 'Normal') throw expired(id);
        if (old.bandwidthMbps !== before || old.expiresAt !== pkg.expiresAt) throw RETRY;
        throw belowAllocation(id, old.allocatedMbps, bandwidthMbps);
      },
      { result },
    );
    return result;
  });
}

const belowAllocation = (id: string, allocated: unknown, bandwidthMbps: number) =>
  conflict(
    'InvalidOperation.BwpBandwidthExceeded',
    `Package ${id} has ${allocated} Mbps allocated to region connections; it cannot go down to ${bandwidthMbps} Mbps.`,
  );

/* ---------- renewal ---------- */

export function renew(
  p: Principal,
  id: string,
  input: { period: number; pricingCycle: 'Month' | 'Year' },
): Promise<BandwidthPackage> {
  const add = months(input.pricingCycle, input.period);
  return optimistic(async () => {
    const pkg = await requirePackage(p, id);
    const now = nowIso();
    const before = pkg.expiresAt;
    // Rule 7: from the current expiry while Normal; from now when Expired, which revives it.
    const after = addMonths(pkg.businessStatus === 'Expired' ? now : before, add);
    // Rule 11: never more than 60 calendar months ahead of the request.
    if (!withinHorizon(after, now)) throw beyondHorizon(id, after, now);
    const result = toPackage({ ...pkg, expiresAt: after, businessStatus: 'Normal', expiredAt: null });
    await transact(
      {
        // Whichever of a renewal and the expiry job commits first, the other sees the change and
        // re-reads: the expiry never overwrites a renewal, and a renewal of a package that just
        // expired renews it from now.
        pkg: { Update: pkgItem.renew(pkg, after) },
        order: orderPut(p.accountId, id, {
          type: 'Renewal',
          bandwidthMbpsBefore: pkg.bandwidthMbps,
          bandwidthMbpsAfter: pkg.bandwidthMbps,
          expiresAtBefore: before,
          expiresAtAfter: after,
          createdAt: now,
        }),
      },
      ({ pkg: reason }) => {
        if (!reason.item) throw notFound('BandwidthPackage', id);
        throw RETRY;
      },
      { result },
    );
    return result;
  });
}

const beyondHorizon = (id: string, after: string, now: string) =>
  conflict(
    'InvalidOperation.RenewalLimitExceeded',
    `Renewing package ${id} would set its expiry to ${after}, more than ${HORIZON_MONTHS} months after ${now}.`,
  );

export const expired = (id: string) =>
  conflict('InvalidOperation.BwpBusinessStatus', `Package ${id} is expired; renew it first.`);

/** The `remainingMbps` of the package bound to a CEN for a span, 0 when none is (SPEC §8.4). */
export async function remainingForSpan(p: Principal, cenId: string, spanId: string): Promise<number> {
  await requireCen(p, cenId);
  const binding = await readItem(keys.binding(p.accountId, cenId, spanId), StoredBinding);
  if (!binding) return 0;
  const pkg = await readItem(keys.bandwidthPackage(p.accountId, binding.bandwidthPackageId), StoredPackage);
  return pkg?.cenId === cenId ? pkg.remainingMbps : 0;
}
