/**
 * The one module that owns the DynamoDB client and the table name, and the data boundary where
 * SDK errors become domain errors: an unreachable or throttled database is a retryable 503, a
 * write that met a conflict is retried by the one optimistic loop here, and a failed condition is
 * handed to the caller by name.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { type CancellationReason, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { config } from '../config';
import { ApiError, serviceUnavailable } from '../errors';
import { currentEffect, type Facts } from './effect';

type Item = Record<string, unknown>;

export const TABLE = config.tableName;

const local = config.dynamodbEndpoint !== undefined;

export const raw = new DynamoDBClient({
  region: config.region,
  endpoint: config.dynamodbEndpoint,
  maxAttempts: local ? 2 : 4,
  ...(local ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  requestHandler: new NodeHttpHandler({
    // DynamoDB Local accepts slowly on a busy machine (a backlog of 50); a refused connection
    // (the database down) still fails at once.
    connectionTimeout: 3_000,
    requestTimeout: local ? 5_000 : 3_000,
    httpAgent: { keepAlive: true, maxSockets: 256 },
    httpsAgent: { keepAlive: true, maxSockets: 256 },
  }),
});

export const db = DynamoDBDocumentClient.from(raw, {
  marshallOptions: { removeUndefinedValues: true },
});

// The SDK's logger middleware filters every command's input and output for sensitive data before
// handing them to a logger that, here, discards them (the service logs its own requests, lib/log.ts).
raw.middlewareStack.remove('loggerMiddleware');

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** One cancellation reason of a transaction, with the old item (ALL_OLD) unmarshalled. */
export interface Reason {
  code: string | undefined;
  item: Record<string, unknown> | undefined;
}

const RETRYABLE_SDK_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TransactionInProgressException',
  'TimeoutError',
]);
const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** Could the database not be reached at all (no answer), as opposed to answering "busy"? */
function isUnreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if ((code && NETWORK_ERRORS.has(code)) || error.name === 'TimeoutError') return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isUnreachable(cause);
}

