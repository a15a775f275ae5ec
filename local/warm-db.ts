/**
 * Warm DynamoDB Local's JVM before the stack says it is ready. A just-started JVM interprets its
 * code until the JIT compiler has seen it run: measured on this 2-core machine, raw conditional
 * updates ran at 450/s in the first 3,000 and 1,150/s after, and the first allocation run through
 * the stack at half the rate of a warm one (bench/README.md, "cold and warm"). So the stack runs
 * the writes an allocation makes (the service's own builders), reads, queries and transactions
 * against a scratch table of the same schema for a bounded time while serverless-offline starts,
 * then drops the table. The service's table is never touched.
 */
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { keys } from '../lib/db/keys';
import { connect, disconnect } from '../lib/entities/package';
import { createTable } from './table';

export interface WarmOptions {
  /** Stop after this long (default 4 s)… */
  maxMs?: number;
  /** …or this many operations (default 6,000), whichever comes first. */
  maxOps?: number;
  /** Operations in flight (default 32). */
  concurrency?: number;
  /** Stop early when this is aborted (the stack aborts it once serverless-offline is up). */
  signal?: AbortSignal;
}

const PAIRS = ['cn-beijing_ap-southeast-1', 'cn-hangzhou_ap-southeast-1', 'cn-shanghai_ap-northeast-1'];

export async function warmDatabase(client: DynamoDBClient, options: WarmOptions = {}): Promise<number> {
  const maxMs = options.maxMs ?? 4_000;
  const maxOps = options.maxOps ?? 6_000;
  const concurrency = options.concurrency ?? 32;
  const table = `warm-up-${process.pid}-${Date.now()}`;
  const db = DynamoDBDocumentClient.from(client);
  await createTable(client, table);
  try {
    const accountId = 'warm-up';
    const packages = Array.from({ length: 8 }, (_, i) => ({
      accountId,
      bandwidthPackageId: `cenbwp-warm${i}`,
      cenId: `cen-warm${i}`,
    }));
    for (const p of packages) {
      await db.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.bandwidthPackage(accountId, p.bandwidthPackageId),
            ...p,
            geographicSpanId: 'asia-pacific_china',
            businessStatus: 'Normal',
            remainingMbps: 1_000_000,
            allocatedMbps: 0,
            connectionCount: 0,
            conns: {},
            gone: {},
          },
        }),
      );
    }
    const deadline = Date.now() + maxMs;
    let ops = 0;
    const worker = async (w: number) => {
      const p = packages[w % packages.length]!;
      const pair = PAIRS[Math.floor(w / packages.length) % PAIRS.length]!;
      const at = { cenId: p.cenId, spanId: 'asia-pacific_china', pair };
      for (let n = 0; ops < maxOps && Date.now() < deadline && !options.signal?.aborted; n++, ops++) {
        const now = new Date().toISOString();
        const step = n % 6;
        // Failures are part of the work (a failed condition is a path the JIT compiles too).
        const command =
          step === 0
            ? new UpdateCommand({
                ...connect(p, at, { bw: 1, createdAt: now, updatedAt: now, w: `${w}.${n}` }),
                TableName: table,
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              })
            : step === 1
              ? new GetCommand({
                  TableName: table,
                  Key: keys.bandwidthPackage(accountId, p.bandwidthPackageId),
                  ConsistentRead: true,
                })
              : step === 2
                ? new UpdateCommand({
                    ...disconnect(p, { cenId: p.cenId, pair }, `${w}.${n}`),
                    TableName: table,
                  })
                : step === 3
                  ? new TransactWriteCommand({
                      TransactItems: [
                        {
                          Update: {
                            ...connect(p, at, { bw: 1, createdAt: now, updatedAt: now, w: `${w}.${n}` }),
                            TableName: table,
                          },
                        },
                        { Put: { TableName: table, Item: { PK: `warm#${w}#${n}`, SK: 'x' } } },
                      ],
                    })
                  : step === 4
                    ? new UpdateCommand({
                        ...disconnect(p, { cenId: p.cenId, pair }, `${w}.${n}`),
                        TableName: table,
                      })
                    : new QueryCommand({
                        TableName: table,
                        KeyConditionExpression: 'PK = :pk',
                        ExpressionAttributeValues: {
                          ':pk': keys.bandwidthPackage(accountId, p.bandwidthPackageId).PK,
                        },
                        ConsistentRead: true,
                      });
        // The commands' types differ; the client takes each.
        await db.send(command as UpdateCommand).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    return ops;
  } finally {
    await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  }
}
