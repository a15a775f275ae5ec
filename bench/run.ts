/**
 * `npm run bench -- [scenario…] [--requests 3000] [--max-seconds 30] [--seed 1] [--skip-warmup]
 *                   [--out bench/results.json] [--strict] [--verbose] [--list]`
 *
 * Starts its own local stack (DynamoDB Local in memory + serverless-offline, free loopback ports,
 * stage `bench`), warms it up, runs the scenarios of bench/scenarios.ts (all, or those named: a
 * name, or a prefix such as `allocations` or `baseline`), samples the stack's memory throughout,
 * prints a table and the targets, writes bench/results.json, and stops the stack's process groups
 * at the end, on error and on Ctrl-C. Exits 1 when a scenario failed or broke a correctness check
 * (invariant violation, 5xx, timeout); a missed performance target only fails with --strict.
 * See bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, javaVersion, ROOT, type Stack, startStack } from '../local/stack';
import { runLoad } from './load';
import {
  type BenchContext,
  type Figures,
  problems,
  SCENARIOS,
  type Scenario,
  type TargetResult,
  targets,
} from './scenarios';
import { ddbBaseline, httpBaseline } from './scenarios-baseline';
import { canSampleRss, type RssPeak, RssSampler, sampleGroups } from './scenarios-memory';

// The SDK's notice that it will need Node 22 from 2027 says nothing about this run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '3000' },
    'max-seconds': { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    'skip-warmup': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results.json') },
    strict: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const USAGE = `usage: npm run bench -- [scenario…] [--requests 3000] [--max-seconds 30] [--seed 1]
                       [--skip-warmup] [--out bench/results.json] [--strict] [--verbose] [--list]`;

function bounded(name: string, value: string, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return n;
}

/** Scenario names, or prefixes of them (`allocations` → allocations-50, allocations-200). */
function select(names: string[]): Scenario[] {
  if (names.length === 0) return SCENARIOS;
  const chosen = new Set<Scenario>();
  for (const name of names) {
    const hits = SCENARIOS.filter((s) => s.name === name || s.name.startsWith(`${name}-`));
    if (hits.length === 0) {
      throw new Error(`no scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    }
    for (const s of hits) chosen.add(s);
  }
  return SCENARIOS.filter((s) => chosen.has(s));
}

/* ---------- stopping the stack, whatever happens ---------- */

let stack: Stack | undefined;
let stopped = false;

/**
 * Before startStack returns, its children are known only to it: find them as this process's
 * children that lead their own process group (startStack spawns them detached), and stop those
 * groups, TERM then KILL.
 */
async function stopOwnChildGroups(): Promise<void> {
  if (process.platform !== 'linux') return;
  const leaders: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid && Number(pgrp) === Number(entry)) leaders.push(Number(entry));
    } catch {}
  }
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of leaders) {
      try {
        process.kill(-pid, sig);
      } catch {}
    }
  };
  signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 3000));
  signal('SIGKILL');
}

async function stopStack(): Promise<void> {
  if (stopped) return;
  stopped = true;
  if (stack) await stack.stop();
  else await stopOwnChildGroups();
}

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping the stack…`);
    void stopStack().finally(() => process.exit(130));
  });
}
// Last resort (an exit that skipped the stop above): KILL the groups synchronously.
process.on('exit', () => {
  if (stopped || !stack) return;
  for (const pid of Object.values(stack.pids)) {
    try {
      if (pid) process.kill(-pid, 'SIGKILL');
    } catch {}
  }
});

/* ---------- output ---------- */

function mdTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.every((r) => /^[-–\d.,]*$/.test(r[i] ?? '')));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);
const fmt = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '–');

function scenarioRows(results: Record<string, Figures>): string[][] {
  return Object.entries(results).map(([name, f]) => {
    const l = f.latencyMs as { p50: number; p90: number; p99: number; max: number } | undefined;
    const mem = f.memory as { peakMiB: number } | undefined;
    const issues = typeof f.error === 'string' ? [`FAILED: ${f.error}`] : problems(f);
    return [
      name,
      fmt(f.concurrency),
      fmt(f.requests),
      fmt(f.throughput),
      fmt(l?.p50),
      fmt(l?.p90),
      fmt(l?.p99),
      fmt(l?.max),
      l?.p50 ? fmt(Math.round((l.p99 / l.p50) * 10) / 10) : '–',
      fmt(mem?.peakMiB),
      issues.length ? issues.join('; ') : 'ok',
    ];
  });
}

