/**
 * Deletion tickets (rule 9), handlers called directly against DynamoDB Local: who sees which
 * ticket, who may resolve it, and what approval does to the table: one transaction that closes the
 * ticket and deletes the package, or changes nothing.
 */
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { handler as approveTicket } from '../../functions/approveTicket';
import { handler as bindPackage } from '../../functions/bindPackage';
import { handler as createCen } from '../../functions/createCen';
import { handler as createConnection } from '../../functions/createConnection';
import { handler as createPackage } from '../../functions/createPackage';
import { handler as createTicket } from '../../functions/createTicket';
import { handler as deleteConnection } from '../../functions/deleteConnection';
import { handler as getPackage } from '../../functions/getPackage';
import { handler as getTicket } from '../../functions/getTicket';
import { handler as listOrders } from '../../functions/listOrders';
import { handler as listTickets } from '../../functions/listTickets';
import { handler as rejectTicket } from '../../functions/rejectTicket';
import { handler as unbindPackage } from '../../functions/unbindPackage';
import { db, OPTIMISTIC, TABLE } from '../../lib/db/client';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { RESOLUTION } from '../../lib/tickets';
import { bindingViolations } from '../support/bindings';
import { injectTransactionConflicts } from '../support/conflicts';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { invoke } from '../support/invoke';

const ROUNDS = 10;

/* ---------- fixtures ---------- */

async function newCen(t: Tenant): Promise<string> {
  const res = await invoke(createCen, { apiKey: t.apiKey, method: 'POST', body: { name: 'tickets' } });
  expect(res.status).toBe(201);
  return res.body.cenId;
}

async function buy(t: Tenant, cenId?: string, areas: [string, string] = ['China', 'Europe']) {
  const res = await invoke(createPackage, {
    apiKey: t.apiKey,
    method: 'POST',
    body: { areaA: areas[0], areaB: areas[1], bandwidthMbps: 10, ...(cenId ? { cenId } : {}) },
  });
  expect(res.status).toBe(201);
  return res.body.bandwidthPackageId as string;
}

const open = (t: Tenant, bandwidthPackageId: string, reason?: string) =>
  invoke(createTicket, {
    apiKey: t.apiKey,
    method: 'POST',
    body: { type: 'DeleteBandwidthPackage', bandwidthPackageId, ...(reason ? { reason } : {}) },
  });

async function ticketFor(t: Tenant, pkg: string): Promise<string> {
  const res = await open(t, pkg);
  expect(res.status).toBe(201);
  return res.body.ticketId;
}

const get = (who: Tenant, ticketId: string) =>
  invoke(getTicket, { apiKey: who.apiKey, params: { ticketId } });
const list = (who: Tenant, query: Record<string, string> = {}) =>
  invoke(listTickets, { apiKey: who.apiKey, query });
const approve = (who: Tenant, ticketId: string) =>
  invoke(approveTicket, { apiKey: who.apiKey, method: 'POST', params: { ticketId }, body: {} });
const reject = (who: Tenant, ticketId: string, reason?: string) =>
  invoke(rejectTicket, {
    apiKey: who.apiKey,
    method: 'POST',
    params: { ticketId },
    body: reason ? { reason } : {},
  });
const pkgItem = (t: Tenant, pkg: string) => getItem(keys.bandwidthPackage(t.accountId, pkg));
const ticketItem = (ticketId: string) => getItem(keys.ticket(ticketId));

/** Approval refused with `code`: a 409, and nothing of the account changed (the ticket stays Open). */
async function expectApprovalRefused(operator: Tenant, t: Tenant, ticketId: string, code: string) {
  const before = await accountItems(t.accountId);
  const res = await approve(operator, ticketId);
  expect(res.status).toBe(409);
  expect(res.body.code).toBe(code);
  expect(await accountItems(t.accountId)).toEqual(before);
}

