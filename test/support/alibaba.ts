/**
 * Alibaba's own Node client, `@alicloud/pop-core`, unchanged, pointed at the run's stack, and a
 * few hand-built requests for the protocol errors it cannot produce.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import RPCClient from '@alicloud/pop-core';
import { inject } from 'vitest';
import { createAccessKey } from '../../lib/alibaba/accessKeys';
import { sign } from '../../lib/alibaba/signature';
import { newTenant } from './fixtures';
import { api } from './http';

export const API_VERSION = '2017-09-12';

export interface Keys {
  accessKeyId: string;
  accessKeySecret: string;
}

export function rpcClient(keys: Keys, options: { apiVersion?: string; securityToken?: string } = {}) {
  return new RPCClient({
    endpoint: inject('apiUrl'),
    apiVersion: options.apiVersion ?? API_VERSION,
    ...keys,
    ...(options.securityToken ? { securityToken: options.securityToken } : {}),
  } as RPCClient.Config);
}

type Answer = Record<string, any>;

/** A client bound to one AccessKey: `call` resolves with the answer, `fail` with the error. */
export function alibaba(keys: Keys, options?: { apiVersion?: string; securityToken?: string }) {
  const client = rpcClient(keys, options);
  const call = (action: string, params: Record<string, unknown> = {}, method: 'GET' | 'POST' = 'POST') =>
    client.request<Answer>(action, params, { method, formatParams: false });
  const fail = async (
    action: string,
    params: Record<string, unknown> = {},
    method: 'GET' | 'POST' = 'POST',
  ) => {
    try {
      const answer = await call(action, params, method);
      throw new Error(`${action} succeeded: ${JSON.stringify(answer)}`);
    } catch (error) {
      const e = error as { code?: string; data?: Answer; entry?: { response?: { statusCode?: number } } };
      if (!e.data) throw error;
      return { code: e.code!, status: e.entry?.response?.statusCode, body: e.data };
    }
  };
  return { client, call, fail };
}

/** A fresh account with an API key (the REST door) and an AccessKey pair (the RPC door). */
export async function newAlibabaTenant(role: 'tenant' | 'operator' = 'tenant') {
  const t = await newTenant(role);
  const keys = await createAccessKey({ accountId: t.accountId, role });
  return { ...t, keys, rpc: alibaba(keys), rest: api(t.apiKey) };
}

export const timestamp = (ms = Date.now()) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** The common parameters of a signed request, for hand-built requests. */
export function commonParams(keys: Keys, action: string, extra: Record<string, string> = {}) {
  return {
    Action: action,
    Version: API_VERSION,
    Format: 'JSON',
    AccessKeyId: keys.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: timestamp(),
    ...extra,
  };
}

/** A signed request's form body, for calling the handler directly (integration tests). */
export function signedForm(keys: Keys, action: string, params: Record<string, string> = {}) {
  const all: Record<string, string> = commonParams(keys, action, params);
  all.Signature = sign('POST', all, keys.accessKeySecret);
  return new URLSearchParams(all).toString();
}

export interface RawReply {
  status: number;
  body: Answer;
}

/** Send parameters as given (GET: query string; POST: form body), signed unless `unsigned`. */
export async function rawRequest(
  params: Record<string, string>,
  options: {
    method?: string;
    secret?: string;
    unsigned?: boolean;
    query?: string;
    contentType?: string;
  } = {},
): Promise<RawReply> {
  const method = options.method ?? 'GET';
  const all = { ...params };
  if (!options.unsigned && options.secret) all.Signature = sign(method, all, options.secret);
  const encoded = new URLSearchParams(all).toString();
  const url = new URL('/', inject('apiUrl'));
  const query = method === 'GET' ? encoded : (options.query ?? '');
  const res = await fetch(`${url}${query ? `?${query}` : ''}`, {
    method,
    headers: { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' },
    body: method === 'GET' || method === 'HEAD' ? undefined : encoded,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

/**
 * The URL pop-core signs for a GET, captured by a loopback server that answers `{}` instead of
 * the stack: the host is not signed, so the same request can then be sent to the stack, as
 * often as a test likes.
 */
export async function signedByPopCore(keys: Keys, action: string, params: Record<string, unknown>) {
  let seen = '';
  const server = createServer((req, res) => {
    seen = req.url ?? '';
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const client = new RPCClient({ endpoint: `http://127.0.0.1:${port}`, apiVersion: API_VERSION, ...keys });
    await client.request(action, params, { method: 'GET', formatParams: false });
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return new URL(seen, inject('apiUrl')).toString();
}
