/** A small HTTP client for the e2e tests, against the run's serverless-offline. */
import { inject } from 'vitest';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Call {
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number>;
}

export function api(apiKey: string | undefined) {
  const base = inject('apiUrl');
  const send = async <T = any>(method: string, path: string, call: Call = {}): Promise<Reply<T>> => {
    const url = new URL(path, base);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { 'content-type': 'application/json', ...call.headers };
    if (apiKey !== undefined) headers['x-api-key'] = apiKey;
    const res = await fetch(url, {
      method,
      headers,
      body: call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body)),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    send,
    get: <T = any>(path: string, call?: Call) => send<T>('GET', path, call),
    post: <T = any>(path: string, body?: unknown, call?: Call) => send<T>('POST', path, { ...call, body }),
    patch: <T = any>(path: string, body?: unknown, call?: Call) => send<T>('PATCH', path, { ...call, body }),
    delete: <T = any>(path: string, call?: Call) => send<T>('DELETE', path, call),
  };
}

export type Api = ReturnType<typeof api>;

/** Invoke a function through serverless-offline's Lambda invoke endpoint. */
export async function invokeFunction<T = any>(name: string, event: unknown): Promise<T> {
  const url = `${inject('lambdaUrl')}/2015-03-31/functions/${inject('functionPrefix')}${name}/invocations`;
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(event) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`invoke ${name}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}