/** Every ticket id a caller can list, all pages. */
async function allListed(who: Tenant): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const res = await list(who, { limit: '100', ...(nextToken ? { nextToken } : {}) });
    expect(res.status).toBe(200);
    ids.push(...res.body.items.map((i: { ticketId: string }) => i.ticketId));
    nextToken = res.body.nextToken;
  } while (nextToken);
  return ids;
}

/* ---------- create and read ---------- */

describe('opening a ticket', () => {
  it('stores an Open DeleteBandwidthPackage ticket in the global and the account index', async () => {
    const t = await newTenant();
    const pkg = await buy(t);
    const res = await open(t, pkg, 'no longer needed');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      ticketId: expect.stringMatching(/^ticket-[0-9a-z]{26}$/),
      type: 'DeleteBandwidthPackage',
      bandwidthPackageId: pkg,
      status: 'Open',
      reason: 'no longer needed',
      resolution: null,
      createdAt: expect.any(String),
      resolvedAt: null,
    });
    expect(await ticketItem(res.body.ticketId)).toMatchObject({
      entity: 'Ticket',
      accountId: t.accountId,
      GSI1PK: keys.ticketsOfAccount(t.accountId),
      GSI2PK: keys.allTickets,
    });
    // Opening a ticket changes nothing about the package.
    expect((await pkgItem(t, pkg))?.status).toBe('Idle');
  });

  it('accepts a ticket for a bound package (approval is what checks the state)', async () => {
    const t = await newTenant();
    const pkg = await buy(t, await newCen(t));
    expect((await open(t, pkg)).status).toBe(201);
  });

  it("404s a package that is absent, malformed or another account's, and writes nothing", async () => {
    const t = await newTenant();
    const other = await newTenant();
    const theirs = await buy(other);
    for (const pkg of [theirs, 'cenbwp-01m832qx643gx8w8vz4pa1hw8p', 'cen-01m832qx643gx8w8vz4pa1hw8p', 'x']) {
      const res = await open(t, pkg);
      expect(res.status, pkg).toBe(404);
      expect(res.body.code).toBe('NotFound.BandwidthPackage');
    }
    expect(await accountItems(t.accountId)).toEqual([]);
    expect(await allListed(t)).toEqual([]);
  });

  it('refuses another ticket type, a missing package id and a reason over 256 characters', async () => {
    const t = await newTenant();
    const pkg = await buy(t);
    const before = await accountItems(t.accountId);
    for (const [body, code] of [
      [{ type: 'DeleteCen', bandwidthPackageId: pkg }, 'InvalidParameter.Type'],
      [{ bandwidthPackageId: pkg }, 'InvalidParameter.Type'],
      [{ type: 'DeleteBandwidthPackage' }, 'InvalidParameter.BandwidthPackageId'],
      [
        { type: 'DeleteBandwidthPackage', bandwidthPackageId: pkg, reason: 'r'.repeat(257) },
        'InvalidParameter.Reason',
      ],
      [{ type: 'DeleteBandwidthPackage', bandwidthPackageId: pkg, status: 'Completed' }, 'InvalidParameter'],
    ] as const) {
      const res = await invoke(createTicket, { apiKey: t.apiKey, method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe(code);
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});

describe('reading tickets', () => {
  it("shows a tenant its own tickets only: another account's is 404, to get and in lists", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const ta = await ticketFor(a, await buy(a));
    const tb = await ticketFor(b, await buy(b));
    expect((await get(a, ta)).body).toMatchObject({ ticketId: ta, status: 'Open' });
    const foreign = await get(a, tb);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('NotFound.Ticket');
    expect(await allListed(a)).toEqual([ta]);
    expect(await allListed(b)).toEqual([tb]);
  });

  it("shows an operator every account's tickets, oldest first", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const operator = await newTenant('operator');
    const ta = await ticketFor(a, await buy(a));
    const tb = await ticketFor(b, await buy(b));
    expect((await get(operator, tb)).body).toMatchObject({ ticketId: tb, status: 'Open' });
    const ids = await allListed(operator);
    expect(ids).toEqual(expect.arrayContaining([ta, tb]));
    expect(ids.indexOf(ta)).toBeLessThan(ids.indexOf(tb));
    expect([...ids].sort()).toEqual(ids);
  });

  it('pages through a tenant’s tickets without skipping or repeating', async () => {
    const t = await newTenant();
    const ids: string[] = [];
    // One Open ticket per package (rule 12): five packages.
    for (let i = 0; i < 5; i++) ids.push(await ticketFor(t, await buy(t)));
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const res = await list(t, { limit: '2', ...(nextToken ? { nextToken } : {}) });
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((i: { ticketId: string }) => i.ticketId));
      nextToken = res.body.nextToken;
    } while (nextToken);
    expect(seen).toEqual(ids);
  });

  it('404s an absent ticket, for operators too', async () => {
    const operator = await newTenant('operator');
    const res = await get(operator, 'ticket-01m832qx643gx8w8vz4pa1hw8p');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NotFound.Ticket');
  });
});

