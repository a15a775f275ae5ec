import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { RPC_ROUTE } from '../../lib/alibaba/door';
import { errorCodes, openApiDocument, statusOfCode } from '../../lib/http/openapi';
import { type Route, type RouteName, routes, staticRoutes } from '../../lib/http/routes';
import { ROOT } from '../../local/stack';
import { httpRoute, httpRoutes, readService } from '../support/service';

type Json = Record<string, any>;
const doc = openApiDocument() as Json;
const service = readService();
const entries = Object.entries(routes) as [RouteName, Route][];
const apiRoutes = entries.filter(([, route]) => route.path !== '*');

/** Follow a local `$ref` (`#/components/...`) to what it names. */
function deref(value: Json): Json {
  if (typeof value.$ref !== 'string') return value;
  const target = (value.$ref as string)
    .slice(2)
    .split('/')
    .reduce<Json | undefined>((node, key) => node?.[key], doc);
  if (target === undefined) throw new Error(`unresolved $ref ${value.$ref}`);
  return deref(target);
}

function refs(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, found);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refs(v, found);
    }
  }
  return found;
}

const operationOf = (route: Route): Json | undefined => doc.paths[route.path]?.[route.method.toLowerCase()];

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 description', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has every $ref pointing at something that exists', () => {
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(50);
    for (const ref of all) {
      expect(ref).toMatch(/^#\/components\//);
      expect(() => deref({ $ref: ref })).not.toThrow();
    }
  });

  it('describes every route of the registry but the catch-all, under its name', () => {
    const operations = Object.values(doc.paths as Json).flatMap((item) => Object.values(item as Json));
    expect(operations.map((o) => o.operationId).sort()).toEqual(apiRoutes.map(([name]) => name).sort());
    for (const [name, route] of apiRoutes) expect(operationOf(route)?.operationId, name).toBe(name);
    expect(doc.paths['*']).toBeUndefined();
  });

  it('requires the x-api-key header everywhere', () => {
    expect(doc.components.securitySchemes.apiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
    });
    expect(doc.security).toEqual([{ apiKey: [] }]);
  });

  it('takes an Idempotency-Key on POST and PATCH, and only there', () => {
    for (const [name, route] of apiRoutes) {
      const params = ((operationOf(route)!.parameters ?? []) as Json[]).map(deref);
      const keyed = params.some((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      expect(keyed, name).toBe(route.method === 'POST' || route.method === 'PATCH');
    }
  });

  it('declares each path parameter with the pattern the pipeline checks', () => {
    const op = operationOf(routes.getConnection)!;
    const params = op.parameters as Json[];
    expect(params.map((p) => [p.name, p.in, p.required])).toEqual([
      ['cenId', 'path', true],
      ['connectionId', 'path', true],
    ]);
    expect(new RegExp(params[0]!.schema.pattern).test('cen-01hzzzzzzzzzzzzzzzzzzzzzzz')).toBe(true);
    expect(new RegExp(params[0]!.schema.pattern).test('cen-nope')).toBe(false);
  });

  it('takes query parameters from the query schema, required only where the schema requires them', () => {
    const list = operationOf(routes.listPackages)!.parameters as Json[];
    expect(list.map((p) => [p.name, p.required])).toEqual([
      ['limit', false],
      ['nextToken', false],
      ['cenId', false],
      ['status', false],
      ['businessStatus', false],
    ]);
    expect(deref(list.find((p) => p.name === 'status')!.schema).enum).toEqual(['Idle', 'InUse']);
    const effective = operationOf(routes.getEffectiveBandwidth)!.parameters as Json[];
    expect(effective.filter((p) => p.in === 'query').map((p) => [p.name, p.required])).toEqual([
      ['regionA', true],
      ['regionB', true],
    ]);
    expect(deref(effective[1]!.schema).enum).toContain('cn-hangzhou');
  });

  it('describes request bodies as sent (defaults optional) and responses as returned', () => {
    const body = deref(operationOf(routes.createPackage)!.requestBody.content['application/json'].schema);
    expect(body.required).toEqual(['areaA', 'areaB', 'bandwidthMbps']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.bandwidthMbps).toMatchObject({ type: 'integer', minimum: 2, maximum: 10000 });
    const created = operationOf(routes.createPackage)!.responses['201'];
    const pkg = deref(created.content['application/json'].schema);
    expect(pkg.required).toEqual(
      expect.arrayContaining(['bandwidthPackageId', 'expiresAt', 'expiredAt', 'cenId']),
    );
    const list = deref(operationOf(routes.listCens)!.responses['200'].content['application/json'].schema);
    expect(list.required).toEqual(['items']);
    expect(list.properties.items.items).toEqual({ $ref: '#/components/schemas/CenResource' });
  });

  it('gives a 204 with no body to deletes, and the route status to every other success', () => {
    for (const [name, route] of apiRoutes) {
      const responses = operationOf(route)!.responses as Json;
      const success = Object.keys(responses).filter((s) => s.startsWith('2'));
      expect(success, name).toEqual([String(route.status)]);
      if (route.status === 204) expect(responses['204'].content, name).toBeUndefined();
      else expect(responses[String(route.status)].content['application/json'].schema, name).toBeDefined();
    }
  });

  it("documents every error a route can answer, in the error format, with the spec's codes", () => {
    for (const [name, route] of apiRoutes) {
      const responses = operationOf(route)!.responses as Json;
      const codes = errorCodes(route);
      expect(codes, name).toEqual(
        expect.arrayContaining(['InvalidParameter', 'Unauthorized', 'ServiceUnavailable']),
      );
      for (const code of codes) {
        const response = deref(responses[String(statusOfCode(code))] ?? {});
        expect(response.description, `${name} ${code}`).toContain(`\`${code}\``);
        const [error, narrowed] = response.content['application/json'].schema.allOf;
        expect(error).toEqual({ $ref: '#/components/schemas/ErrorResource' });
        const code$ = narrowed.properties.code;
        if (code$.enum) expect(code$.enum, `${name} ${code}`).toContain(code);
        else expect(new RegExp(code$.pattern).test(code), `${name} ${code}`).toBe(true);
      }
      const documented = Object.keys(responses).filter((s) => !s.startsWith('2'));
      expect(documented.sort(), name).toEqual([...new Set(codes.map((c) => String(statusOfCode(c))))].sort());
    }
    expect(deref(doc.components.schemas.ErrorResource).required).toEqual(['code', 'message', 'requestId']);
  });

  it('adds the pipeline errors by method: 413 with a body, 409 and 422 for idempotent writes', () => {
    const codesOf = (route: Route) => errorCodes(route);
    expect(codesOf(routes.getCen)).not.toContain('RequestTooLarge');
    expect(codesOf(routes.createCen)).toEqual(
      expect.arrayContaining([
        'RequestTooLarge',
        'IdempotenceParam.NotMatch',
        'OperationFailed.OperationIsProcessing',
      ]),
    );
    expect(codesOf(routes.deleteCen)).not.toContain('IdempotenceParam.NotMatch');
    // A malformed path id is a 404 of the resource it names, whatever the route lists.
    expect(codesOf(routes.updateConnection)).toEqual(
      expect.arrayContaining(['NotFound.Cen', 'NotFound.RegionConnection']),
    );
    expect(operationOf(routes.approveTicket)!.responses['403']).toBeDefined();
  });

  it('maps every error code of the spec to its status, and refuses an unknown one', () => {
    const spec: [string, number][] = [
      ['InvalidParameter', 400],
      ['InvalidParameter.RegionB', 400],
      ['Unauthorized', 401],
      ['Forbidden', 403],
      ['Forbidden.Release', 403],
      ['NotFound.Cen', 404],
      ['NotFound.Route', 404],
      ['InvalidOperation.BwpBandwidthExceeded', 409],
      ['OperationFailed.CrossBorderDowngradeNotSupported', 409],
      ['OperationFailed.OperationIsProcessing', 409],
      ['RequestTooLarge', 413],
      ['IdempotenceParam.NotMatch', 422],
      ['ServiceUnavailable', 503],
    ];
    for (const [code, status] of spec) expect(statusOfCode(code), code).toBe(status);
    expect(() => statusOfCode('Teapot')).toThrow(/Teapot/);
  });
});

