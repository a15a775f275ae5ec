/**
 * The public pages over HTTP (serveConsole): no key, content types, cache headers, revalidation,
 * compression, and the API's own 404s around them.
 */
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { describe, expect, inject, it } from 'vitest';
import { openApiDocument } from '../../lib/http/openapi';

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(new URL(path, inject('apiUrl')), { headers, redirect: 'manual' });

/** The asset URLs an index page loads. */
async function assetsOf(page: string): Promise<string[]> {
  const html = await (await get(page)).text();
  return [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('the public pages', () => {
  it('serves the console and the API reference without a key, revalidated on each load', async () => {
    for (const path of ['/console/', '/console', '/docs/', '/docs']) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      const etag = res.headers.get('etag')!;
      expect(etag, path).toMatch(/^"[\w-]+"$/);
      expect((await get(path, { 'if-none-match': etag })).status, path).toBe(304);
    }
    expect(await (await get('/console/')).text()).toContain('<div id="app">');
  });

  it('names every asset by its content hash and lets clients cache it for a year', async () => {
    const assets = [...(await assetsOf('/console/')), ...(await assetsOf('/docs/'))];
    expect(assets.length).toBe(5); // the console's script and style, Swagger UI's two, its start script
    for (const asset of assets) {
      expect(asset).toMatch(/^\/(console|docs)\/[\w.-]+-[0-9a-f]{10}\.(js|css)$/);
      const res = await get(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type'), asset).toMatch(/^text\/(javascript|css); charset=utf-8$/);
      expect(res.headers.get('cache-control'), asset).toBe('public, max-age=31536000, immutable');
    }
  });

  it('gzips large files for clients that take gzip', async () => {
    const script = (await assetsOf('/docs/')).find((a) => a.includes('swagger-ui-bundle'))!;
    const plain = await get(script, { 'accept-encoding': 'identity' });
    const raw = (await plain.arrayBuffer()).byteLength;
    // node:http leaves the body as sent (fetch would decode it).
    const zipped = await new Promise<{ encoding?: string; bytes: Buffer }>((resolve, reject) => {
      const req = request(
        new URL(script, inject('apiUrl')),
        { headers: { 'accept-encoding': 'gzip' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ encoding: res.headers['content-encoding'], bytes: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(zipped.encoding).toBe('gzip');
    expect(zipped.bytes.byteLength).toBeLessThan(raw / 3);
    expect(gunzipSync(zipped.bytes).byteLength).toBe(raw);
  });

  it('serves the same OpenAPI document as GET /openapi.json, with no key', async () => {
    const res = await get('/docs/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual(openApiDocument());
    expect((await get('/openapi.json')).status).toBe(401);
  });

  it('answers 404 NotFound.Route for an unknown file, and leaves every other path to the API', async () => {
    const missing = await get('/console/nothing.js');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'NotFound.Route' });
    // Not a public page: the catch-all (which authenticates first) answers.
    expect((await get('/consoles')).status).toBe(401);
    expect(await (await get('/console-x', { 'x-api-key': 'local-tenant-a' })).json()).toMatchObject({
      code: 'NotFound.Route',
    });
  });
});
