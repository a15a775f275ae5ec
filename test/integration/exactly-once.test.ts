/**
 * Exactly once (SPEC §3): a write sent with an Idempotency-Key takes effect at most once however
 * its first attempt ended, and a write the SDK resent after a lost reply reports the outcome of
 * the attempt that took effect. Faults are injected AFTER the commit (test/support/conflicts.ts):
 * the write is in DynamoDB Local, and the request fails or its reply is lost.
 */
import { describe, expect, it } from 'vitest';
import { handler as approveTicket } from '../../functions/approveTicket';
import { handler as attachNetwork } from '../../functions/attachNetwork';
import { handler as bindPackage } from '../../functions/bindPackage';
import { handler as changePackageBandwidth } from '../../functions/changePackageBandwidth';
import { handler as createCen } from '../../functions/createCen';
import { handler as createConnection } from '../../functions/createConnection';
import { handler as createPackage } from '../../functions/createPackage';
import { handler as createTicket } from '../../functions/createTicket';
import { handler as deleteCen } from '../../functions/deleteCen';
import { handler as deleteConnection } from '../../functions/deleteConnection';
import { handler as rejectTicket } from '../../functions/rejectTicket';
import { handler as renewPackage } from '../../functions/renewPackage';
import { handler as unbindPackage } from '../../functions/unbindPackage';
import { handler as updateConnection } from '../../functions/updateConnection';
import { handler as updatePackage } from '../../functions/updatePackage';
import { completesKeyedRequest, injectAfterCommit } from '../support/conflicts';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { type Invocation, invoke } from '../support/invoke';
import { connectionsIn } from '../support/stored';

type Handler = Parameters<typeof invoke>[0];
type Reply = { status: number; body: any };

const call = (handler: Handler, t: Tenant, c: Invocation, key?: string) =>
  invoke(handler, {
    apiKey: t.apiKey,
    method: 'POST',
    ...c,
    headers: { ...c.headers, ...(key ? { 'idempotency-key': key } : {}) },
  });

const ok = (r: Reply): any => {
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
  return r.body;
};

/** The account's items of one entity (orders of one type too), as counted in the table. */
async function count(t: Tenant, entity: string, type?: string): Promise<number> {
  return (await accountItems(t.accountId)).filter((i) => i.entity === entity && (!type || i.type === type))
    .length;
}

async function cenOf(t: Tenant): Promise<string> {
  return ok(await call(createCen, t, { body: { name: 'x1' } })).cenId;
}

async function packageOf(t: Tenant, cenId?: string): Promise<string> {
  const body = { areaA: 'China', areaB: 'China', bandwidthMbps: 10, ...(cenId ? { cenId } : {}) };
  return ok(await call(createPackage, t, { body })).bandwidthPackageId;
}

interface Case {
  name: string;
  /** Arranges the world; returns the keyed request and the measure of its effect. */
  arrange(
    t: Tenant,
    operator: Tenant,
  ): Promise<{ send: (key: string) => Promise<Reply>; effect: () => Promise<unknown> }>;
}

