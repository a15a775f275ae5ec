/**
 * The scheduled job (SPEC §4). EventBridge sends `{time, …}`; the Lambda invoke endpoint takes any
 * `{time}`, so a caller can run it at a future time to simulate the passage of time. No API key:
 * it is not behind API Gateway, and only the schedule and IAM principals may invoke it.
 */
import type { Context } from 'aws-lambda';
import { type ExpiryResult, logResult, runExpiry } from '../lib/expiry';
import { nowIso } from '../lib/time';

export async function handler(event: unknown, context?: Context): Promise<ExpiryResult> {
  const now = timeOf(event);
  const started = Date.now();
  const result = await runExpiry(now, {
    remainingMs: context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis() : undefined,
  });
  logResult(now, result, Date.now() - started);
  return result;
}

/** "now" is the event's `time` (ISO 8601); an event without one runs at the current time. */
function timeOf(event: unknown): string {
  const time = event && typeof event === 'object' ? (event as { time?: unknown }).time : undefined;
  if (time === undefined || time === null) return nowIso();
  const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(ms))
    throw new Error(`expireSubscriptions: event.time must be an ISO 8601 time, got ${JSON.stringify(time)}`);
  return new Date(ms).toISOString();
}
