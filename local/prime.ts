/**
 * Warm the allocation functions before the stack says it is ready. serverless-offline loads a
 * handler on its first request, V8 compiles what runs often only after it has run a while, and
 * each function's DynamoDB client opens its sockets on demand (DynamoDB Local accepts them slowly
 * while busy). Measured on this 2-core machine, the first allocation run after ready went at about
 * half the rate of the next one; after about 1,000 real allocations it is within 20 % of a warm
 * one (bench/README.md, "Cold and warm").
 *
 * So the stack makes real allocations, through HTTP, as a scratch account of its own: an API key,
 * a CEN and a China–Asia-Pacific package bound to it, then each of up to 42 clients creates,
 * resizes and deletes the connection of its own region pair, for a bounded time. Then every item
 * that account wrote is deleted (its key, its account item, its CEN's and its package's
 * partitions): the table is as it was. A crash in between would leave a `warm-up-…` account behind,
 * which touches nothing else.
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
  /** Stop after this long (default 5 s)… */
  maxMs?: number;
  /** …or this many allocations (default 1,500), whichever comes first. */
  maxRequests?: number;
}

const PAIRS = pairsOfSpan('China', 'Asia-Pacific');

export async function primeFunctions(o: PrimeOptions): Promise<number> {
  const maxMs = o.maxMs ?? 5_000;
  const maxRequests = o.maxRequests ?? 1_500;
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
  let cenId: string | undefined;
  let packageId: string | undefined;
  let sent = 0;
  try {
    cenId = (await call('POST', '/cens', { name: 'local warm-up' })).body?.cenId;
    if (!cenId) return 0;
    packageId = (
      await call('POST', '/bandwidth-packages', {
        areaA: 'China',
        areaB: 'Asia-Pacific',
        bandwidthMbps: 10_000,
        cenId,
      })
    ).body?.bandwidthPackageId;
    if (!packageId) return 0;
    const base = `/cens/${cenId}/region-connections`;
    const deadline = Date.now() + maxMs;
    const worker = async (w: number) => {
      const [regionA, regionB] = PAIRS[w]!;
      const id = `${regionA}_${regionB}`;
      for (let n = 0; sent < maxRequests && Date.now() < deadline; n++) {
        sent++;
        const step = n % 3;
        if (step === 0) await call('POST', base, { regionA, regionB, bandwidthMbps: 1 });
        else if (step === 1) await call('PATCH', `${base}/${id}`, { bandwidthMbps: 2 });
        else await call('DELETE', `${base}/${id}`);
      }
    };
    await Promise.all(PAIRS.map((_, w) => worker(w)));
    return sent;
  } finally {
    const partitions = [
      ...(cenId ? [keys.cen(accountId, cenId).PK] : []),
      ...(packageId ? [keys.bandwidthPackage(accountId, packageId).PK] : []),
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