/* ---------- approve ---------- */

describe('approving a ticket (rule 9)', () => {
  it('deletes an unbound package without connections and completes the ticket; the orders stay', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const pkg = await buy(t);
    const ticketId = await ticketFor(t, pkg);
    const res = await approve(operator, ticketId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ticketId, status: 'Completed', resolution: RESOLUTION.deleted });
    expect(res.body.resolvedAt).toEqual(expect.any(String));
    expect(await pkgItem(t, pkg)).toBeUndefined();
    expect(await ticketItem(ticketId)).toMatchObject({ status: 'Completed', resolvedBy: operator.accountId });
    // The tenant sees the outcome; the package is gone, its orders are not.
    expect((await get(t, ticketId)).body).toEqual(res.body);
    expect((await invoke(getPackage, { apiKey: t.apiKey, params: { bandwidthPackageId: pkg } })).status).toBe(
      404,
    );
    const orders = await invoke(listOrders, { apiKey: t.apiKey, params: { bandwidthPackageId: pkg } });
    expect(orders.status).toBe(200);
    expect(orders.body.items.map((o: { type: string }) => o.type)).toEqual(['Purchase']);
  });

  it('is reserved to operators: 403 Forbidden for tenants, their own tickets included', async () => {
    const t = await newTenant();
    const pkg = await buy(t);
    const ticketId = await ticketFor(t, pkg);
    const before = await accountItems(t.accountId);
    for (const res of [await approve(t, ticketId), await reject(t, ticketId)]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('Forbidden');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('refuses a bound package without connections (BwpInstanceStatus); the ticket stays Open', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const cenId = await newCen(t);
    const pkg = await buy(t, cenId);
    const ticketId = await ticketFor(t, pkg);
    await expectApprovalRefused(operator, t, ticketId, 'InvalidOperation.BwpInstanceStatus');

    // Unbound, the same ticket goes through.
    const unbound = await invoke(unbindPackage, {
      apiKey: t.apiKey,
      method: 'POST',
      params: { bandwidthPackageId: pkg },
      body: { cenId },
    });
    expect(unbound.status).toBe(200);
    expect((await approve(operator, ticketId)).body.status).toBe('Completed');
    expect(await pkgItem(t, pkg)).toBeUndefined();
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });

  it('refuses a package with connections (CenBandwidthLimitsNotZero); the ticket stays Open', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const cenId = await newCen(t);
    const pkg = await buy(t, cenId);
    const conn = await invoke(createConnection, {
      apiKey: t.apiKey,
      method: 'POST',
      params: { cenId },
      body: { regionA: 'cn-beijing', regionB: 'eu-west-1', bandwidthMbps: 3 },
    });
    expect(conn.status).toBe(201);
    const ticketId = await ticketFor(t, pkg);
    await expectApprovalRefused(operator, t, ticketId, 'InvalidOperation.CenBandwidthLimitsNotZero');
    const deleted = await invoke(deleteConnection, {
      apiKey: t.apiKey,
      method: 'DELETE',
      params: { cenId, connectionId: 'cn-beijing_eu-west-1' },
    });
    expect(deleted.status).toBe(204);
    // Still bound: now the binding is what stands in the way.
    expect((await approve(operator, ticketId)).body.code).toBe('InvalidOperation.BwpInstanceStatus');
  });

  it('decides on connectionCount, whatever else the package looks like (simulated connections on an Idle item)', async () => {
    // connectionCount is what the condition reads; set it directly to prove that it is checked by
    // DynamoDB and not inferred from the status.
    const t = await newTenant();
    const operator = await newTenant('operator');
    const pkg = await buy(t);
    await db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: keys.bandwidthPackage(t.accountId, pkg),
        UpdateExpression: 'SET connectionCount = :one, allocatedMbps = :two, remainingMbps = :eight',
        ExpressionAttributeValues: { ':one': 1, ':two': 2, ':eight': 8 },
      }),
    );
    const ticketId = await ticketFor(t, pkg);
    const res = await approve(operator, ticketId);
    expect(res.body.code).toBe('InvalidOperation.CenBandwidthLimitsNotZero');
    expect((await ticketItem(ticketId))?.status).toBe('Open');
    expect(await pkgItem(t, pkg)).toBeDefined();
  });

  it('deletes an expired, unbound package', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const pkg = await buy(t);
    await db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: keys.bandwidthPackage(t.accountId, pkg),
        UpdateExpression: 'SET businessStatus = :e, expiredAt = :at',
        ExpressionAttributeValues: { ':e': 'Expired', ':at': new Date().toISOString() },
      }),
    );
    expect((await approve(operator, await ticketFor(t, pkg))).body.status).toBe('Completed');
    expect(await pkgItem(t, pkg)).toBeUndefined();
  });

  it('refuses to approve twice, or a rejected ticket (InvalidOperation.TicketStatus)', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const done = await ticketFor(t, await buy(t));
    expect((await approve(operator, done)).status).toBe(200);
    const rejected = await ticketFor(t, await buy(t));
    expect((await reject(operator, rejected)).status).toBe(200);
    const before = await accountItems(t.accountId);
    for (const [op, ticketId] of [
      [approve, done],
      [reject, done],
      [approve, rejected],
      [reject, rejected],
    ] as const) {
      const res = await op(operator, ticketId);
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('InvalidOperation.TicketStatus');
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });

  it('completes a ticket whose package is already gone, without touching anything else', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const pkg = await buy(t);
    const ticketId = await ticketFor(t, pkg);
    // Gone as the expiry job's release leaves it: the package item deleted, its orders kept.
    await db.send(new DeleteCommand({ TableName: TABLE, Key: keys.bandwidthPackage(t.accountId, pkg) }));
    const res = await approve(operator, ticketId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'Completed', resolution: RESOLUTION.alreadyGone });
    // A ticket for the package can no longer be opened.
    expect((await open(t, pkg)).body.code).toBe('NotFound.BandwidthPackage');
  });

  it('404s an absent ticket', async () => {
    const operator = await newTenant('operator');
    for (const op of [approve, reject]) {
      const res = await op(operator, 'ticket-01m832qx643gx8w8vz4pa1hw8p');
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NotFound.Ticket');
    }
  });
});

