/** Random fixtures: each test gets its own accounts, so tests share one table and need no teardown. */
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createApiKey, type Role } from '../../lib/auth';
import { db, TABLE } from '../../lib/db/client';

export interface Tenant {
  accountId: string;
  apiKey: string;
}

export async function newTenant(role: Role = 'tenant'): Promise<Tenant> {
  const accountId = `t-${randomBytes(6).toString('hex')}`;
  const apiKey = await createApiKey({ accountId, role });
  return { accountId, apiKey };
}

/** Every item of the table that matches a filter (a scan, strongly consistent: tests only). */
export async function scanItems(
  filter: string,
  values: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: filter,
        ExpressionAttributeValues: values,
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Every item that belongs to an account, sorted: the "table state" that bad input must leave
 * unchanged. (A scan is fine here: tests only, small table.)
 */
export async function accountItems(accountId: string): Promise<Record<string, unknown>[]> {
  const items = await scanItems('accountId = :a', { ':a': accountId });
  return items
    .filter((i) => i.entity !== 'ApiKey')
    .sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`));
}
