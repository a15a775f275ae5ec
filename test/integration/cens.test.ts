import { describe, expect, it } from 'vitest';
import { handler as attachNetwork } from '../../functions/attachNetwork';
import { handler as createCen } from '../../functions/createCen';
import { handler as deleteCen } from '../../functions/deleteCen';
import { handler as detachNetwork } from '../../functions/detachNetwork';
import { handler as listCens } from '../../functions/listCens';
import { getItem } from '../../lib/db/items';
import { keys } from '../../lib/db/keys';
import { accountItems, newTenant } from '../support/fixtures';
import { invoke } from '../support/invoke';

const post = (apiKey: string, body: unknown) =>
  invoke(createCen, { apiKey, method: 'POST', path: '/cens', body });

describe('CEN instances (handlers against DynamoDB Local)', () => {
  it('creates a CEN item under the caller account with zeroed counters', async () => {
    const t = await newTenant();
    const res = await post(t.apiKey, { name: 'prod', description: 'main' });
    expect(res.status).toBe(201);
    const item = await getItem(keys.cen(t.accountId, res.body.cenId));
    expect(item).toMatchObject({ entity: 'Cen', name: 'prod', networkCount: 0, packageCount: 0 });
  });

  it('pages through CENs without skipping or repeating', async () => {
    const t = await newTenant();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await post(t.apiKey, { name: `c${i}` })).body.cenId);
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const query: Record<string, string> = { limit: '3' };
      if (nextToken) query.nextToken = nextToken;
      const page = await invoke(listCens, { apiKey: t.apiKey, query });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((c: { cenId: string }) => c.cenId));
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(seen).toEqual(ids);
  });

  it('keeps the network counter in step with attach and detach, and deletes only an empty CEN', async () => {
    const t = await newTenant();
    const cenId = (await post(t.apiKey, { name: 'c' })).body.cenId;
    const params = { cenId };
    const attach = (networkId: string) =>
      invoke(attachNetwork, {
        apiKey: t.apiKey,
        method: 'POST',
        params,
        body: { networkId, networkType: 'VPC', regionId: 'cn-beijing' },
      });
    expect((await attach('vpc-a')).status).toBe(201);
    expect((await attach('vpc-b')).status).toBe(201);
    expect((await getItem(keys.cen(t.accountId, cenId)))?.networkCount).toBe(2);

    const refused = await invoke(deleteCen, { apiKey: t.apiKey, method: 'DELETE', params });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('InvalidOperation.CenInUse');

    for (const networkId of ['vpc-a', 'vpc-b']) {
      const res = await invoke(detachNetwork, {
        apiKey: t.apiKey,
        method: 'DELETE',
        params: { cenId, networkId },
      });
      expect(res.status).toBe(204);
    }
    expect((await getItem(keys.cen(t.accountId, cenId)))?.networkCount).toBe(0);
    expect((await invoke(deleteCen, { apiKey: t.apiKey, method: 'DELETE', params })).status).toBe(204);
    // Nothing left but the account's usage counters (rule 12), back at zero.
    expect(await accountItems(t.accountId)).toEqual([
      expect.objectContaining({ entity: 'Account', usedCens: 0, usedNetworks: 0 }),
    ]);
  });

  it('attaches a network to at most one CEN of the account, even when two attaches race', async () => {
    const t = await newTenant();
    const a = (await post(t.apiKey, { name: 'a' })).body.cenId;
    const b = (await post(t.apiKey, { name: 'b' })).body.cenId;
    const body = { networkId: 'vpc-race', networkType: 'VPC', regionId: 'us-east-1' };
    const results = await Promise.all(
      [a, b, a, b].map((cenId) =>
        invoke(attachNetwork, { apiKey: t.apiKey, method: 'POST', params: { cenId }, body }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(
      results.filter((r) => r.body.code === 'InvalidOperation.ChildInstanceAlreadyAttached'),
    ).toHaveLength(3);
    const counts = [
      (await getItem(keys.cen(t.accountId, a)))?.networkCount,
      (await getItem(keys.cen(t.accountId, b)))?.networkCount,
    ];
    expect(counts.sort()).toEqual([0, 1]);
  });

  it('lets two accounts attach networks with the same id', async () => {
    const [t1, t2] = [await newTenant(), await newTenant()];
    for (const t of [t1, t2]) {
      const cenId = (await post(t.apiKey, { name: 'x' })).body.cenId;
      const res = await invoke(attachNetwork, {
        apiKey: t.apiKey,
        method: 'POST',
        params: { cenId },
        body: { networkId: 'vpc-shared-name', networkType: 'VBR', regionId: 'eu-west-1' },
      });
      expect(res.status).toBe(201);
    }
  });
});
