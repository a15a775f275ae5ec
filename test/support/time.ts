/**
 * Time travel for tests, which cannot wait a month: writes a package's state as the passage of
 * time would leave it, with its due-index entry, exactly as the service keeps them together.
 * And the order-chain check shared by the package and expiry tests.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { db as serviceDb, TABLE } from '../../lib/db/client';
import { keys } from '../../lib/db/keys';
import { dueFields } from '../../lib/entities/package';

type Sender = Pick<typeof serviceDb, 'send'>;

/**
 * `{expiresAt}`: a `Normal` package that expires (or expired) then. `{expiredAt}`: an `Expired`
 * one, as the job leaves it (rule 8). `db`/`table` default to the service's own.
 */
export async function setPackageTime(
  accountId: string,
  packageId: string,
  due: { expiresAt: string } | { expiredAt: string },
  target: { db: Sender; table: string } = { db: serviceDb, table: TABLE },
): Promise<void> {
  const expired = 'expiredAt' in due;
  const { DuePK, DueSK } = dueFields(packageId, due);
  await target.db.send(
    new UpdateCommand({
      TableName: target.table,
      Key: keys.bandwidthPackage(accountId, packageId),
      UpdateExpression: `SET businessStatus = :s, ${expired ? 'expiredAt' : 'expiresAt'} = :at, DuePK = :pk, DueSK = :sk`,
      ExpressionAttributeValues: {
        ':s': expired ? 'Expired' : 'Normal',
        ':at': expired ? due.expiredAt : due.expiresAt,
        ':pk': DuePK,
        ':sk': DueSK,
      },
    }),
  );
}

/** Orders must form a chain: each starts where the one before it ended, in time order. */
export function chainViolations(list: Record<string, unknown>[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < list.length; i++) {
    const [prev, cur] = [list[i - 1]!, list[i]!];
    if (cur.bandwidthMbpsBefore !== prev.bandwidthMbpsAfter) {
      out.push(`${i} ${cur.type}: bandwidth before ${cur.bandwidthMbpsBefore} ≠ ${prev.bandwidthMbpsAfter}`);
    }
    if (cur.expiresAtBefore !== prev.expiresAtAfter) {
      out.push(`${i} ${cur.type}: expiry before ${cur.expiresAtBefore} ≠ ${prev.expiresAtAfter}`);
    }
    if (String(cur.createdAt) < String(prev.createdAt)) out.push(`${i} ${cur.type}: created before ${i - 1}`);
  }
  return out;
}
