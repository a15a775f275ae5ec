/**
 * Generated bad input against every route of the registry, through HTTP: wrong types, missing and
 * extra fields, out-of-range and huge numbers, long and non-ASCII strings, unknown regions and
 * areas, malformed JSON, oversized bodies, bad path ids, bad keys, another account's ids. Each
 * must get a 4xx with the spec's code, never a 5xx, and leave the account's items unchanged.
 * Failures print fast-check's seed and path, so a run can be replayed.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type Route, routes } from '../../lib/http/routes';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { api } from '../support/http';

const RUNS = Number(process.env.BAD_INPUT_RUNS ?? 12);

interface World {
  owner: Tenant;
  cenId: string;
  packageId: string;
  ticketId: string;
}

let world: World;
let operator: Tenant;

beforeAll(async () => {
  const owner = await newTenant();
  operator = await newTenant('operator');
  const c = api(owner.apiKey);
  const cenId = (await c.post('/cens', { name: 'bad-input' })).body.cenId;
  await c.post(`/cens/${cenId}/networks`, { networkId: 'vpc-1', networkType: 'VPC', regionId: 'cn-beijing' });
  const packageId = (
    await c.post('/bandwidth-packages', { areaA: 'China', areaB: 'Asia-Pacific', bandwidthMbps: 20, cenId })
  ).body.bandwidthPackageId;
  await c.post(`/cens/${cenId}/region-connections`, {
    regionA: 'cn-beijing',
    regionB: 'cn-hongkong',
    bandwidthMbps: 5,
  });
  const idle = (await c.post('/bandwidth-packages', { areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 5 }))
    .body;
  const ticketId = (
    await c.post('/tickets', { type: 'DeleteBandwidthPackage', bandwidthPackageId: idle.bandwidthPackageId })
  ).body?.ticketId;
  world = { owner, cenId, packageId, ticketId };
});

/** A valid body per route, the seed of the mutations. */
function validBody(name: string): Record<string, unknown> | undefined {
  const w = world;
  const bodies: Record<string, Record<string, unknown>> = {
    createCen: { name: 'n', description: 'd' },
    attachNetwork: { networkId: 'vpc-2', networkType: 'VBR', regionId: 'us-east-1' },
    createPackage: { areaA: 'China', areaB: 'Europe', bandwidthMbps: 10, pricingCycle: 'Year', period: 1 },
    updatePackage: { name: 'renamed', description: 'd' },
    changePackageBandwidth: { bandwidthMbps: 30 },
    renewPackage: { period: 1, pricingCycle: 'Month' },
    bindPackage: { cenId: w.cenId },
    unbindPackage: { cenId: w.cenId },
    createConnection: { regionA: 'cn-shanghai', regionB: 'ap-southeast-1', bandwidthMbps: 2 },
    updateConnection: { bandwidthMbps: 3 },
    createTicket: { type: 'DeleteBandwidthPackage', bandwidthPackageId: w.packageId, reason: 'r' },
    rejectTicket: { reason: 'no' },
    approveTicket: {},
    createAccountApiKey: { role: 'tenant' },
    setAccountQuotas: { cens: 50, bandwidthPackages: 60, networks: 70 },
  };
  return bodies[name];
}

/** A valid query per route that needs one, so that a probe is refused for its ids alone. */
const validQuery = (name: string): Record<string, string> =>
  name === 'getEffectiveBandwidth' ? { regionA: 'cn-beijing', regionB: 'cn-hongkong' } : {};

function pathOf(route: Route): string {
  return route.path
    .replace('{cenId}', world.cenId)
    .replace('{bandwidthPackageId}', world.packageId)
    .replace('{networkId}', 'vpc-1')
    .replace('{connectionId}', 'cn-beijing_cn-hongkong')
    .replace('{ticketId}', world.ticketId)
    .replace('{accountId}', world.owner.accountId);
}