function printSummaryLine(f: Figures, seconds: number) {
  const l = f.latencyMs as { p50: number; p99: number } | undefined;
  const extra =
    f.codes && typeof f.codes === 'object'
      ? `  codes ${Object.entries(f.codes as Record<string, number>)
          .map(([c, n]) => `${c}:${n}`)
          .join(' ')}`
      : '';
  const issues = problems(f);
  const reconnects = num(f.connectionsOpenedDuringRun);
  if (reconnects) issues.push(`${reconnects} connection(s) reopened during the run`);
  console.log(
    `  done in ${seconds.toFixed(1)} s: ${fmt(f.requests)} answers, ${fmt(f.throughput)} succeeded/s` +
      `${f.refused !== undefined ? ` (${fmt(f.refused)} refused, counted apart)` : ''}, ` +
      `p50 ${fmt(l?.p50)} ms, p99 ${fmt(l?.p99)} ms${extra}${issues.length ? `\n  PROBLEMS: ${issues.join('; ')}` : ''}`,
  );
}

function git(args: string[]): string | undefined {
  const out = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return out.status === 0 ? out.stdout.trim() : undefined;
}

function machine(java: string | undefined) {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim(),
    cpus: cpus.length,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    java,
  };
}

/* ---------- the run ---------- */

async function warmUp(s: Stack, seed: number) {
  // JIT of DynamoDB Local's JVM and the first load of each handler (in-process mode loads a
  // handler on its first call) would otherwise be charged to whichever scenario runs first.
  await ddbBaseline({
    dbUrl: s.dbUrl,
    tableName: s.tableName,
    concurrency: 50,
    requests: 1000,
    maxSeconds: 10,
    packages: 8,
    shape: 'transaction',
  });
  await httpBaseline({
    apiUrl: s.apiUrl,
    apiKey: 'local-tenant-a',
    path: '/areas',
    concurrency: 50,
    requests: 300,
    maxSeconds: 10,
  });
  // At the highest concurrency measured: serverless-offline then holds a handler instance per
  // request in flight, and each handler's DynamoDB client its sockets.
  const load = await runLoad({
    apiUrl: s.apiUrl,
    dbUrl: s.dbUrl,
    tableName: s.tableName,
    concurrency: 200,
    requests: 600,
    maxSeconds: 15,
    seed: seed + 1000,
    hot: false,
    cens: 8,
    packageMbps: 60,
  });
  const { requests, throughput, latencyMs, fivexx, timeouts, errors } = load;
  return { allocations200: { requests, throughput, latencyMs, fivexx, timeouts, errors } };
}

