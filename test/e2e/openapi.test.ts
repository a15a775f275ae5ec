import Ajv2020 from 'ajv/dist/2020';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lib/http/openapi';
import { newTenant } from '../support/fixtures';
import { api, type Reply } from '../support/http';

type Json = Record<string, any>;

/** Checks a reply against the schema a served document gives its operation and status. */
function responseValidator(doc: Json) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  ajv.addSchema(doc, 'openapi');
  const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');
  return (method: string, path: string, reply: Reply): string[] => {
    const response = doc.paths[path]?.[method]?.responses?.[reply.status];
    if (!response) return [`${method} ${path}: status ${reply.status} is not documented`];
    const at =
      typeof response.$ref === 'string'
        ? response.$ref
        : `#/paths/${pointer(path)}/${method}/responses/${reply.status}`;
    if (reply.status === 204) return reply.body === undefined ? [] : [`${method} ${path}: a body with 204`];
    const validate = ajv.compile({ $ref: `openapi${at}/content/application~1json/schema` });
    if (validate(reply.body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${method} ${path} ${reply.status}: ${e.instancePath} ${e.message}`,
    );
  };
}

describe('GET /openapi.json', () => {
  it('serves the OpenAPI 3.1 document to any valid key', async () => {
    for (const key of ['local-tenant-a', 'local-operator']) {
      const res = await api(key).get('/openapi.json');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.openapi).toMatch(/^3\.1\./);
      expect(res.body).toEqual(openApiDocument());
    }
  });

  it('answers 401 Unauthorized without a key or with an unknown one', async () => {
    for (const key of [undefined, 'not-a-key']) {
      const res = await api(key).get('/openapi.json');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'Unauthorized', requestId: expect.any(String) });
    }
  });

  it('describes what the API really answers, successes and errors', async () => {
    const doc = (await api('local-tenant-a').get('/openapi.json')).body as Json;
    const check = responseValidator(doc);
    const t = api((await newTenant()).apiKey);
    const problems: string[] = [];
    const call = async (
      method: 'get' | 'post' | 'patch' | 'delete',
      path: string,
      template: string,
      body?: unknown,
    ) => {
      const reply =
        method === 'get' || method === 'delete' ? await t[method](path) : await t[method](path, body);
      problems.push(...check(method, template, reply));
      return reply;
    };

    await call('get', '/areas', '/areas');
    await call('get', '/regions', '/regions');
    const cen = (await call('post', '/cens', '/cens', { name: 'documented' })).body;
    const c = `/cens/${cen.cenId}`;
    await call('get', c, '/cens/{cenId}');
    await call('get', '/cens', '/cens');
    await call('post', `${c}/networks`, '/cens/{cenId}/networks', {
      networkId: 'vpc-doc',
      networkType: 'VPC',
      regionId: 'cn-hangzhou',
    });
    await call('get', `${c}/networks`, '/cens/{cenId}/networks');
    const pkg = (
      await call('post', '/bandwidth-packages', '/bandwidth-packages', {
        areaA: 'China',
        areaB: 'North-America',
        bandwidthMbps: 10,
        cenId: cen.cenId,
      })
    ).body;
    const p = `/bandwidth-packages/${pkg.bandwidthPackageId}`;
    await call('get', p, '/bandwidth-packages/{bandwidthPackageId}');
    await call('get', '/bandwidth-packages', '/bandwidth-packages');
    await call('get', `${p}/orders`, '/bandwidth-packages/{bandwidthPackageId}/orders');
    const conn = (
      await call('post', `${c}/region-connections`, '/cens/{cenId}/region-connections', {
        regionA: 'cn-hangzhou',
        regionB: 'us-east-1',
        bandwidthMbps: 4,
      })
    ).body;
    await call(
      'get',
      `${c}/region-connections/${conn.connectionId}`,
      '/cens/{cenId}/region-connections/{connectionId}',
    );
    await call(
      'get',
      `${c}/effective-bandwidth?regionA=cn-hangzhou&regionB=us-east-1`,
      '/cens/{cenId}/effective-bandwidth',
    );
    // Errors, in the error format and under a documented status.
    await call('post', `${c}/region-connections`, '/cens/{cenId}/region-connections', {
      regionA: 'cn-beijing',
      regionB: 'us-west-1',
      bandwidthMbps: 100,
    });
    await call('delete', c, '/cens/{cenId}');
    await call('get', '/cens/cen-01m832b5jm8ftchane8hrtg7ah', '/cens/{cenId}');
    await call('post', '/cens', '/cens', { name: '' });
    expect(problems).toEqual([]);
  });
});