const weird = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 53,
    '',
    ' ',
    'é',
    '𝄞',
    '\u0000',
    '%00',
    '../..',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 129, maxLength: 300 }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
  fc.constantFrom('mars-1', 'Antarctica', 'china', 'CN-HANGZHOU', 'Month ', 'year', 'VPC\n'),
);

/** Mutations of a valid body that the route's own schema rejects. */
function badBodies(route: Route, valid: Record<string, unknown>) {
  const schema = route.body as z.ZodType;
  const fields = Object.keys(valid);
  const mutated = fc.oneof(
    // a field with a wrong, out-of-range or odd value
    fc
      .record({ field: fc.constantFrom(...(fields.length ? fields : ['x'])), value: weird })
      .map(({ field, value }) => ({
        ...valid,
        [field]: value,
      })),
    // a required field missing
    fc.constantFrom(...(fields.length ? fields : ['x'])).map((field) => {
      const { [field]: _, ...rest } = valid;
      return rest;
    }),
    // an unknown field
    fc
      .record({ field: fc.string({ minLength: 1, maxLength: 12 }), value: weird })
      .map(({ field, value }) => ({
        ...valid,
        [field]: value,
      })),
    // not an object at all
    fc.oneof(fc.jsonValue(), fc.constant([]), fc.constant('just a string')),
  );
  return mutated
    .filter((body) => !schema.safeParse(body).success)
    .map((body) => ({ kind: 'json' as const, text: JSON.stringify(body) }));
}

const malformedJson = fc
  .oneof(
    fc.constantFrom('{', '{"name":', '{"a":1,}', "{'name':'x'}", 'nul', '{"name":"x"}}', '\u0000', '[1,2'),
    fc.string({ maxLength: 30 }).filter((s) => {
      if (s.trim() === '') return false;
      try {
        JSON.parse(s);
        return false;
      } catch {
        return true;
      }
    }),
  )
  .map((text) => ({ kind: 'malformed' as const, text }));

const routeEntries = Object.entries(routes).filter(([name]) => name !== 'routeNotFound') as [string, Route][];

