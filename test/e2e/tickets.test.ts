/**
 * Deletion tickets through HTTP: a tenant asks, an operator decides (rule 9). Covers who sees
 * what, the refusals that keep a ticket Open, racing approvals fired concurrently many times with
 * the table checked afterwards, and bad input on every ticket endpoint.
 */
import { describe, expect, it } from 'vitest';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { RESOLUTION } from '../../lib/tickets';
import { bindingViolations } from '../support/bindings';
import { accountItems, newTenant } from '../support/fixtures';
import { type Api, api, type Reply } from '../support/http';

const ROUNDS = 10;
const P = '/bandwidth-packages';

const codeOf = (r: Reply) => (r.status < 300 ? r.status : `${r.status} ${r.body?.code}`);

async function cen(c: Api): Promise<string> {
  const res = await c.post('/cens', { name: 'tickets' });
  expect(res.status).toBe(201);
  return res.body.cenId;
}

async function buy(c: Api, cenId?: string): Promise<string> {
  const res = await c.post(P, {
    areaA: 'China',
    areaB: 'Europe',
    bandwidthMbps: 10,
    ...(cenId ? { cenId } : {}),
  });
  expect(res.status).toBe(201);
  return res.body.bandwidthPackageId;
}

async function ticket(c: Api, bandwidthPackageId: string, reason?: string): Promise<string> {
  const res = await c.post('/tickets', { type: 'DeleteBandwidthPackage', bandwidthPackageId, reason });
  expect(res.status).toBe(201);
  return res.body.ticketId;
}

async function operatorSees(op: Api, ticketId: string): Promise<boolean> {
  let nextToken: string | undefined;
  do {
    const res = await op.get('/tickets', { query: { limit: 100, ...(nextToken ? { nextToken } : {}) } });
    expect(res.status).toBe(200);
    if (res.body.items.some((i: { ticketId: string }) => i.ticketId === ticketId)) return true;
    nextToken = res.body.nextToken;
  } while (nextToken);
  return false;
}

