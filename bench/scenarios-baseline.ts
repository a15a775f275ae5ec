/**
 * The same-run baselines the service's figures are read against:
 *
 * - `ddbBaseline`: raw DynamoDB Local throughput of an allocation's write alone, from this one Node
 *   process, through a client configured like the service's (no HTTP, no Lambda: the ceiling the
 *   database allows), in two shapes: the v1 two-item `TransactWriteItems` that SPEC §9 measures
 *   against, and v2's one conditional `UpdateItem`. Both build the package's update with the
 *   service's own builders (lib/entities/package.ts), never a copy of them.
 * - `httpBaseline`: a read-only endpoint (`GET /areas`, no database read once the key is cached)
 *   through the whole stack, with the same HTTP driver as the allocation runs (bench/load.ts
 *   `drive`): the ceiling of serverless-offline + middy alone.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { geographicSpanId, pairsOfSpan } from '../lib/catalogue';
import { keys } from '../lib/db/keys';
import { connect, disconnect } from '../lib/entities/package';
import { type DriveResult, drive, type Latency, percentiles } from './load';

const round1 = (n: number) => Math.round(n * 10) / 10;

/* ---------- DynamoDB Local, raw ---------- */

/**
 * The shape of one raw allocation:
 * - `transaction`: the v1 allocation, a two-item `TransactWriteItems` (the package's update and a
 *   connection item of its own, put on create and deleted on delete): SPEC §9's reference;
 * - `update`: the v2 allocation alone, the package's one conditional `UpdateItem`.
 * Both build the package's update with the service's own builders (lib/entities/package.ts
 * `connect` and `disconnect`), so the baseline is the very write the service sends.
 */
export type DdbShape = 'transaction' | 'update';

export interface DdbBaselineOptions {
  dbUrl: string;
  tableName: string;
  concurrency: number;
  requests: number;
  maxSeconds: number;
  /** Packages the writes spread over (runLoad's default allocation run uses 8 CENs). */
  packages: number;
  shape: DdbShape;
}

export interface DdbBaselineResult {
  shape: DdbShape;
  concurrency: number;
  requests: number;
  ok: number;
  errors: number;
  errorNames: Record<string, number>;
  durationSeconds: number;
  throughput: number;
  latencyMs: Latency;
  packages: number;
  /** Every package's allocation equals the connections it holds, and its count their number. */
  consistent: boolean;
}

const PAIRS = pairsOfSpan('China', 'Asia-Pacific');
const SPAN = geographicSpanId('China', 'Asia-Pacific');

/**
 * A document client set up like lib/db/client.ts (keep-alive, 256 sockets), without retries, and
 * with a patient connection timeout: the connections are opened before the clock starts anyway.
 */
function serviceLikeClient(dbUrl: string) {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: dbUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({
        connectionTimeout: 10_000,
        requestTimeout: 10_000,
        httpAgent: { keepAlive: true, maxSockets: 256 },
      }),
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
}

/**
 * Raw allocations, closed loop: each of the N workers owns one (package, pair) slot and creates
 * and deletes its connection in turn, so every write should succeed and the table stays bounded.
 */
