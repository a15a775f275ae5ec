/**
 * The local emulator's controls over HTTP (SPEC §6): health, the simulated clock, injected faults,
 * snapshots and reset. The clock and faults are global state of a stack, so this file runs on a
 * stack of its own (stage `emulator`, its own table), never on the suite's shared one.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { checkInvariants, createLoadAccount, documentClient, setupFixtures } from '../../bench/load';
import { hashKey } from '../../lib/auth';
import { keys } from '../../lib/db/keys';
import { DEMO_KEYS, ROOT } from '../../local/stack';
import { clockTests, control } from '../support/clock-tests';
import { useOwnStack } from '../support/own-stack';

const own = useOwnStack('emulator', { LOG_LEVEL: 'warn' });
const http = own.http;

async function account() {
  return createLoadAccount(own.stack.dbUrl, own.stack.tableName);
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const out = await run();
  return [out, Date.now() - started];
}

async function scanTable() {
  const db = documentClient(own.stack.dbUrl);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: own.stack.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

const byKey = (items: Record<string, unknown>[]) =>
  [...items].sort((a, b) => `${a.PK}|${a.SK}`.localeCompare(`${b.PK}|${b.SK}`));

describe('GET /_local/health', () => {
  it('answers ok with the table, stage, version and clock, with no API key', async () => {
    const res = await control(own, 'GET', 'health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      dynamodb: 'ok',
      table: own.stack.tableName,
      stage: 'emulator',
      version: expect.any(String),
      clock: { simulated: false, offsetMs: 0 },
    });
    expect(Math.abs(Date.parse(res.body.now) - Date.now())).toBeLessThan(60_000);
  });
});

describe('the simulated clock (in-process stack)', () => {
  clockTests(own);
});

describe('injected faults', () => {
  it('throttles a function for its count, after its latency, writing nothing; then it is spent', async () => {
    const { apiKey: key } = await account();
    const put = await control(own, 'PUT', 'faults', {
      faults: [{ operation: 'createCen', error: 'Throttling', probability: 1, latencyMs: 300, count: 2 }],
    });
    expect(put).toEqual({
      status: 200,
      body: {
        faults: [{ operation: 'createCen', error: 'Throttling', probability: 1, latencyMs: 300, count: 2 }],
      },
    });
    const [first, ms] = await timed(() => http(key, 'POST', '/cens', { name: 'throttled' }));
    expect(first.status).toBe(429);
    expect(first.body.code).toBe('Throttling.User');
    expect(ms).toBeGreaterThanOrEqual(300);
    expect((await control(own, 'GET', 'faults')).body.faults[0].count).toBe(1);
    // Another function is not affected.
    expect((await http(key, 'GET', '/cens')).status).toBe(200);
    expect((await http(key, 'POST', '/cens', { name: 'throttled' })).status).toBe(429);
    expect((await control(own, 'GET', 'faults')).body).toEqual({ faults: [] });
    expect((await http(key, 'GET', '/cens')).body.items).toEqual([]);
    expect((await http(key, 'POST', '/cens', { name: 'through' })).status).toBe(201);
  });

  it('answers 503 on every API function for "*", never on the controls themselves', async () => {
    const { apiKey: key } = await account();
    await control(own, 'PUT', 'faults', {
      faults: [{ operation: '*', error: 'ServiceUnavailable', probability: 1, latencyMs: 200, count: 3 }],
    });
    expect((await control(own, 'GET', 'health')).status).toBe(200);
    const [cen, ms] = await timed(() => http(key, 'POST', '/cens', { name: 'down' }));
    expect(cen.status).toBe(503);
    expect(cen.body.code).toBe('ServiceUnavailable');
    expect(ms).toBeGreaterThanOrEqual(200);
    expect((await http(key, 'GET', '/areas')).status).toBe(503);
    expect((await http(key, 'GET', '/nowhere')).status).toBe(503);
    expect((await control(own, 'GET', 'faults')).body).toEqual({ faults: [] });
    expect((await http(key, 'GET', '/cens')).body.items).toEqual([]);
  });

  it("runs the service's own retries under TransactionConflict: success within them, 503 past them", async () => {
    const { apiKey: key } = await account();
    const [fixture] = await setupFixtures({ apiUrl: own.stack.apiUrl, cens: 1, packageMbps: 20 }, key);
    const { cenId, packageId } = fixture!;
    await control(own, 'PUT', 'faults', {
      faults: [
        {
          operation: 'createConnection',
          error: 'TransactionConflict',
          probability: 1,
          latencyMs: 50,
          count: 3,
        },
      ],
    });
    const [created, ms] = await timed(() =>
      http(key, 'POST', `/cens/${cenId}/region-connections`, {
        regionA: 'cn-hangzhou',
        regionB: 'ap-southeast-1',
        bandwidthMbps: 5,
      }),
    );
    expect(created.status).toBe(201);
    expect(ms).toBeGreaterThanOrEqual(150);
    expect((await control(own, 'GET', 'faults')).body).toEqual({ faults: [] });

    await control(own, 'PUT', 'faults', {
      faults: [{ operation: 'createConnection', error: 'TransactionConflict', probability: 1 }],
    });
    const refused = await http(key, 'POST', `/cens/${cenId}/region-connections`, {
      regionA: 'cn-beijing',
      regionB: 'ap-southeast-1',
      bandwidthMbps: 5,
    });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('ServiceUnavailable');
    expect((await control(own, 'GET', 'faults')).body.faults).toHaveLength(1);
    expect((await control(own, 'DELETE', 'faults')).status).toBe(204);
    const pkg = await http(key, 'GET', `/bandwidth-packages/${packageId}`);
    expect(pkg.body.allocatedMbps).toBe(5);
    expect((await http(key, 'GET', `/cens/${cenId}/region-connections`)).body.items).toHaveLength(1);
  });

  it('keeps every package whole under a storm of creates at TransactionConflict 0.3', async () => {
    const { apiKey: key, accountId } = await account();
    const fixtures = await setupFixtures({ apiUrl: own.stack.apiUrl, cens: 4, packageMbps: 30 }, key);
    await control(own, 'PUT', 'faults', {
      faults: [{ operation: 'createConnection', error: 'TransactionConflict', probability: 0.3 }],
    });
    const china = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen', 'cn-qingdao'];
    const asia = ['ap-southeast-1', 'ap-northeast-1', 'cn-hongkong', 'ap-south-1'];
    const requests = Array.from({ length: 100 }, (_, i) => ({
      fixture: fixtures[i % 4]!,
      // 25 requests per CEN over its 20 pairs: some pairs twice, some past the package's 30 Mbps.
      body: {
        regionA: china[Math.floor(i / 4) % 5],
        regionB: asia[Math.floor(i / 20) % 4],
        bandwidthMbps: 1 + (i % 4),
      },
    }));
    const statuses: number[] = [];
    for (let i = 0; i < requests.length; i += 20) {
      const batch = requests.slice(i, i + 20);
      const replies = await Promise.all(
        batch.map((r) => http(key, 'POST', `/cens/${r.fixture.cenId}/region-connections`, r.body)),
      );
      statuses.push(...replies.map((r) => r.status));
    }
    await control(own, 'DELETE', 'faults');
    expect(statuses.filter((s) => ![201, 409, 503].includes(s))).toEqual([]);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(20);
    expect(await checkInvariants(own.stack.dbUrl, own.stack.tableName, accountId, fixtures)).toEqual([]);
  });
});

describe('bad control bodies', () => {
  it('are 400 and change neither the faults nor the clock', async () => {
    const fault = { operation: 'getCen', error: 'ServiceUnavailable', probability: 0, count: 5 };
    await control(own, 'PUT', 'faults', { faults: [fault] });
    await control(own, 'POST', 'clock', { now: '2030-01-01T00:00:00Z' });
    const clockBefore = (await control(own, 'GET', 'clock')).body;

    const badFaults: unknown[] = [
      {},
      'not json',
      { faults: {} },
      { faults: [{ ...fault, operation: 'noSuchFunction' }] },
      { faults: [{ ...fault, operation: 'expireSubscriptions' }] },
      { faults: [{ ...fault, error: 'Boom' }] },
      { faults: [{ ...fault, probability: 1.5 }] },
      { faults: [{ ...fault, latencyMs: -1 }] },
      { faults: [{ ...fault, count: 0 }] },
      { faults: [{ ...fault, extra: true }] },
      { faults: [fault], more: 1 },
    ];
    for (const body of badFaults) {
      const res = await control(own, 'PUT', 'faults', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code, JSON.stringify(body)).toMatch(/^InvalidParameter/);
    }
    expect((await control(own, 'GET', 'faults')).body).toEqual({ faults: [fault] });

    const badClocks: unknown[] = [
      {},
      { runJob: true },
      { now: 'tomorrow' },
      { now: '2030-01-01' },
      { now: '1999-12-31T00:00:00Z' },
      { now: '+010000-01-01T00:00:00Z' },
      { advanceBy: '31D' },
      { advanceBy: 'P' },
      { advanceBy: 'PT' },
      { advanceBy: 'P1.5D' },
      { advanceBy: 'P99999Y' },
      { advanceBy: 'P1D', now: '2030-01-01T00:00:00Z' },
      { reset: false },
      { advanceBy: 'P1D', extra: 1 },
      { advanceBy: 1 },
    ];
    for (const body of badClocks) {
      const res = await control(own, 'POST', 'clock', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const clockAfter = (await control(own, 'GET', 'clock')).body;
    expect(clockAfter.offsetMs).toBe(clockBefore.offsetMs);
    await control(own, 'DELETE', 'faults');
    await control(own, 'POST', 'clock', { reset: true });
  });
});

describe('snapshots', () => {
  it('round-trip: PUT of a snapshot taken earlier gives back exactly its items', async () => {
    const { apiKey: key } = await account();
    const kept = await http(key, 'POST', '/cens', { name: 'kept' });
    const taken = await control(own, 'GET', 'snapshot');
    expect(taken.status).toBe(200);
    expect(taken.body).toMatchObject({ format: 'cen-bandwidth-snapshot/1', takenAt: expect.any(String) });
    const later = await http(key, 'POST', '/cens', { name: 'later' });

    expect((await control(own, 'PUT', 'snapshot', taken.body)).status).toBe(204);
    expect((await http(key, 'GET', `/cens/${kept.body.cenId}`)).status).toBe(200);
    expect((await http(key, 'GET', `/cens/${later.body.cenId}`)).status).toBe(404);
    const again = await control(own, 'GET', 'snapshot');
    expect(byKey(again.body.items)).toEqual(byKey(taken.body.items));
  });

  it('refuses a malformed snapshot with 400 and changes nothing', async () => {
    const taken = (await control(own, 'GET', 'snapshot')).body;
    const item = taken.items[0];
    const bad: unknown[] = [
      { ...taken, format: 'cen-bandwidth-snapshot/2' },
      { format: taken.format },
      { ...taken, items: {} },
      { ...taken, items: [...taken.items, { PK: 'X' }] },
      { ...taken, items: [...taken.items, { ...item, SK: '' }] },
      { ...taken, items: [...taken.items, { ...item, GSI1PK: 7 }] },
      { ...taken, items: [...taken.items, item] },
      { ...taken, items: [...taken.items, { PK: 'LOCAL#EMULATOR', SK: 'STATE' }] },
      { ...taken, items: [...taken.items, 'an item'] },
      { ...taken, extra: 1 },
    ];
    for (const body of bad) {
      const res = await control(own, 'PUT', 'snapshot', body);
      expect(res.status).toBe(400);
    }
    expect(byKey((await control(own, 'GET', 'snapshot')).body.items)).toEqual(byKey(taken.items));
  });

  it('saves and loads through npm run snapshot', async () => {
    const { apiKey: key } = await account();
    const file = join(mkdtempSync(join(tmpdir(), 'cen-snapshot-')), 'table.json');
    const run = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'local', 'snapshot.ts'), ...args, '--url', own.stack.apiUrl],
        { cwd: ROOT },
      );
    const kept = await http(key, 'POST', '/cens', { name: 'kept' });
    expect((await run('save', file)).stdout).toMatch(/^saved \d+ items/);
    expect(JSON.parse(readFileSync(file, 'utf8')).format).toBe('cen-bandwidth-snapshot/1');
    const later = await http(key, 'POST', '/cens', { name: 'later' });
    await run('load', file);
    expect((await http(key, 'GET', `/cens/${kept.body.cenId}`)).status).toBe(200);
    expect((await http(key, 'GET', `/cens/${later.body.cenId}`)).status).toBe(404);
  });
});

describe('POST /_local/reset', () => {
  it('leaves only the demo keys and their accounts, the wall clock and no fault', async () => {
    const { apiKey: key } = await account();
    await http(key, 'POST', '/cens', { name: 'gone' });
    await control(own, 'POST', 'clock', { advanceBy: 'P3D' });
    await control(own, 'PUT', 'faults', {
      faults: [{ operation: 'getCen', error: 'Throttling', probability: 0.5 }],
    });
    expect((await scanTable()).length).toBeGreaterThan(DEMO_KEYS.length);

    expect((await control(own, 'POST', 'reset')).status).toBe(204);
    const items = await scanTable();
    // The demo keys, their AccessKey pairs, and their accounts' quota items (rule 12: 10,000 of
    // each, nothing used).
    expect(items.map((i) => i.PK).sort()).toEqual(
      [
        ...DEMO_KEYS.map((k) => `APIKEY#${hashKey(k.apiKey)}`),
        ...DEMO_KEYS.map((k) => `ACCESSKEY#LTAI-local-${k.accountId}`),
        ...DEMO_KEYS.map((k) => keys.account(k.accountId).PK),
      ].sort(),
    );
    expect((await http('local-tenant-a', 'GET', '/quotas')).body.usage).toEqual({
      cens: 0,
      bandwidthPackages: 0,
      networks: 0,
    });
    expect((await control(own, 'GET', 'clock')).body).toMatchObject({ simulated: false, offsetMs: 0 });
    expect((await control(own, 'GET', 'faults')).body).toEqual({ faults: [] });
    expect((await http('local-tenant-a', 'GET', '/cens')).body.items).toEqual([]);
  });
});