describe('deleting a package by ticket over HTTP', () => {
  it('walks a ticket from Open to Completed: refused while bound, approved once unbound', async () => {
    const t = await newTenant();
    const op = api((await newTenant('operator')).apiKey);
    const c = api(t.apiKey);
    const cenId = await cen(c);
    const pkg = await buy(c, cenId);
    expect((await c.post(`${P}/${pkg}/renewals`, { period: 1 })).status).toBe(200);

    const opened = await c.post('/tickets', {
      type: 'DeleteBandwidthPackage',
      bandwidthPackageId: pkg,
      reason: 'migrating',
    });
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({
      status: 'Open',
      reason: 'migrating',
      resolution: null,
      resolvedAt: null,
    });
    const id = opened.body.ticketId;
    expect((await c.get('/tickets')).body.items).toEqual([opened.body]);
    expect((await c.get(`/tickets/${id}`)).body).toEqual(opened.body);

    // Tenants cannot decide, even on their own ticket.
    expect(codeOf(await c.post(`/tickets/${id}/approve`, {}))).toBe('403 Forbidden');
    expect(codeOf(await c.post(`/tickets/${id}/reject`, {}))).toBe('403 Forbidden');

    // With a connection, then bound without one: refused, and the ticket stays Open.
    const conn = `/cens/${cenId}/region-connections`;
    expect(
      (await c.post(conn, { regionA: 'cn-shanghai', regionB: 'eu-central-1', bandwidthMbps: 2 })).status,
    ).toBe(201);
    expect(codeOf(await op.post(`/tickets/${id}/approve`, {}))).toBe(
      '409 InvalidOperation.CenBandwidthLimitsNotZero',
    );
    expect((await c.delete(`${conn}/cn-shanghai_eu-central-1`)).status).toBe(204);
    expect(codeOf(await op.post(`/tickets/${id}/approve`, {}))).toBe(
      '409 InvalidOperation.BwpInstanceStatus',
    );
    expect((await c.get(`/tickets/${id}`)).body.status).toBe('Open');
    expect((await c.get(`${P}/${pkg}`)).status).toBe(200);

    expect((await c.post(`${P}/${pkg}/unbind`, { cenId })).status).toBe(200);
    const approved = await op.post(`/tickets/${id}/approve`, {});
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'Completed', resolution: RESOLUTION.deleted });
    expect((await c.get(`/tickets/${id}`)).body).toEqual(approved.body);

    // The package is gone, its orders are not, and the CEN can now be deleted.
    expect(codeOf(await c.get(`${P}/${pkg}`))).toBe('404 NotFound.BandwidthPackage');
    expect((await c.get(`${P}/${pkg}/orders`)).body.items.map((o: any) => o.type)).toEqual([
      'Purchase',
      'Renewal',
    ]);
    expect((await c.delete(`/cens/${cenId}`)).status).toBe(204);

    expect(codeOf(await op.post(`/tickets/${id}/approve`, {}))).toBe('409 InvalidOperation.TicketStatus');
    expect(codeOf(await op.post(`/tickets/${id}/reject`, { reason: 'late' }))).toBe(
      '409 InvalidOperation.TicketStatus',
    );
    expect(await bindingViolations(t.accountId)).toEqual([]);
  });

  it("keeps tenants to their own tickets and shows operators every account's", async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const op = api((await newTenant('operator')).apiKey);
    const [ca, cb] = [api(a.apiKey), api(b.apiKey)];
    const pa = await buy(ca);
    const ta = await ticket(ca, pa);
    const tb = await ticket(cb, await buy(cb));

    expect(codeOf(await cb.get(`/tickets/${ta}`))).toBe('404 NotFound.Ticket');
    expect((await cb.get('/tickets')).body.items.map((i: any) => i.ticketId)).toEqual([tb]);
    // A ticket for another account's package is a package that does not exist.
    expect(
      codeOf(await cb.post('/tickets', { type: 'DeleteBandwidthPackage', bandwidthPackageId: pa })),
    ).toBe('404 NotFound.BandwidthPackage');

    expect((await op.get(`/tickets/${ta}`)).body.ticketId).toBe(ta);
    expect(await operatorSees(op, ta)).toBe(true);
    expect(await operatorSees(op, tb)).toBe(true);
    const rejected = await op.post(`/tickets/${ta}/reject`, { reason: 'contract runs to June' });
    expect(rejected.body).toMatchObject({ status: 'Rejected', resolution: 'contract runs to June' });
    expect((await ca.get(`/tickets/${ta}`)).body.status).toBe('Rejected');
    expect((await ca.get(`${P}/${pa}`)).status).toBe(200);
  });

  it('works with the demo operator key', async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    const id = await ticket(c, await buy(c));
    expect((await api('local-operator').post(`/tickets/${id}/approve`, {})).body.status).toBe('Completed');
  });

  it('refuses a second Open ticket for a package, and takes one again once the first is closed', async () => {
    const t = await newTenant();
    const op = api((await newTenant('operator')).apiKey);
    const c = api(t.apiKey);
    const pkg = await buy(c);
    const open = () => c.post('/tickets', { type: 'DeleteBandwidthPackage', bandwidthPackageId: pkg });
    const first = await ticket(c, pkg);
    expect(codeOf(await open())).toBe('409 InvalidOperation.TicketExists');
    expect((await op.post(`/tickets/${first}/reject`, {})).status).toBe(200);
    const second = await ticket(c, pkg);
    expect((await op.post(`/tickets/${second}/approve`, {})).status).toBe(200);
    expect(codeOf(await open())).toBe('404 NotFound.BandwidthPackage');
  });
});