export async function ddbBaseline(o: DdbBaselineOptions): Promise<DdbBaselineResult> {
  if (o.concurrency > o.packages * PAIRS.length) throw new Error('more workers than (package, pair) slots');
  const db = serviceLikeClient(o.dbUrl);
  const accountId = `bench-ddb-${randomBytes(4).toString('hex')}`;
  const capacity = 1_000_000_000; // the guard is evaluated on every write but never fails
  const packages = Array.from({ length: o.packages }, (_, i) => ({
    accountId,
    bandwidthPackageId: `cenbwp-bench${i}${randomBytes(4).toString('hex')}`,
    cenId: `cen-bench${i}${randomBytes(4).toString('hex')}`,
  }));
  const now = new Date().toISOString();
  for (const p of packages) {
    await db.send(
      new PutCommand({
        TableName: o.tableName,
        Item: {
          ...keys.bandwidthPackage(accountId, p.bandwidthPackageId),
          entity: 'BandwidthPackage',
          ...p,
          geographicSpanId: SPAN,
          businessStatus: 'Normal',
          bandwidthMbps: capacity,
          allocatedMbps: 0,
          remainingMbps: capacity,
          connectionCount: 0,
          conns: {},
          gone: {},
          createdAt: now,
        },
      }),
    );
  }

  // Open the connections before the clock starts (DynamoDB Local's listener has a backlog of 50
  // and accepts slowly while busy): one read per would-be worker, all at once.
  await Promise.all(
    Array.from({ length: o.concurrency }, (_, i) =>
      db.send(
        new GetCommand({
          TableName: o.tableName,
          Key: keys.bandwidthPackage(accountId, packages[i % packages.length]!.bandwidthPackageId),
        }),
      ),
    ),
  );

  /** The write of step `n` of worker `w`: a create on even steps, the delete on odd ones. */
  const write = (w: number, n: number) => {
    const p = packages[w % packages.length]!;
    const [low, high] = PAIRS[Math.floor(w / packages.length) % PAIRS.length]!;
    const pair = `${low}_${high}`;
    const at = { cenId: p.cenId, spanId: SPAN, pair };
    const stamp = new Date().toISOString();
    const create = n % 2 === 0;
    const update = {
      ...(create
        ? connect(p, at, { bw: 1 + (w % 4), createdAt: stamp, updatedAt: stamp, w: `${w}.${n}` })
        : disconnect(p, at, `${w}.${n}`)),
      TableName: o.tableName,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    if (o.shape === 'update') return new UpdateCommand(update);
    // v1: the connection as an item of its own in the CEN's partition, in the same transaction.
    const key = { PK: keys.cen(accountId, p.cenId).PK, SK: `CONN#${low}#${high}` };
    return new TransactWriteCommand({
      TransactItems: [
        { Update: update },
        create
          ? {
              Put: {
                TableName: o.tableName,
                Item: { ...key, entity: 'RegionConnection', accountId, bandwidthMbps: 1 + (w % 4) },
                ConditionExpression: 'attribute_not_exists(PK)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            }
          : {
              Delete: {
                TableName: o.tableName,
                Key: key,
                ConditionExpression: 'attribute_exists(PK)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
      ],
    });
  };

  let issued = 0;
  let ok = 0;
  const errorNames: Record<string, number> = {};
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + o.maxSeconds * 1000;

  const worker = async (w: number) => {
    for (let n = 0; issued < o.requests && performance.now() < deadline; n++) {
      issued++;
      const t0 = performance.now();
      try {
        // The two command types take the same client; the union does not narrow `send`.
        await db.send(write(w, n) as UpdateCommand);
        latencies.push(performance.now() - t0);
        ok++;
      } catch (error) {
        const name = error instanceof Error ? error.name : 'unknown';
        errorNames[name] = (errorNames[name] ?? 0) + 1;
        // Keep the create/delete alternation in step with the table: retry the same step.
        n--;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  const seconds = (performance.now() - started) / 1000;

  let consistent = true;
  for (const p of packages) {
    const out = await db.send(
      new GetCommand({
        TableName: o.tableName,
        Key: keys.bandwidthPackage(accountId, p.bandwidthPackageId),
        ConsistentRead: true,
      }),
    );
    const item = out.Item as {
      allocatedMbps: number;
      connectionCount: number;
      conns: Record<string, { bw: number }>;
    };
    const held = Object.values(item.conns);
    const sum = held.reduce((n, e) => n + e.bw, 0);
    if (sum !== item.allocatedMbps || held.length !== item.connectionCount) consistent = false;
  }
  db.destroy();

  return {
    shape: o.shape,
    concurrency: o.concurrency,
    requests: issued,
    ok,
    errors: issued - ok,
    errorNames,
    durationSeconds: round1(seconds),
    throughput: round1(ok / seconds),
    latencyMs: percentiles(latencies),
    packages: o.packages,
    consistent,
  };
}

/* ---------- HTTP, read-only ---------- */

export interface HttpBaselineOptions {
  apiUrl: string;
  apiKey: string;
  path: string;
  concurrency: number;
  requests: number;
  maxSeconds: number;
}

export interface HttpBaselineResult extends DriveResult {
  path: string;
  concurrency: number;
  non2xx: number;
  fivexx: number;
}

export async function httpBaseline(o: HttpBaselineOptions): Promise<HttpBaselineResult> {
  let disguised = 0;
  const result = await drive({
    apiUrl: o.apiUrl,
    concurrency: o.concurrency,
    requests: o.requests,
    maxSeconds: o.maxSeconds,
    headers: { 'x-api-key': o.apiKey },
    warmPath: o.path,
    next: () => ({ method: 'GET', path: o.path }),
    onResponse: (status, body) => {
      // A timed-out httpApi invocation comes back as a 200 with an error body (docs/local.md).
      if (status === 200 && body.includes('"errorMessage"')) disguised++;
    },
  });
  const count = (test: (status: number) => boolean) =>
    Object.entries(result.statuses)
      .filter(([s]) => test(Number(s)))
      .reduce((n, [, c]) => n + c, 0);
  return {
    path: o.path,
    concurrency: o.concurrency,
    ...result,
    non2xx: count((s) => s < 200 || s >= 300) + disguised,
    fivexx: count((s) => s >= 500),
  };
}
