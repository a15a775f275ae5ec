/**
 * A serverless-offline stack of a test file's own, on its own stage (so its own table) in the
 * run's DynamoDB Local: for tests that move time far ahead with the expiry job, which would
 * expire every other test's packages in the shared table. Started before the file's tests and
 * stopped after them.
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { freePort, type Stack, startStack } from '../../local/stack';

export type Reply = { status: number; body: any };

export interface OwnStack {
  readonly stack: Stack;
  /** A request to the stack's API with this key; the body is sent as JSON. */
  http(key: string, method: string, path: string, body?: unknown): Promise<Reply>;
  /** The stack's `expireSubscriptions` through the Lambda invoke endpoint, "now" being `time`. */
  invokeJob(time: string): Promise<Response>;
}

export function useOwnStack(
  stage: string,
  env: Record<string, string>,
  options: { hotReload?: boolean } = {},
): OwnStack {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startStack({
      apiPort: await freePort(),
      lambdaPort: await freePort(),
      dbPort: Number(new URL(inject('dbUrl')).port),
      externalDb: true,
      stage,
      env,
      hotReload: options.hotReload,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const started = () => {
    if (!stack) throw new Error(`the ${stage} stack is not running`);
    return stack;
  };
  return {
    get stack() {
      return started();
    },
    async http(key, method, path, body) {
      const res = await fetch(`${started().apiUrl}${path}`, {
        method,
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    invokeJob(time) {
      const fn = `cen-bandwidth-${stage}-expireSubscriptions`;
      return fetch(`${started().lambdaUrl}/2015-03-31/functions/${fn}/invocations`, {
        method: 'POST',
        body: JSON.stringify({ time }),
      });
    },
  };
}
