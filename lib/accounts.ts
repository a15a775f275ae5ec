/**
 * Accounts (rule 12, SPEC §3 "Account administration"): per-account quotas on live CEN instances,
 * bandwidth packages and attached networks, and the API keys operators issue for an account.
 *
 * An account exists implicitly. Its one item, `ACCT#<id>` / `ACCOUNT`, appears with its first
 * create or its first quota change and holds:
 * - the usage counters `usedCens`, `usedBandwidthPackages`, `usedNetworks` (absent = 0);
 * - the per-account limits `quotaCens`, `quotaBandwidthPackages`, `quotaNetworks` (absent = the
 *   default of lib/config.ts).
 *
 * A quota is never counted by reading first. Every create carries `takeQuota(…)` in its own
 * `TransactWriteItems`: an update that adds 1 to the counter on the condition `underQuota`
 * (usage below the account's limit, or below the default when none is set). Concurrent creates
 * are serialised by DynamoDB on this item, so at most `limit − usage` of them commit. Every
 * delete, detach, release and approved deletion ticket carries `giveBackQuota(…)` (subtract 1,
 * no condition) in the transaction that removes the resource. Lowering a limit below the usage
 * only makes the condition false for new creates; nothing is deleted. See docs/quotas.md.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { createApiKey, type Role } from './auth';
import { config } from './config';
import { db, type Named, type Reasons, TABLE, type TransactItem, translate } from './db/client';
import { keys } from './db/keys';
import { type CodeOf, conflict } from './errors';
import { nowIso } from './time';

export type QuotaKind = 'cens' | 'bandwidthPackages' | 'networks';
export const QUOTA_KINDS: readonly QuotaKind[] = ['cens', 'bandwidthPackages', 'networks'];

export { ACCOUNT_ID } from './auth';
/** The range an operator may set a quota to. */
export const QUOTA_MAX = 100_000;

const KIND: Record<QuotaKind, { used: string; quota: string; code: CodeOf<409>; what: string }> = {
  cens: { used: 'usedCens', quota: 'quotaCens', code: 'QuotaExceeded.Cen', what: 'CEN instances' },
  bandwidthPackages: {
    used: 'usedBandwidthPackages',
    quota: 'quotaBandwidthPackages',
    code: 'QuotaExceeded.BandwidthPackage',
    what: 'bandwidth packages',
  },
  networks: { used: 'usedNetworks', quota: 'quotaNetworks', code: 'QuotaExceeded.Network', what: 'networks' },
};

export const defaultQuota = (kind: QuotaKind): number => config.defaultQuotas[kind];

export interface Quotas {
  accountId: string;
  quotas: Record<QuotaKind, number>;
  usage: Record<QuotaKind, number>;
}

/* ---------- the condition and the transaction items ---------- */

/**
 * Rule 12 as one condition on the account item: taking one more of `kind` keeps the usage within
 * the limit. With no per-account limit the default applies; an absent counter is a usage of 0
 * (it is below any default of at least 1; a default of 0 refuses everything, as it should).
 * Placeholders: `#used`, `#quota`, `:default`, `:zero`.
 */
export function underQuota(defaultLimit: number): string {
  const underDefault =
    defaultLimit > 0 ? '(attribute_not_exists(#used) OR #used < :default)' : '#used < :default';
  const underOwn = '((attribute_not_exists(#used) AND #quota > :zero) OR #used < #quota)';
  return `(attribute_not_exists(#quota) AND ${underDefault}) OR (attribute_exists(#quota) AND ${underOwn})`;
}

/** The account item's identity attributes, set by every write so the item is never anonymous. */
const IDENTITY = 'entity = :entity, accountId = :accountId';
const identityValues = (accountId: string) => ({ ':entity': 'Account', ':accountId': accountId });

/** Count one more `kind` for the account, in the create's own transaction, if the quota allows. */
export function takeQuota(accountId: string, kind: QuotaKind): TransactItem {
  const k = KIND[kind];
  const limit = defaultQuota(kind);
  return {
    Update: {
      TableName: TABLE,
      Key: keys.account(accountId),
      UpdateExpression: `SET ${IDENTITY}, #used = if_not_exists(#used, :zero) + :one`,
      // Rule 12: the create commits only while the usage is below the account's quota.
      ConditionExpression: underQuota(limit),
      ExpressionAttributeNames: { '#used': k.used, '#quota': k.quota },
      ExpressionAttributeValues: { ...identityValues(accountId), ':zero': 0, ':one': 1, ':default': limit },
    },
  };
}

