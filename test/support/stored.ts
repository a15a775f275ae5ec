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
