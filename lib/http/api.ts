/**
 * The request pipeline every HTTP function shares, as middy middleware:
 *
 *   frame (request id, access log, error → response)  →  authenticate  →  parse and validate
 *   →  idempotency  →  the operation
 *
 * A handler file is then one line: its route from the registry, and the call into `lib/`.
 * Errors are mapped to HTTP here and only here.
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { authenticate, type Principal } from '../auth';
import { type Effect, withEffect } from '../db/effect';
import { emulated } from '../emulator/pipeline';
import { ApiError, type Code, forbidden, invalidParameter, invalidParameterCode, notFound } from '../errors';
import {
  type Claim,
  claim,
  effectOf,
  fingerprint,
  IDEMPOTENCY_KEY,
  type StoredResponse,
  settle,
} from '../idempotency';
import { log } from '../log';
import type { Route } from './routes';

export const MAX_BODY_BYTES = 16_384;

/**
 * The codes this pipeline adds to a route's own (`route.errors`), by what the route is: every
 * request may be malformed (400), lack a key (401) or meet an unreachable database (503); an
 * operator route refuses tenants (403); a malformed path id is the 404 of the resource it names
 * (or the 400 of its field); a body may be too large (413); a POST or PATCH is idempotent (422,
 * and 409 while its first run is still processing). The local emulator's injected faults
 * (lib/emulator, `Throttling.User`) are no part of the deployed API and not listed.
 */
export function pipelineErrors(route: Route): Code[] {
  const codes: Code[] = ['InvalidParameter', 'Unauthorized', 'ServiceUnavailable'];
  if (route.role === 'operator') codes.push('Forbidden');
  for (const param of Object.values(route.params)) {
    codes.push('field' in param ? invalidParameterCode(param.field) : `NotFound.${param.resource}`);
  }
  if (route.body) codes.push('RequestTooLarge');
  if (route.method === 'POST' || route.method === 'PATCH') {
    codes.push('IdempotenceParam.NotMatch', 'OperationFailed.OperationIsProcessing');
  }
  return codes;
}

export interface Request<B extends z.ZodType, Q extends z.ZodType> {
  principal: Principal;
  body: z.output<B>;
  query: z.output<Q>;
  params: Record<string, string>;
  requestId: string;
}

type Event = APIGatewayProxyEventV2;
export interface Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

interface State {
  requestId: string;
  started: number;
  principal?: Principal;
  body?: unknown;
  query?: unknown;
  params?: Record<string, string>;
  claim?: Claim;
  /** The claimed request's effect scope: its write completes the record (db/effect.ts). */
  effect?: Effect;
  replay?: StoredResponse;
}

const state = (context: Context) => (context as Context & { state: State }).state;

export function json(
  statusCode: number,
  body: unknown,
  requestId: string,
  extra: Record<string, string> = {},
): Result {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...extra },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

export function errorResponse(error: unknown, requestId: string): Result {
  if (error instanceof ApiError) return json(error.statusCode, error.toJSON(requestId), requestId);
  if (error instanceof Error && error.name === 'TimeoutError') {
    return json(
      503,
      { code: 'ServiceUnavailable', message: 'The request timed out; retry it.', requestId },
      requestId,
    );
  }
  return json(500, { code: 'InternalError', message: 'An internal error occurred.', requestId }, requestId);
}

/** First in, so its `after`/`onError` run last: it sees every response and every error. */
const frame = (route: Route): MiddlewareObj<Event, Result> => ({
  before: (request) => {
    (request.context as Context & { state: State }).state = {
      requestId: request.context.awsRequestId,
      started: Date.now(),
    };
  },
  after: (request) => {
    accessLog(route, request.event, request.context, request.response?.statusCode ?? 0);
  },
  onError: (request) => {
    const s = state(request.context);
    const response = errorResponse(request.error, s.requestId);
    if (response.statusCode >= 500 && !(request.error instanceof ApiError)) {
      const error = request.error as Error;
      log.error('unhandled error', { requestId: s.requestId, name: error?.name, error: error?.stack });
    }
    request.response = response;
    accessLog(route, request.event, request.context, response.statusCode, request.error);
  },
});

function accessLog(route: Route, event: Event, context: Context, status: number, error?: unknown) {
  const s = state(context);
  log.info('request', {
    requestId: s.requestId,
    method: route.method,
    route: route.path,
    path: event.rawPath,
    status,
    code: error instanceof ApiError ? error.code : undefined,
    accountId: s.principal?.accountId,
    ms: Date.now() - s.started,
    replayed: s.replay ? true : undefined,
  });
}

const authenticated = (route: Route): MiddlewareObj<Event, Result> => ({
  before: async (request) => {
    const principal = await authenticate(header(request.event, 'x-api-key'));
    if (route.role === 'operator' && principal.role !== 'operator') throw forbidden();
    state(request.context).principal = principal;
  },
});