describe('approval races over HTTP, the table checked after each round', () => {
  it(`resolves a ticket exactly once when approvals and a rejection race (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    const op = api((await newTenant('operator')).apiKey);
    const c = api(t.apiKey);
    for (let round = 0; round < ROUNDS; round++) {
      const pkg = await buy(c);
      const id = await ticket(c, pkg);
      const replies = await Promise.all([
        op.post(`/tickets/${id}/approve`, {}),
        op.post(`/tickets/${id}/approve`, {}),
        op.post(`/tickets/${id}/reject`, { reason: 'r' }),
      ]);
      expect(
        replies.filter((r) => r.status === 200),
        `round ${round}`,
      ).toHaveLength(1);
      for (const r of replies.filter((r) => r.status !== 200)) {
        expect(codeOf(r)).toBe('409 InvalidOperation.TicketStatus');
      }
      const stored = await getItem(keys.ticket(id));
      const pkgItem = await getItem(keys.bandwidthPackage(t.accountId, pkg));
      if (stored?.status === 'Completed') expect(pkgItem, `round ${round}`).toBeUndefined();
      else expect(pkgItem, `round ${round}`).toBeDefined();
      expect(replies.find((r) => r.status === 200)!.body.status).toBe(stored?.status);
    }
  });

  it(`never both deletes a package and binds it, nor leaves a binding behind (${ROUNDS} rounds)`, async () => {
    const t = await newTenant();
    const op = api((await newTenant('operator')).apiKey);
    const c = api(t.apiKey);
    for (let round = 0; round < ROUNDS; round++) {
      const cenId = await cen(c);
      const pkg = await buy(c);
      const id = await ticket(c, pkg);
      const [approved, bound] = await Promise.all([
        op.post(`/tickets/${id}/approve`, {}),
        c.post(`${P}/${pkg}/bind`, { cenId }),
      ]);
      const outcome = [codeOf(approved), codeOf(bound)];
      expect(
        [
          [200, '404 NotFound.BandwidthPackage'],
          ['409 InvalidOperation.BwpInstanceStatus', 200],
        ],
        `round ${round}`,
      ).toContainEqual(outcome);
      expect((await c.get(`/tickets/${id}`)).body.status).toBe(
        approved.status === 200 ? 'Completed' : 'Open',
      );
      expect(await bindingViolations(t.accountId), `round ${round}`).toEqual([]);
    }
  });
});

describe('bad input on the ticket endpoints changes nothing', () => {
  const absentTicket = 'ticket-01m832qx643gx8w8vz4pa1hw8p';
  const body = (extra: Record<string, unknown>) => ({
    type: 'DeleteBandwidthPackage',
    bandwidthPackageId: '{pkg}',
    ...extra,
  });
  // [name, caller, method, path ({ticket}), body (string = raw), status, code]
  const cases: [string, 'tenant' | 'operator', string, string, unknown, number, string][] = [
    ['malformed JSON', 'tenant', 'POST', '/tickets', '{"type":', 400, 'InvalidParameter'],
    ['an array', 'tenant', 'POST', '/tickets', '[]', 400, 'InvalidParameter'],
    [
      'another ticket type',
      'tenant',
      'POST',
      '/tickets',
      body({ type: 'DeleteCen' }),
      400,
      'InvalidParameter.Type',
    ],
    ['no type', 'tenant', 'POST', '/tickets', { bandwidthPackageId: '{pkg}' }, 400, 'InvalidParameter.Type'],
    [
      'no package',
      'tenant',
      'POST',
      '/tickets',
      { type: 'DeleteBandwidthPackage' },
      400,
      'InvalidParameter.BandwidthPackageId',
    ],
    [
      'a numeric package id',
      'tenant',
      'POST',
      '/tickets',
      body({ bandwidthPackageId: 3 }),
      400,
      'InvalidParameter.BandwidthPackageId',
    ],
    [
      'a reason too long',
      'tenant',
      'POST',
      '/tickets',
      body({ reason: 'r'.repeat(257) }),
      400,
      'InvalidParameter.Reason',
    ],
    [
      'a status in the body',
      'tenant',
      'POST',
      '/tickets',
      body({ status: 'Completed' }),
      400,
      'InvalidParameter',
    ],
    [
      'a body over 16 KiB',
      'tenant',
      'POST',
      '/tickets',
      body({ reason: 'x'.repeat(17_000) }),
      413,
      'RequestTooLarge',
    ],
    [
      'an absent package',
      'tenant',
      'POST',
      '/tickets',
      body({ bandwidthPackageId: 'cenbwp-01m832qx643gx8w8vz4pa1hw8p' }),
      404,
      'NotFound.BandwidthPackage',
    ],
    [
      'a malformed package id',
      'tenant',
      'POST',
      '/tickets',
      body({ bandwidthPackageId: '../../x' }),
      404,
      'NotFound.BandwidthPackage',
    ],
    ['limit 0', 'tenant', 'GET', '/tickets?limit=0', undefined, 400, 'InvalidParameter.Limit'],
    ['a status filter', 'operator', 'GET', '/tickets?status=Open', undefined, 400, 'InvalidParameter'],
    [
      'a forged nextToken',
      'operator',
      'GET',
      '/tickets?nextToken=eyJQSyI6IngifQ',
      undefined,
      400,
      'InvalidParameter.NextToken',
    ],
    ['a malformed ticket id', 'tenant', 'GET', '/tickets/ticket-1', undefined, 404, 'NotFound.Ticket'],
    ['an absent ticket', 'operator', 'GET', `/tickets/${absentTicket}`, undefined, 404, 'NotFound.Ticket'],
    ["another account's ticket", 'tenant', 'GET', '/tickets/{foreign}', undefined, 404, 'NotFound.Ticket'],
    ['a tenant approving', 'tenant', 'POST', '/tickets/{ticket}/approve', {}, 403, 'Forbidden'],
    ['a tenant rejecting', 'tenant', 'POST', '/tickets/{ticket}/reject', { reason: 'x' }, 403, 'Forbidden'],
    [
      'an approval with a body',
      'operator',
      'POST',
      '/tickets/{ticket}/approve',
      { force: true },
      400,
      'InvalidParameter',
    ],
    [
      'an approval of malformed JSON',
      'operator',
      'POST',
      '/tickets/{ticket}/approve',
      '{',
      400,
      'InvalidParameter',
    ],
    [
      'approving an absent ticket',
      'operator',
      'POST',
      `/tickets/${absentTicket}/approve`,
      {},
      404,
      'NotFound.Ticket',
    ],
    ['approving a malformed ticket id', 'operator', 'POST', '/tickets/x/approve', {}, 404, 'NotFound.Ticket'],
    [
      'approving a bound package',
      'operator',
      'POST',
      '/tickets/{bound}/approve',
      {},
      409,
      'InvalidOperation.BwpInstanceStatus',
    ],
    [
      'a rejection reason too long',
      'operator',
      'POST',
      '/tickets/{ticket}/reject',
      { reason: 'r'.repeat(257) },
      400,
      'InvalidParameter.Reason',
    ],
    [
      'a numeric rejection reason',
      'operator',
      'POST',
      '/tickets/{ticket}/reject',
      { reason: 1 },
      400,
      'InvalidParameter.Reason',
    ],
    [
      'rejecting an absent ticket',
      'operator',
      'POST',
      `/tickets/${absentTicket}/reject`,
      {},
      404,
      'NotFound.Ticket',
    ],
    [
      'a bad Idempotency-Key',
      'tenant',
      'POST',
      '/tickets',
      body({}),
      400,
      'InvalidParameter.Idempotency-Key',
    ],
  ];

  it.each(cases)('refuses %s', async (name, caller, method, path, sent, status, code) => {
    const t = await newTenant();
    const stranger = await newTenant();
    const c = api(t.apiKey);
    const cenId = await cen(c);
    const pkg = await buy(c);
    const bound = await buy(c, cenId);
    const ids = {
      ticket: await ticket(c, pkg),
      bound: await ticket(c, bound),
      foreign: await ticket(api(stranger.apiKey), await buy(api(stranger.apiKey))),
    };
    const fill = (s: string) =>
      s
        .replace('{pkg}', pkg)
        .replace('{ticket}', ids.ticket)
        .replace('{bound}', ids.bound)
        .replace('{foreign}', ids.foreign);
    const who = caller === 'operator' ? api((await newTenant('operator')).apiKey) : c;
    const before = await accountItems(t.accountId);
    const strangerBefore = await accountItems(stranger.accountId);
    const headers: Record<string, string> =
      name === 'a bad Idempotency-Key' ? { 'Idempotency-Key': 'k'.repeat(65) } : {};
    const res = await who.send(method, fill(path), {
      headers,
      ...(typeof sent === 'string'
        ? { rawBody: sent }
        : sent === undefined
          ? {}
          : { rawBody: fill(JSON.stringify(sent)) }),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.message).toEqual(expect.any(String));
    expect(await accountItems(t.accountId)).toEqual(before);
    expect(await accountItems(stranger.accountId)).toEqual(strangerBefore);
  });
});