/** Is this an error of the database being unreachable, overloaded or busy (a 503, not a bug)? */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  if (code && NETWORK_ERRORS.has(code)) return true;
  if (RETRYABLE_SDK_ERRORS.has(error.name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isUnavailable(cause);
}

/** Translate an SDK failure that no caller interpreted into a domain error. */
export function translate(error: unknown): never {
  if (error instanceof ApiError) throw error;
  if (isUnavailable(error)) throw serviceUnavailable(undefined, isUnreachable(error));
  throw error;
}

const RETRYABLE_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

/* ---------- optimistic concurrency: the one retry loop ---------- */

/**
 * The one retry policy of every write: attempts per request, and full-jitter exponential backoff
 * between them, so that many writers of one item spread out instead of colliding again in step.
 */
export const OPTIMISTIC = { attempts: 8, baseMs: 15, capMs: 400 };

/**
 * Thrown inside an `optimistic` loop to say "a value this attempt read changed under it, or the
 * write met a transient conflict: read again and retry". Nothing was written.
 */
export const RETRY = Symbol('retry');

const looping = new AsyncLocalStorage<true>();

/**
 * Run `attempt` until it returns, re-running it (after a backoff) each time it throws `RETRY`,
 * at most `OPTIMISTIC.attempts` times; then a retryable 503 (nothing was written). Optimistic
 * concurrency, never read-check-write: an attempt reads, then writes under a condition on what it
 * read, and a failed condition that means "someone changed it first" is a `RETRY`.
 *
 * Loops do not nest: inside a loop, `optimistic` runs its attempt once and lets `RETRY` reach the
 * outer loop, which reads again. So `transact` (which retries its own conflicts when called alone)
 * spends the caller's budget when a domain loop calls it, and a request never retries more than
 * `OPTIMISTIC.attempts` times.
 */
export async function optimistic<T>(attempt: (n: number) => Promise<T>): Promise<T> {
  if (looping.getStore()) return attempt(0);
  return looping.run(true, async () => {
    for (let n = 0; ; n++) {
      if (n > 0) await backoff(n);
      try {
        return await attempt(n);
      } catch (error) {
        if (error !== RETRY) throw error;
        if (n + 1 >= OPTIMISTIC.attempts) throw busy();
      }
    }
  });
}

const backoff = (n: number) => {
  const ceiling = Math.min(OPTIMISTIC.capMs, OPTIMISTIC.baseMs * 2 ** n);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
};

const busy = () => serviceUnavailable('Too many concurrent changes to the same resource; retry the request.');

/* ---------- writes ---------- */

/**
 * Local emulator only (lib/emulator/pipeline.ts installs it; nothing does on AWS): runs before each
 * write attempt of `transact` and `writeOne` and may throw the cancellation DynamoDB would (an
 * injected `TransactionConflict`), so that the retries below run as they do on AWS.
 */
export const transactHooks: { beforeAttempt?: (items: TransactItem[]) => Promise<void> } = {};

/**
 * Writers that need a keyed write to be a transaction they can join (the RPC door's nonce fence,
 * lib/alibaba/nonces.ts): while one answers true, `writeOne` sends its item as a transaction.
 */
export const transactionJoiners: (() => boolean)[] = [];

/** Named transaction items: the cancellation reasons come back under the same names. */
export type Named = Record<string, TransactItem>;
export type Reasons<N extends Named> = { [K in keyof N]: Reason };

/**
 * `TransactWriteItems` with every condition failure returning its old item. Every write of the
 * domain that spans items goes through here, for two reasons:
 * - a lost reply: the SDK resends a transaction with the same `ClientRequestToken` (it fills one
 *   in per call), and DynamoDB answers the repeat of a committed transaction with success instead
 *   of applying it again or failing its conditions against its own first attempt; so a write the
 *   SDK retried reports the outcome of the attempt that took effect (SPEC §3 "Exactly once");
 * - a keyed request: when `result` is given (the answer of the request whose effect this write
 *   is) and the request carries an idempotency key, the completion of its record joins the
 *   transaction (see effect.ts).
 *
 * The items are named, and `onConditionFailed` gets the reasons under the same names; it must
 * throw the domain error they describe, or `RETRY` when a value read changed meanwhile. A
 * cancellation caused only by `TransactionConflict` or a throttled item is transient: `RETRY`,
 * with the backoff and budget of `optimistic` (the caller's loop, or one of its own).
 */
export function transact<N extends Named>(
  items: N,
  onConditionFailed: (reasons: Reasons<N>) => never,
  options: { result?: unknown; facts?: Facts } = {},
): Promise<void> {
  const effect = options.result === undefined ? undefined : currentEffect();
  const names = Object.keys(items) as (keyof N & string)[];
  return optimistic(async () => {
    const completes = effect !== undefined && !effect.committed;
    const transactItems = names.map((name) => withAllOld(items[name]!));
    if (completes) transactItems.push(effect.completion(options.result, options.facts));
    try {
      await transactHooks.beforeAttempt?.(transactItems);
      await db.send(new TransactWriteCommand({ TransactItems: transactItems }));
      if (completes) effect.committed = true;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) translate(error);
      // The request's record is no longer ours (its lock lapsed and a repeat took it over).
      if (completes && reasons[names.length]?.code === 'ConditionalCheckFailed') throw effect.lost();
      if (reasons.some((r) => r.code === 'ConditionalCheckFailed')) {
        onConditionFailed(Object.fromEntries(names.map((name, i) => [name, reasons[i]!])) as Reasons<N>);
      }
      // Conflicts with another transaction, and throttling of one of the items, are transient.
      if (reasons.some((r) => r.code && RETRYABLE_REASONS.has(r.code))) throw RETRY;
      translate(error);
    }
  });
}

