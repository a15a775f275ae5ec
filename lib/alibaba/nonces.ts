/**
 * SignatureNonce replay protection (SPEC §8.1). Recording a nonce is one conditional `PutItem`,
 * so of concurrent copies of one signed request exactly one goes on. An item lives until no copy
 * of its request could pass the timestamp window any more (the later of now and the request's
 * `Timestamp`, plus the window); DynamoDB TTL deletes it some time after, and until then the
 * condition treats a lapsed item as absent.
 *
 * The nonce write is not waited for before the action starts: it runs beside the action's first
 * reads, behind a **write fence**. Inside `fenced()`, every write the action sends to DynamoDB
 * (a middleware on the one client, keyed by an AsyncLocalStorage) first waits for the nonce's
 * outcome, and fails if the nonce was used; and the answer waits for it too, so a used nonce
 * answers `SignatureNonceUsed` whatever the action did, having written nothing. The nonce's own
 * `PutItem` is sent outside the fence. This takes the nonce's round trip off an allocation's
 * latency (it overlaps the binding or connection read), which is most of what the door adds.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailed, db, raw, TABLE, translate } from '../db/client';
import { keys } from '../db/keys';
import { RpcError } from './errors';

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

export const nonceUsed = () =>
  new RpcError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');

/** Record the nonce; the promise rejects with `SignatureNonceUsed` (or a 503) when it cannot go on. */
export function startRecording(accessKeyId: string, nonce: string, timestampMs: number): Promise<void> {
  const recorded = recordNonce(accessKeyId, nonce, timestampMs).then((fresh) => {
    if (!fresh) throw nonceUsed();
  });
  recorded.catch(() => undefined); // awaited by fenced(); never an unhandled rejection meanwhile
  return recorded;
}

const fence = new AsyncLocalStorage<Promise<void>>();
const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);

raw.middlewareStack.add(
  (next, context) => async (args) => {
    const recorded = fence.getStore();
    if (recorded && WRITES.has(context.commandName ?? '')) await recorded;
    return next(args);
  },
  { step: 'initialize', name: 'nonceWriteFence' },
);

/** Run `action` behind the fence of `recorded`; a used nonce answers, whatever the action did. */
export async function fenced<T>(recorded: Promise<void>, action: () => Promise<T>): Promise<T> {
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await fence.run(recorded, action) };
  } catch (error) {
    outcome = { error };
  }
  await recorded;
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
