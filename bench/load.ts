/**
 * The allocation load generator behind `npm run loadtest` and the benchmarks: a seeded mix of
 * region-connection creates, modifies and deletes over many CENs (or one hot package), driven
 * over HTTP by `drive` (closed loop, connections opened before the clock starts), then an
 * invariant check of every package it touched, read straight from DynamoDB: sum of connections
 * = allocatedMbps ≤ bandwidthMbps, allocated + remaining = bandwidth, connectionCount = number
 * of connections.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { quotaAttributes } from '../lib/accounts';
import { areaOf, pairsOfSpan, type RegionId } from '../lib/catalogue';
import { keys } from '../lib/db/keys';
import { DEMO_QUOTA } from '../lib/demo-keys';
import { prng } from './prng';

export interface LoadOptions {
  apiUrl: string;
  dbUrl: string;
  tableName: string;
  concurrency: number;
  requests: number;
  /** Hard stop, seconds. */
  maxSeconds: number;
  seed: number;
  /** Everything on one package of one CEN. */
  hot: boolean;
  cens: number;
  packageMbps: number;
  /** Relative weights of creates, modifies and deletes (default 50 / 30 / 20). */
  mix?: Mix;
  /** Called about every 2 s with the counts so far (runs longer than that only). */
  progress?: (p: Progress) => void;
}

export interface Mix {
  create: number;
  modify: number;
  delete: number;
}

export const DEFAULT_MIX: Mix = { create: 50, modify: 30, delete: 20 };

export interface Progress {
  seconds: number;
  answered: number;
  succeeded: number;
  refused: number;
  failed: number;
}

export interface LoadResult {
  scenario: string;
  seed: number;
  concurrency: number;
  /** Answers received, of any status. */
  requests: number;
  /** Allocations that succeeded (2xx): the throughput counts these alone. */
  succeeded: number;
  /** Refusals (4xx), reported beside the throughput. */
  refused: number;
  durationSeconds: number;
  /** Successful allocations per second. */
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statuses: Record<string, number>;
  codes: Record<string, number>;
  errors: number;
  timeouts: number;
  fivexx: number;
  invariantViolations: string[];
  packagesChecked: number;
  /** Connections the driver had to open after the clock started (0 in a clean run). */
  connectionsOpenedDuringRun: number;
}

const SPAN_AREAS = ['China', 'Asia-Pacific'] as const;
const PAIRS = pairsOfSpan(...SPAN_AREAS);

type Op = 'create' | 'modify' | 'delete';
interface Tag {
  op: Op;
  fixture: number;
  pair: string;
  /** The bandwidth change this request asks for (create: +bw, modify: ±, delete: −bw). */
  delta: number;
  bw: number;
}

/** Growth is reserved when a request is sent (so concurrent ones do not overfill a package). */
const reserved = (t: Tag) => Math.max(0, t.delta);

/**
 * What the load asks next. It remembers, from the answers, which pairs it has connected on each
 * package and how much bandwidth they hold, and asks what should succeed: a create of a pair it
 * has not connected, within the package's remaining bandwidth; a modify or delete of one it has.
 * Pairs with a request in flight are left alone. So a run measures allocations that take effect,
 * and the refusals it still meets (another client's change, a full package) are races, not noise.
 * The mix weighs the three kinds; one that cannot go on (nothing to delete) becomes another.
 */
class Plan {
  private readonly live: Map<string, number>[];
  private readonly allocated: number[];
  private readonly busy = new Set<string>();

  constructor(
    private readonly fixtures: { cenId: string; packageId: string }[],
    private readonly packageMbps: number,
    private readonly mix: Mix,
    private readonly rnd: ReturnType<typeof prng>,
  ) {
    this.live = fixtures.map(() => new Map());
    this.allocated = fixtures.map(() => 0);
  }

