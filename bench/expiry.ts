/**
 * The expiry job's cost (issue 5): with PACKAGES packages of which DUE are due, the job must read
 * about as many items as are due (within 2×), whatever the table's size. Measured beside a
 * full-scan baseline in the same run: the scan that a job without the due index would need.
 *
 * The packages are written straight to the table (BatchWriteItem, the item a purchase writes, no
 * orders): buying 20,000 through the API would measure the purchase path, not the job. The job
 * itself runs as deployed, through serverless-offline's Lambda invoke endpoint.
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dueFields } from '../lib/entities/package';
import { newId } from '../lib/ids';
import { newPackageItem } from '../lib/packages';
import { addDays } from '../lib/time';
import type { Stack } from '../local/stack';
import { documentClient } from './load';

export interface ExpiryFigures {
  packages: number;
  due: number;
  job: { ms: number; itemsRead: number; expired: number; autoRenewed: number; released: number };
  scan: { ms: number; itemsScanned: number; dueFound: number };
  /** Items the job read per due package (target ≤ 2). */
  readsPerDue: number;
  /** How many times faster than the scan baseline the job ran. */
  speedupVsScan: number;
}

export async function expiryScenario(
  stack: Pick<Stack, 'dbUrl' | 'tableName' | 'lambdaUrl' | 'stage'>,
  options: { packages?: number; due?: number } = {},
): Promise<ExpiryFigures> {
  const packages = options.packages ?? 20_000;
  const due = options.due ?? 200;
  const db = documentClient(stack.dbUrl);
  const accountId = `bench-expiry-${randomBytes(4).toString('hex')}`;
  // The job runs one day ahead; the due packages fell due an hour before that, the others expire
  // months later. (Packages other scenarios bought expire a month or more from now: not due.)
  const now = new Date().toISOString();
  const jobTime = addDays(now, 1);

  const items = Array.from({ length: packages }, (_, i) => {
    const isDue = i < due;
    const item = newPackageItem(
      accountId,
      newId.bandwidthPackage(),
      {
        areaA: 'China',
        areaB: 'North-America',
        bandwidthMbps: 10,
        pricingCycle: 'Month',
        period: isDue ? 1 : 1 + (i % 3),
        autoRenew: i % 2 === 0,
        autoRenewPeriod: 1,
      },
      now,
    );
    if (!isDue) return item;
    // Due for the job's run a day ahead, not yet at the wall clock: the stack's own schedule
    // (which runs at the wall clock while the bench goes on) must not expire them first.
    const expiresAt = new Date(Date.parse(jobTime) - 3_600_000).toISOString();
    return { ...item, expiresAt, ...dueFields(String(item.bandwidthPackageId), { expiresAt }) };
  });
  await writeAll(db, stack.tableName, items);

  const scanStarted = performance.now();
  let itemsScanned = 0;
  let dueFound = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: stack.tableName,
        FilterExpression: 'entity = :bwp AND businessStatus = :normal AND expiresAt <= :now',
        ExpressionAttributeValues: { ':bwp': 'BandwidthPackage', ':normal': 'Normal', ':now': jobTime },
        ExclusiveStartKey: start,
      }),
    );
    itemsScanned += page.ScannedCount ?? 0;
    dueFound += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  const scanMs = performance.now() - scanStarted;

  const jobStarted = performance.now();
  const url = `${stack.lambdaUrl}/2015-03-31/functions/cen-bandwidth-${stack.stage}-expireSubscriptions/invocations`;
  const res = await fetch(url, { method: 'POST', body: JSON.stringify({ time: jobTime }) });
  const out = (await res.json()) as ExpiryFigures['job'] & { complete: boolean };
  const jobMs = performance.now() - jobStarted;
  if (res.status !== 200 || out.itemsRead === undefined) {
    throw new Error(`expiry job failed: ${res.status} ${JSON.stringify(out)}`);
  }
  if (out.expired + out.autoRenewed !== due) {
    throw new Error(
      `the job moved ${out.expired + out.autoRenewed} of the ${due} due packages: ${JSON.stringify(out)}`,
    );
  }

  return {
    packages,
    due,
    job: {
      ms: round(jobMs),
      itemsRead: out.itemsRead,
      expired: out.expired,
      autoRenewed: out.autoRenewed,
      released: out.released,
    },
    scan: { ms: round(scanMs), itemsScanned, dueFound },
    readsPerDue: round(out.itemsRead / due, 2),
    speedupVsScan: round(scanMs / jobMs, 1),
  };
}

async function writeAll(
  db: ReturnType<typeof documentClient>,
  table: string,
  items: Record<string, unknown>[],
) {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending: Record<string, unknown>[] = batches[next++]!.map((Item) => ({ PutRequest: { Item } }));
      while (pending.length) {
        const out = await db.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
