/**
 * Region connections as stored: since data layer v2 they live inside their package's item (the
 * `conns` map, lib/entities/package.ts), not as items of their own. Tests that check the table read
 * them through here, so that no test depends on the layout.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { db, TABLE } from '../../lib/db/client';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';

export interface StoredConnection {
  connectionId: string;
  cenId: string;
  bandwidthMbps: number;
  bandwidthPackageId: string;
  accountId: string;
  createdAt: string;
  updatedAt: string;
}

type Item = Record<string, unknown>;

/** The connections held by these items' packages (e.g. `accountItems(…)`), in id order. */
export function connectionsIn(items: Item[]): StoredConnection[] {
  return items
    .filter((i) => i.entity === 'BandwidthPackage')
    .flatMap((pkg) =>
      Object.entries(
        (pkg.conns ?? {}) as Record<string, { bw: number; createdAt: string; updatedAt: string }>,
      ).map(([connectionId, e]) => ({
        connectionId,
        cenId: String(pkg.cenId),
        bandwidthMbps: e.bw,
        bandwidthPackageId: String(pkg.bandwidthPackageId),
        accountId: String(pkg.accountId),
        createdAt: e.createdAt,
        updatedAt: e.updatedAt,
      })),
    )
    .sort((a, b) => a.connectionId.localeCompare(b.connectionId));
}

/**
 * The connections of a CEN as stored, read straight from the table (strongly consistent): the
 * packages its span bindings name, and the connections each of them holds for this CEN.
 */
export async function storedConnections(accountId: string, cenId: string): Promise<StoredConnection[]> {
  const bindings: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :span)',
        ExpressionAttributeValues: { ':pk': keys.cen(accountId, cenId).PK, ':span': 'SPAN#' },
        ExclusiveStartKey: start,
        ConsistentRead: true,
      }),
    );
    bindings.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  const packages = await Promise.all(
    bindings.map((b) => getItem(keys.bandwidthPackage(accountId, String(b.bandwidthPackageId)))),
  );
  return connectionsIn(packages.filter((p): p is Item => p !== undefined && p.cenId === cenId));
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
