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
import { type Reason, TABLE, type TransactItem, transact } from './db/client';
import { getItem, type Item, pick } from './db/items';
import { keys } from './db/keys';
import { listPage, type Page } from './db/list';
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
  for (let attempt = 1; ; attempt++) {
    const pkg = await getItem(keys.bandwidthPackage(p.accountId, packageId));
    if (!pkg) throw notFound('BandwidthPackage', packageId);
    const previous = typeof pkg.openTicketId === 'string' ? pkg.openTicketId : undefined;
    const replaced = await transact(
      [
        {
          // Only for a package of the caller's own account that exists now, and still names the
          // ticket read above (or none).
          Update: {
            TableName: TABLE,
            Key: keys.bandwidthPackage(p.accountId, packageId),
            UpdateExpression: 'SET openTicketId = :ticketId',
            ConditionExpression: previous
              ? 'attribute_exists(PK) AND openTicketId = :previous'
              : 'attribute_exists(PK) AND attribute_not_exists(openTicketId)',
            ExpressionAttributeValues: {
              ':ticketId': ticketId,
              ...(previous ? { ':previous': previous } : {}),
            },
          },
        },
        { Put: { TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
        ...(previous ? [previousTicketClosed(previous)] : []),
      ],
      ([pkgReason, ticketReason, previousReason]) => {
        if (pkgReason?.code === 'ConditionalCheckFailed') {
          if (!pkgReason.item) throw notFound('BandwidthPackage', packageId);
          throw RACED;
        }
        if (previousReason?.code === 'ConditionalCheckFailed') throw ticketExists(packageId, previous);
        // The new ticket id was taken: nothing was written; a 503 lets the retry run again.
        if (ticketReason?.code === 'ConditionalCheckFailed')
          throw serviceUnavailable('The ticket could not be created; retry it.');
        throw RACED;
      },
      { result: toTicket(item) },
    ).then(
      () => true,
      (error: unknown) => {
        if (error === RACED && attempt < CREATE_ATTEMPTS) return false;
        if (error === RACED) throw ticketExists(packageId, undefined);
        throw error;
      },
    );
    if (replaced) return toTicket(item);
  }
}

/** Re-reads of the package when another ticket for it was created meanwhile. */
const CREATE_ATTEMPTS = 4;
/** Internal signal: the package's latest ticket changed between the read and the write. */
const RACED = Symbol('raced');

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
      // Rule 12: a deleted package no longer counts against its account's quota.
      giveBackQuota(accountId, 'bandwidthPackages'),
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
