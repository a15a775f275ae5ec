/**
 * SignatureNonce replay protection (SPEC §8.1). Recording a nonce is one conditional `PutItem`,
 * so of concurrent copies of one signed request exactly one goes on. An item lives until no copy
 * of its request could pass the timestamp window any more (the later of now and the request's
 * `Timestamp`, plus the window); DynamoDB TTL deletes it some time after, and until then the
 * condition treats a lapsed item as absent.
 */
import { createHash } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailed, db, TABLE, translate } from '../db/client';
import { keys } from '../db/keys';

export const WINDOW_MS = 15 * 60 * 1000;

/** True when the nonce was new (and is now recorded), false when it was already used. */
export async function recordNonce(accessKeyId: string, nonce: string, timestampMs: number): Promise<boolean> {
  const now = Date.now();
  const expiresAtMs = Math.max(now, timestampMs) + WINDOW_MS;
  try {
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...keys.nonce(accessKeyId, createHash('sha256').update(nonce).digest('hex')),
          entity: 'Nonce',
          expiresAtMs,
          ttl: Math.ceil(expiresAtMs / 1000),
        },
        // A nonce is used once per AccessKeyId within the window; a lapsed record counts as absent.
        ConditionExpression: 'attribute_not_exists(PK) OR expiresAtMs < :now',
        ExpressionAttributeValues: { ':now': now },
      }),
    );
    return true;
  } catch (error) {
    if (conditionFailed(error)) return false;
    translate(error);
  }
}
