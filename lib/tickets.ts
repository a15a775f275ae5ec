/**
 * Deletion tickets (rule 9): a subscription package is deleted only when an operator approves a
 * `DeleteBandwidthPackage` ticket, and only if it is then unbound and has no connections.
 *
 * Tickets are the one global entity (keys.ts): an operator reads and resolves every account's,
 * a tenant only its own. A tenant asking for another account's ticket gets 404, like any absent
 * resource. The package a ticket names is always in the ticket's own account (`accountId`), never
 * in the operator's.
 *
 * Every state change is decided inside DynamoDB:
 * - create: a `ConditionCheck` that the package exists, with the ticket `Put`, so no ticket is ever
 *   written for a package that a concurrent approval or release just deleted;
 * - approve: ONE transaction, ticket `Open → Completed` (condition `status = Open`) and the
 *   package `Delete` (condition `status = Idle AND connectionCount = 0`); a bind racing with it
 *   either commits first (and the approval is refused) or finds no package (and is 404). The
 *   package's orders are other items and stay;
 * - reject: one conditional update, `status = Open`.
 */
import type { Principal } from './auth';
import { type Reason, TABLE, type TransactItem, transact } from './db/client';
import { getItem, type Item, pick } from './db/items';
import { keys } from './db/keys';
import { listPage, type Page } from './db/list';
import { conflict, notFound } from './errors';
import { ID_PATTERNS, newId } from './ids';
import { connectionsLeft } from './packages';
import type { Ticket } from './schemas';
import { nowIso } from './time';

const TICKET_FIELDS = [
  'ticketId',
  'type',
  'bandwidthPackageId',
  'status',
  'reason',
  'resolution',
  'createdAt',
  'resolvedAt',
] as const;

export const toTicket = (item: Item) => pick<Ticket>(item, TICKET_FIELDS);

export const RESOLUTION = {
  deleted: 'Package deleted.',
  alreadyGone: 'Package already deleted (by another ticket or released after expiry); nothing left to do.',
  rejected: 'Rejected by an operator.',
} as const;

const ticketStatus = (id: string, status: unknown) =>
  conflict(
    'InvalidOperation.TicketStatus',
    `Ticket ${id} is ${status}; only an Open ticket can be resolved.`,
  );

/* ---------- create ---------- */

