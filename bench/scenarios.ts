/**
 * The benchmark scenarios `npm run bench` knows, in the order it runs them, and the targets read
 * from their figures. A scenario is a name, a line of description and `run(ctx)`, which returns
 * its figures as a plain object (they go to bench/results.json as they are). The runner adds
 * `memory` (peak RSS of the stack while the scenario ran) and checks the common correctness
 * fields: `invariantViolations`, `fivexx`, `timeouts`, `errors`, `non2xx`, `consistent`.
 */
import type { Stack } from '../local/stack';
import { expiryScenario } from './expiry';
import { runLoad } from './load';
import { rpcDoorScenario } from './rpc-door';
import { type DdbShape, ddbBaseline, httpBaseline } from './scenarios-baseline';
import type { RssPeak } from './scenarios-memory';

export interface BenchContext {
  stack: Stack;
  seed: number;
  /** Bound on the requests of one scenario (each scenario also stops at maxSeconds). */
  requests: number;
  maxSeconds: number;
  log: (line: string) => void;
}

export type Figures = Record<string, unknown>;

export interface Scenario {
  name: string;
  description: string;
  /** Runs first, right after the stack is ready and before the warm-up (bench/run.ts). */
  cold?: boolean;
  run(ctx: BenchContext): Promise<Figures>;
}

/** Allocations spread over this many CENs, one package each (bench/loadtest.ts's default). */
const CENS = 8;
const PACKAGE_MBPS = 60;

const ddb = (concurrency: number, shape: DdbShape): Scenario => ({
  name: `baseline-${shape === 'transaction' ? 'ddb' : 'update'}-${concurrency}`,
  description:
    shape === 'transaction'
      ? `DynamoDB Local alone: a two-item TransactWriteItems allocation (v1), ${concurrency} in flight`
      : `DynamoDB Local alone: one conditional UpdateItem allocation (v2), ${concurrency} in flight`,
  run: async ({ stack, requests, maxSeconds }) => ({
    ...(await ddbBaseline({
      dbUrl: stack.dbUrl,
      tableName: stack.tableName,
      concurrency,
      requests,
      maxSeconds,
      packages: CENS,
      shape,
    })),
  }),
});

const http = (concurrency: number): Scenario => ({
  name: `baseline-http-${concurrency}`,
  description: `GET /areas (read-only, no DB read) through serverless-offline, ${concurrency} connections`,
  run: async ({ stack, requests, maxSeconds }) => ({
    ...(await httpBaseline({
      apiUrl: stack.apiUrl,
      apiKey: 'local-tenant-a',
      path: '/areas',
      concurrency,
      requests,
      maxSeconds,
    })),
  }),
});

const allocations = (concurrency: number, hot: boolean, cold = false): Scenario => ({
  name: `${hot ? 'hot-package' : 'allocations'}-${concurrency}${cold ? '-cold' : ''}`,
  cold,
  description: cold
    ? `the allocation mix over ${CENS} CENs/packages, ${concurrency} connections, FIRST after the stack is ready (no warm-up)`
    : hot
      ? `create/modify/delete mix on ONE package of one CEN, ${concurrency} connections, invariants checked`
      : `create/modify/delete mix over ${CENS} CENs/packages, ${concurrency} connections, invariants checked`,
  run: async ({ stack, requests, maxSeconds, seed }) => ({
    ...(await runLoad(
      {
        apiUrl: stack.apiUrl,
        dbUrl: stack.dbUrl,
        tableName: stack.tableName,
        concurrency,
        requests,
        maxSeconds,
        seed,
        hot,
        cens: CENS,
        packageMbps: PACKAGE_MBPS,
      },
      `${hot ? 'hot-package' : 'allocations'}-${concurrency}${cold ? '-cold' : ''}`,
    )),
  }),
});

export const SCENARIOS: Scenario[] = [
  allocations(50, false, true),
  ddb(50, 'transaction'),
  ddb(200, 'transaction'),
  ddb(50, 'update'),
  http(50),
  allocations(50, false),
  allocations(200, false),
  allocations(50, true),
  // The Alibaba RPC door against the REST door, one client (issue 15): `npm run bench -- rpc-door-1`.
  {
    name: 'rpc-door-1',
    description:
      'an allocation (create + delete) through the RPC door vs the REST door, one client, interleaved',
    run: async ({ stack, requests, maxSeconds }) => ({
      ...(await rpcDoorScenario({ apiUrl: stack.apiUrl, requests, maxSeconds })),
    }),
  },
  // The expiry job (issue 5): 20,000 packages of which 200 are due, the job's reads beside a scan.
  {
    name: 'expiry',
    description: 'the expiry job over 20,000 packages, 200 due: items read vs due, run time vs a full scan',
    run: async ({ stack }) => ({ ...(await expiryScenario(stack)) }),
  },
];

