/**
 * The nonce's write fence (lib/alibaba/nonces.ts), against DynamoDB Local with the handler called
 * directly: which calls an RPC allocation makes, and that a used nonce writes nothing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessKey } from '../../lib/alibaba/accessKeys';
import { raw } from '../../lib/db/client';
import { ROOT } from '../../local/stack';
import { signedForm } from '../support/alibaba';
import { completesKeyedRequest, injectAfterCommit } from '../support/conflicts';
import { accountItems, newTenant } from '../support/fixtures';
import { invoke } from '../support/invoke';

type Handler = Parameters<typeof invoke>[0];
const MIDDLEWARE = 'recordNonceCalls';
let calls: string[] | undefined;

beforeAll(() => {
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TransactItems?: unknown[]; Key?: { PK?: string | { S?: string } } };
      const name = (context.commandName ?? '').replace(/Command$/, '');
      const pk = input.Key?.PK;
      // The AccessKey's own read is the authentication's (uncached in tests), not the action's.
      const accessKeyRead = (typeof pk === 'string' ? pk : pk?.S)?.startsWith('ACCESSKEY#');
      if (!accessKeyRead) calls?.push(input.TransactItems ? `${name}(${input.TransactItems.length})` : name);
      return next(args);
    },
    // After the fence (which is added when the handler's module loads), so the items it adds show.
    { step: 'initialize', name: MIDDLEWARE, priority: 'low' },
  );
});
afterAll(() => {
  raw.middlewareStack.remove(MIDDLEWARE);
});

async function setUp() {
  const t = await newTenant();
  const keys = await createAccessKey({ accountId: t.accountId, role: 'tenant' });
  const { handler } = (await import(join(ROOT, 'functions', 'alibabaRpc.ts'))) as { handler: Handler };
  const signed = (Action: string, params: Record<string, string>) => signedForm(keys, Action, params);
  const send = async (body: string, record = false) => {
    calls = record ? [] : undefined;
    const reply = await invoke(handler, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      rawBody: body,
    });
    const seen = calls;
    calls = undefined;
    return { ...reply, calls: seen ?? [] };
  };
  const call = async (Action: string, params: Record<string, string>) =>
    (await send(signed(Action, params))).body;
  const { CenId } = await call('CreateCen', { Name: 'fence' });
  const { CenBandwidthPackageId } = await call('CreateCenBandwidthPackage', {
    GeographicRegionAId: 'China',
    GeographicRegionBId: 'Europe',
    Bandwidth: '10',
  });
  await call('AssociateCenBandwidthPackage', { CenId, CenBandwidthPackageId });
  return { t, CenId, signed, send };
}

describe('the nonce write fence', () => {
  it("records an allocation's nonce inside its transaction: one transaction, after one read of the binding", async () => {
    const { CenId, signed, send } = await setUp();
    const limit = (n: string) =>
      signed('SetCenInterRegionBandwidthLimit', {
        CenId,
        LocalRegionId: 'eu-west-1',
        OppositeRegionId: 'cn-beijing',
        BandwidthLimit: n,
      });
    const created = await send(limit('4'), true);
    expect(created.status).toBe(200);
    // The span's binding, then the package's one update, which the nonce joins as a transaction.
    expect(created.calls).toEqual(['GetItem', 'TransactWriteItems(2)']);
    const deleted = await send(limit('0'), true);
    expect(deleted.status).toBe(200);
    // The binding is remembered by now: the delete is the one update and the nonce.
    expect(deleted.calls).toEqual(['TransactWriteItems(2)']);
  });

  it('rides in the first transaction of a create, and is written alone after a read-only action', async () => {
    const { signed, send } = await setUp();
    // The CEN, its quota and the nonce: one transaction (every domain write is one).
    const cen = await send(signed('CreateCen', { Name: 'single' }), true);
    expect(cen.calls).toEqual(['TransactWriteItems(3)']);
    const spans = await send(signed('DescribeCenGeographicSpans', {}), true);
    expect(spans.calls).toEqual(['PutItem']);
  });

  it('answers a used nonce whatever the action, writing nothing', async () => {
    const { t, CenId, signed, send } = await setUp();
    const body = signed('SetCenInterRegionBandwidthLimit', {
      CenId,
      LocalRegionId: 'eu-central-1',
      OppositeRegionId: 'cn-shanghai',
      BandwidthLimit: '2',
    });
    expect((await send(body)).status).toBe(200);
    const before = await accountItems(t.accountId);
    // The same request again: the allocation's transaction is refused on its nonce item.
    const again = await send(body);
    expect(again).toMatchObject({ status: 400, body: { Code: 'SignatureNonceUsed' } });
    // A refusal by the domain records the nonce after the fact: its replay is the nonce's refusal.
    const refused = signed('SetCenInterRegionBandwidthLimit', {
      CenId,
      LocalRegionId: 'eu-central-1',
      OppositeRegionId: 'cn-hangzhou',
      BandwidthLimit: '50',
    });
    expect((await send(refused)).body.Code).toBe('InvalidOperation.BwpBandwidthExceeded');
    expect((await send(refused)).body.Code).toBe('SignatureNonceUsed');
    const after = (await accountItems(t.accountId)).filter((i) => i.entity !== 'AccessKey');
    expect(after).toEqual(before.filter((i) => i.entity !== 'AccessKey'));
  });

  it('takes a ClientToken create once when its first attempt failed after the commit', async () => {
    const { t, signed, send } = await setUp();
    const params = {
      GeographicRegionAId: 'Europe',
      GeographicRegionBId: 'Europe',
      Bandwidth: '5',
      ClientToken: 'order 7: retry',
    };
    const fault = injectAfterCommit(1, 'crash', completesKeyedRequest);
    const first = await send(signed('CreateCenBandwidthPackage', params)).finally(() => fault.remove());
    expect(fault.injected).toBe(1);
    expect(first).toMatchObject({ status: 503, body: { Code: 'ServiceUnavailable' } });
    // The client signs the same call again (a new nonce) with the same ClientToken.
    const second = await send(signed('CreateCenBandwidthPackage', params));
    const third = await send(signed('CreateCenBandwidthPackage', params));
    expect(second.status).toBe(200);
    const { RequestId: _a, ...answer } = second.body;
    const { RequestId: _b, ...again } = third.body;
    expect(again).toEqual(answer);
    const items = await accountItems(t.accountId);
    const europe = items.filter((i) => i.entity === 'BandwidthPackage' && i.areaA === 'Europe');
    expect(europe.map((i) => i.bandwidthPackageId)).toEqual([answer.CenBandwidthPackageId]);
    const orders = items.filter(
      (i) => i.entity === 'Order' && i.bandwidthPackageId === answer.CenBandwidthPackageId,
    );
    expect(orders.map((o) => o.orderId)).toEqual([answer.CenBandwidthPackageOrderId]);
  });
});
