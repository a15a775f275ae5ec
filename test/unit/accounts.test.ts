/** The quota command builders (lib/accounts.ts), without a network. */
import { describe, expect, it } from 'vitest';
import { giveBackQuota, quotaAttributes, takeQuota, underQuota, withQuota } from '../../lib/accounts';
import type { Reason, TransactItem } from '../../lib/db/client';
import { keys } from '../../lib/db/keys';
import { ApiError } from '../../lib/errors';

/** DynamoDB refuses an expression with an undefined placeholder, and values or names never used. */
function placeholdersAgree(item: TransactItem) {
  const update = item.Update!;
  const text = `${update.UpdateExpression} ${update.ConditionExpression ?? ''}`;
  const used = (prefix: string) => new Set(text.match(new RegExp(`${prefix}[A-Za-z]+`, 'g')));
  expect(used(':')).toEqual(new Set(Object.keys(update.ExpressionAttributeValues ?? {})));
  expect(used('#')).toEqual(new Set(Object.keys(update.ExpressionAttributeNames ?? {})));
}

describe('quota commands', () => {
  it('takes one of a kind on the account item, under the quota condition', () => {
    const item = takeQuota('acme', 'networks');
    expect(item.Update?.Key).toEqual(keys.account('acme'));
    expect(item.Update?.ExpressionAttributeNames).toEqual({
      '#used': 'usedNetworks',
      '#quota': 'quotaNetworks',
    });
    expect(item.Update?.ExpressionAttributeValues).toMatchObject({ ':default': 1000, ':accountId': 'acme' });
    placeholdersAgree(item);
  });

  it('gives one back without a condition, so a removal never fails on it', () => {
    const item = giveBackQuota('acme', 'cens');
    expect(item.Update?.ConditionExpression).toBeUndefined();
    expect(item.Update?.ExpressionAttributeValues).toMatchObject({ ':minusOne': -1 });
    placeholdersAgree(item);
  });

  it('treats an absent counter as 0 only when the default allows at least one', () => {
    expect(underQuota(5)).toContain('attribute_not_exists(#used) OR #used < :default');
    expect(underQuota(0)).not.toContain('attribute_not_exists(#used) OR #used < :default');
  });

  it('maps quotas to the account item’s attributes', () => {
    expect(quotaAttributes({ cens: 1, networks: 3 })).toEqual({ quotaCens: 1, quotaNetworks: 3 });
  });
});

describe('withQuota', () => {
  const put: TransactItem = { Put: { TableName: 't', Item: { PK: 'a', SK: 'b' } } };
  const failed: Reason = { code: 'ConditionalCheckFailed', item: undefined };
  const none: Reason = { code: 'None', item: undefined };
  const own = (reasons: Record<string, Reason>): never => {
    throw new Error(`own ${Object.keys(reasons).join(',')}`);
  };

  it('adds the take as `quota`, after the create’s own items', () => {
    const [items] = withQuota('acme', 'cens', { a: put, b: put }, own);
    expect(Object.keys(items)).toEqual(['a', 'b', 'quota']);
    expect(items.quota.Update?.Key).toEqual(keys.account('acme'));
  });

  it('reads the create’s own failures first, and the quota only when none failed', () => {
    const [, read] = withQuota('acme', 'cens', { cen: put }, own);
    expect(() => read({ cen: failed, quota: failed })).toThrow('own cen,quota');
    try {
      read({ cen: none, quota: failed });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).statusCode).toBe(409);
      expect((error as ApiError).code).toBe('QuotaExceeded.Cen');
    }
  });
});