/* ---------- correctness of one scenario's figures ---------- */

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** What went wrong in a run, from the fields scenarios share; empty when all is well. */
export function problems(f: Figures): string[] {
  const out: string[] = [];
  const violations = Array.isArray(f.invariantViolations) ? (f.invariantViolations as string[]) : [];
  if (violations.length) out.push(`${violations.length} invariant violation(s): ${violations[0]}`);
  if (num(f.fivexx)) out.push(`${f.fivexx} 5xx`);
  if (num(f.timeouts)) out.push(`${f.timeouts} timeout(s)`);
  if (num(f.errors)) out.push(`${f.errors} error(s)`);
  if (num(f.non2xx)) out.push(`${f.non2xx} non-2xx`);
  if (f.consistent === false) out.push('package counters disagree with the writes that succeeded');
  return out;
}

/* ---------- targets ---------- */

export interface TargetResult {
  target: string;
  value: number;
  goal: string;
  met: boolean;
}

type Results = Record<string, Figures>;

const throughput = (r: Results, name: string) => num(r[name]?.throughput) || undefined;
const latency = (r: Results, name: string) => r[name]?.latencyMs as { p50: number; p99: number } | undefined;
const memoryOf = (r: Results, name: string) => (r[name]?.memory as RssPeak | undefined)?.peakMiB;

export const MEMORY_TARGET_MIB = 1536;

/** Targets (issue 6), each computed only when the scenarios it needs ran in this same run. */
export function targets(r: Results): TargetResult[] {
  const out: TargetResult[] = [];
  const alloc = throughput(r, 'allocations-50');
  const base = throughput(r, 'baseline-ddb-50');
  if (alloc && base) {
    const value = Math.round((alloc / base) * 100) / 100;
    // SPEC §9: successful allocations (refusals apart) at least the raw transaction rate.
    out.push({
      target: 'successful allocations-50 / baseline-ddb-50 throughput',
      value,
      goal: '≥ 1.0',
      met: value >= 1,
    });
  }
  const cold = throughput(r, 'allocations-50-cold');
  if (alloc && cold) {
    const value = Math.round((cold / alloc) * 100) / 100;
    // Issue 12: the first run after the stack is ready is within 25 % of a warm one.
    out.push({ target: 'successful allocations-50, cold / warm', value, goal: '≥ 0.75', met: value >= 0.75 });
  }
  for (const name of ['allocations-50', 'allocations-200', 'hot-package-50', 'allocations-50-cold']) {
    const l = latency(r, name);
    if (!l?.p50) continue;
    const value = Math.round((l.p99 / l.p50) * 10) / 10;
    out.push({ target: `${name} p99/p50`, value, goal: '≤ 4', met: value <= 4 });
  }
  // Peak memory under the heaviest load (issue 6 reads it on the c=200 allocation run only).
  const peak = memoryOf(r, 'allocations-200');
  if (peak) {
    out.push({
      target: 'stack peak RSS MiB (during allocations-200)',
      value: peak,
      goal: `< ${MEMORY_TARGET_MIB} (1.5 GiB)`,
      met: peak < MEMORY_TARGET_MIB,
    });
  }
  const door = r['rpc-door-1'] as { pairedRatio?: number } | undefined;
  if (door?.pairedRatio !== undefined) {
    out.push({
      target: 'rpc-door-1: allocation latency, RPC / REST (median of paired rounds)',
      value: door.pairedRatio,
      goal: '≤ 1.2',
      met: door.pairedRatio <= 1.2,
    });
  }
  const expiry = r.expiry as { readsPerDue?: number } | undefined;
  if (expiry?.readsPerDue !== undefined) {
    out.push({
      target: 'expiry job: items read per due package',
      value: expiry.readsPerDue,
      goal: '≤ 2',
      met: expiry.readsPerDue <= 2,
    });
  }
  return out;
}
