/** Calls a handler directly with an API Gateway v2 event: the integration tests' entry point. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

export interface Invocation {
  apiKey?: string;
  method?: string;
  path?: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export async function invoke<T = any>(
  handler: Handler,
  call: Invocation = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { ...call.headers };
  if (call.apiKey) headers['x-api-key'] = call.apiKey;
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: call.path ?? '/',
    rawQueryString: '',
    headers,
    queryStringParameters: call.query,
    pathParameters: call.params,
    body: call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body)),
    isBase64Encoded: false,
    requestContext: { http: { method: call.method ?? 'GET', path: call.path ?? '/' } },
  } as unknown as APIGatewayProxyEventV2;
  const context = {
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
  const out = (await handler(event, context)) as { statusCode: number; body: string };
  return { status: out.statusCode, body: out.body ? JSON.parse(out.body) : undefined };
}
