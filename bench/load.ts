/**
 * The allocation load generator behind `npm run loadtest` and the benchmarks: a seeded mix of
 * region-connection creates, modifies and deletes over many CENs (or one hot package), driven
 * over HTTP by autocannon, then an invariant check of every package it touched, read straight
 * from DynamoDB: sum of connections = allocatedMbps ≤ bandwidthMbps, allocated + remaining =
 * bandwidth, connectionCount = number of connections.
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import autocannon from 'autocannon';
import { areaOf, orderedPair, REGIONS, type RegionId } from '../lib/catalogue';
import { keys } from '../lib/db/keys';
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
}

export interface LoadResult {
  scenario: string;
  seed: number;
  concurrency: number;
  requests: number;
  durationSeconds: number;
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statuses: Record<string, number>;
  codes: Record<string, number>;
  errors: number;
  timeouts: number;
  fivexx: number;
  invariantViolations: string[];
  packagesChecked: number;
}

const SPAN_AREAS = ['China', 'Asia-Pacific'] as const;
const PAIRS: [RegionId, RegionId][] = (() => {
  const a = REGIONS.filter((r) => r.areaId === SPAN_AREAS[0]).map((r) => r.regionId);
  const b = REGIONS.filter((r) => r.areaId === SPAN_AREAS[1]).map((r) => r.regionId);
  return a.flatMap((x) => b.map((y) => orderedPair(x, y)));
})();

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
  const rnd = prng(o.seed);
  const codes: Record<string, number> = {};
  const statuses: Record<string, number> = {};

  const instance = autocannon({
    url: o.apiUrl,
    connections: o.concurrency,
    amount: o.requests,
    duration: o.maxSeconds,
    timeout: 10,
    headers: { 'x-api-key': account.apiKey, 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request) => {
          const f = rnd.pick(fixtures);
          const [a, b] = rnd.pick(PAIRS);
          const op = rnd.next();
          const connectionId = `${a}_${b}`;
          const base = `/cens/${f.cenId}/region-connections`;
          if (op < 0.5) {
            return {
              ...request,
              method: 'POST',
              path: base,
              body: JSON.stringify({ regionA: b, regionB: a, bandwidthMbps: rnd.int(1, 4) }),
            };
          }
          if (op < 0.8) {
            return {
              ...request,
              method: 'PATCH',
              path: `${base}/${connectionId}`,
              body: JSON.stringify({ bandwidthMbps: rnd.int(1, 6) }),
            };
          }
          return { ...request, method: 'DELETE', path: `${base}/${connectionId}`, body: undefined };
        },
        onResponse: (status, body) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
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
      },
    ],
  });
  const result = await instance;

  const violations = await checkInvariants(o.dbUrl, o.tableName, account.accountId, fixtures);
  if (codes['error-disguised-as-200'])
    violations.push(`${codes['error-disguised-as-200']} errors came back as HTTP 200`);
  const fivexx = Object.entries(statuses)
    .filter(([s]) => Number(s) >= 500)
    .reduce((n, [, c]) => n + c, 0);
  return {
    scenario,
    seed: o.seed,
    concurrency: o.concurrency,
    requests: result.requests.total,
    durationSeconds: result.duration,
    throughput: Math.round((result.requests.total / result.duration) * 10) / 10,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: Math.round(result.latency.mean * 10) / 10,
    },
    statuses,
    codes,
    errors: result.errors,
    timeouts: result.timeouts,
    fivexx,
    invariantViolations: violations,
    packagesChecked: fixtures.length,
  };
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
    const conns: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await db.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :conn)',
          ExpressionAttributeValues: {
            ':pk': keys.cen(accountId, f.cenId).PK,
            ':conn': keys.connectionPrefix,
          },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      conns.push(...(out.Items ?? []).filter((c) => c.bandwidthPackageId === f.packageId));
      start = out.LastEvaluatedKey;
    } while (start);
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
      if (areaOf(c.regionA as RegionId) === areaOf(c.regionB as RegionId))
        violations.push(`${c.SK}: same-area pair`);
    }
  }
  return violations;
}

export function printResult(r: LoadResult): void {
  const l = r.latencyMs;
  console.log(`
${r.scenario}: ${r.requests} requests at concurrency ${r.concurrency} in ${r.durationSeconds} s (seed ${r.seed})
  throughput   ${r.throughput} req/s
  latency ms   p50 ${l.p50}  p90 ${l.p90}  p99 ${l.p99}  max ${l.max}  mean ${l.mean}
  statuses     ${Object.entries(r.statuses)
    .map(([s, n]) => `${s}: ${n}`)
    .join('  ')}
  codes        ${Object.entries(r.codes)
    .map(([s, n]) => `${s}: ${n}`)
    .join('  ')}
  5xx ${r.fivexx}   timeouts ${r.timeouts}   socket errors ${r.errors}
  invariants   ${r.invariantViolations.length === 0 ? `hold on all ${r.packagesChecked} package(s)` : `VIOLATED:\n    ${r.invariantViolations.join('\n    ')}`}`);
}
