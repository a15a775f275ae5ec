/**
 * SignatureNonce replay protection (SPEC §8.1): a request that passes the signature and the
 * timestamp window records `(AccessKeyId, nonce)` with a conditional write, so of concurrent
 * copies of one signed request exactly one goes on. The record lives until no copy of its request
 * could pass the timestamp window any more (the later of now and the request's `Timestamp`, plus
 * the window); DynamoDB TTL deletes it some time after, and until then the condition treats a
 * lapsed record as absent.
 *
 * Where the record is written: behind a **write fence**. The action runs inside `fenced()` (an
 * AsyncLocalStorage), and a middleware on the one DynamoDB client sees each write it sends:
 *
 * - the action's first `TransactWriteItems` carries the nonce's conditional `Put` as one more
 *   item, so an allocation (one read, one transaction) pays no extra round trip; a cancellation
 *   whose nonce item failed its condition is `SignatureNonceUsed`, and a cancellation for any other
 *   reason wrote nothing, the nonce included, so the next write tries again;
 * - any other write first records the nonce with its own conditional `PutItem`;
 * - when the action is done, a nonce not yet recorded (a read-only action, a refusal) is recorded
 *   before the answer leaves, and a used nonce answers `SignatureNonceUsed` whatever the action
 *   did: it wrote nothing, since its every write waited for the nonce.
 *
 * The actions send their writes one after another (never two at once), which this relies on.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { conditionFailed, db, raw, TABLE, transactionJoiners, translate } from '../db/client';
import { keys } from '../db/keys';
import { RpcError } from './errors';

export const WINDOW_MS = 15 * 60 * 1000;

export interface Nonce {
  accessKeyId: string;
  nonce: string;
  /** The request's `Timestamp`, in epoch milliseconds. */
  timestampMs: number;
}

/** The record and its condition: a nonce is used once per AccessKeyId within the window. */
function nonceWrite(n: Nonce) {
  const now = Date.now();
  const expiresAtMs = Math.max(now, n.timestampMs) + WINDOW_MS;
  return {
    TableName: TABLE,
    Item: {
      ...keys.nonce(n.accessKeyId, createHash('sha256').update(n.nonce).digest('hex')),
      entity: 'Nonce',
      expiresAtMs,
      ttl: Math.ceil(expiresAtMs / 1000),
    },
    ConditionExpression: 'attribute_not_exists(PK) OR expiresAtMs < :now',
    ExpressionAttributeValues: { ':now': now },
  };
}

export const nonceUsed = () =>
  new RpcError(400, 'SignatureNonceUsed', 'Specified signature nonce was used already.');

/** Record the nonce alone; throws `SignatureNonceUsed` when it was used. */
export async function recordNonce(n: Nonce): Promise<void> {
  try {
    await db.send(new PutCommand(nonceWrite(n)));
  } catch (error) {
    if (conditionFailed(error)) throw nonceUsed();
    translate(error);
  }
}

interface Fence extends Nonce {
  recorded: boolean;
  /** A separate recording in flight (or done). */
  recording?: Promise<void>;
}

async function ensureRecorded(f: Fence): Promise<void> {
  if (f.recorded) return;
  // Sent outside the fence, which would otherwise hold the nonce's own write back.
  f.recording ??= fence.exit(() => recordNonce(f));
  await f.recording;
  f.recorded = true;
}

const fence = new AsyncLocalStorage<Fence>();

// A single-item write of the action (db/client.ts `writeOne`) becomes a transaction that the
// nonce rides in while the nonce is not yet recorded: one round trip instead of two.
transactionJoiners.push(() => {
  const f = fence.getStore();
  return f !== undefined && !f.recorded && !f.recording;
});
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
const TRANSACTION = 'TransactWriteItemsCommand';
const MAX_TRANSACTION_ITEMS = 100;

type TransactInput = {
  TransactItems?: Record<string, { Item?: Record<string, unknown>; Key?: Record<string, unknown> }>[];
};

/** The nonce's `Put`, in the form of the transaction's other items (marshalled or not yet). */
function noncePut(items: NonNullable<TransactInput['TransactItems']>, f: Fence) {
  const write = nonceWrite(f);
  const first = Object.values(items[0] ?? {})[0];
  const pk = (first?.Item ?? first?.Key)?.PK;
  if (typeof pk === 'string' || pk === undefined) return { Put: write };
  return {
    Put: {
      ...write,
      Item: marshall(write.Item),
      ExpressionAttributeValues: marshall(write.ExpressionAttributeValues),
    },
  };
}

raw.middlewareStack.add(
  (next, context) => async (args) => {
    const f = fence.getStore();
    const command = context.commandName ?? '';
    if (!f || f.recorded || (command !== TRANSACTION && !WRITES.has(command))) return next(args);
    const input = args.input as TransactInput;
    const items = input.TransactItems ?? [];
    if (command !== TRANSACTION || f.recording || items.length >= MAX_TRANSACTION_ITEMS) {
      await ensureRecorded(f);
      return next(args);
    }
    // The nonce rides in the action's transaction: one round trip for both.
    input.TransactItems = [...items, noncePut(items, f)];
    try {
      const out = await next(args);
      f.recorded = true;
      return out;
    } catch (error) {
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
      if (reasons?.[items.length]?.Code === 'ConditionalCheckFailed') throw nonceUsed();
      throw error;
    } finally {
      input.TransactItems = items;
    }
  },
  { step: 'initialize', name: 'nonceWriteFence' },
);

/** Run `action` behind the nonce's write fence; a used nonce answers, whatever the action did. */
export async function fenced<T>(nonce: Nonce, action: () => Promise<T>): Promise<T> {
  const f: Fence = { ...nonce, recorded: false };
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await fence.run(f, action) };
  } catch (error) {
    outcome = { error };
  }
  await ensureRecorded(f);
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
