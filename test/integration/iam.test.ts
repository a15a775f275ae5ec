/**
 * Least privilege, checked against what the code really does. DynamoDB Local ignores IAM, so a
 * role missing an action would only fail on AWS (AccessDenied, a 500). Here every function's
 * handler runs through its main paths against DynamoDB Local while an SDK middleware records
 * each call as the IAM action it needs (a transaction needs the action of each part), and every
 * recorded action must be among those serverless.yml grants that function.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessKey } from '../../lib/alibaba/accessKeys';
import { raw } from '../../lib/db/client';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { ROOT } from '../../local/stack';
import { signedForm } from '../support/alibaba';
import { newTenant, type Tenant } from '../support/fixtures';
import { type Invocation, invoke } from '../support/invoke';
import { grant, grants, httpRoutes, indexArn, readService, tableArn } from '../support/service';
import { setPackageTime } from '../support/time';

const service = readService();
const declared = Object.entries(service.functions);

/** name → the `<action> on <resource>` lines its calls needed */
const used = new Map<string, Set<string>>();
let current: string | undefined;
const MIDDLEWARE = 'recordIamActions';

type Input = { IndexName?: string; TransactItems?: Record<string, unknown>[] };

function needs(command: string, input: Input): string[] {
  const action = command.replace(/Command$/, '');
  if (action === 'TransactWriteItems') {
    const parts: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
    };
    return (input.TransactItems ?? []).map((item) =>
      grant(`dynamodb:${parts[Object.keys(item)[0]!]}`, tableArn),
    );
  }
  return [grant(`dynamodb:${action}`, input.IndexName ? indexArn(input.IndexName) : tableArn)];
}

beforeAll(() => {
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      if (current) {
        const set = used.get(current) ?? new Set();
        for (const line of needs(context.commandName ?? '', args.input as Input)) set.add(line);
        used.set(current, set);
      }
      return next(args);
    },
    { step: 'initialize', name: MIDDLEWARE },
  );
});
afterAll(() => {
  raw.middlewareStack.remove(MIDDLEWARE);
});

type Handler = Parameters<typeof invoke>[0];
const handlers = new Map<string, Handler>();
async function handlerOf(name: string): Promise<Handler> {
  if (!handlers.has(name)) {
    const module = (await import(join(ROOT, 'functions', `${name}.ts`))) as { handler: Handler };
    handlers.set(name, module.handler);
  }
  return handlers.get(name)!;
}

/** Call a function's handler as API Gateway would, recording its DynamoDB calls under its name. */
async function call(name: string, apiKey: string, request: Omit<Invocation, 'apiKey'>, status: number) {
  const route = httpRoutes(service.functions[name]!)[0];
  const method = route && route !== '*' ? route.method.toUpperCase() : 'GET';
  const headers: Record<string, string> = {};
  if (method === 'POST' || method === 'PATCH') headers['idempotency-key'] = randomUUID();
  current = name;
  used.set(name, used.get(name) ?? new Set()); // ran, even if it needed no DynamoDB call
  try {
    const reply = await invoke(await handlerOf(name), { method, ...request, apiKey, headers });
    expect(reply.status, `${name}: ${JSON.stringify(reply.body)}`).toBe(status);
    return reply;
  } finally {
    current = undefined;
  }
}

async function schedule(name: string) {
  const handler = (await handlerOf(name)) as unknown as (
    event: unknown,
    context: Context,
  ) => Promise<unknown>;
  const context = {
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 60_000,
  } as unknown as Context;
  current = name;
  try {
    // "Now": transitions only what is due anyway, as the local schedule does every minute.
    await handler(
      { source: 'aws.events', 'detail-type': 'Scheduled Event', time: new Date().toISOString() },
      context,
    );
  } finally {
    current = undefined;
  }
}