  next(): Request {
    const fixture = Math.floor(this.rnd.next() * this.fixtures.length);
    const f = this.fixtures[fixture]!;
    const base = `/cens/${f.cenId}/region-connections`;
    const live = this.live[fixture]!;
    const free = PAIRS.map(([a, b]) => `${a}_${b}`).filter(
      (p) => !live.has(p) && !this.busy.has(`${fixture}/${p}`),
    );
    const held = [...live.keys()].filter((p) => !this.busy.has(`${fixture}/${p}`));
    const room = this.packageMbps - this.allocated[fixture]!;
    let op = this.pickOp();
    if (op === 'create' && (free.length === 0 || room < 1)) op = held.length ? 'delete' : 'create';
    if (op !== 'create' && held.length === 0) op = 'create';
    const pair =
      op === 'create'
        ? this.rnd.pick(free.length ? free : PAIRS.map(([a, b]) => `${a}_${b}`))
        : this.rnd.pick(held);
    this.busy.add(`${fixture}/${pair}`);
    const [a, b] = pair.split('_') as [string, string];
    const request = this.request(op, fixture, pair, base, room, live.get(pair) ?? 0, a, b);
    this.allocated[fixture]! += reserved(request.tag as Tag);
    return request;
  }

  private request(
    op: Op,
    fixture: number,
    pair: string,
    base: string,
    room: number,
    current: number,
    a: string,
    b: string,
  ): Request {
    if (op === 'create') {
      const bw = Math.max(1, Math.min(this.rnd.int(1, 4), room));
      const tag: Tag = { op, fixture, pair, delta: bw, bw };
      return {
        method: 'POST',
        path: base,
        body: JSON.stringify({ regionA: b, regionB: a, bandwidthMbps: bw }),
        tag,
      };
    }
    if (op === 'modify') {
      const bw = Math.max(1, Math.min(this.rnd.int(1, 6), current + room));
      const tag: Tag = { op, fixture, pair, delta: bw - current, bw };
      return { method: 'PATCH', path: `${base}/${pair}`, body: JSON.stringify({ bandwidthMbps: bw }), tag };
    }
    const tag: Tag = { op, fixture, pair, delta: -current, bw: 0 };
    return { method: 'DELETE', path: `${base}/${pair}`, tag };
  }

  answered(request: Request, status: number): void {
    const t = request.tag as Tag;
    this.busy.delete(`${t.fixture}/${t.pair}`);
    const live = this.live[t.fixture]!;
    this.allocated[t.fixture]! -= reserved(t);
    if (status < 300) {
      this.allocated[t.fixture]! += t.delta;
      if (t.op === 'delete') live.delete(t.pair);
      else live.set(t.pair, t.bw);
    } else if (status === 404 && t.op !== 'create') {
      this.allocated[t.fixture]! -= live.get(t.pair) ?? 0;
      live.delete(t.pair);
    }
  }

  private pickOp(): Op {
    const { create, modify } = this.mix;
    const x = this.rnd.next() * (create + modify + this.mix.delete);
    return x < create ? 'create' : x < create + modify ? 'modify' : 'delete';
  }
}

export function documentClient(dbUrl: string) {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dbUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}

/** A fresh account with its own key, written straight to the table (hashed, as the service does). */
export async function createLoadAccount(
  dbUrl: string,
  tableName: string,
  role: 'tenant' | 'operator' = 'tenant',
) {
  const { createHash } = await import('node:crypto');
  const accountId = `load-${randomBytes(5).toString('hex')}`;
  const apiKey = `cbk_${randomBytes(24).toString('base64url')}`;
  const hash = createHash('sha256').update(apiKey).digest('hex');
  await documentClient(dbUrl).send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.apiKey(hash),
        entity: 'ApiKey',
        accountId,
        role,
        createdAt: new Date().toISOString(),
      },
    }),
  );
  // Demo-sized quotas (rule 12), as the seeded demo accounts have: a load test is not held back.
  await documentClient(dbUrl).send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...keys.account(accountId),
        entity: 'Account',
        accountId,
        ...quotaAttributes({ cens: DEMO_QUOTA, bandwidthPackages: DEMO_QUOTA, networks: DEMO_QUOTA }),
      },
    }),
  );
  return { accountId, apiKey };
}