describe('serverless.yml, the route registry and the document', () => {
  const functions = Object.entries(service.functions);
  const isStatic = (name: string) => Object.hasOwn(staticRoutes, name);
  const routed = functions.flatMap(([name, fn]) => {
    if (isStatic(name)) return [];
    const event = httpRoute(fn);
    return event === undefined ? [] : [[name, event] as const];
  });

  it('has a handler file named after each function', () => {
    for (const [name, fn] of functions) {
      expect(fn.handler, name).toBe(`functions/${name}.handler`);
      expect(existsSync(join(ROOT, 'functions', `${name}.ts`)), name).toBe(true);
    }
  });

  it('routes every HTTP function as the registry entry of the same name says', () => {
    for (const [name, event] of routed) {
      if (name === 'alibabaRpc') continue; // not a REST operation: see the next test
      const route = (routes as Record<string, Route>)[name];
      expect(route, `${name} is not in lib/http/routes.ts`).toBeDefined();
      if (event === '*') {
        expect(route!.path, name).toBe('*');
        continue;
      }
      expect({ method: event.method.toUpperCase(), path: event.path }, name).toEqual({
        method: route!.method,
        path: route!.path,
      });
      expect(doc.paths[event.path]?.[event.method.toLowerCase()]?.operationId, name).toBe(name);
    }
  });

  it('routes the Alibaba RPC door at / for every method, outside the registry and the document', () => {
    expect(routed.find(([name]) => name === 'alibabaRpc')?.[1]).toEqual(RPC_ROUTE);
    expect((routes as Record<string, Route>).alibabaRpc).toBeUndefined();
    expect(doc.paths['/']).toBeUndefined();
    // The REST functions of serverless.yml are exactly the registry's.
    const rest = routed.map(([name]) => name).filter((name) => name !== 'alibabaRpc');
    expect(rest.sort()).toEqual(entries.map(([name]) => name).sort());
  });

  it('has a function for every route of the registry', () => {
    const names = new Set(routed.map(([name]) => name));
    const missing = entries.map(([name]) => name).filter((name) => !names.has(name));
    expect(missing, 'routes with no function in serverless.yml').toEqual([]);
  });

  it('keeps the catch-all last, so that it never shadows a route', () => {
    expect(routed.at(-1)).toEqual(['routeNotFound', '*']);
    expect(routed.filter(([, event]) => event === '*')).toHaveLength(1);
    const names = functions.map(([name]) => name);
    for (const name of Object.keys(staticRoutes)) {
      expect(names.indexOf(name), name).toBeLessThan(names.indexOf('routeNotFound'));
    }
  });

  it('routes the public pages by the paths of staticRoutes, outside the API and its document', () => {
    const served = functions.filter(([name]) => isStatic(name));
    expect(served.map(([name]) => name).sort()).toEqual(Object.keys(staticRoutes).sort());
    const apiPaths = new Set(Object.values(routes).map((r) => r.path));
    for (const [name, fn] of served) {
      const route = staticRoutes[name as keyof typeof staticRoutes];
      const events = httpRoutes(fn).map((e) => (e === '*' ? e : `${e.method.toUpperCase()} ${e.path}`));
      expect(events, name).toEqual(route.paths.map((path) => `${route.method} ${path}`));
      expect(Object.hasOwn(routes, name), name).toBe(false);
      for (const path of route.paths) {
        expect(doc.paths[path], path).toBeUndefined();
        expect(apiPaths.has(path), path).toBe(false);
      }
    }
  });
});
