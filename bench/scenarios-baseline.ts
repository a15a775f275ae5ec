/**
 * The two same-run baselines the service's figures are read against:
 *
 * - `ddbBaseline`: raw DynamoDB Local throughput of the very `TransactWriteItems` an allocation
 *   makes (lib/connections.ts createConnection: the package `Update` guarded by
 *   `remainingMbps >= :bw`, plus the connection `Put` with `attribute_not_exists(PK)`, both with
 *   `ALL_OLD` on a failed condition, as lib/db/client.ts `transact` sends them), from this one
 *   Node process, through a client configured like the service's. No HTTP, no Lambda: the ceiling
 *   the database alone allows.
 * - `httpBaseline`: a read-only endpoint (`GET /areas`, no database read once the key is cached)
 *   through the whole stack, with the same HTTP driver as the allocation runs (bench/load.ts
 *   `drive`): the ceiling of serverless-offline + middy alone.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { areaOf, geographicSpanId, orderedPair, REGIONS, type RegionId } from '../lib/catalogue';
import { keys } from '../lib/db/keys';
import { type DriveResult, drive, type Latency, percentiles } from './load';

const round1 = (n: number) => Math.round(n * 10) / 10;

/* ---------- DynamoDB Local, raw ---------- */

export interface DdbBaselineOptions {
  dbUrl: string;
  tableName: string;
  concurrency: number;
  requests: number;
  maxSeconds: number;
  /** Packages the transactions spread over (runLoad's default allocation run uses 8 CENs). */
  packages: number;
}

export interface DdbBaselineResult {
  concurrency: number;
  requests: number;
  ok: number;
  errors: number;
  errorNames: Record<string, number>;
  durationSeconds: number;
  throughput: number;
  latencyMs: Latency;
  packages: number;
  /** allocatedMbps summed over the packages equals the bandwidth of the transactions that succeeded. */
  consistent: boolean;
}

const PAIRS: [RegionId, RegionId][] = (() => {
  const a = REGIONS.filter((r) => r.areaId === 'China').map((r) => r.regionId);
  const b = REGIONS.filter((r) => r.areaId === 'Asia-Pacific').map((r) => r.regionId);
  return a.flatMap((x) => b.map((y) => orderedPair(x, y)));
})();

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

export async function ddbBaseline(o: DdbBaselineOptions): Promise<DdbBaselineResult> {
  const db = serviceLikeClient(o.dbUrl);
  const accountId = `bench-ddb-${randomBytes(4).toString('hex')}`;
  const capacity = 1_000_000_000; // the guard is evaluated on every write but never fails
  const packages = Array.from({ length: o.packages }, (_, i) => ({
    packageId: `cbwp-bench${i}${randomBytes(4).toString('hex')}`,
    cenId: `cen-bench${i}${randomBytes(4).toString('hex')}`,
  }));
  const now = new Date().toISOString();
  for (const p of packages) {
    await db.send(
      new PutCommand({
        TableName: o.tableName,
        Item: {
          ...keys.bandwidthPackage(accountId, p.packageId),
          entity: 'BandwidthPackage',
          accountId,
          bandwidthPackageId: p.packageId,
          cenId: p.cenId,
          businessStatus: 'Normal',
          bandwidthMbps: capacity,
          allocatedMbps: 0,
          remainingMbps: capacity,
          connectionCount: 0,
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
          Key: keys.bandwidthPackage(accountId, packages[i % packages.length]!.packageId),
        }),
      ),
    ),
  );

  let issued = 0;
  let okMbps = 0;
  let ok = 0;
  const errorNames: Record<string, number> = {};
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + o.maxSeconds * 1000;

  const one = async (n: number) => {
    const p = packages[n % packages.length]!;
    const [low, high] = PAIRS[n % PAIRS.length]!;
    const bw = 1 + (n % 4);
    const stamp = new Date().toISOString();
    // The connection's sort key carries the request number, so every Put creates a new item.
    const key = keys.connection(accountId, p.cenId, low, `${high}#${n}`);
    const t0 = performance.now();
    try {
      await db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: o.tableName,
                Key: keys.bandwidthPackage(accountId, p.packageId),
                UpdateExpression:
                  'SET allocatedMbps = allocatedMbps + :bw, remainingMbps = remainingMbps - :bw ADD connectionCount :one',
                ConditionExpression: 'cenId = :cenId AND businessStatus = :normal AND remainingMbps >= :bw',
                ExpressionAttributeValues: { ':bw': bw, ':one': 1, ':cenId': p.cenId, ':normal': 'Normal' },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Put: {
                TableName: o.tableName,
                Item: {
                  ...key,
                  entity: 'RegionConnection',
                  accountId,
                  connectionId: `${low}_${high}`,
                  cenId: p.cenId,
                  regionA: low,
                  regionB: high,
                  bandwidthMbps: bw,
                  bandwidthPackageId: p.packageId,
                  geographicSpanId: geographicSpanId(areaOf(low), areaOf(high)),
                  createdAt: stamp,
                  updatedAt: stamp,
                },
                ConditionExpression: 'attribute_not_exists(PK)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
      latencies.push(performance.now() - t0);
      ok++;
      okMbps += bw;
    } catch (error) {
      const name = error instanceof Error ? error.name : 'unknown';
      errorNames[name] = (errorNames[name] ?? 0) + 1;
    }
  };

  const worker = async () => {
    while (issued < o.requests && performance.now() < deadline) await one(issued++);
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;

  let allocated = 0;
  for (const p of packages) {
    const out = await db.send(
      new GetCommand({
        TableName: o.tableName,
        Key: keys.bandwidthPackage(accountId, p.packageId),
        ConsistentRead: true,
      }),
    );
    allocated += Number(out.Item?.allocatedMbps);
  }
  db.destroy();

  const errors = issued - ok;
  return {
    concurrency: o.concurrency,
    requests: issued,
    ok,
    errors,
    errorNames,
    durationSeconds: round1(seconds),
    throughput: round1(ok / seconds),
    latencyMs: percentiles(latencies),
    packages: o.packages,
    consistent: allocated === okMbps,
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
