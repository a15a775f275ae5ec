/**
 * The public pages: the web console under /console/ and the API reference under /docs/ (SPEC §7),
 * served from the files local/build-web.ts writes into dist/web. No API key (the pages are the
 * same for everyone; the console sends the signed-in key with each API call), no database.
 *
 * Files named by their content hash are cached for a year; the index pages and the embedded
 * OpenAPI document are revalidated on each load (ETag, 304). Text is gzipped when the client
 * takes it (Swagger UI is 1.7 MB raw, 0.46 MB gzipped; a Lambda response holds at most 6 MB).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { log } from '../log';
import type { Result } from './api';
import { openApiDocument } from './openapi';

/** The folders served, each with its index page. */
export const STATIC_ROOTS = ['console', 'docs'] as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};

// Nothing loads from another host; Swagger UI and Preact set inline styles (style attributes).
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const REVALIDATE = 'no-cache';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  cache: string;
  gzipped?: Buffer;
}

function asset(path: string, body: Buffer): Asset {
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const index = path.endsWith('/index.html') || path.endsWith('.json');
  return { body, type, etag, cache: index ? REVALIDATE : IMMUTABLE };
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/** Every servable file by its URL path, read once per container. */
export function loadAssets(dist: string): Map<string, Asset> {
  if (!existsSync(dist)) throw new Error(`static: ${dist} is missing; run local/build-web.ts`);
  const assets = new Map<string, Asset>();
  for (const file of files(dist)) {
    const path = `/${relative(dist, file).split('\\').join('/')}`;
    const served = path.endsWith('/index.html') ? path.slice(0, -'index.html'.length) : path;
    assets.set(served, asset(path, readFileSync(file)));
  }
  // The reference page reads the API's own generated document, which /openapi.json serves only
  // with a key: the same document, embedded here.
  assets.set(
    '/docs/openapi.json',
    asset('/docs/openapi.json', Buffer.from(JSON.stringify(openApiDocument()))),
  );
  return assets;
}

function headers(a: Asset, requestId: string): Record<string, string> {
  return {
    'content-type': a.type,
    'cache-control': a.cache,
    etag: a.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    'content-security-policy': CSP,
    'referrer-policy': 'no-referrer',
    'x-request-id': requestId,
  };
}

const notFound = (path: string, requestId: string): Result => ({
  statusCode: 404,
  headers: { 'content-type': 'application/json', 'x-request-id': requestId },
  body: JSON.stringify({ code: 'NotFound.Route', message: `No such page: ${path}.`, requestId }),
});

export function serveStatic(dist: string) {
  let assets: Map<string, Asset> | undefined;
  const respond = (
    event: APIGatewayProxyEventV2,
    requestId: string,
  ): Result & { isBase64Encoded?: boolean } => {
    assets ??= loadAssets(dist);
    // `/console` is `/console/` (serverless-offline strips the trailing slash; API Gateway does not).
    const path = (STATIC_ROOTS as readonly string[]).includes(event.rawPath.slice(1))
      ? `${event.rawPath}/`
      : event.rawPath;
    const a = assets.get(path);
    if (!a) return notFound(path, requestId);
    const h = headers(a, requestId);
    if (event.headers?.['if-none-match'] === a.etag) return { statusCode: 304, headers: h, body: '' };
    if (/\bgzip\b/.test(event.headers?.['accept-encoding'] ?? '') && a.body.length > 1024) {
      a.gzipped ??= gzipSync(a.body);
      return {
        statusCode: 200,
        headers: { ...h, 'content-encoding': 'gzip' },
        body: a.gzipped.toString('base64'),
        isBase64Encoded: true,
      };
    }
    return { statusCode: 200, headers: h, body: a.body.toString('utf8') };
  };
  return async (event: APIGatewayProxyEventV2, context: { awsRequestId: string }) => {
    const started = Date.now();
    const response = respond(event, context.awsRequestId);
    log.info('request', {
      requestId: context.awsRequestId,
      method: event.requestContext?.http?.method ?? 'GET',
      route: 'static',
      path: event.rawPath,
      status: response.statusCode,
      ms: Date.now() - started,
    });
    return response;
  };
}