const parsed = (route: Route): MiddlewareObj<Event, Result> => ({
  before: (request) => {
    const s = state(request.context);
    const event = request.event;
    // Path ids first: a malformed id names nothing, so it is a 404 like any absent resource.
    const params: Record<string, string> = {};
    for (const [name, param] of Object.entries(route.params)) {
      const value = event.pathParameters?.[name] ?? '';
      if (!param.pattern.test(value)) {
        throw 'field' in param
          ? invalidParameter(param.field, `${name} is malformed.`)
          : notFound(param.resource, value);
      }
      params[name] = value;
    }
    s.params = params;
    s.query = validate(route.query, event.queryStringParameters ?? {});
    if (route.body) s.body = validate(route.body, parseBody(event));
  },
});

function parseBody(event: Event): unknown {
  // API Gateway always sends a string; serverless-offline hands falsy JSON bodies (`false`, `0`)
  // over parsed, and the JSON text `null` as a null body, like no body at all, except that the
  // request had a length. Take each as the text it was.
  const body: unknown = event.body;
  const sent = Number(event.headers?.['content-length'] ?? 0) > 0;
  const raw =
    typeof body === 'string'
      ? body
      : body === undefined || body === null
        ? body === null && sent
          ? 'null'
          : ''
        : JSON.stringify(body);
  return parseJsonText(
    event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw,
    MAX_BODY_BYTES,
  );
}

/** A request body's text as JSON: 413 past `maxBytes`, `{}` when empty, 400 when not JSON. */
export function parseJsonText(text: string, maxBytes: number): unknown {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new ApiError(413, 'RequestTooLarge', `The request body exceeds ${maxBytes} bytes.`);
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw invalidParameter(undefined, 'The request body is not valid JSON.');
  }
}

export function validate<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    throw invalidParameter(undefined, `Unknown field(s): ${issue.keys.join(', ')}.`);
  }
  const field = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw invalidParameter(field, `${where}${issue.message}`);
}

const idempotent = (route: Route): MiddlewareObj<Event, Result> => ({
  before: async (request) => {
    const key = header(request.event, 'idempotency-key');
    if (key === undefined) return;
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw invalidParameter('Idempotency-Key', 'Idempotency-Key must be 1-64 printable ASCII characters.');
    }
    const s = state(request.context);
    const c: Claim = {
      accountId: s.principal!.accountId,
      key,
      fingerprint: fingerprint(route.method, request.event.rawPath, s.body),
    };
    s.replay = await claim(c);
    if (s.replay) return;
    s.claim = c;
    s.effect = effectOf(c, (result) => ({
      statusCode: route.status,
      body: kept(route, JSON.stringify(result)),
    }));
  },
  after: async (request) => {
    const s = state(request.context);
    if (!s.claim || !s.effect || !request.response) return;
    const { statusCode, body } = request.response;
    await settle(s.claim, s.effect, { statusCode, body: statusCode < 300 ? kept(route, body) : body });
  },
  onError: async (request) => {
    const s = state(request.context);
    if (!s.claim || !s.effect) return;
    const { statusCode, body } = errorResponse(request.error, s.requestId);
    await settle(s.claim, s.effect, { statusCode, body });
  },
});

/** The response body as the idempotency record keeps it: without the route's shown-once fields. */
function kept(route: Route, body: string): string {
  if (!route.shownOnce?.length || !body) return body;
  const value = JSON.parse(body) as Record<string, unknown>;
  for (const field of route.shownOnce) if (field in value) value[field] = null;
  return JSON.stringify(value);
}

function header(event: Event, name: string): string | undefined {
  return event.headers?.[name] ?? undefined;
}

export function api<B extends z.ZodType, Q extends z.ZodType>(
  route: Route<B, Q>,
  operation: (request: Request<B, Q>) => Promise<unknown> | unknown,
) {
  const handler = middy<Event, Result>(async (_event: Event, context: Context): Promise<Result> => {
    const s = state(context);
    if (s.replay) {
      return {
        statusCode: s.replay.statusCode,
        headers: {
          'content-type': 'application/json',
          'x-request-id': s.requestId,
          'idempotent-replayed': 'true',
        },
        body: s.replay.body,
      };
    }
    const run = async () =>
      operation({
        principal: s.principal!,
        body: s.body as z.output<B>,
        query: s.query as z.output<Q>,
        params: s.params!,
        requestId: s.requestId,
      });
    const result = s.effect ? await withEffect(s.effect, run) : await run();
    return json(route.status, route.status === 204 ? undefined : result, s.requestId);
  });
  handler.use(frame(route));
  handler.use(emulated<Event, Result>()); // local stack only: its clock and injected faults (SPEC §6)
  handler.use(authenticated(route)).use(parsed(route));
  if (route.method === 'POST' || route.method === 'PATCH') handler.use(idempotent(route));
  return handler;
}
