/**
 * The scheduled job (SPEC §4). EventBridge sends `{time, …}`; the Lambda invoke endpoint takes any
 * `{time}`, so a caller can run it at a future time to simulate the passage of time. No API key:
 * it is not behind API Gateway, and only the schedule and IAM principals may invoke it.
 */
import type { Context } from 'aws-lambda';
import { config } from '../lib/config';
import { refreshClock } from '../lib/emulator/pipeline';
import { type ExpiryResult, logResult, runExpiry } from '../lib/expiry';
import { nowIso } from '../lib/time';

/** Outside the local stage, an event's `time` may be at most this far from the wall clock. */
export const MAX_SKEW_MS = 5 * 60_000;

export async function handler(event: unknown, context?: Context): Promise<ExpiryResult> {
  if (config.emulator) await refreshClock();
  const now = timeOf(event, { local: config.dynamodbEndpoint !== undefined });
  const started = Date.now();
  const result = await runExpiry(now, {
    remainingMs: context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis() : undefined,
  });
  logResult(now, result, Date.now() - started);
  return result;
}

/**
 * The run's "now". An event without a `time` runs at the clock's now. Locally (DynamoDB Local)
 * any `time` is trusted, which is how tests and operators travel in time, except that the local
 * schedule's own runs (EventBridge's `Scheduled Event`) follow the stack's clock, simulated or
 * not. In a deployed stage the clock is the wall clock, and a `time` more than five minutes from
 * it is refused before anything is read or written: no caller can expire or release packages
 * early by invoking the job with a future time.
 */
export function timeOf(event: unknown, options: { local: boolean; wallMs?: number }): string {
  const e = (event && typeof event === 'object' ? event : {}) as Record<string, unknown>;
  const scheduled = e.source === 'aws.events' && e['detail-type'] === 'Scheduled Event';
  if (e.time === undefined || e.time === null || (options.local && scheduled)) return nowIso();
  const ms = typeof e.time === 'string' ? Date.parse(e.time) : Number.NaN;
  if (Number.isNaN(ms))
    throw new Error(
      `expireSubscriptions: event.time must be an ISO 8601 time, got ${JSON.stringify(e.time)}`,
    );
  if (!options.local && Math.abs(ms - (options.wallMs ?? Date.now())) > MAX_SKEW_MS) {
    throw new Error(
      `expireSubscriptions: event.time ${JSON.stringify(e.time)} is more than 5 minutes from the wall clock; refused outside the local stage`,
    );
  }
  return new Date(ms).toISOString();
}
