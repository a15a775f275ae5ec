/**
 * `Idempotency-Key` (SPEC §3). A record per (account, key) holds the request's fingerprint and,
 * once done, its response. Taking the record is one conditional `PutItem`, so of two concurrent
 * requests with one key exactly one runs; the other gets 409 `OperationIsProcessing`, or, once
 * the first has finished, its response. A 5xx is not kept, so its retry runs again. Records
 * expire after 24 hours (DynamoDB TTL; the condition also treats an expired record as absent,
 * since TTL deletion lags).
 *
 * Exactly once: the record is completed in the same transaction as the request's write (see
 * db/effect.ts), so a request whose write committed is never run again, however it ended. Each
 * claim carries a random `lockToken`, and completing requires it: a lock left by a crashed
 * invocation lapses after LOCK_MS and a repeat may take the record over, but then the first
 * invocation, if it was only slow, can no longer commit (its completion's condition fails and its
 * whole transaction with it), so still exactly one of them takes effect.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailed, db, oldItem, TABLE, type TransactItem, translate } from './db/client';
import type { Effect, Facts } from './db/effect';
import { keys } from './db/keys';
import { ApiError } from './errors';
import { log } from './log';

/** 1-64 printable ASCII characters, spaces included (HTTP trims them at the ends). */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,64}$/;
const TTL_SECONDS = 24 * 60 * 60;
const LOCK_MS = 30_000;

export interface StoredResponse {
  statusCode: number;
  body: string;
}

export interface Claim {
  accountId: string;
  key: string;
  fingerprint: string;
  /** Set by `claim`: this invocation's hold on the record. */
  lockToken?: string;
}

export function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${canonicalJson(body)}`)
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const recordKey = (claim: Claim) =>
  keys.idempotency(claim.accountId, createHash('sha256').update(claim.key).digest('hex'));

/** Take the key, or return the response to replay. Throws 409 / 422 as the spec says. */
export async function claim(c: Claim): Promise<StoredResponse | undefined> {
  const now = Date.now();
  c.lockToken = randomUUID();
  try {
    await db.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...recordKey(c),
          entity: 'Idempotency',
          accountId: c.accountId,
          fingerprint: c.fingerprint,
          status: 'InProgress',
          lockToken: c.lockToken,
          lockedUntil: now + LOCK_MS,
          ttl: Math.floor(now / 1000) + TTL_SECONDS,
        },
        ConditionExpression:
          'attribute_not_exists(PK) OR #ttl < :nowSec OR (#status = :inProgress AND lockedUntil < :now)',
        ExpressionAttributeNames: { '#ttl': 'ttl', '#status': 'status' },
        ExpressionAttributeValues: {
          ':nowSec': Math.floor(now / 1000),
          ':inProgress': 'InProgress',
          ':now': now,
        },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return undefined;
  } catch (error) {
    if (!conditionFailed(error)) translate(error);
    const old = oldItem(error);
    if (old?.fingerprint !== c.fingerprint) {
      throw new ApiError(
        422,
        'IdempotenceParam.NotMatch',
        'This Idempotency-Key was used with a different request in the last 24 hours.',
      );
    }
    if (old.status === 'Completed') return old.response as StoredResponse;
    throw processing();
  }
}

const processing = () =>
  new ApiError(
    409,
    'OperationFailed.OperationIsProcessing',
    'A request with this Idempotency-Key is still being processed.',
  );

/** The update that completes the record with a response, only while this claim still holds it. */
function completionUpdate(c: Claim, response: StoredResponse) {
  return {
    TableName: TABLE,
    Key: recordKey(c),
    UpdateExpression: 'SET #status = :completed, #response = :response REMOVE lockedUntil, lockToken',
    ConditionExpression: '#status = :inProgress AND lockToken = :token',
    ExpressionAttributeNames: { '#status': 'status', '#response': 'response' },
    ExpressionAttributeValues: {
      ':completed': 'Completed',
      ':inProgress': 'InProgress',
      ':response': response,
      ':token': c.lockToken,
    },
  };
}

/**
 * The effect scope of a claimed request (db/effect.ts): its terminal write completes the record
 * with `render(result)`, the response the request is about to send.
 */
export function effectOf(c: Claim, render: (result: unknown, facts: Facts) => StoredResponse): Effect {
  const effect: Effect = {
    committed: false,
    completion: (result, facts = {}): TransactItem => {
      const response = render(result, facts);
      effect.answered = response.body;
      return { Update: completionUpdate(c, response) };
    },
    lost: processing,
  };
  return effect;
}

/**
 * Keep the response of a finished request whose outcome wrote nothing (a 4xx) or whose write did
 * not carry the completion, for replays.
 */
export async function complete(c: Claim, response: StoredResponse): Promise<void> {
  await db.send(new UpdateCommand(completionUpdate(c, response))).catch((error: unknown) => {
    if (!conditionFailed(error)) translate(error);
  });
}

/** Forget the key after a 5xx, so that the client's retry runs again (unless its write committed). */
export async function release(c: Claim): Promise<void> {
  await db
    .send(
      new DeleteCommand({
        TableName: TABLE,
        Key: recordKey(c),
        ConditionExpression: '#status = :inProgress AND lockToken = :token',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':inProgress': 'InProgress', ':token': c.lockToken },
      }),
    )
    .catch(() => undefined); // the lock lapses by itself if this fails too
}

/**
 * The end of a keyed request, whatever the door: nothing when its write already completed the
 * record (in its own transaction); otherwise keep a 2xx-4xx response for replays, or forget the
 * key after a 5xx so that the retry runs again.
 */
export async function settle(c: Claim, effect: Effect, response: StoredResponse): Promise<void> {
  if (effect.committed) return;
  if (response.statusCode >= 500) return release(c);
  await complete(c, response).catch((error: unknown) =>
    log.warn('idempotency record not completed', { key: c.key, error: String(error) }),
  );
}
