import { clock } from './clock';

/** Calendar arithmetic in UTC (SPEC §2.2): add months, clamping the day to the end of the month. */
export function addMonths(iso: string, months: number): string {
  const date = new Date(iso);
  const day = date.getUTCDate();
  const target = new Date(
    Date.UTC(
      date.getUTCFullYear(),
      date.getUTCMonth() + months,
      1,
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds(),
    ),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target.toISOString();
}

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * 86_400_000).toISOString();
}

/** The current time: the wall clock, or the local stack's simulated clock (lib/clock.ts). */
export const nowIso = () => new Date(clock.nowMs()).toISOString();

/**
 * Times are instants: stored and returned as `YYYY-MM-DDTHH:mm:ss.sssZ`, but compared only after
 * parsing, never as strings (a string compare puts `+010042-…` before `2027-…`). An unparseable
 * time is a bug in the data, reported as such.
 */
export function instant(iso: unknown): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new Error(`not a time: ${JSON.stringify(iso)}`);
  return ms;
}

/** Rule 11: no renewal puts `expiresAt` more than this many calendar months after the request. */
export const HORIZON_MONTHS = 60;

/** Is `expiresAt` within the subscription horizon of a request made at `now`? (Exactly 60 months is.) */
export const withinHorizon = (expiresAt: string, now: string) =>
  instant(expiresAt) <= instant(addMonths(now, HORIZON_MONTHS));
