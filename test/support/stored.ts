/**
 * The table as stored, for the race tests: a CEN's connections, and the accounting checks of the
 * packages against them. Tests read connections only through `storedConnections`, so that the
 * checks do not depend on where the data layer keeps a connection.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { db, TABLE } from '../../lib/db/client';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';

export interface StoredConnection {
  connectionId: string;
  bandwidthMbps: number;
  bandwidthPackageId: string;
}

/** The connections of a CEN as stored, read straight from the table (strongly consistent). */
export async function storedConnections(accountId: string, cenId: string): Promise<StoredConnection[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :conn)',
        ExpressionAttributeValues: { ':pk': keys.cen(accountId, cenId).PK, ':conn': keys.connectionPrefix },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items.map((x) => ({
    connectionId: String(x.connectionId),
    bandwidthMbps: Number(x.bandwidthMbps),
    bandwidthPackageId: String(x.bandwidthPackageId),
  }));
}

/** The accounting violations of one package body (a snapshot, a response, or the stored item). */
export function accountingViolations(where: string, p: Record<string, unknown>): string[] {
  const bw = Number(p.bandwidthMbps);
  const allocated = Number(p.allocatedMbps);
  const remaining = Number(p.remainingMbps);
  const out: string[] = [];
  if (allocated > bw) out.push(`${where}: allocated ${allocated} > bandwidth ${bw}`);
  if (allocated < 0) out.push(`${where}: allocated ${allocated} < 0`);
  if (remaining < 0) out.push(`${where}: remaining ${remaining} < 0`);
  if (allocated + remaining !== bw) out.push(`${where}: ${allocated} + ${remaining} ≠ ${bw}`);
  return out;
}

/** Check the table: per package, the sum of its stored connections is its allocation. */
export async function tableViolations(accountId: string, cenId: string, packageIds: string[]) {
  const conns = await storedConnections(accountId, cenId);
  const out: string[] = [];
  for (const id of packageIds) {
    const pkg = await getItem(keys.bandwidthPackage(accountId, id));
    if (!pkg) {
      out.push(`${id}: missing`);
      continue;
    }
    const mine = conns.filter((c) => c.bandwidthPackageId === id);
    const sum = mine.reduce((n, c) => n + c.bandwidthMbps, 0);
    out.push(...accountingViolations(`${id} (table)`, pkg));
    if (sum !== pkg.allocatedMbps) out.push(`${id}: connections sum ${sum} ≠ allocated ${pkg.allocatedMbps}`);
    if (mine.length !== pkg.connectionCount)
      out.push(`${id}: ${mine.length} connections ≠ connectionCount ${pkg.connectionCount}`);
  }
  return { conns, violations: out };
}
