/**
 * DynamoDB Local is stopped in the middle of a burst of writes and started again on the same data
 * file. Requests in the gap must get a clean 503; no request may get a 2xx for a write that did
 * not happen; afterwards every acknowledged write is there and the invariants hold.
 * This file runs its own stack (with a data folder), apart from the suite's shared one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkInvariants, createLoadAccount } from '../../bench/load';
import { freePort, type Stack, startStack } from '../../local/stack';

let stack: Stack;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cen-faults-'));
  stack = await startStack({
    apiPort: await freePort(),
    lambdaPort: await freePort(),
    dbPort: await freePort(),
    stage: 'faults',
    dbPath: dir,
    env: { LOG_LEVEL: 'error', API_KEY_CACHE_SECONDS: '60' },
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function send(apiKey: string, method: string, path: string, body?: unknown) {
  try {
    const res = await fetch(`${stack.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch (error) {
    return { status: 0, body: { error: String(error) } };
  }
}

describe('DynamoDB stopped and restarted under a burst of writes', () => {
  it('answers 503 in the gap, acknowledges only real writes, and keeps every invariant', async () => {
    const account = await createLoadAccount(stack.dbUrl, stack.tableName);
    const key = account.apiKey;
    // Warm the key cache and the functions, and make a package to allocate from.
    const cen = (await send(key, 'POST', '/cens', { name: 'faults' })).body;
    const pkg = await send(key, 'POST', '/bandwidth-packages', {
      areaA: 'China',
      areaB: 'Asia-Pacific',
      bandwidthMbps: 100,
      cenId: cen.cenId,
    });
    expect(pkg.status).toBe(201);

    const replies: Promise<{ status: number; body: any }>[] = [];
    const fire = (n: number) => {
      for (let i = 0; i < n; i++) {
        replies.push(send(key, 'POST', '/cens', { name: `burst-${replies.length}` }));
        replies.push(
          send(key, 'POST', '/bandwidth-packages', { areaA: 'Europe', areaB: 'Europe', bandwidthMbps: 2 }),
        );
      }
    };
    fire(20);
    await stack.stopDb();
    fire(20);
    const inGap = await Promise.all(replies.slice(40));
    const health = await fetch(`${stack.apiUrl}/_local/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'degraded', dynamodb: 'unavailable' });
    await stack.startDb();
    fire(20);
    const all = await Promise.all(replies);

    // In the gap: a clean, retryable 503 in the API's error format; nothing else.
    for (const r of inGap) {
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ code: 'ServiceUnavailable', requestId: expect.any(String) });
    }
    // Overall: only 201 and 503, never a 500, never a dropped connection.
    expect(new Set(all.map((r) => r.status))).toEqual(new Set([201, 503]));
    // After the restart the service answers again, from the same data.
    expect(all.slice(80).filter((r) => r.status === 201).length).toBeGreaterThan(0);

    // Every acknowledged write is there.
    const listed = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await send(key, 'GET', `/cens?limit=100${nextToken ? `&nextToken=${nextToken}` : ''}`);
      for (const c of page.body.items) listed.add(c.cenId);
      nextToken = page.body.nextToken;
    } while (nextToken);
    for (const r of all.filter((r) => r.status === 201 && r.body.cenId))
      expect(listed.has(r.body.cenId)).toBe(true);
    for (const r of all.filter((r) => r.status === 201 && r.body.bandwidthPackageId)) {
      const got = await send(key, 'GET', `/bandwidth-packages/${r.body.bandwidthPackageId}`);
      expect(got.status).toBe(200);
      const orders = await send(key, 'GET', `/bandwidth-packages/${r.body.bandwidthPackageId}/orders`);
      expect(orders.body.items.map((o: { type: string }) => o.type)).toEqual(['Purchase']);
    }
    expect(
      await checkInvariants(stack.dbUrl, stack.tableName, account.accountId, [
        { cenId: cen.cenId, packageId: pkg.body.bandwidthPackageId },
      ]),
    ).toEqual([]);
  });
});
