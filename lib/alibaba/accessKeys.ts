/**
 * AccessKey pairs of the Alibaba RPC door (SPEC §8.2). Unlike an API key, the secret cannot be
 * kept as a hash: HMAC-SHA1 verification needs the secret itself. It is kept sealed with
 * AES-256-GCM under `config.accessKeyEncryptionKey`, with the AccessKeyId as additional data (a
 * sealed secret copied onto another id does not open). See docs/alibaba-api.md for the choice.
 *
 * Lookups are cached per Lambda container like API keys (API_KEY_CACHE_SECONDS), so the hot
 * path of a busy function reads and decrypts nothing.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ACCOUNT_ID, type Principal, type Role } from '../auth';
import { config } from '../config';
import { credentialsCache } from '../credentials-cache';
import { conditionFailed, db, TABLE, translate } from '../db/client';
import { keys } from '../db/keys';
import { StoredAccessKey } from '../entities/credentials';

export interface AccessKey extends Principal {
  accessKeyId: string;
  accessKeySecret: string;
}

/** The demo pairs `npm start` seeds and `POST /_local/reset` restores (SPEC §8.2). */
export const DEMO_ACCESS_KEYS: readonly AccessKey[] = [
  {
    accessKeyId: 'LTAI-local-tenant-a',
    accessKeySecret: 'local-tenant-a-secret',
    accountId: 'tenant-a',
    role: 'tenant',
  },
  {
    accessKeyId: 'LTAI-local-tenant-b',
    accessKeySecret: 'local-tenant-b-secret',
    accountId: 'tenant-b',
    role: 'tenant',
  },
  {
    accessKeyId: 'LTAI-local-operator',
    accessKeySecret: 'local-operator-secret',
    accountId: 'operator',
    role: 'operator',
  },
];

const SEAL_VERSION = 'v1';

export function seal(secret: string, accessKeyId: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', config.accessKeyEncryptionKey, iv);
  cipher.setAAD(Buffer.from(accessKeyId, 'utf8'));
  const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [SEAL_VERSION, iv, cipher.getAuthTag(), sealed]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64')))
    .join(':');
}

export function open(sealed: string, accessKeyId: string): string {
  const [version, iv, tag, data] = sealed.split(':');
  if (version !== SEAL_VERSION || !iv || !tag || data === undefined)
    throw new Error('unknown sealed secret format');
  const decipher = createDecipheriv('aes-256-gcm', config.accessKeyEncryptionKey, Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(accessKeyId, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomText = (length: number) =>
  Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');

/** Store a pair; without an id and secret, new random ones (`LTAI` + 20, and 30 characters). */
export async function createAccessKey(input: {
  accountId: string;
  role: Role;
  accessKeyId?: string;
  accessKeySecret?: string;
}) {
  if (!ACCOUNT_ID.test(input.accountId)) {
    throw new Error('accountId: 1-63 lower-case letters, digits and -, starting with a letter or digit');
  }
  const accessKeyId = input.accessKeyId ?? `LTAI${randomText(20)}`;
  const accessKeySecret = input.accessKeySecret ?? randomText(30);
  const createdAt = new Date().toISOString();
  try {
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...keys.accessKey(accessKeyId),
          entity: 'AccessKey',
          accessKeyId,
          accountId: input.accountId,
          role: input.role,
          sealedSecret: seal(accessKeySecret, accessKeyId),
          createdAt,
        },
        // Re-seeding a pair for the same account is harmless; taking over an id is not.
        ConditionExpression: 'attribute_not_exists(PK) OR (accountId = :a AND #r = :r)',
        ExpressionAttributeNames: { '#r': 'role' },
        ExpressionAttributeValues: { ':a': input.accountId, ':r': input.role },
      }),
    );
  } catch (error) {
    if (conditionFailed(error))
      throw new Error('that AccessKeyId already exists for another account or role');
    throw error;
  }
  return { accessKeyId, accessKeySecret, accountId: input.accountId, role: input.role, createdAt };
}

/** The demo pairs, (re)written; for `npm start` and the local reset. */
export async function seedDemoAccessKeys(): Promise<void> {
  for (const key of DEMO_ACCESS_KEYS) await createAccessKey(key);
}

const cached = credentialsCache<AccessKey>();

/** The pair of an AccessKeyId, or undefined when there is none. */
export async function findAccessKey(accessKeyId: string): Promise<AccessKey | undefined> {
  const key = await cached(accessKeyId, async () => {
    const out = await db
      .send(new GetCommand({ TableName: TABLE, Key: keys.accessKey(accessKeyId) }))
      .catch(translate);
    if (!out.Item) return null;
    const item = StoredAccessKey.parse(out.Item);
    return {
      accessKeyId,
      accessKeySecret: open(item.sealedSecret, accessKeyId),
      accountId: item.accountId,
      role: item.role,
    };
  });
  return key ?? undefined;
}