async function call(apiUrl: string, apiKey: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, string>;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** CENs, each with a China/Asia-Pacific package bound (42 region pairs to allocate from). */
export async function setupFixtures(o: Pick<LoadOptions, 'apiUrl' | 'cens' | 'packageMbps'>, apiKey: string) {
  const fixtures: { cenId: string; packageId: string }[] = [];
  for (let i = 0; i < o.cens; i++) {
    const cen = await call(o.apiUrl, apiKey, 'POST', '/cens', { name: `load-${i}` });
    const pkg = await call(o.apiUrl, apiKey, 'POST', '/bandwidth-packages', {
      areaA: SPAN_AREAS[0],
      areaB: SPAN_AREAS[1],
      bandwidthMbps: o.packageMbps,
      cenId: cen.cenId,
    });
    fixtures.push({ cenId: cen.cenId!, packageId: pkg.bandwidthPackageId! });
  }
  return fixtures;
}

export async function runLoad(o: LoadOptions, scenario = 'allocations'): Promise<LoadResult> {
  const account = await createLoadAccount(o.dbUrl, o.tableName);
  const fixtures = await setupFixtures({ ...o, cens: o.hot ? 1 : o.cens }, account.apiKey);
  const plan = new Plan(fixtures, o.packageMbps, o.mix ?? DEFAULT_MIX, prng(o.seed));
  const codes: Record<string, number> = {};

  const result = await drive({
    apiUrl: o.apiUrl,
    concurrency: o.concurrency,
    requests: o.requests,
    maxSeconds: o.maxSeconds,
    headers: { 'x-api-key': account.apiKey },
    progress: o.progress,
    next: () => plan.next(),
    onResponse: (status, body, request) => {
      plan.answered(request, status);
      let code = status < 300 ? 'ok' : 'unparsed';
      if (status >= 300) {
        try {
          code = (JSON.parse(body) as { code?: string }).code ?? 'no-code';
        } catch {}
      } else if (status === 200 && body.includes('"errorMessage"')) {
        code = 'error-disguised-as-200';
      }
      codes[code] = (codes[code] ?? 0) + 1;
    },
  });

  const violations = await checkInvariants(o.dbUrl, o.tableName, account.accountId, fixtures);
  if (codes['error-disguised-as-200'])
    violations.push(`${codes['error-disguised-as-200']} errors came back as HTTP 200`);
  const fivexx = Object.entries(result.statuses)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);
  return {
    scenario,
    seed: o.seed,
    concurrency: o.concurrency,
    requests: result.requests,
    succeeded: result.succeeded,
    refused: result.refused,
    durationSeconds: result.durationSeconds,
    throughput: result.throughput,
    latencyMs: result.latencyMs,
    statuses: result.statuses,
    codes,
    errors: result.errors,
    timeouts: result.timeouts,
    fivexx,
    invariantViolations: violations,
    packagesChecked: fixtures.length,
    connectionsOpenedDuringRun: result.connectionsOpenedDuringRun,
  };
}

