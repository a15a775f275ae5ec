/** CEN instances and the networks attached to them (rule 10, and one CEN per network). */
import { giveBackQuota, withQuota } from './accounts';
import type { Principal } from './auth';
import { TABLE, transact } from './db/client';
import { type Item, pick, readItem } from './db/items';
import { keys } from './db/keys';
import { listPage, type Page } from './db/list';
import { countNetworks, deleteCenItem, StoredCen, StoredNetwork } from './entities/cen';
import { conflict, notFound, serviceUnavailable } from './errors';
import { newId } from './ids';
import type { Cen, Network } from './schemas';
import { nowIso } from './time';

const CEN_FIELDS = ['cenId', 'name', 'description', 'status', 'createdAt'] as const;
const NETWORK_FIELDS = ['networkId', 'networkType', 'regionId', 'cenId', 'attachedAt'] as const;
export const toCen = (item: Item) => pick<Cen>(StoredCen.parse(item), CEN_FIELDS);
export const toNetwork = (item: Item) => pick<Network>(StoredNetwork.parse(item), NETWORK_FIELDS);

export async function createCen(p: Principal, input: { name: string; description?: string }): Promise<Cen> {
  const cenId = newId.cen();
  const item = {
    ...keys.cen(p.accountId, cenId),
    GSI1PK: keys.censOfAccount(p.accountId),
    GSI1SK: cenId,
    entity: 'Cen',
    accountId: p.accountId,
    cenId,
    name: input.name,
    description: input.description ?? null,
    status: 'Active',
    createdAt: nowIso(),
    // Rule 10 is a condition on these counters, kept in the same transactions as the children.
    networkCount: 0,
    packageCount: 0,
  };
  await transact(
    ...withQuota(
      p.accountId,
      'cens',
      { cen: { Put: { TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } } },
      () => {
        // The new id was taken: nothing was written, and a retry draws another. A 503, not a 409,
        // so that a retry with the same Idempotency-Key runs again instead of replaying a refusal.
        throw serviceUnavailable('The CEN could not be created; retry it.');
      },
    ),
    { result: toCen(item) },
  );
  return toCen(item);
}

export async function requireCen(p: Principal, cenId: string): Promise<StoredCen> {
  const item = await readItem(keys.cen(p.accountId, cenId), StoredCen);
  if (!item) throw notFound('Cen', cenId);
  return item;
}

export async function getCen(p: Principal, cenId: string): Promise<Cen> {
  return toCen(await requireCen(p, cenId));
}

export async function listCens(
  p: Principal,
  page: { limit: number; nextToken?: string },
): Promise<Page<Cen>> {
  const out = await listPage({ index: 'GSI1', partition: keys.censOfAccount(p.accountId), ...page });
  return { ...out, items: out.items.map(toCen) };
}

export async function deleteCen(p: Principal, cenId: string): Promise<void> {
  // A transaction even for one item: a lost reply that the SDK resends is then answered as the
  // first attempt was, not as a 404 for the CEN that attempt deleted.
  await transact(
    // Rule 10: only a CEN with no attached network and no bound package.
    { cen: deleteCenItem(p.accountId, cenId), quota: giveBackQuota(p.accountId, 'cens') },
    ({ cen }) => {
      const old = cen.item;
      if (!old) throw notFound('Cen', cenId);
      throw conflict(
        'InvalidOperation.CenInUse',
        `CEN ${cenId} still has ${old.networkCount} network(s) and ${old.packageCount} bandwidth package(s).`,
      );
    },
  );
}

export async function attachNetwork(
  p: Principal,
  cenId: string,
  input: { networkId: string; networkType: string; regionId: string },
): Promise<Network> {
  const item = {
    ...keys.network(p.accountId, input.networkId),
    GSI1PK: keys.networksOfCen(p.accountId, cenId),
    GSI1SK: input.networkId,
    entity: 'Network',
    accountId: p.accountId,
    networkId: input.networkId,
    networkType: input.networkType,
    regionId: input.regionId,
    cenId,
    attachedAt: nowIso(),
  };
  await transact(
    ...withQuota(
      p.accountId,
      'networks',
      {
        // The CEN exists now; a concurrent delete either sees this network or makes this fail.
        cen: countNetworks(p.accountId, cenId, 1),
        // A network is attached to at most one CEN of its account.
        network: { Put: { TableName: TABLE, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } },
      },
      ({ cen, network }) => {
        if (cen.code === 'ConditionalCheckFailed') throw notFound('Cen', cenId);
        const other = network.item?.cenId;
        throw conflict(
          'InvalidOperation.ChildInstanceAlreadyAttached',
          `Network ${input.networkId} is already attached to CEN ${other}.`,
        );
      },
    ),
    { result: toNetwork(item) },
  );
  return toNetwork(item);
}

export async function listNetworks(
  p: Principal,
  cenId: string,
  page: { limit: number; nextToken?: string },
): Promise<Page<Network>> {
  await requireCen(p, cenId);
  const out = await listPage({ index: 'GSI1', partition: keys.networksOfCen(p.accountId, cenId), ...page });
  return { ...out, items: out.items.map(toNetwork) };
}

/**
 * Detach a network; with `expected`, only an attachment of that type in that region (the RPC
 * door names the attachment by all four, SPEC §8.3: another one is not found).
 */
export async function detachNetwork(
  p: Principal,
  cenId: string,
  networkId: string,
  expected?: { networkType: string; regionId: string },
): Promise<void> {
  const matches = expected ? ' AND networkType = :type AND regionId = :region' : '';
  const values = expected ? { ':type': expected.networkType, ':region': expected.regionId } : {};
  await transact(
    {
      cen: countNetworks(p.accountId, cenId, -1),
      network: {
        Delete: {
          TableName: TABLE,
          Key: keys.network(p.accountId, networkId),
          ConditionExpression: `cenId = :cenId${matches}`,
          ExpressionAttributeValues: { ':cenId': cenId, ...values },
        },
      },
      quota: giveBackQuota(p.accountId, 'networks'),
    },
    ({ cen }) => {
      if (cen.code === 'ConditionalCheckFailed') throw notFound('Cen', cenId);
      throw notFound('Network', networkId);
    },
  );
}
