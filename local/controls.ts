/**
 * `localControls`, the local stack's emulator controls (SPEC §6, docs/local.md): one function for
 * the `/_local/*` routes, added by local/emulator-plugin.js under `serverless offline` only. No
 * API key; loopback clients only; never subject to injected faults (it does not use the API's
 * pipeline). The operations are in lib/emulator/controls.ts.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handler as expireSubscriptions } from '../functions/expireSubscriptions';
import { seedDemo } from '../lib/demo';
import {
  deleteFaults,
  getClock,
  getFaults,
  health,
  MAX_SNAPSHOT_BYTES,
  postClock,
  putFaults,
  reset,
  restoreSnapshot,
  takeSnapshot,
} from '../lib/emulator/controls';
import { ApiError } from '../lib/errors';
import { errorResponse, json, parseJsonText, type Result } from '../lib/http/api';
import { log } from '../lib/log';

type Reply = { statusCode: number; body?: unknown };
const ok = (body: unknown): Reply => ({ statusCode: 200, body });
const done: Reply = { statusCode: 204 };

/** Keyed `METHOD path`, as local/emulator-plugin.js routes them (a unit test holds the two equal). */
export const CONTROLS: Record<string, (body: unknown) => Promise<Reply>> = {
  'GET /_local/health': async () => {
    const { statusCode, body } = await health();
    return { statusCode, body };
  },
  'POST /_local/reset': async () => {
    await reset(seedDemo);
    return done;
  },
  'GET /_local/snapshot': async () => ok(await takeSnapshot()),
  'PUT /_local/snapshot': async (body) => {
    await restoreSnapshot(body);
    return done;
  },
  'GET /_local/clock': async () => ok(await getClock()),
  'POST /_local/clock': async (body) =>
    ok(await postClock(body, (now) => expireSubscriptions({ time: now }))),
  'GET /_local/faults': async () => ok(await getFaults()),
  'PUT /_local/faults': async (body) => ok(await putFaults(body)),
  'DELETE /_local/faults': async () => {
    await deleteFaults();
    return done;
  },
};

export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<Result> {
  const requestId = context?.awsRequestId ?? randomUUID();
  const method = event.requestContext.http.method;
  let reply: Result;
  try {
    if (!isLoopback(event.requestContext.http.sourceIp)) {
      throw new ApiError(403, 'Forbidden', 'The local controls answer loopback clients only.');
    }
    const control = CONTROLS[`${method} ${event.rawPath}`];
    if (!control) throw new ApiError(404, 'NotFound.Route', 'No such local control; see docs/local.md.');
    const { statusCode, body } = await control(parseBody(event));
    reply = json(statusCode, body, requestId);
  } catch (error) {
    reply = errorResponse(error, requestId);
  }
  log.info('local control', { requestId, method, path: event.rawPath, status: reply.statusCode });
  return reply;
}

function isLoopback(ip: string | undefined): boolean {
  return ip === '::1' || /^(::ffff:)?127\./.test(ip ?? '');
}

/** JSON up to 10 MB (a snapshot); serverless-offline hands falsy JSON bodies over parsed. */
function parseBody(event: APIGatewayProxyEventV2): unknown {
  const body: unknown = event.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'string') return body;
  return parseJsonText(
    event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
    MAX_SNAPSHOT_BYTES,
  );
}