/* ---------- the HTTP driver ---------- */

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Nearest-rank percentiles of latencies in ms (sorts in place). */
export function percentiles(ms: number[]): Latency {
  if (ms.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  ms.sort((a, b) => a - b);
  const at = (q: number) => round1(ms[Math.min(ms.length - 1, Math.max(0, Math.ceil(q * ms.length) - 1))]!);
  return {
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: round1(ms[ms.length - 1]!),
    mean: round1(ms.reduce((a, b) => a + b, 0) / ms.length),
  };
}

export interface DriveOptions {
  apiUrl: string;
  /** Requests in flight, each on its own keep-alive connection. */
  concurrency: number;
  /** Bound on the requests sent; the run also stops at maxSeconds. */
  requests: number;
  maxSeconds: number;
  /** A request without a response after this long is a timeout (its connection is dropped). */
  timeoutMs?: number;
  headers: Record<string, string>;
  /** What each connection asks once before the clock starts (cheap; default GET /areas). */
  warmPath?: string;
  next: () => Request;
  onResponse?: (status: number, body: string, request: Request) => void;
  progress?: (p: Progress) => void;
}

export interface Request {
  method: string;
  path: string;
  body?: string;
  /** Anything the caller wants back with the answer. */
  tag?: unknown;
}

export interface DriveResult {
  /** Responses received (any status). */
  requests: number;
  /** Of those, the requests that succeeded (2xx): the only ones the throughput counts. */
  succeeded: number;
  /** Refusals (4xx): counted apart, never in the throughput. */
  refused: number;
  durationSeconds: number;
  /** Successful requests per second; refusals, errors and timeouts are reported beside it. */
  throughput: number;
  /** Every response, whatever its status. */
  latencyMs: Latency;
  statuses: Record<string, number>;
  /** Requests that failed without a response, timeouts apart. */
  errors: number;
  timeouts: number;
  /** Connections opened after the clock started (reconnects); 0 in a clean run. */
  connectionsOpenedDuringRun: number;
}

/**
 * A closed-loop HTTP load: `concurrency` workers, each sending its next request as soon as the
 * previous one is answered, over keep-alive connections opened BEFORE the clock starts. A Node
 * server whose event loop is busy accepts only a few new connections per turn of the loop, so a
 * cold burst of 200 connections against a saturated serverless-offline leaves some of them in
 * the kernel's accept queue for seconds: that measures the connection storm, not the service
 * (see bench/README.md). Percentiles are exact, over every response.
 */
export async function drive(o: DriveOptions): Promise<DriveResult> {
  const url = new URL(o.apiUrl);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: o.concurrency,
    maxFreeSockets: o.concurrency,
    scheduling: 'fifo',
  });
  const timeoutMs = o.timeoutMs ?? 10_000;
  type Outcome = { status: number; body: string; reused: boolean } | 'timeout' | 'error';

  const send = (method: string, path: string, body: string | undefined, timeout: number) =>
    new Promise<Outcome>((resolve) => {
      const headers: Record<string, string> = { ...o.headers };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      const req = httpRequest(
        { host: url.hostname, port: url.port, method, path, headers, agent, timeout },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              reused: req.reusedSocket,
            }),
          );
          res.on('error', () => resolve('error'));
        },
      );
      req.on('timeout', () => {
        req.destroy();
        resolve('timeout');
      });
      req.on('error', () => resolve('error'));
      req.end(body);
    });

  try {
    // Open every connection first, with a cheap request each, all at once so none is reused.
    const warm = await Promise.all(
      Array.from({ length: o.concurrency }, () => send('GET', o.warmPath ?? '/areas', undefined, 60_000)),
    );
    const failed = warm.filter((w) => typeof w === 'string' || w.status >= 500).length;
    if (failed) throw new Error(`${failed} of ${o.concurrency} connections could not be opened`);

    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let succeeded = 0;
    let refused = 0;
    let issued = 0;
    let errors = 0;
    let timeouts = 0;
    let opened = 0;
    const started = performance.now();
    const deadline = started + o.maxSeconds * 1000;
    const worker = async () => {
      while (issued < o.requests && performance.now() < deadline) {
        issued++;
        const r = o.next();
        const t0 = performance.now();
        const outcome = await send(r.method, r.path, r.body, timeoutMs);
        if (outcome === 'timeout') timeouts++;
        else if (outcome === 'error') errors++;
        else {
          latencies.push(performance.now() - t0);
          statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
          if (outcome.status < 300) succeeded++;
          else if (outcome.status < 500) refused++;
          if (!outcome.reused) opened++;
          o.onResponse?.(outcome.status, outcome.body, r);
        }
      }
    };
    const ticker = o.progress
      ? setInterval(() => {
          o.progress?.({
            seconds: (performance.now() - started) / 1000,
            answered: latencies.length,
            succeeded,
            refused,
            failed: errors + timeouts + latencies.length - succeeded - refused,
          });
        }, 2_000)
      : undefined;
    await Promise.all(Array.from({ length: o.concurrency }, worker)).finally(() => clearInterval(ticker));
    const seconds = (performance.now() - started) / 1000;
    return {
      requests: latencies.length,
      succeeded,
      refused,
      durationSeconds: round1(seconds),
      throughput: round1(succeeded / seconds),
      latencyMs: percentiles(latencies),
      statuses,
      errors,
      timeouts,
      connectionsOpenedDuringRun: opened,
    };
  } finally {
    agent.destroy();
  }
}

