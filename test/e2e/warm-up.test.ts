/**
 * The stack warms up before it reports ready (local/prime.ts): real allocations by a scratch
 * account, then every item of that account deleted. Nothing of it may be left in the table.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { db, TABLE } from '../../lib/db/client';

describe("the stack's warm-up", () => {
  it('leaves no item of its scratch account in the table', async () => {
    const left: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await db.send(
        new ScanCommand({
          TableName: TABLE,
          FilterExpression: 'begins_with(accountId, :w) OR begins_with(PK, :acct)',
          ExpressionAttributeValues: { ':w': 'warm-up-', ':acct': 'ACCT#warm-up-' },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      left.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    expect(left).toEqual([]);
  });
});