/** Every action of the Alibaba RPC door (SPEC §8.3), signed with a pair of the account. */
async function alibabaActions(accountId: string) {
  const keys = await createAccessKey({ accountId, role: 'tenant' });
  const rpc = async (Action: string, params: Record<string, string>, status = 200) => {
    current = 'alibabaRpc';
    try {
      const reply = await invoke(await handlerOf('alibabaRpc'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        rawBody: signedForm(keys, Action, params),
      });
      expect(reply.status, `${Action}: ${JSON.stringify(reply.body)}`).toBe(status);
      return reply.body;
    } finally {
      current = undefined;
    }
  };
  const { CenId } = await rpc('CreateCen', { Name: 'rpc', ClientToken: randomUUID() });
  await rpc('DescribeCens', {});
  const network = {
    CenId,
    ChildInstanceId: 'vpc-rpc',
    ChildInstanceType: 'VPC',
    ChildInstanceRegionId: 'cn-hangzhou',
  };
  await rpc('AttachCenChildInstance', network);
  await rpc('DescribeCenAttachedChildInstances', { CenId });
  const areas = { GeographicRegionAId: 'China', GeographicRegionBId: 'Europe' };
  await rpc('CreateCenBandwidthPackage', { ...areas, Bandwidth: '1', ClientToken: randomUUID() }, 400);
  const pkg = (
    await rpc('CreateCenBandwidthPackage', { ...areas, Bandwidth: '10', ClientToken: randomUUID() })
  ).CenBandwidthPackageId as string;
  const ids = { CenId, CenBandwidthPackageId: pkg };
  await rpc('AssociateCenBandwidthPackage', ids);
  await rpc('DescribeCenBandwidthPackages', {});
  const limit = { CenId, LocalRegionId: 'cn-hangzhou', OppositeRegionId: 'eu-west-1' };
  await rpc('SetCenInterRegionBandwidthLimit', { ...limit, BandwidthLimit: '4' });
  await rpc('SetCenInterRegionBandwidthLimit', { ...limit, BandwidthLimit: '6' });
  await rpc('DescribeCenInterRegionBandwidthLimits', { CenId });
  await rpc('DescribeCenInterRegionBandwidthLimits', {});
  await rpc('DescribeCenGeographicSpanRemainingBandwidth', { CenId, ...areas });
  await rpc('ModifyCenBandwidthPackageSpec', { CenBandwidthPackageId: pkg, Bandwidth: '12' });
  await rpc('ModifyCenBandwidthPackageAttribute', { CenBandwidthPackageId: pkg, Name: 'rpc' });
  await rpc('SetCenInterRegionBandwidthLimit', { ...limit, BandwidthLimit: '0' });
  await rpc('UnassociateCenBandwidthPackage', ids);
  await rpc('DeleteCenBandwidthPackage', { CenBandwidthPackageId: pkg }, 403);
  await rpc('DetachCenChildInstance', network);
  await rpc('DeleteCen', { CenId });
  await rpc('DeleteCen', { CenId }, 404);
  await rpc('DescribeCenGeographicSpans', {});
  await rpc('DescribeGeographicRegionMembership', { GeographicRegionId: 'china' });
}

