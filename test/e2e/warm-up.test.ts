/**
 * The stack warms up before it reports ready (local/prime.ts): real allocations by a scratch
 * account, then every item of that account deleted. Nothing of it may be left in the table.
 */
import { describe, expect, it } from 'vitest';
import { scanItems } from '../support/fixtures';

describe("the stack's warm-up", () => {
  it('leaves no item of its scratch account in the table', async () => {
    const left = await scanItems('begins_with(accountId, :w) OR begins_with(PK, :acct)', {
      ':w': 'warm-up-',
      ':acct': 'ACCT#warm-up-',
    });
    expect(left).toEqual([]);
  });
});
