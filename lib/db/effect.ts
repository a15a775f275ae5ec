/**
 * The request's effect, made atomic with its bookkeeping. A keyed write (`Idempotency-Key`,
 * `ClientToken`) must take effect at most once however its first attempt ended: a crash or a
 * timeout after the commit, a failed read after it, a lost reply. So the record that remembers the
 * request's outcome is completed in the SAME transaction as the write that is the request's
 * effect, never in a second call after it: there is no instant at which the write is committed
 * and the record still says "in progress" (SPEC §3 "Exactly once").
 *
 * The request pipeline opens an `effect` scope around the operation when the request carries a
 * key; the domain hands its terminal write the result it will answer (`transact(…, {result})`),
 * and `transact` appends the record's completion, built here from that result. Code that runs
 * outside a keyed request (the job, scripts, unkeyed requests) sees no scope and writes as usual.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TransactItem } from './client';

export interface Effect {
  /**
   * The transaction item that completes the request's record with this result as its answer;
   * `facts` are what the write knows beyond its result (e.g. the id of the order it writes).
   */
  completion(result: unknown, facts?: Facts): TransactItem;
  /** The error to throw when that item's condition failed (the record is no longer ours). */
  lost(): Error;
  /** Set once a write carrying the completion has committed. */
  committed: boolean;
  /** The body the completion stored, once built. */
  answered?: string;
}

/** What a write knows beyond its result, for answers that say more than the resource. */
export type Facts = Record<string, string>;

const scope = new AsyncLocalStorage<Effect>();

export const withEffect = <T>(effect: Effect, run: () => Promise<T>): Promise<T> => scope.run(effect, run);

export const currentEffect = (): Effect | undefined => scope.getStore();