const cases: Case[] = [
  {
    name: 'createCen',
    arrange: async (t) => ({
      send: (key) => call(createCen, t, { body: { name: 'once' } }, key),
      effect: () => count(t, 'Cen'),
    }),
  },
  {
    name: 'attachNetwork',
    arrange: async (t) => {
      const cenId = await cenOf(t);
      const body = { networkId: 'vpc-once', networkType: 'VPC', regionId: 'cn-hangzhou' };
      return {
        send: (key) => call(attachNetwork, t, { params: { cenId }, body }, key),
        effect: () => count(t, 'Network'),
      };
    },
  },
  {
    name: 'createPackage',
    arrange: async (t) => ({
      send: (key) =>
        call(createPackage, t, { body: { areaA: 'China', areaB: 'Europe', bandwidthMbps: 5 } }, key),
      effect: async () => [await count(t, 'BandwidthPackage'), await count(t, 'Order', 'Purchase')],
    }),
  },
  {
    name: 'updatePackage',
    arrange: async (t) => {
      const id = await packageOf(t);
      return {
        send: (key) =>
          call(
            updatePackage,
            t,
            { method: 'PATCH', params: { bandwidthPackageId: id }, body: { name: 'once' } },
            key,
          ),
        // Renamed by someone else after the first attempt: a repeat must not rename it back.
        effect: async () => {
          const names = (await accountItems(t.accountId)).filter((i) => i.entity === 'BandwidthPackage');
          return names.map((i) => i.name);
        },
      };
    },
  },
  {
    name: 'changePackageBandwidth',
    arrange: async (t) => {
      const id = await packageOf(t);
      return {
        send: (key) =>
          call(
            changePackageBandwidth,
            t,
            { params: { bandwidthPackageId: id }, body: { bandwidthMbps: 20 } },
            key,
          ),
        effect: () => count(t, 'Order', 'Upgrade'),
      };
    },
  },
  {
    name: 'renewPackage',
    arrange: async (t) => {
      const id = await packageOf(t);
      return {
        send: (key) =>
          call(renewPackage, t, { params: { bandwidthPackageId: id }, body: { period: 1 } }, key),
        effect: () => count(t, 'Order', 'Renewal'),
      };
    },
  },
  {
    name: 'bindPackage',
    arrange: async (t) => {
      const [cenId, id] = [await cenOf(t), await packageOf(t)];
      return {
        send: (key) => call(bindPackage, t, { params: { bandwidthPackageId: id }, body: { cenId } }, key),
        effect: () => count(t, 'Binding'),
      };
    },
  },
  {
    name: 'unbindPackage',
    arrange: async (t) => {
      const cenId = await cenOf(t);
      const id = await packageOf(t, cenId);
      return {
        send: (key) => call(unbindPackage, t, { params: { bandwidthPackageId: id }, body: { cenId } }, key),
        effect: () => count(t, 'Binding'),
      };
    },
  },
  {
    name: 'createConnection',
    arrange: async (t) => {
      const cenId = await cenOf(t);
      await packageOf(t, cenId);
      const body = { regionA: 'cn-hangzhou', regionB: 'cn-beijing', bandwidthMbps: 3 };
      return {
        send: (key) => call(createConnection, t, { params: { cenId }, body }, key),
        effect: async () => {
          const items = await accountItems(t.accountId);
          const pkg = items.find((i) => i.entity === 'BandwidthPackage');
          return [connectionsIn(items).length, pkg?.allocatedMbps];
        },
      };
    },
  },
  {
    name: 'updateConnection',
    arrange: async (t) => {
      const cenId = await cenOf(t);
      await packageOf(t, cenId);
      const body = { regionA: 'cn-hangzhou', regionB: 'cn-beijing', bandwidthMbps: 3 };
      const connectionId = ok(await call(createConnection, t, { params: { cenId }, body })).connectionId;
      return {
        send: (key) =>
          call(
            updateConnection,
            t,
            { method: 'PATCH', params: { cenId, connectionId }, body: { bandwidthMbps: 6 } },
            key,
          ),
        effect: async () =>
          (await accountItems(t.accountId)).find((i) => i.entity === 'BandwidthPackage')?.allocatedMbps,
      };
    },
  },
  {
    name: 'createTicket',
    arrange: async (t) => {
      const id = await packageOf(t);
      const body = { type: 'DeleteBandwidthPackage', bandwidthPackageId: id };
      return { send: (key) => call(createTicket, t, { body }, key), effect: () => count(t, 'Ticket') };
    },
  },
  {
    name: 'approveTicket',
    arrange: async (t, op) => {
      const id = await packageOf(t);
      const body = { type: 'DeleteBandwidthPackage', bandwidthPackageId: id };
      const ticketId = ok(await call(createTicket, t, { body })).ticketId;
      return {
        send: (key) => call(approveTicket, op, { params: { ticketId } }, key),
        effect: () => count(t, 'BandwidthPackage'),
      };
    },
  },
  {
    name: 'rejectTicket',
    arrange: async (t, op) => {
      const id = await packageOf(t);
      const body = { type: 'DeleteBandwidthPackage', bandwidthPackageId: id };
      const ticketId = ok(await call(createTicket, t, { body })).ticketId;
      return {
        send: (key) => call(rejectTicket, op, { params: { ticketId }, body: { reason: 'no' } }, key),
        effect: async () => (await accountItems(t.accountId)).find((i) => i.entity === 'Ticket')?.status,
      };
    },
  },
];