describe('generated bad input: 4xx with the spec code, never a 5xx, nothing changed', () => {
  const bodyRoutes = routeEntries.filter(([, r]) => r.body);

  it.each(bodyRoutes.map(([name, r]) => [name, r] as const))('%s refuses bad bodies', async (name, route) => {
    const caller = route.role === 'operator' ? operator : world.owner;
    const c = api(caller.apiKey);
    const valid = validBody(name);
    expect(valid, `a valid body for ${name}`).toBeDefined();
    const before = await accountItems(world.owner.accountId);
    await fc.assert(
      fc.asyncProperty(fc.oneof(badBodies(route, valid!), malformedJson), async (input) => {
        const res = await c.send(route.method, pathOf(route), { rawBody: input.text });
        expect(res.status, `${route.method} ${route.path} ${input.text.slice(0, 200)}`).toBe(400);
        expect(res.body.code).toMatch(/^InvalidParameter(\.[A-Za-z-]+)?$/);
        expect(res.body.requestId).toEqual(expect.any(String));
      }),
      { numRuns: RUNS },
    );
    const big = JSON.stringify({ ...valid, description: 'x'.repeat(17_000) });
    const tooLarge = await c.send(route.method, pathOf(route), { rawBody: big });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.code).toBe('RequestTooLarge');
    expect(await accountItems(world.owner.accountId)).toEqual(before);
  });

  it.each(routeEntries.filter(([, r]) => Object.keys(r.params).length).map(([n, r]) => [n, r] as const))(
    '%s answers 404 for ids it does not know, and for another account’s',
    async (_name, route) => {
      const stranger = await newTenant(route.role === 'operator' ? 'operator' : 'tenant');
      const before = await accountItems(world.owner.accountId);
      const idArb = fc.oneof(
        fc.stringMatching(/^[a-z0-9-]{1,40}$/),
        fc.constantFrom(
          'cen-01m832b5jm8ftchane8hrtg7ah',
          'cenbwp-01m832qx643gx8w8vz4pa1hw8p',
          'x_y',
          '..',
          '%2F',
        ),
      );
      await fc.assert(
        fc.asyncProperty(idArb, async (id) => {
          let path = route.path;
          for (const p of Object.keys(route.params)) path = path.replace(`{${p}}`, encodeURIComponent(id));
          const res = await api(world.owner.apiKey).send(route.method, path, {
            query: validQuery(_name),
            ...(route.body ? { body: validBody(_name) } : {}),
          });
          // A dot-segment id ('..') is resolved by the client into another path: for
          // /accounts/../quotas that is GET /quotas, a route of its own. Only "no 5xx" holds there.
          if (new URL(path, 'http://x').pathname !== path) {
            expect(res.status, `${route.method} ${path}`).toBeLessThan(500);
            return;
          }
          expect(res.status, `${route.method} ${path}`).toBeGreaterThanOrEqual(400);
          expect(res.status, `${route.method} ${path}`).toBeLessThan(500);
          // `/bandwidth-packages/..` is `/`: the Alibaba RPC door's, which answers in its own shape.
          if (new URL(path, 'http://host').pathname === '/') {
            expect(res.body).toMatchObject({ Code: expect.any(String), HostId: expect.any(String) });
          } else if (route.role !== 'operator')
            expect(res.body.code).toMatch(/^(NotFound\.|InvalidParameter)/);
        }),
        { numRuns: RUNS },
      );
      // The real ids of the owner, through a stranger's key: absent, never forbidden or changed.
      const res = await api(stranger.apiKey).send(route.method, pathOf(route), {
        query: validQuery(_name),
        ...(route.body ? { body: validBody(_name) } : {}),
      });
      if (route.role === 'operator') {
        // Operators act on every account's tickets; their reach is the point of the role.
        expect(res.status).toBeLessThan(500);
      } else {
        expect(res.status, `${route.method} ${route.path}`).toBe(404);
        expect(res.body.code).toMatch(/^NotFound\./);
      }
      if (route.role !== 'operator') expect(await accountItems(world.owner.accountId)).toEqual(before);
    },
  );

  it.each(routeEntries.filter(([, r]) => r.method === 'GET').map(([n, r]) => [n, r] as const))(
    '%s refuses bad query strings',
    async (_name, route) => {
      const arb = fc.oneof(
        fc.record({
          limit: fc.oneof(
            fc.integer({ min: -5, max: 0 }),
            fc.integer({ min: 101, max: 1e9 }),
            fc.constantFrom('ten', '1.5', '', '1e2', '0x10'),
          ),
        }),
        fc.record({ [`x${'y'}`]: fc.string({ maxLength: 5 }) }),
        fc.record({ nextToken: fc.string({ minLength: 1, maxLength: 60 }) }),
        fc.record({ status: fc.constantFrom('idle', 'Deleted', ''), regionA: fc.constantFrom('mars-1', '') }),
      );
      await fc.assert(
        fc.asyncProperty(arb, async (query) => {
          // Operators' routes answer a tenant 403 before reading anything: ask as an operator.
          const caller = route.role === 'operator' ? operator : world.owner;
          const res = await api(caller.apiKey).get(pathOf(route), {
            query: query as Record<string, string>,
          });
          expect(res.status, `${route.path}?${new URLSearchParams(query as Record<string, string>)}`).toBe(
            400,
          );
          expect(res.body.code).toMatch(/^InvalidParameter/);
        }),
        { numRuns: RUNS },
      );
    },
  );

  it('answers 401 to any key that is not a key, on every route', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routeEntries),
        fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 80 }), fc.constant('local-tenant-a-but-not')),
        async ([, route], key) => {
          const printable = key.replace(/[^\x21-\x7e]/g, '');
          const res = await api(printable || undefined).send(
            route.method,
            pathOf(route),
            route.body ? { body: {} } : {},
          );
          expect(res.status).toBe(401);
          expect(res.body.code).toBe('Unauthorized');
        },
      ),
      { numRuns: RUNS * 4 },
    );
  });
});
