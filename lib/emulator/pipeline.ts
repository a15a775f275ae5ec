/**
 * The local emulator in the request path (SPEC §6), as one middy middleware that api.ts puts right
 * after the frame, before authentication and before anything is written:
 *
 * - it reads the emulator's state (lib/emulator/state.ts) and sets lib/clock.ts, so every time the
 *   request writes comes from the stack's (possibly simulated) clock;
 * - it answers the faults injected for this function at the edge: `ServiceUnavailable` (503) and
 *   `Throttling` (429 `Throttling.User`), after their `latencyMs`;
 * - it arms `TransactionConflict` faults in the database layer (lib/db/client.ts `transactHooks`),
 *   which fail a transaction attempt exactly as DynamoDB cancels one, so the service's own retries
 *   run.
 *
 * Off the local stack (`config.emulator` false, as on AWS) it does nothing and reads nothing.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import type { MiddlewareObj } from '@middy/core';
import { clock } from '../clock';
import { config } from '../config';
import { transactHooks } from '../db/client';
import { ApiError, serviceUnavailable } from '../errors';
import { consumeFault, type EmulatorState, type Fault, readState } from './state';

let cached: { state: Promise<EmulatorState>; at: number } | undefined;

/**
 * Read the stack's clock (and faults) into this module's state; returns what was read. A read
 * younger than `emulatorCacheMs` is reused unless `fresh` (the controls always read afresh).
 */
export async function refreshClock(options: { fresh?: boolean } = {}): Promise<EmulatorState> {
  if (options.fresh || !cached || Date.now() - cached.at >= config.emulatorCacheMs) {
    const read = { state: readState(), at: Date.now() };
    cached = read;
    read.state.catch(() => {
      if (cached === read) cached = undefined;
    });
  }
  const state = await cached.state;
  clock.setOffset(state.simulated ? state.offsetMs : 0);
  return state;
}

/** After a control changed the state: wait until no function can still be using an older read. */
export const outliveCaches = () => new Promise((resolve) => setTimeout(resolve, config.emulatorCacheMs + 20));

/** The TransactionConflict faults of the function this module serves, as of its last request. */
let armed: Fault[] = [];

export function emulated<E, R>(): MiddlewareObj<E, R> {
  return {
    before: async (request) => {
      if (!config.emulator) return;
      const state = await refreshClock();
      const mine = state.faults.filter((f) => matches(f, functionKey(request.context.functionName)));
      armed = mine.filter((f) => f.error === 'TransactionConflict');
      for (const fault of mine) {
        if (fault.error === 'TransactionConflict' || !(await hits(fault))) continue;
        const why = `injected by the local emulator (fault on ${fault.operation})`;
        throw fault.error === 'Throttling'
          ? new ApiError(429, 'Throttling.User', `Request was denied due to request throttling; ${why}.`)
          : serviceUnavailable(`The service is temporarily unavailable; ${why}.`);
      }
    },
  };
}

if (config.emulator) {
  transactHooks.beforeAttempt = async (items) => {
    for (const fault of armed) if (await hits(fault)) throw transactionCanceled(items, 'TransactionConflict');
  };
}

/** `*` is every API function; the controls do not use this pipeline, so no fault reaches them. */
const matches = (fault: Fault, fn: string) => fault.operation === '*' || fault.operation === fn;

/** serverless names a function `<service>-<stage>-<key>`; keys have no `-`. */
const functionKey = (functionName: string) => functionName.slice(functionName.lastIndexOf('-') + 1);

/** Roll the fault's probability, count the hit against its `count`, and wait its `latencyMs`. */
async function hits(fault: Fault): Promise<boolean> {
  if (!(Math.random() < fault.probability) || !(await consumeFault(fault))) return false;
  if (fault.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
  return true;
}

/**
 * The cancellation real DynamoDB sends when a transaction races another one on the same item
 * (the first item conflicts; the others were not evaluated). Nothing was written. Also used by
 * the tests' SDK-level injector (test/support/conflicts.ts).
 */
export function transactionCanceled(
  items: readonly unknown[],
  code: 'TransactionConflict' | 'ThrottlingError' | 'ProvisionedThroughputExceeded',
): TransactionCanceledException {
  const reasons = items.map((_, i) =>
    i === 0 ? { Code: code, Message: `${code} on the item` } : { Code: 'None' },
  );
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons
      .map((r) => r.Code)
      .join(', ')}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: reasons,
  });
}