export async function createTicket(
  p: Principal,
  input: { type: 'DeleteBandwidthPackage'; bandwidthPackageId: string; reason?: string },
): Promise<Ticket> {
  const packageId = input.bandwidthPackageId;
  if (!ID_PATTERNS.bandwidthPackage.test(packageId)) throw notFound('BandwidthPackage', packageId);
  const ticketId = newId.ticket();
  const item: Item = {
    ...keys.ticket(ticketId),
    GSI1PK: keys.ticketsOfAccount(p.accountId),
    GSI1SK: ticketId,
    GSI2PK: keys.allTickets,
    GSI2SK: ticketId,
    entity: 'Ticket',
    accountId: p.accountId,
    ticketId,
    type: input.type,
    bandwidthPackageId: packageId,
    status: 'Open',
    reason: input.reason ?? null,
    resolution: null,
    createdAt: nowIso(),
    resolvedAt: null,
  };
  await transact(
    [
      {
        // Only for a package of the caller's own account that exists now.
        ConditionCheck: {
          TableName: TABLE,
          Key: keys.bandwidthPackage(p.accountId, packageId),
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      { Put: { TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
    ],
    ([pkg]) => {
      if (pkg?.code === 'ConditionalCheckFailed') throw notFound('BandwidthPackage', packageId);
      throw conflict('OperationFailed', 'The ticket could not be created; retry it.');
    },
    { result: toTicket(item) },
  );
  return toTicket(item);
}

/* ---------- read ---------- */

/** The ticket if the caller may see it: operators see every account's, tenants only their own. */
async function requireTicket(p: Principal, ticketId: string): Promise<Item> {
  const item = await getItem(keys.ticket(ticketId));
  if (!item || (p.role !== 'operator' && item.accountId !== p.accountId)) throw notFound('Ticket', ticketId);
  return item;
}

export async function getTicket(p: Principal, ticketId: string): Promise<Ticket> {
  return toTicket(await requireTicket(p, ticketId));
}

/** Oldest first. Operators read the global index (GSI2), tenants their account's (GSI1). */
export async function listTickets(
  p: Principal,
  page: { limit: number; nextToken?: string },
): Promise<Page<Ticket>> {
  const source =
    p.role === 'operator'
      ? { index: 'GSI2' as const, partition: keys.allTickets }
      : { index: 'GSI1' as const, partition: keys.ticketsOfAccount(p.accountId) };
  const out = await listPage({ ...source, ...page });
  return { ...out, items: out.items.map(toTicket) };
}

/* ---------- approve, reject (operators; the pipeline enforces the role) ---------- */

export async function approveTicket(p: Principal, ticketId: string): Promise<Ticket> {
  const ticket = await requireTicket(p, ticketId);
  // Completed and Rejected are final, so refusing on the read is safe; an Open ticket is decided
  // by the transaction's own condition below.
  if (ticket.status !== 'Open') throw ticketStatus(ticketId, ticket.status);
  const accountId = String(ticket.accountId);
  const packageId = String(ticket.bandwidthPackageId);
  const resolvedAt = nowIso();
  const closeTicket = (resolution: string): UpdateInput => ({
    TableName: TABLE,
    Key: keys.ticket(ticketId),
    UpdateExpression:
      'SET #status = :completed, resolution = :resolution, resolvedAt = :at, resolvedBy = :by',
    // Approving twice, or approving a ticket rejected meanwhile: exactly one resolution wins.
    ConditionExpression: '#status = :open',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':completed': 'Completed',
      ':open': 'Open',
      ':resolution': resolution,
      ':at': resolvedAt,
      ':by': p.accountId,
    },
  });

  const deleted = toTicket({ ...ticket, status: 'Completed', resolution: RESOLUTION.deleted, resolvedAt });
  const outcome = await transact(
    [
      { Update: closeTicket(RESOLUTION.deleted) },
      {
        // Rule 9: delete only an unbound package with no region connections. Its binding and
        // connections cannot exist when it is Idle with connectionCount 0; its orders stay.
        Delete: {
          TableName: TABLE,
          Key: keys.bandwidthPackage(accountId, packageId),
          ConditionExpression: 'attribute_exists(PK) AND #status = :idle AND connectionCount = :zero',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':idle': 'Idle', ':zero': 0 },
        },
      },
    ],
    ([ticketReason, pkgReason]: Reason[]) => {
      if (ticketReason?.code === 'ConditionalCheckFailed') {
        if (!ticketReason.item) throw notFound('Ticket', ticketId);
        throw ticketStatus(ticketId, ticketReason.item.status);
      }
      const old = pkgReason?.item;
      if (!old) throw GONE;
      if (Number(old.connectionCount) > 0) throw connectionsLeft(packageId, Number(old.connectionCount));
      throw conflict(
        'InvalidOperation.BwpInstanceStatus',
        `Package ${packageId} is bound to CEN ${old.cenId}; it must be unbound before it can be deleted.`,
      );
    },
    { result: deleted },
  ).then(
    () => 'deleted' as const,
    (error: unknown) => {
      if (error === GONE) return 'gone' as const;
      throw error;
    },
  );
  if (outcome === 'deleted') return deleted;

  // The package no longer exists (another ticket's approval, or the expiry job released it): what
  // the ticket asked for already holds, so it completes rather than waiting in the queue forever.
  return resolve(
    ticketId,
    closeTicket(RESOLUTION.alreadyGone),
    toTicket({ ...ticket, status: 'Completed', resolution: RESOLUTION.alreadyGone, resolvedAt }),
  );
}

export async function rejectTicket(p: Principal, ticketId: string, reason?: string): Promise<Ticket> {
  const ticket = await requireTicket(p, ticketId);
  const resolvedAt = nowIso();
  const resolution = reason ?? RESOLUTION.rejected;
  return resolve(
    ticketId,
    {
      TableName: TABLE,
      Key: keys.ticket(ticketId),
      UpdateExpression:
        'SET #status = :rejected, resolution = :resolution, resolvedAt = :at, resolvedBy = :by',
      // Only an Open ticket can be rejected; a concurrent approval or rejection wins or loses whole.
      ConditionExpression: '#status = :open',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':rejected': 'Rejected',
        ':open': 'Open',
        ':resolution': resolution,
        ':at': resolvedAt,
        ':by': p.accountId,
      },
    },
    toTicket({ ...ticket, status: 'Rejected', resolution, resolvedAt }),
  );
}

/**
 * One conditional update of a ticket's resolution (a transaction, so that a lost reply is not
 * taken for a ticket resolved by someone else); the ticket as resolved, or the domain error.
 */
async function resolve(ticketId: string, update: UpdateInput, resolved: Ticket): Promise<Ticket> {
  await transact(
    [{ Update: update }],
    ([reason]) => {
      if (!reason?.item) throw notFound('Ticket', ticketId);
      throw ticketStatus(ticketId, reason.item.status);
    },
    { result: resolved },
  );
  return resolved;
}

/** An `Update` of a transaction; also sent alone by `resolve`. */
type UpdateInput = NonNullable<TransactItem['Update']>;

/** Internal signal: the package the ticket names is gone. */
const GONE = Symbol('gone');
