/**
 * The local emulator's own state (SPEC §6): the simulated clock and the injected faults, in ONE
 * item of the table, so that every function of a running stack shares it (serverless-offline's
 * worker threads each have their own module state; in-process, each function its own bundle).
 * Read with one consistent `GetItem` at the start of each request (lib/emulator/pipeline.ts).
 *
 * Faults are a map keyed by a fresh id per `PUT`, so that a hit counted against a fault that was
 * replaced meanwhile fails its condition instead of counting against a new one.
 */

import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailed, db, TABLE, translate } from '../db/client';

/** The item's key: outside every account's partitions, and left out of snapshots. */
export const EMULATOR_KEY = { PK: 'LOCAL#EMULATOR', SK: 'STATE' } as const;

export const FAULT_ERRORS = ['ServiceUnavailable', 'Throttling', 'TransactionConflict'] as const;
export type FaultError = (typeof FAULT_ERRORS)[number];

export interface FaultSpec {
  operation: string;
  error: FaultError;
  probability: number;
  latencyMs?: number;
  /** Hits left; absent: unlimited. */
  count?: number;
}

export interface Fault extends FaultSpec {
  id: string;
}

export interface EmulatorState {
  simulated: boolean;
  offsetMs: number;
  faults: Fault[];
}

interface StoredFault extends FaultSpec {
  seq: number;
}

export async function readState(): Promise<EmulatorState> {
  const out = await db
    .send(new GetCommand({ TableName: TABLE, Key: EMULATOR_KEY, ConsistentRead: true }))
    .catch(translate);
  const item = out.Item ?? {};
  const stored = (item.faults ?? {}) as Record<string, StoredFault>;
  const faults = Object.entries(stored)
    .filter(([, f]) => f.count === undefined || f.count > 0)
    .sort(([, a], [, b]) => a.seq - b.seq)
    .map(([id, { seq: _seq, ...f }]) => ({ id, ...f }));
  return { simulated: item.simulated === true, offsetMs: Number(item.offsetMs ?? 0), faults };
}

/** Set the simulated clock's offset from the wall clock, or (null) go back to the wall clock. */
export async function setClock(offsetMs: number | null): Promise<void> {
  await db
    .send(
      new UpdateCommand({
        TableName: TABLE,
        Key: EMULATOR_KEY,
        ...(offsetMs === null
          ? { UpdateExpression: 'SET entity = :e REMOVE simulated, offsetMs' }
          : { UpdateExpression: 'SET entity = :e, simulated = :t, offsetMs = :o' }),
        ExpressionAttributeValues: {
          ':e': 'EmulatorState',
          ...(offsetMs === null ? {} : { ':t': true, ':o': offsetMs }),
        },
      }),
    )
    .catch(translate);
}

/** Replace every fault (an empty list clears them). */
export async function setFaults(faults: FaultSpec[]): Promise<void> {
  const map = Object.fromEntries(
    faults.map((f, seq) => [randomUUID(), { ...stripUndefined(f), seq } satisfies StoredFault]),
  );
  await db
    .send(
      new UpdateCommand({
        TableName: TABLE,
        Key: EMULATOR_KEY,
        UpdateExpression: 'SET entity = :e, faults = :f',
        ExpressionAttributeValues: { ':e': 'EmulatorState', ':f': map },
      }),
    )
    .catch(translate);
}

/**
 * Count one hit of a fault. A fault without `count` always hits; one with a count hits only while
 * a conditional decrement succeeds, so concurrent requests in different functions never spend it
 * more than `count` times. The hit that spends it removes it from the list.
 */
export async function consumeFault(fault: Fault): Promise<boolean> {
  if (fault.count === undefined) return true;
  const names = { '#f': 'faults', '#id': fault.id, '#c': 'count' };
  let left: number;
  try {
    const out = await db.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: EMULATOR_KEY,
        UpdateExpression: 'SET #f.#id.#c = #f.#id.#c - :one',
        ConditionExpression: '#f.#id.#c >= :one',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const after = out.Attributes?.faults as Record<string, { count?: number }> | undefined;
    left = Number(after?.[fault.id]?.count ?? 0);
  } catch (error) {
    if (conditionFailed(error)) return false;
    return translate(error);
  }
  if (left === 0) {
    await db
      .send(
        new UpdateCommand({
          TableName: TABLE,
          Key: EMULATOR_KEY,
          UpdateExpression: 'REMOVE #f.#id',
          ConditionExpression: '#f.#id.#c = :zero',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':zero': 0 },
        }),
      )
      .catch((error: unknown) => (conditionFailed(error) ? undefined : translate(error)));
  }
  return true;
}

/** The wall clock again, and no fault. */
export async function clearState(): Promise<void> {
  await db.send(new DeleteCommand({ TableName: TABLE, Key: EMULATOR_KEY })).catch(translate);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