/** Per package: sum of connections = allocatedMbps ≤ bandwidthMbps, and the counters agree. */
export async function checkInvariants(
  dbUrl: string,
  tableName: string,
  accountId: string,
  fixtures: { cenId: string; packageId: string }[],
): Promise<string[]> {
  const db = documentClient(dbUrl);
  const violations: string[] = [];
  for (const f of fixtures) {
    const pkg = (
      await db.send(
        new GetCommand({
          TableName: tableName,
          Key: keys.bandwidthPackage(accountId, f.packageId),
          ConsistentRead: true,
        }),
      )
    ).Item;
    if (!pkg) {
      violations.push(`${f.packageId}: missing`);
      continue;
    }
    // The package's connections live in its item (lib/entities/package.ts): its `conns` map.
    const conns = Object.entries((pkg.conns ?? {}) as Record<string, { bw: number }>).map(([id, e]) => ({
      id,
      bandwidthMbps: e.bw,
    }));
    const sum = conns.reduce((n, c) => n + Number(c.bandwidthMbps), 0);
    const { allocatedMbps, remainingMbps, bandwidthMbps, connectionCount } = pkg as Record<string, number>;
    if (sum !== allocatedMbps)
      violations.push(`${f.packageId}: connections sum ${sum} ≠ allocatedMbps ${allocatedMbps}`);
    if (allocatedMbps! > bandwidthMbps!)
      violations.push(`${f.packageId}: allocated ${allocatedMbps} > bandwidth ${bandwidthMbps}`);
    if (allocatedMbps! + remainingMbps! !== bandwidthMbps)
      violations.push(`${f.packageId}: allocated + remaining ≠ bandwidth`);
    if (remainingMbps! < 0) violations.push(`${f.packageId}: remaining ${remainingMbps} < 0`);
    if (connectionCount !== conns.length)
      violations.push(`${f.packageId}: connectionCount ${connectionCount} ≠ ${conns.length}`);
    for (const c of conns) {
      const [a, b] = c.id.split('_') as [RegionId, RegionId];
      if (areaOf(a) === areaOf(b)) violations.push(`${c.id}: same-area pair`);
    }
  }
  return violations;
}

export function printResult(r: LoadResult): void {
  const l = r.latencyMs;
  console.log(`
${r.scenario}: ${r.requests} requests at concurrency ${r.concurrency} in ${r.durationSeconds} s (seed ${r.seed})
  succeeded    ${r.throughput}/s  (${r.succeeded} of ${r.requests} answers; refusals apart: ${r.refused} 4xx)
  latency ms   p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}  mean ${l.mean}
  statuses     ${Object.entries(r.statuses)
    .map(([s, n]) => `${s}: ${n}`)
    .join('  ')}
  codes        ${Object.entries(r.codes)
    .map(([s, n]) => `${s}: ${n}`)
    .join('  ')}
  5xx ${r.fivexx}   timeouts ${r.timeouts}   socket errors ${r.errors}   reconnects ${r.connectionsOpenedDuringRun}
  invariants   ${r.invariantViolations.length === 0 ? `hold on all ${r.packagesChecked} package(s)` : `VIOLATED:\n    ${r.invariantViolations.join('\n    ')}`}`);
}
