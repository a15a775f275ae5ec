/**
 * Warm the allocation functions before the stack says it is ready. serverless-offline loads a
 * handler on its first request, V8 and DynamoDB Local's JVM compile what runs often only after it
 * has run a while (the JVM's optimizing tier after thousands of calls of a method), and each
 * function's DynamoDB client opens its sockets on demand. Measured on this 2-core machine, a fresh
 * stack served about 150 allocations/s in its first second and 370/s in its eighth, and kept
 * getting faster over some 10,000 more (bench/README.md, "Cold and warm").
 *
 * So the stack makes real allocations, through HTTP, as a scratch account of its own: an API key,
 * four CENs, each with a China–Asia-Pacific package bound to it, then 48 clients, each on a region
 * pair of its own on one of them, create, resize and delete its connection, for 10 s or 6,000
 * allocations. Then every item that account wrote is deleted (its key, its account item, its CENs'
 * and its packages' partitions): the table is as it was. A crash in between would leave a
 * `warm-up-…` account behind, which touches nothing else.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { pairsOfSpan } from '../lib/catalogue';
import { keys } from '../lib/db/keys';

export interface PrimeOptions {
  apiUrl: string;
  client: DynamoDBClient;
  tableName: string;
  /** Stop after this long (default 10 s)… */
  maxMs?: number;
  /** …or this many allocations (default 6,000), whichever comes first. */
  maxRequests?: number;
}

const PAIRS = pairsOfSpan('China', 'Asia-Pacific');
/** A CEN and its package each; the clients spread over them, each on a region pair of its own. */
const PACKAGES = 4;
const CLIENTS = 48;

export async function primeFunctions(o: PrimeOptions): Promise<number> {
  const maxMs = o.maxMs ?? 10_000;
  const maxRequests = o.maxRequests ?? 6_000;
  const db = DynamoDBDocumentClient.from(o.client);
  const accountId = `warm-up-${randomBytes(6).toString('hex')}`;
  const apiKey = `warm-up-${randomBytes(24).toString('base64url')}`;
  const keyItem = { PK: `APIKEY#${createHash('sha256').update(apiKey, 'utf8').digest('hex')}`, SK: 'APIKEY' };
  await db.send(
    new PutCommand({
      TableName: o.tableName,
      Item: {
        ...keyItem,
        entity: 'ApiKey',
        accountId,
        role: 'tenant',
        name: 'local warm-up',
        createdAt: new Date().toISOString(),
      },
    }),
  );
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${o.apiUrl}${path}`, {
      method,
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const cenIds: string[] = [];
  const packageIds: string[] = [];
  let sent = 0;
  try {
    // Several packages, as a load test has: clients on one package would all wait on its one item.
    for (let i = 0; i < PACKAGES; i++) {
      const cenId = (await call('POST', '/cens', { name: 'local warm-up' })).body?.cenId;
      if (!cenId) return sent;
      cenIds.push(cenId);
      const packageId = (
        await call('POST', '/bandwidth-packages', {
          areaA: 'China',
          areaB: 'Asia-Pacific',
          bandwidthMbps: 10_000,
          cenId,
        })
      ).body?.bandwidthPackageId;
      if (!packageId) return sent;
      packageIds.push(packageId);
    }
    const deadline = Date.now() + maxMs;
    const worker = async (w: number) => {
      const [regionA, regionB] = PAIRS[Math.floor(w / PACKAGES) % PAIRS.length]!;
      const base = `/cens/${cenIds[w % PACKAGES]}/region-connections`;
      const id = `${regionA}_${regionB}`;
      for (let n = 0; sent < maxRequests && Date.now() < deadline; n++) {
        sent++;
        const step = n % 3;
        if (step === 0) await call('POST', base, { regionA, regionB, bandwidthMbps: 1 });
        else if (step === 1) await call('PATCH', `${base}/${id}`, { bandwidthMbps: 2 });
        else await call('DELETE', `${base}/${id}`);
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, w) => worker(w)));
    return sent;
  } finally {
    const partitions = [
      ...cenIds.map((id) => keys.cen(accountId, id).PK),
      ...packageIds.map((id) => keys.bandwidthPackage(accountId, id).PK),
    ];
    const items = [keyItem, keys.account(accountId)];
    for (const partition of partitions) {
      const out = await db.send(
        new QueryCommand({
          TableName: o.tableName,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': partition },
          ProjectionExpression: 'PK, SK',
          ConsistentRead: true,
        }),
      );
      items.push(...((out.Items ?? []) as { PK: string; SK: string }[]));
    }
    await Promise.all(items.map((Key) => db.send(new DeleteCommand({ TableName: o.tableName, Key }))));
  }
}
