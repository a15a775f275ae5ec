/**
 * The RPC door at `/` (SPEC §8): one Lambda function, since an API Gateway route cannot branch on
 * a query parameter. It decodes (query string and form body merged), verifies (lib/alibaba/
 * protocol.ts, in §8.1's order) and dispatches to an action of lib/alibaba/actions.ts; the
 * domain stays in lib/. Success is 200 `{RequestId, ...}`; an error `{RequestId, HostId, Code,
 * Message, Recommend}`, all strings.
 */

import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { emulated } from '../emulator/pipeline';
import { log } from '../log';
import { ACTIONS } from './actions';
import { RpcError, toRpcError } from './errors';
import { fenced } from './nonces';
import { decodeParams, Reader } from './params';
import { checkVersion, verify } from './protocol';

/**
 * Its route in serverless.yml: every method at `/`. It is not an operation of the REST API's
 * registry (lib/http/routes.ts) nor of its OpenAPI document: one path, many actions, another
 * protocol, described in docs/alibaba-api.md.
 */
export const RPC_ROUTE = { method: '*', path: '/' } as const;

export interface Result {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const CONTENT_TYPE = 'application/json; charset=utf-8';

function answer(statusCode: number, body: Record<string, unknown>, requestId: string): Result {
  return {
    statusCode,
    headers: { 'content-type': CONTENT_TYPE, 'x-request-id': requestId },
    body: JSON.stringify(body),
  };
}

function bodyOf(event: APIGatewayProxyEventV2): string {
  const body: unknown = event.body;
  if (body === undefined || body === null) return '';
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return event.isBase64Encoded ? Buffer.from(text, 'base64').toString('utf8') : text;
}

const edge = emulated<APIGatewayProxyEventV2, Result>();

export async function alibabaRpc(event: APIGatewayProxyEventV2, context: Context): Promise<Result> {
  const requestId = context.awsRequestId;
  const started = Date.now();
  const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
  let action: string | undefined;
  let accountId: string | undefined;
  let verifyMs: number | undefined;
  try {
    if (method !== 'GET' && method !== 'POST') {
      throw new RpcError(
        405,
        'UnsupportedHTTPMethod',
        `The HTTP method ${method} is not supported; use GET or POST.`,
      );
    }
    // The local stack's clock and injected faults, as for every REST function (SPEC §6, §8).
    await edge.before?.({ event, context, response: undefined, error: undefined, internal: {} } as never);
    const params = decodeParams(event.rawQueryString ?? '', bodyOf(event), event.headers?.['content-type']);
    const verified = await verify(method, params);
    verifyMs = Date.now() - started;
    action = verified.action;
    accountId = verified.principal.accountId;
    const result = await fenced(verified.nonce, async () => {
      checkVersion(params);
      const run = Object.hasOwn(ACTIONS, verified.action) ? ACTIONS[verified.action] : undefined;
      if (!run)
        throw new RpcError(404, 'InvalidAction.NotFound', `Specified api ${verified.action} is not found.`);
      return run(new Reader(params), verified.principal);
    });
    const ms = Date.now() - started;
    log.info('request', { requestId, door: 'rpc', action, status: 200, accountId, ms, verifyMs });
    return answer(200, { RequestId: requestId, ...result }, requestId);
  } catch (error) {
    const rpc = toRpcError(error) ?? new RpcError(500, 'InternalError', 'An internal error occurred.');
    if (rpc.statusCode === 500) {
      log.error('unhandled error', {
        requestId,
        name: (error as Error)?.name,
        error: (error as Error)?.stack,
      });
    }
    log.info('request', {
      requestId,
      door: 'rpc',
      action,
      status: rpc.statusCode,
      code: rpc.code,
      accountId,
      ms: Date.now() - started,
    });
    const body = {
      RequestId: requestId,
      HostId: event.headers?.host ?? '',
      Code: rpc.code,
      Message: rpc.message,
      Recommend: rpc.recommend,
    };
    return answer(rpc.statusCode, body, requestId);
  }
}