describe('approval races (handlers in parallel)', () => {
  it(`completes a ticket approved twice at once exactly once (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    for (let round = 0; round < ROUNDS; round++) {
      const pkg = await buy(t);
      const ticketId = await ticketFor(t, pkg);
      const replies = await Promise.all([approve(operator, ticketId), approve(operator, ticketId)]);
      expect(replies.map((r) => r.status).sort(), `round ${round}`).toEqual([200, 409]);
      expect(replies.find((r) => r.status === 409)!.body.code).toBe('InvalidOperation.TicketStatus');
      expect(await pkgItem(t, pkg)).toBeUndefined();
    }
  });

  it(`lets exactly one of an approval and a rejection resolve a ticket (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    for (let round = 0; round < ROUNDS; round++) {
      const pkg = await buy(t);
      const ticketId = await ticketFor(t, pkg);
      const [approved, rejected] = await Promise.all([
        approve(operator, ticketId),
        reject(operator, ticketId, 'no'),
      ]);
      expect([approved.status, rejected.status].sort(), `round ${round}`).toEqual([200, 409]);
      const stored = await ticketItem(ticketId);
      if (approved.status === 200) {
        expect(stored).toMatchObject({ status: 'Completed', resolution: RESOLUTION.deleted });
        expect(await pkgItem(t, pkg)).toBeUndefined();
      } else {
        expect(stored).toMatchObject({ status: 'Rejected', resolution: 'no' });
        expect(await pkgItem(t, pkg)).toBeDefined();
      }
    }
  });

  it(`never both deletes a package and binds it (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    for (let round = 0; round < ROUNDS; round++) {
      const cenId = await newCen(t);
      const pkg = await buy(t);
      const ticketId = await ticketFor(t, pkg);
      const [approved, bound] = await Promise.all([
        approve(operator, ticketId),
        invoke(bindPackage, {
          apiKey: t.apiKey,
          method: 'POST',
          params: { bandwidthPackageId: pkg },
          body: { cenId },
        }),
      ]);
      const stored = await pkgItem(t, pkg);
      if (approved.status === 200) {
        expect(bound.body.code, `round ${round}`).toBe('NotFound.BandwidthPackage');
        expect(stored).toBeUndefined();
      } else {
        expect(bound.status, `round ${round}`).toBe(200);
        expect(approved.body.code).toBe('InvalidOperation.BwpInstanceStatus');
        expect(stored).toMatchObject({ status: 'InUse', cenId });
        expect((await ticketItem(ticketId))?.status).toBe('Open');
      }
    }
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });
});

describe('approval is one transaction', () => {
  it('writes nothing when the transaction cannot commit (conflicts outlast the retry budget)', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const pkg = await buy(t);
    const ticketId = await ticketFor(t, pkg);
    const before = await accountItems(t.accountId);
    const injection = injectTransactionConflicts(OPTIMISTIC.attempts);
    try {
      const res = await approve(operator, ticketId);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('ServiceUnavailable');
    } finally {
      injection.remove();
    }
    expect(injection.injected).toBe(OPTIMISTIC.attempts);
    // Neither half happened: the ticket is Open and the package is there.
    expect(await accountItems(t.accountId)).toEqual(before);
    expect((await approve(operator, ticketId)).body.status).toBe('Completed');
  });
});

/* ---------- reject ---------- */

describe('rejecting a ticket', () => {
  it('keeps the package and records the reason, or a default, as the resolution', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const pkg = await buy(t);
    const withReason = await ticketFor(t, pkg);
    const res = await reject(operator, withReason, 'still has a contract');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'Rejected', resolution: 'still has a contract' });
    expect(res.body.resolvedAt).toEqual(expect.any(String));
    const plain = await ticketFor(t, pkg);
    expect((await reject(operator, plain)).body).toMatchObject({
      status: 'Rejected',
      resolution: RESOLUTION.rejected,
    });
    expect(await pkgItem(t, pkg)).toBeDefined();
    expect((await get(t, withReason)).body.status).toBe('Rejected');
  });

  it('refuses a reason over 256 characters and an unknown field', async () => {
    const t = await newTenant();
    const operator = await newTenant('operator');
    const ticketId = await ticketFor(t, await buy(t));
    const before = await accountItems(t.accountId);
    for (const body of [{ reason: 'r'.repeat(257) }, { reason: 'x', status: 'Completed' }, { reason: 5 }]) {
      const res = await invoke(rejectTicket, {
        apiKey: operator.apiKey,
        method: 'POST',
        params: { ticketId },
        body,
      });
      expect(res.status).toBe(400);
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});
