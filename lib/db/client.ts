/**
 * The one module that owns the DynamoDB client and the table name, and the data boundary where
 * SDK errors become domain errors: an unreachable or throttled database is a retryable 503, a
 * transaction cancelled by a conflict is retried here, and a failed condition is handed to the
 * caller reason by reason.
 */
import { type CancellationReason, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { config } from '../config';
import { ApiError, serviceUnavailable } from '../errors';
import { currentEffect, type Facts } from './effect';

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

export const TRANSACTION_RETRY = { attempts: 8, baseMs: 15, capMs: 400 };

/**
 * Local emulator only (lib/emulator/pipeline.ts installs it; nothing does on AWS): runs before each
 * `TransactWriteItems` attempt of `transact` and may throw the cancellation DynamoDB would (an
 * injected `TransactionConflict`), so that the retries below run as they do on AWS.
 */
export const transactHooks: { beforeAttempt?: (items: TransactItem[]) => Promise<void> } = {};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `TransactWriteItems` with every condition failure returning its old item. Every write of the
 * domain goes through here, even a single item, for two reasons:
 * - a lost reply: the SDK resends a transaction with the same `ClientRequestToken` (it fills one
 *   in per call), and DynamoDB answers the repeat of a committed transaction with success instead
 *   of applying it again or failing its conditions against its own first attempt; so a write the
 *   SDK retried reports the outcome of the attempt that took effect (SPEC §3 "Exactly once");
 * - a keyed request: when `result` is given (the answer of the request whose effect this write
 *   is) and the request carries an idempotency key, the completion of its record joins the
 *   transaction (see effect.ts).
 *
 * A cancellation caused only by `TransactionConflict` (real DynamoDB cancels concurrent
 * transactions touching the same item) is retried with full-jitter backoff; when the budget runs
 * out the caller gets a retryable 503 and nothing was written. A cancellation with a failed
 * condition goes to `onConditionFailed`, which must throw the domain error that the reasons
 * describe (the reasons of the caller's own items, in the caller's order).
 */
export async function transact(
  items: TransactItem[],
  onConditionFailed: (reasons: Reason[]) => never,
  options: { result?: unknown; facts?: Facts } = {},
): Promise<void> {
  const effect = options.result === undefined ? undefined : currentEffect();
  const completes = effect !== undefined && !effect.committed;
  const transactItems = items.map(withAllOld);
  if (completes) transactItems.push(effect.completion(options.result, options.facts));
  for (let attempt = 1; ; attempt++) {
    try {
      await transactHooks.beforeAttempt?.(transactItems);
      await db.send(new TransactWriteCommand({ TransactItems: transactItems }));
      if (completes) effect.committed = true;
      return;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) translate(error);
      // The request's record is no longer ours (its lock lapsed and a repeat took it over).
      if (completes && reasons[items.length]?.code === 'ConditionalCheckFailed') throw effect.lost();
      if (reasons.some((r) => r.code === 'ConditionalCheckFailed')) onConditionFailed(reasons);
      // Conflicts with another transaction, and throttling of one of the items, are transient.
      if (!reasons.some((r) => r.code && RETRYABLE_REASONS.has(r.code))) translate(error);
      if (attempt >= TRANSACTION_RETRY.attempts) {
        throw serviceUnavailable('Too many concurrent changes to the same resource; retry the request.');
      }
      const ceiling = Math.min(TRANSACTION_RETRY.capMs, TRANSACTION_RETRY.baseMs * 2 ** attempt);
      await sleep(Math.random() * ceiling);
    }
  }
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