/** Count one `kind` fewer, in the transaction that removes it. Never fails. */
export function giveBackQuota(accountId: string, kind: QuotaKind): TransactItem {
  return {
    Update: {
      TableName: TABLE,
      Key: keys.account(accountId),
      UpdateExpression: `SET ${IDENTITY} ADD #used :minusOne`,
      ExpressionAttributeNames: { '#used': KIND[kind].used },
      ExpressionAttributeValues: { ...identityValues(accountId), ':minusOne': -1 },
    },
  };
}

/** The code a create past the quota of `kind` answers. */
export const quotaCode = (kind: QuotaKind) => KIND[kind].code;

export const quotaExceeded = (kind: QuotaKind, accountId: string) =>
  conflict(
    quotaCode(kind),
    `Account ${accountId} has reached its quota of ${KIND[kind].what}; delete some or ask an operator to raise it.`,
  );

/**
 * Items of a create plus `takeQuota` (named `quota`, last), and the matching reader of
 * cancellation reasons: the create's own reasons are read first (a 404 is decided before any
 * other rule); only when none of them failed is the cancellation the quota's.
 */
export function withQuota<N extends Named>(
  accountId: string,
  kind: QuotaKind,
  items: N,
  onConditionFailed: (reasons: Reasons<N>) => never,
): [N & { quota: TransactItem }, (reasons: Reasons<N & { quota: TransactItem }>) => never] {
  return [
    { ...items, quota: takeQuota(accountId, kind) },
    (reasons) => {
      const own = Object.keys(items).map((name) => reasons[name]);
      if (own.some((r) => r?.code === 'ConditionalCheckFailed')) onConditionFailed(reasons);
      throw quotaExceeded(kind, accountId);
    },
  ];
}

/* ---------- read and set (operators, and GET /quotas for one's own) ---------- */

/** The account item's attributes holding these limits (for writers outside the service: load tests). */
export function quotaAttributes(quotas: Partial<Record<QuotaKind, number>>): Record<string, number> {
  return Object.fromEntries(
    QUOTA_KINDS.filter((kind) => quotas[kind] !== undefined).map((kind) => [KIND[kind].quota, quotas[kind]!]),
  );
}

/** The stored account item (absent until the account's first create or quota change). */
const StoredAccount = z.object({
  usedCens: z.number().optional(),
  usedBandwidthPackages: z.number().optional(),
  usedNetworks: z.number().optional(),
  quotaCens: z.number().optional(),
  quotaBandwidthPackages: z.number().optional(),
  quotaNetworks: z.number().optional(),
});
type Counter = keyof z.infer<typeof StoredAccount>;

function toQuotas(accountId: string, raw: Record<string, unknown> | undefined): Quotas {
  const item = StoredAccount.parse(raw ?? {});
  const quotas = {} as Record<QuotaKind, number>;
  const usage = {} as Record<QuotaKind, number>;
  for (const kind of QUOTA_KINDS) {
    quotas[kind] = item[KIND[kind].quota as Counter] ?? defaultQuota(kind);
    usage[kind] = item[KIND[kind].used as Counter] ?? 0;
  }
  return { accountId, quotas, usage };
}

export async function getQuotas(accountId: string): Promise<Quotas> {
  const out = await db
    .send(new GetCommand({ TableName: TABLE, Key: keys.account(accountId), ConsistentRead: true }))
    .catch(translate);
  return toQuotas(accountId, out.Item);
}

/**
 * Set some of an account's limits. Only the limits are written: the counters belong to the
 * creates and deletes, so a concurrent create is never lost, and a limit below the usage refuses
 * new creates and deletes nothing.
 */
export async function setQuotas(
  accountId: string,
  input: Partial<Record<QuotaKind, number>>,
): Promise<Quotas> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = identityValues(accountId);
  const sets = [IDENTITY];
  for (const kind of QUOTA_KINDS) {
    const value = input[kind];
    if (value === undefined) continue;
    names[`#${kind}`] = KIND[kind].quota;
    values[`:${kind}`] = value;
    sets.push(`#${kind} = :${kind}`);
  }
  const out = await db
    .send(
      new UpdateCommand({
        TableName: TABLE,
        Key: keys.account(accountId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    )
    .catch(translate);
  return toQuotas(accountId, out.Attributes);
}

/* ---------- API keys ---------- */

export interface IssuedApiKey {
  apiKey: string;
  accountId: string;
  role: Role;
  createdAt: string;
}

/** Issue a random key for an account (stored hashed, lib/auth.ts); the only time it is shown. */
export async function issueApiKey(accountId: string, role: Role): Promise<IssuedApiKey> {
  const createdAt = nowIso();
  const apiKey = await createApiKey({ accountId, role, createdAt }).catch(translate);
  return { apiKey, accountId, role, createdAt };
}
