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
 * - create: an update of the package (it exists, and its latest ticket is not Open: rule 12's one
 *   Open ticket per package), with the ticket `Put`, so no ticket is ever written for a package
 *   that a concurrent approval or release just deleted;
 * - approve: ONE transaction, ticket `Open → Completed` (condition `status = Open`) and the
 *   package `Delete` (condition `status = Idle AND connectionCount = 0`); a bind racing with it
 *   either commits first (and the approval is refused) or finds no package (and is 404). The
 *   package's orders are other items and stay;
 * - reject: one conditional update, `status = Open`.
 */
import { giveBackQuota } from './accounts';
import type { Principal } from './auth';
import { optimistic, RETRY, TABLE, type TransactItem, transact } from './db/client';
import { and, expr, updateOf } from './db/expression';
import { type Item, parsed, pick, readItem } from './db/items';
import { keys } from './db/keys';
import { listPage, type Page } from './db/list';
import { deleteIdle, exists, StoredPackage } from './entities/package';
import { StoredTicket } from './entities/ticket';
import { conflict, notFound, serviceUnavailable } from './errors';
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
  // Rule 12: at most one Open ticket per package. The package names its latest ticket
  // (`openTicketId`); a new one replaces it only if that ticket is no longer Open, both checked in
  // the transaction that writes the new ticket. A concurrent create that replaced it first makes
  // the condition false and this one looks again. Tickets only leave `Open`, never return to it,
  // so approval and rejection need not touch the package.
  return optimistic(async () => {
    const pkg = await readItem(keys.bandwidthPackage(p.accountId, packageId), StoredPackage);
    if (!pkg) throw notFound('BandwidthPackage', packageId);
    const previous = pkg.openTicketId;
    const condition = and(
      exists(),
      previous
        ? expr('openTicketId = :previous', { ':previous': previous })
        : expr('attribute_not_exists(openTicketId)'),
    );
    await transact(
      {
        // Only for a package of the caller's own account that exists now, and still names the
        // ticket read above (or none).
        pkg: {
          Update: updateOf(
            TABLE,
            keys.bandwidthPackage(p.accountId, packageId),
            { set: [expr('openTicketId = :ticketId', { ':ticketId': ticketId })] },
            condition,
          ),
        },
        ticket: { Put: { TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
        ...(previous ? { previous: previousTicketClosed(previous) } : {}),
      },
      (reasons) => {
        if (reasons.pkg.code === 'ConditionalCheckFailed') {
          if (!reasons.pkg.item) throw notFound('BandwidthPackage', packageId);
          // The package's latest ticket changed between the read and the write: read again.
          throw RETRY;
        }
        if (reasons.previous?.code === 'ConditionalCheckFailed') throw ticketExists(packageId, previous);
        // The new ticket id was taken: nothing was written; a 503 lets the retry run again.
        throw serviceUnavailable('The ticket could not be created; retry it.');
      },
      { result: toTicket(item) },
    );
    return toTicket(item);
  });
}

const previousTicketClosed = (ticketId: string): TransactItem => ({
  ConditionCheck: {
    TableName: TABLE,
    Key: keys.ticket(ticketId),
    ConditionExpression: 'attribute_not_exists(PK) OR #status <> :open',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':open': 'Open' },
  },
});

const ticketExists = (packageId: string, ticketId: string | undefined) =>
  conflict(
    'InvalidOperation.TicketExists',
    `Package ${packageId} already has an Open deletion ticket${ticketId ? ` (${ticketId})` : ''}.`,
  );

/* ---------- read ---------- */

/** The ticket if the caller may see it: operators see every account's, tenants only their own. */
async function requireTicket(p: Principal, ticketId: string): Promise<StoredTicket> {
  const item = await readItem(keys.ticket(ticketId), StoredTicket);
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
  const accountId = ticket.accountId;
  const packageId = ticket.bandwidthPackageId;
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
    {
      ticket: { Update: closeTicket(RESOLUTION.deleted) },
      // Rule 9: delete only an unbound package with no region connections (they live in its
      // item: none when connectionCount is 0); its binding cannot exist when it is Idle; its
      // orders stay.
      pkg: deleteIdle({ accountId, bandwidthPackageId: packageId }),
      // Rule 12: a deleted package no longer counts against its account's quota.
      quota: giveBackQuota(accountId, 'bandwidthPackages'),
    },
    ({ ticket: ticketReason, pkg: pkgReason }) => {
      if (ticketReason.code === 'ConditionalCheckFailed') {
        if (!ticketReason.item) throw notFound('Ticket', ticketId);
        throw ticketStatus(ticketId, ticketReason.item.status);
      }
      const old = parsed(StoredPackage, pkgReason.item);
      if (!old) throw GONE;
      if (old.connectionCount > 0) throw connectionsLeft(packageId, old.connectionCount);
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
    { ticket: { Update: update } },
    ({ ticket }) => {
      if (!ticket.item) throw notFound('Ticket', ticketId);
      throw ticketStatus(ticketId, ticket.item.status);
    },
    { result: resolved },
  );
  return resolved;
}

/** An `Update` of a transaction; also sent alone by `resolve`. */
type UpdateInput = NonNullable<TransactItem['Update']>;

/** Internal signal: the package the ticket names is gone. */
const GONE = Symbol('gone');