describe('a keyed write whose first attempt failed after its commit', () => {
  it.each(cases)('$name takes effect once, and its repeats answer the outcome of the commit', async (c) => {
    const [t, op] = [await newTenant(), await newTenant('operator')];
    const { send, effect } = await c.arrange(t, op);
    const before = await effect();

    // A reference run, to know what one effect looks like (another key, another world).
    const [rt, rop] = [await newTenant(), await newTenant('operator')];
    const reference = await c.arrange(rt, rop);
    const refBefore = await reference.effect();
    ok(await reference.send('reference'));
    const oneEffect = await reference.effect();
    expect(oneEffect, 'the reference run changes something').not.toEqual(refBefore);

    const key = `order 42: ${c.name}`;
    const fault = injectAfterCommit(1, 'crash', completesKeyedRequest);
    const first = await send(key).finally(() => fault.remove());
    expect(fault.injected).toBe(1);
    expect(first.status).toBe(503);
    const afterFirst = await effect();
    expect(afterFirst, 'the first attempt committed').not.toEqual(before);

    if (c.name === 'updatePackage') {
      const id = (await accountItems(t.accountId)).find(
        (i) => i.entity === 'BandwidthPackage',
      )!.bandwidthPackageId;
      ok(
        await call(updatePackage, t, {
          method: 'PATCH',
          params: { bandwidthPackageId: String(id) },
          body: { name: 'other' },
        }),
      );
    }
    const settled = await effect();
    const second = await send(key);
    const third = await send(key);
    expect(second.status, JSON.stringify(second.body)).toBeLessThan(300);
    expect(third).toEqual(second);
    expect(await effect(), 'the repeats changed nothing').toEqual(settled);
    if (c.name !== 'updatePackage') expect(settled).toEqual(oneEffect);
    if (c.name === 'updatePackage') expect(settled).toEqual(['other']);
  });
});

describe('a write whose reply the SDK lost and resent', () => {
  it('answers the outcome of the attempt that took effect, not a conflict with itself', async () => {
    const [t, op] = [await newTenant(), await newTenant('operator')];
    const lose = async <T>(run: () => Promise<T>) => {
      const fault = injectAfterCommit(1, 'lostReply');
      try {
        return await run();
      } finally {
        fault.remove();
        expect(fault.injected).toBe(1);
      }
    };

    const created = await lose(() => call(createCen, t, { body: { name: 'lost' } }));
    expect(created.status).toBe(201);
    expect(await count(t, 'Cen')).toBe(1);

    const deleted = await lose(() =>
      call(deleteCen, t, { method: 'DELETE', params: { cenId: created.body.cenId } }),
    );
    expect(deleted.status).toBe(204);
    expect(await count(t, 'Cen')).toBe(0);

    const id = await packageOf(t);
    const renewed = await lose(() =>
      call(renewPackage, t, { params: { bandwidthPackageId: id }, body: { period: 1 } }),
    );
    expect(renewed.status).toBe(200);
    expect(await count(t, 'Order', 'Renewal')).toBe(1);

    // A region connection's writes are single UpdateItems of the package: the SDK resends them with
    // nothing like a ClientRequestToken, and the write id they carry recognises their own effect.
    const cenId = await cenOf(t);
    const pkgId = await packageOf(t, cenId);
    const conn = { cenId, connectionId: 'cn-beijing_cn-hangzhou' };
    const made = await lose(() =>
      call(createConnection, t, {
        params: { cenId },
        body: { regionA: 'cn-hangzhou', regionB: 'cn-beijing', bandwidthMbps: 3 },
      }),
    );
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const resized = await lose(() => call(updateConnection, t, { params: conn, body: { bandwidthMbps: 5 } }));
    expect(resized.status, JSON.stringify(resized.body)).toBe(200);
    expect(resized.body.bandwidthMbps).toBe(5);
    const removed = await lose(() => call(deleteConnection, t, { method: 'DELETE', params: conn }));
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    const pkgItem = (await accountItems(t.accountId)).find(
      (i) => i.bandwidthPackageId === pkgId && i.entity === 'BandwidthPackage',
    );
    expect(pkgItem).toMatchObject({ allocatedMbps: 0, connectionCount: 0, conns: {} });

    const body = { type: 'DeleteBandwidthPackage', bandwidthPackageId: id };
    const ticketId = ok(await call(createTicket, t, { body })).ticketId;
    const rejected = await lose(() => call(rejectTicket, op, { params: { ticketId }, body: {} }));
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe('Rejected');
  });
});