async function main(): Promise<number> {
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(18)} ${s.description}`);
    return 0;
  }
  const chosen = select(positionals);
  const requests = bounded('requests', values.requests, 100_000);
  const maxSeconds = bounded('max-seconds', values['max-seconds'], 600);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
  const java = javaVersion();
  if (!java) throw new Error('DynamoDB Local needs Java 17+ and `java` was not found (see README)');

  const runStarted = Date.now();
  const date = new Date().toISOString();
  const loadavgStart = os.loadavg().map((n) => Math.round(n * 100) / 100);
  const stackLog: string[] = [];
  const output = (line: string) => {
    if (values.verbose) console.log(line);
    stackLog.push(line);
    if (stackLog.length > 200) stackLog.shift();
  };

  console.log(`bench: ${chosen.map((s) => s.name).join(', ')}`);
  console.log(`  at most ${requests} requests or ${maxSeconds} s per scenario, seed ${seed}`);
  console.log('starting the stack (DynamoDB Local in memory + serverless-offline, stage bench)…');
  const t0 = Date.now();
  try {
    stack = await startStack({
      apiPort: await freePort(),
      lambdaPort: await freePort(),
      dbPort: await freePort(),
      stage: 'bench',
      // Its own bundle folder, so a test stack started from the same tree at the same time
      // neither rebuilds nor deletes the handlers this stack is loading.
      env: { ESBUILD_WORK_FOLDER: 'bench/tmp/esbuild' },
      output,
    });
  } catch (error) {
    console.error(stackLog.slice(-40).join('\n'));
    throw error;
  }
  if (interrupted) return 130;
  console.log(
    `  up in ${((Date.now() - t0) / 1000).toFixed(1)} s: API ${stack.apiUrl}, DynamoDB ${stack.dbUrl}`,
  );

  const groups = { dynamodb: stack.pids.dynamodb, offline: stack.pids.offline };
  const idle = canSampleRss() ? sampleGroups(groups) : undefined;
  const sampler = new RssSampler(groups, 200).start();

  const ctx: BenchContext = {
    stack,
    seed,
    requests,
    maxSeconds,
    log: (line) => console.log(`  ${line}`),
  };
  const results: Record<string, Figures> = {};
  const descriptions: Record<string, string> = {};
  const runScenario = async (scenario: Scenario) => {
    console.log(`▶ ${scenario.name}: ${scenario.description}`);
    descriptions[scenario.name] = scenario.description;
    sampler.take(); // the peak below is this scenario's alone
    const s0 = Date.now();
    let figures: Figures;
    try {
      figures = await scenario.run(ctx);
    } catch (error) {
      figures = { error: error instanceof Error ? error.message : String(error) };
      console.error(`  FAILED: ${figures.error}`);
    }
    const seconds = (Date.now() - s0) / 1000;
    const memory = sampler.take();
    results[scenario.name] = {
      ...figures,
      ...(memory ? { memory } : {}),
      wallSeconds: Math.round(seconds * 10) / 10,
    };
    if (!figures.error) printSummaryLine(figures, seconds);
  };

  // Cold scenarios first: the stack as a user gets it from `npm start`, nothing run on it yet.
  // Only the bench's own HTTP driver is warmed before (1,000 GET /areas, the read-only path the
  // stack's start-up already primes): otherwise "cold" would also time this process's JIT.
  const cold = chosen.filter((s) => s.cold);
  if (cold.length) {
    await httpBaseline({
      apiUrl: stack.apiUrl,
      apiKey: 'local-tenant-a',
      path: '/areas',
      concurrency: 50,
      requests: 1_000,
      maxSeconds: 10,
    });
  }
  for (const scenario of cold) {
    if (interrupted) break;
    await runScenario(scenario);
  }

  let warmup: Record<string, unknown> | undefined;
  if (!values['skip-warmup']) {
    console.log('warming up (not recorded)…');
    const w0 = Date.now();
    warmup = { ...(await warmUp(stack, seed)), seconds: Math.round((Date.now() - w0) / 100) / 10 };
  }
  const afterWarmup = canSampleRss() ? sampleGroups(groups) : undefined;

  for (const scenario of chosen.filter((s) => !s.cold)) {
    if (interrupted) break;
    await runScenario(scenario);
  }
  sampler.stop();
  await stopStack();
  if (interrupted) return 130;

  const targetResults: TargetResult[] = targets(results);
  const failures = Object.entries(results)
    .map(([name, f]) => [name, typeof f.error === 'string' ? [`failed: ${f.error}`] : problems(f)] as const)
    .filter(([, p]) => p.length > 0);

  console.log(
    `\n${mdTable(
      [
        'scenario',
        'c',
        'answers',
        'ok/s (2xx only)',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'p99/p50',
        'stack RSS MiB',
        'checks',
      ],
      scenarioRows(results),
    )}`,
  );
  if (targetResults.length) {
    console.log(
      `\n${mdTable(
        ['target', 'value', 'goal', 'result'],
        targetResults.map((t) => [t.target, String(t.value), t.goal, t.met ? 'met' : 'MISSED']),
      )}`,
    );
  }
  const perProcess = (m: Record<string, number> | undefined) =>
    m
      ? Object.entries(m)
          .map(([name, mib]) => `${name} ${mib}`)
          .join(', ')
      : '–';
  if (idle) {
    console.log(
      `\nstack RSS MiB: ${idle.totalMiB} idle after start (${perProcess(idle.byProcess)})` +
        (warmup && afterWarmup
          ? `, ${afterWarmup.totalMiB} after warm-up (${perProcess(afterWarmup.byProcess)})`
          : ''),
    );
  }
  const heaviest = (results['allocations-200']?.memory ?? undefined) as RssPeak | undefined;
  if (heaviest) console.log(`  peak during allocations-200: ${perProcess(heaviest.peakByProcessMiB)}`);

  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const commit = git(['rev-parse', 'HEAD']);
  const dirty = (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  const report = {
    command,
    date,
    durationSeconds: Math.round((Date.now() - runStarted) / 100) / 10,
    machine: {
      ...machine(java),
      loadavgStart,
      loadavgEnd: os.loadavg().map((n) => Math.round(n * 100) / 100),
    },
    git: { commit, dirty },
    options: { seed, requestsPerScenario: requests, maxSecondsPerScenario: maxSeconds },
    warmup: warmup ?? 'skipped',
    stackRssMiB: { idle, afterWarmup },
    scenarios: Object.fromEntries(
      Object.entries(results).map(([name, f]) => [name, { description: descriptions[name], ...f }]),
    ),
    targets: targetResults,
    failures: Object.fromEntries(failures),
  };
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(
    `\n${relative(process.cwd(), out) || out} written (${report.durationSeconds} s in all; ` +
      `commit ${commit?.slice(0, 12) ?? 'unknown'}${dirty ? ', uncommitted changes' : ''})`,
  );

  if (failures.length) {
    console.error(`\nFAILED: ${failures.map(([n, p]) => `${n} (${p.join('; ')})`).join(', ')}`);
    return 1;
  }
  const missed = targetResults.filter((t) => !t.met);
  if (missed.length) {
    console.log(`\n${missed.length} target(s) missed: ${missed.map((t) => t.target).join(', ')}`);
    if (values.strict) return 2;
  }
  return 0;
}

main()
  .then(
    (code) => code,
    (error: unknown) => {
      console.error(`bench failed: ${error instanceof Error ? error.message : error}`);
      return 1;
    },
  )
  .then(async (code) => {
    await stopStack();
    process.exit(code);
  });
