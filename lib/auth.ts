/**
 * API keys. A key is never stored: its SHA-256 is the item's key, so a leaked table does not leak
 * credentials, and looking a key up is one `GetItem`. Keys are random 32-byte secrets (the
 * demo keys excepted), so a fast hash is the right one here; nothing to salt or stretch.
 *
 * Lookups are cached per Lambda container for a short time (API_KEY_CACHE_SECONDS): the hot path
 * of a busy function then costs no read for authentication. Revocation takes effect within that
 * time.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { credentialsCache } from './credentials-cache';
import { conditionFailed, db, TABLE, translate } from './db/client';
import { keys } from './db/keys';
import { StoredApiKey } from './entities/credentials';
import { unauthorized } from './errors';

export type Role = 'tenant' | 'operator';
export interface Principal {
  accountId: string;
  role: Role;
}

/** `accountId`: 1–64 of lower-case letters, digits and `-` (SPEC §3). */
export const ACCOUNT_ID = /^[a-z0-9-]{1,64}$/;

export function hashKey(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex');
}

const cached = credentialsCache<Principal>();

export async function authenticate(apiKey: string | undefined): Promise<Principal> {
  if (!apiKey || apiKey.length > 256) throw unauthorized();
  const hash = hashKey(apiKey);
  const principal = await cached(hash, async () => {
    const out = await db
      .send(
        new GetCommand({
          TableName: TABLE,
          Key: keys.apiKey(hash),
          ProjectionExpression: 'accountId, #r',
          ExpressionAttributeNames: { '#r': 'role' },
        }),
      )
      .catch(translate);
    return out.Item ? StoredApiKey.parse(out.Item) : null;
  });
  if (!principal) throw unauthorized();
  return principal;
}

/** Store a key (hashed). With no key given, a random one is generated; returns the key. */
export async function createApiKey(input: {
  accountId: string;
  role: Role;
  apiKey?: string;
  name?: string;
  createdAt?: string;
}) {
  if (!ACCOUNT_ID.test(input.accountId)) {
    throw new Error('accountId: 1-64 lower-case letters, digits and -');
  }
  const apiKey = input.apiKey ?? `cbk_${randomBytes(32).toString('base64url')}`;
  try {
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...keys.apiKey(hashKey(apiKey)),
          entity: 'ApiKey',
          accountId: input.accountId,
          role: input.role,
          name: input.name ?? null,
          createdAt: input.createdAt ?? new Date().toISOString(),
        },
        // Re-seeding the same key for the same account is harmless; taking over a key is not.
        ConditionExpression: 'attribute_not_exists(PK) OR (accountId = :a AND #r = :r)',
        ExpressionAttributeNames: { '#r': 'role' },
        ExpressionAttributeValues: { ':a': input.accountId, ':r': input.role },
      }),
    );
  } catch (error) {
    if (conditionFailed(error)) throw new Error('that API key already exists for another account or role');
    throw error;
  }
  return apiKey;
}