describe('IAM roles against the calls each function makes', () => {
  let t: Tenant;
  let operator: Tenant;

  beforeAll(async () => {
    t = await newTenant();
    operator = await newTenant('operator');
  });

  it('runs every function through its main paths', async () => {
    const k = t.apiKey;
    await call('listAreas', k, {}, 200);
    await call('listRegions', k, {}, 200);
    await call('getOpenApi', k, {}, 200);
    await call('whoami', k, {}, 200);
    await call('routeNotFound', k, { path: '/nowhere' }, 404);
    await call('getQuotas', k, {}, 200);
    const account = { params: { accountId: t.accountId } };
    await call('getAccountQuotas', operator.apiKey, account, 200);
    await call('setAccountQuotas', operator.apiKey, { ...account, body: { cens: 150 } }, 200);
    await call('createAccountApiKey', operator.apiKey, { ...account, body: {} }, 201);
    await call('serveConsole', k, { path: '/docs/openapi.json' }, 200);
    await call('serveConsole', k, { path: '/console/nowhere.js' }, 404);

    const cenId = (await call('createCen', k, { body: { name: 'iam' } }, 201)).body.cenId as string;
    const cen = { cenId };
    await call('getCen', k, { params: cen }, 200);
    await call('listCens', k, {}, 200);
    const networkId = `vpc-${randomUUID().slice(0, 8)}`;
    const network = { networkId, networkType: 'VPC', regionId: 'cn-hangzhou' };
    await call('attachNetwork', k, { params: cen, body: network }, 201);
    await call('listNetworks', k, { params: cen }, 200);

    const bound = { areaA: 'North-America', areaB: 'Asia-Pacific', bandwidthMbps: 10, cenId };
    const pkg = {
      bandwidthPackageId: (await call('createPackage', k, { body: bound }, 201)).body.bandwidthPackageId,
    };
    const unbound = { areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 5 };
    const idle = {
      bandwidthPackageId: (await call('createPackage', k, { body: unbound }, 201)).body.bandwidthPackageId,
    };
    await call('listPackages', k, {}, 200);
    await call('listPackages', k, { query: { cenId, status: 'InUse' } }, 200);
    await call('getPackage', k, { params: pkg }, 200);
    await call('updatePackage', k, { params: pkg, body: { name: 'renamed' } }, 200);
    await call('changePackageBandwidth', k, { params: pkg, body: { bandwidthMbps: 20 } }, 200);
    await call('changePackageBandwidth', k, { params: pkg, body: { bandwidthMbps: 15 } }, 200);
    await call('renewPackage', k, { params: pkg, body: { period: 1 } }, 200);
    await call('bindPackage', k, { params: idle, body: { cenId } }, 200);
    await call('unbindPackage', k, { params: idle, body: { cenId } }, 200);
    await call('listOrders', k, { params: pkg }, 200);
    await call('deletePackage', k, { params: pkg }, 403);

    const pair = { regionA: 'us-east-1', regionB: 'ap-southeast-1' };
    const created = await call(
      'createConnection',
      k,
      { params: cen, body: { ...pair, bandwidthMbps: 4 } },
      201,
    );
    const connection = { cenId, connectionId: created.body.connectionId as string };
    // Refusals read more: the package named, the CEN when no package serves the span.
    const other = { regionA: 'us-west-1', regionB: 'ap-northeast-1', bandwidthMbps: 1 };
    await call('createConnection', k, { params: cen, body: { ...other, ...idle } }, 409);
    const europe = { regionA: 'eu-west-1', regionB: 'eu-central-1', bandwidthMbps: 1 };
    await call('createConnection', k, { params: cen, body: europe }, 409);
    await call('listConnections', k, { params: cen }, 200);
    await call('getConnection', k, { params: connection }, 200);
    await call('updateConnection', k, { params: connection, body: { bandwidthMbps: 6 } }, 200);
    await call('updateConnection', k, { params: connection, body: { bandwidthMbps: 3 } }, 200);
    for (const query of [
      pair,
      { regionA: 'us-west-1', regionB: 'ap-northeast-1' },
      { ...pair, regionB: pair.regionA },
    ]) {
      await call('getEffectiveBandwidth', k, { params: cen, query }, 200);
    }
    await call('deleteConnection', k, { params: connection }, 204);
    await call('unbindPackage', k, { params: pkg, body: { cenId } }, 200);

    const ticket = (id: { bandwidthPackageId: string }) => ({
      body: { type: 'DeleteBandwidthPackage', ...id },
    });
    const approved = { ticketId: (await call('createTicket', k, ticket(idle), 201)).body.ticketId as string };
    const rejected = { ticketId: (await call('createTicket', k, ticket(pkg), 201)).body.ticketId as string };
    await call('getTicket', k, { params: approved }, 200);
    await call('listTickets', k, {}, 200);
    await call('listTickets', operator.apiKey, {}, 200);
    await call('approveTicket', operator.apiKey, { params: approved, body: {} }, 200);
    await call('rejectTicket', operator.apiKey, { params: rejected, body: {} }, 200);
    // Rule 12: a new ticket once the last is closed, and none while one is Open.
    await call('createTicket', k, ticket(pkg), 201);
    await call('createTicket', k, ticket(pkg), 409);

    await call('detachNetwork', k, { params: { cenId, networkId } }, 204);
    await call('deleteCen', k, { params: cen }, 204);
    await call('deleteCen', k, { params: cen }, 404); // the refusal path reads the old item

    // The job's three transitions, on packages made due by hand (a test cannot wait a month):
    // an expiry, an auto-renewal, and the release of a bound package with a connection.
    const jobCen = {
      cenId: (await call('createCen', k, { body: { name: 'job' } }, 201)).body.cenId as string,
    };
    const buy = async (extra: Record<string, unknown>) =>
      (await call('createPackage', k, { body: { ...unbound, ...extra } }, 201)).body
        .bandwidthPackageId as string;
    const released = await buy({ areaA: 'North-America', areaB: 'Asia-Pacific', cenId: jobCen.cenId });
    await call('createConnection', k, { params: jobCen, body: { ...pair, bandwidthMbps: 1 } }, 201);
    const now = Date.now();
    await setPackageTime(t.accountId, await buy({}), { expiresAt: new Date(now - 60_000).toISOString() });
    await setPackageTime(t.accountId, await buy({ autoRenew: true }), {
      expiresAt: new Date(now - 60_000).toISOString(),
    });
    await setPackageTime(t.accountId, released, { expiredAt: new Date(now - 16 * 86_400_000).toISOString() });

    for (const [name, fn] of declared) {
      if ((fn.events ?? []).some((e) => e.schedule !== undefined)) await schedule(name);
    }
    expect(await getItem(keys.bandwidthPackage(t.accountId, released))).toBeUndefined();

    await alibabaActions(t.accountId);

    const silent = declared.map(([name]) => name).filter((name) => !used.has(name));
    expect(silent, 'functions this test never ran: add them to the scenario above').toEqual([]);
  });

  it('grants the RPC door exactly the union of what its actions call, no more', () => {
    const granted = grants(service.functions.alibabaRpc!.iamRoleStatements ?? []);
    expect([...(used.get('alibabaRpc') ?? [])].sort()).toEqual(granted);
  });

  it('grants every function each DynamoDB action its calls needed', () => {
    expect(used.size).toBeGreaterThan(0);
    for (const [name, fn] of declared) {
      const granted = grants(fn.iamRoleStatements ?? []);
      const missing = [...(used.get(name) ?? [])].filter((line) => !granted.includes(line)).sort();
      expect(missing, `${name} calls DynamoDB beyond its iamRoleStatements`).toEqual([]);
    }
  });
});
