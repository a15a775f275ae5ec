/**
 * `npm run loadtest -- [--concurrency 50] [--requests 2000] [--seed 1] [--hot] [--cens 8] [--mix …]`
 * Drives a running local stack (`npm start`) over HTTP with a seeded mix of region-connection
 * creates, modifies and deletes that should succeed (bench/load.ts `Plan`), shows progress, then
 * prints the successful allocations per second first, refusals and errors beside them, latency
 * percentiles and a breakdown by status and code, and checks the invariants on the table.
 * Loopback only; bounded in count and time. Exits 1 on any invariant violation, 5xx or timeout.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_MIX, type Mix, printResult, runLoad } from './load';

const USAGE = `usage: npm run loadtest -- [options]   (against a running npm start)
  --concurrency <n>    requests in flight (50; at most 1000)
  --requests <n>       total requests (2000)
  --max-seconds <n>    stop after this long (120)
  --seed <n>           the mix's seed (random; printed)
  --hot                every request on one package of one CEN
  --cens <n>           CENs, one package each (8)
  --package-mbps <n>   each package's bandwidth (60)
  --mix <weights>      create=50,modify=30,delete=20 (relative weights; the default)
  --url, --dynamodb, --table   the stack (http://127.0.0.1:3000, http://127.0.0.1:8000, cen-bandwidth-dev)`;

const { values } = parseArgs({
  options: {
    help: { type: 'boolean', short: 'h' },
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    dynamodb: { type: 'string', default: 'http://127.0.0.1:8000' },
    table: { type: 'string', default: 'cen-bandwidth-dev' },
    concurrency: { type: 'string', default: '50' },
    requests: { type: 'string', default: '2000' },
    'max-seconds': { type: 'string', default: '120' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    hot: { type: 'boolean', default: false },
    cens: { type: 'string', default: '8' },
    'package-mbps': { type: 'string', default: '60' },
    mix: { type: 'string', default: 'create=50,modify=30,delete=20' },
  },
});

/** `create=50,modify=30,delete=20`: every kind named at most once, weights 0-1000, not all 0. */
function parseMix(text: string): Mix {
  const mix: Mix = { create: 0, modify: 0, delete: 0 };
  const seen = new Set<string>();
  for (const part of text.split(',')) {
    const [kind, weight] = part.split('=') as [string, string | undefined];
    const n = Number(weight);
    if (!(kind in DEFAULT_MIX) || seen.has(kind) || !Number.isInteger(n) || n < 0 || n > 1000)
      throw new Error(`--mix: "${part}" is not kind=weight (kinds create, modify, delete; weights 0-1000)`);
    seen.add(kind);
    mix[kind as keyof Mix] = n;
  }
  if (mix.create + mix.modify + mix.delete === 0) throw new Error('--mix: the weights are all 0');
  return mix;
}

function loopback(url: string): string {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host) && !host.startsWith('127.')) {
    throw new Error(`refusing to load ${url}: the load test only targets loopback addresses`);
  }
  return url.replace('localhost', '127.0.0.1');
}

const bounded = (name: string, value: string, max: number) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return n;
};

async function main() {
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const result = await runLoad({
    apiUrl: loopback(values.url),
    dbUrl: loopback(values.dynamodb),
    tableName: values.table,
    concurrency: bounded('concurrency', values.concurrency, 1000),
    requests: bounded('requests', values.requests, 200_000),
    maxSeconds: bounded('max-seconds', values['max-seconds'], 900),
    seed: Number(values.seed),
    hot: values.hot,
    cens: bounded('cens', values.cens, 200),
    packageMbps: bounded('package-mbps', values['package-mbps'], 10_000),
    mix: parseMix(values.mix),
    progress: (p) =>
      console.error(
        `  ${p.seconds.toFixed(0)} s: ${p.answered} answered, ${(p.succeeded / p.seconds).toFixed(1)} succeeded/s, ` +
          `${p.refused} refused, ${p.failed} errors`,
      ),
  });
  printResult(result);
  if (result.invariantViolations.length || result.fivexx || result.timeouts) process.exit(1);
}

main().catch((error) => {
  console.error(`loadtest failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