/** A single write that met these was not applied and may be retried: a conflict, or throttling. */
const TRANSIENT_WRITE_ERRORS = new Set([
  'TransactionConflictException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);

/** One conditional `UpdateItem`, as built by the entity modules' command builders. */
export type Update = NonNullable<TransactItem['Update']>;

/**
 * One conditional update of one item: the fast path, half the write cost of a transaction on AWS
 * and one round trip. Two things a transaction gave for free are kept:
 * - a keyed request still completes its idempotency record atomically with its effect: while an
 *   effect scope waits for its completion (or a joiner such as the nonce fence wants in), the
 *   update is sent as a transaction instead, so exactly-once holds as before;
 * - a lost reply: the SDK resends an `UpdateItem` with nothing to recognise it, so its condition
 *   may fail against its own first attempt. The writer therefore marks what it writes with a
 *   unique write id, and `ours(old)` recognises the mark in the old item a failed condition
 *   returns: that failure is our own committed write, answered as a success.
 * A `TransactionConflictException` (AWS: the item is in another transaction) or throttling that
 * outlasted the SDK's own retries is transient: `RETRY`, like a transaction's.
 */
export function writeOne(
  update: Update,
  onConditionFailed: (old: Item | undefined) => never,
  options: { result?: unknown; facts?: Facts; ours?: (old: Item | undefined) => boolean } = {},
): Promise<void> {
  return write(update, onConditionFailed, options, false).then(() => undefined);
}

/**
 * `writeOne` for a writer that builds its answer from what it wrote: the item as the update left
 * it (`ALL_NEW`, which costs no read capacity), or undefined when the write went as a transaction
 * or was recognised as an earlier attempt's (then the writer reads it, consistently).
 */
export function writeOneReturning(
  update: Update,
  onConditionFailed: (old: Item | undefined) => never,
  options: { result?: unknown; facts?: Facts; ours?: (old: Item | undefined) => boolean } = {},
): Promise<Item | undefined> {
  return write(update, onConditionFailed, options, true);
}

function write(
  update: Update,
  onConditionFailed: (old: Item | undefined) => never,
  options: { result?: unknown; facts?: Facts; ours?: (old: Item | undefined) => boolean },
  returnNew: boolean,
): Promise<Item | undefined> {
  const effect = options.result === undefined ? undefined : currentEffect();
  if ((effect && !effect.committed) || transactionJoiners.some((wants) => wants())) {
    return transact({ item: { Update: update } }, ({ item }) => onConditionFailed(item.item), options).then(
      () => undefined,
    );
  }
  return optimistic(async () => {
    try {
      await transactHooks.beforeAttempt?.([{ Update: update }]);
      const out = await db.send(
        new UpdateCommand({
          ...update,
          ReturnValues: returnNew ? 'ALL_NEW' : 'NONE',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return out.Attributes;
    } catch (error) {
      if (conditionFailed(error)) {
        const old = oldItem(error);
        if (options.ours?.(old)) return undefined;
        onConditionFailed(old);
      }
      if (error instanceof Error && TRANSIENT_WRITE_ERRORS.has(error.name)) throw RETRY;
      // The emulator's injected conflict (transactHooks) is a transaction's cancellation.
      if (cancellationReasons(error)?.some((r) => r.code && RETRYABLE_REASONS.has(r.code))) throw RETRY;
      translate(error);
    }
  });
}

function withAllOld(item: TransactItem): TransactItem {
  const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
  if (kind === 'Put' || kind === 'Update' || kind === 'Delete' || kind === 'ConditionCheck') {
    if (body.ConditionExpression && body.ReturnValuesOnConditionCheckFailure === undefined) {
      return { [kind]: { ...body, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } } as TransactItem;
    }
  }
  return item;
}

function cancellationReasons(error: unknown): Reason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
  return reasons.map((r) => ({ code: r.Code, item: r.Item ? unmarshallLoose(r.Item) : undefined }));
}

/** The document client leaves cancellation reasons marshalled; accept either form. */
function unmarshallLoose(item: Record<string, unknown>): Record<string, unknown> {
  const values = Object.values(item);
  const marshalled =
    values.length > 0 &&
    values.every((v) => v !== null && typeof v === 'object' && Object.keys(v).length === 1);
  return marshalled ? unmarshall(item as Parameters<typeof unmarshall>[0]) : item;
}

/** For single conditional writes: was this the condition failing (rather than anything else)? */
export function conditionFailed(error: unknown): error is Error & { Item?: Record<string, unknown> } {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function oldItem(
  error: Error & { Item?: Record<string, unknown> },
): Record<string, unknown> | undefined {
  return error.Item ? unmarshallLoose(error.Item) : undefined;
}
