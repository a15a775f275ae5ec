/**
 * Throttling, injected on the SDK path (DynamoDB Local never throttles): a throttled transaction
 * item (`ThrottlingError` cancellation reason) and a throttled single call
 * (`ProvisionedThroughputExceededException`). A throttle that passes is retried and the request
 * takes effect exactly once; one that lasts gets a clean 503 and nothing is half-applied.
 */
import { describe, expect, it } from 'vitest';
import { handler as createCen } from '../../functions/createCen';
import { handler as createConnection } from '../../functions/createConnection';
import { handler as createPackage } from '../../functions/createPackage';
import { handler as getPackage } from '../../functions/getPackage';
import { handler as listPackages } from '../../functions/listPackages';
import { OPTIMISTIC } from '../../lib/db/client';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { injectThrottling, injectTransactionConflicts } from '../support/conflicts';
import { accountItems, newTenant, type Tenant } from '../support/fixtures';
import { invoke } from '../support/invoke';

async function world() {
  const t = await newTenant();
  const cen = await invoke(createCen, { apiKey: t.apiKey, method: 'POST', body: { name: 'throttle' } });
  const cenId = cen.body.cenId as string;
  const pkg = await invoke(createPackage, {
    apiKey: t.apiKey,
    method: 'POST',
    body: { areaA: 'China', areaB: 'North-America', bandwidthMbps: 10, cenId },
  });
  expect(pkg.status).toBe(201);
  return { t, cenId, pkg: pkg.body.bandwidthPackageId as string };
}

const connect = (t: Tenant, cenId: string, bandwidthMbps = 4) =>
  invoke(createConnection, {
    apiKey: t.apiKey,
    method: 'POST',
    params: { cenId },
    body: { regionA: 'cn-hangzhou', regionB: 'us-east-1', bandwidthMbps },
  });

const accounting = async (t: Tenant, pkg: string) => {
  const item = (await getItem(keys.bandwidthPackage(t.accountId, pkg)))!;
  return {
    allocatedMbps: item.allocatedMbps,
    remainingMbps: item.remainingMbps,
    connectionCount: item.connectionCount,
  };
};

const unavailable = {
  code: 'ServiceUnavailable',
  message: expect.any(String),
  requestId: expect.any(String),
};

describe('throttled transactions (ThrottlingError cancellation reason)', () => {
  it('retries them and commits once', async () => {
    const { t, cenId, pkg } = await world();
    const injection = injectTransactionConflicts(3, { reason: 'ThrottlingError' });
    try {
      expect((await connect(t, cenId)).status).toBe(201);
      expect(injection.injected).toBe(3);
      expect(injection.passed).toBe(1);
    } finally {
      injection.remove();
    }
    expect(await accounting(t, pkg)).toEqual({ allocatedMbps: 4, remainingMbps: 6, connectionCount: 1 });
  });

  it('answers 503 with nothing written when the throttling outlasts the retry budget', async () => {
    const { t, cenId } = await world();
    const before = await accountItems(t.accountId);
    const injection = injectTransactionConflicts(1_000, { reason: 'ProvisionedThroughputExceeded' });
    try {
      const res = await connect(t, cenId);
      expect(res.status).toBe(503);
      expect(res.body).toEqual(unavailable);
      expect(injection.injected).toBe(OPTIMISTIC.attempts);
      expect(injection.passed).toBe(0);
    } finally {
      injection.remove();
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});

describe('throttled single calls (ProvisionedThroughputExceededException)', () => {
  it('are retried by the SDK: one throttled read still answers', async () => {
    const { t, pkg } = await world();
    const injection = injectThrottling(1, ['GetItemCommand']);
    try {
      const res = await invoke(getPackage, { apiKey: t.apiKey, params: { bandwidthPackageId: pkg } });
      expect(res.status).toBe(200);
      expect(injection.injected).toBe(1);
    } finally {
      injection.remove();
    }
  });

  it('a read throttled throughout answers 503, not 500', async () => {
    const { t, pkg } = await world();
    const injection = injectThrottling(1_000, ['GetItemCommand', 'QueryCommand'], 'ThrottlingException');
    try {
      const get = await invoke(getPackage, { apiKey: t.apiKey, params: { bandwidthPackageId: pkg } });
      expect(get.status).toBe(503);
      expect(get.body).toEqual(unavailable);
      const list = await invoke(listPackages, { apiKey: t.apiKey });
      expect(list.status).toBe(503);
    } finally {
      injection.remove();
    }
  });

  it('a write throttled throughout answers 503 and writes nothing', async () => {
    const { t } = await world();
    const before = await accountItems(t.accountId);
    const injection = injectThrottling(1_000, ['PutItemCommand', 'TransactWriteItemsCommand']);
    try {
      const res = await invoke(createCen, { apiKey: t.apiKey, method: 'POST', body: { name: 'never' } });
      expect(res.status).toBe(503);
      expect(res.body).toEqual(unavailable);
      const pkg = await invoke(createPackage, {
        apiKey: t.apiKey,
        method: 'POST',
        body: { areaA: 'China', areaB: 'Europe', bandwidthMbps: 5 },
      });
      expect(pkg.status).toBe(503);
    } finally {
      injection.remove();
    }
    expect(await accountItems(t.accountId)).toEqual(before);
  });
});
