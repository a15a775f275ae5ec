/**
 * The local emulator's controls (SPEC §6): health, reset, snapshots, the clock and the faults.
 * Served only by the local stack's `localControls` function (local/controls.ts), which
 * serverless-offline alone has; these operations are never packaged for AWS. Scans are fine
 * here: this is a developer's table, and reset and snapshots are about every item of it.
 */
import { BatchWriteCommand, type BatchWriteCommandInput, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { version } from '../../package.json';
import { clock } from '../clock';
import { config } from '../config';
import { db, optimistic, RETRY, TABLE, translate } from '../db/client';
import definition from '../db/table.json';
import { invalidParameter } from '../errors';
import { validate } from '../http/api';
import { routes } from '../http/routes';
import { addMonths, nowIso } from '../time';
import { outliveCaches, refreshClock } from './pipeline';
import { clearState, EMULATOR_KEY, FAULT_ERRORS, readState, setClock, setFaults } from './state';

export const SNAPSHOT_FORMAT = 'cen-bandwidth-snapshot/1';
export const MAX_SNAPSHOT_BYTES = 10 * 1024 * 1024;

type Item = Record<string, unknown>;

/* ---------- health ---------- */

export async function health(): Promise<{ statusCode: 200 | 503; body: Record<string, unknown> }> {
  const about = { table: TABLE, stage: config.stage, version };
  try {
    const state = await refreshClock({ fresh: true });
    return {
      statusCode: 200,
      body: {
        status: 'ok',
        dynamodb: 'ok',
        ...about,
        now: nowIso(),
        clock: { simulated: state.simulated, offsetMs: clock.offsetMs },
      },
    };
  } catch {
    return {
      statusCode: 503,
      body: {
        status: 'degraded',
        dynamodb: 'unavailable',
        ...about,
        now: nowIso(),
        clock: { simulated: clock.offsetMs !== 0, offsetMs: clock.offsetMs },
      },
    };
  }
}

/* ---------- the clock ---------- */

/** Simulated times stay four-digit years, with room for the 60-month horizon (rule 11). */
const EARLIEST = Date.parse('2000-01-01T00:00:00.000Z');
const LATEST = Date.parse('9000-01-01T00:00:00.000Z');
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DURATION =
  /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/;

const ClockBody = z.strictObject({
  now: z.string().max(64).optional(),
  advanceBy: z.string().max(64).optional(),
  reset: z.literal(true).optional(),
  runJob: z.boolean().optional(),
});

export interface ClockView {
  now: string;
  simulated: boolean;
  offsetMs: number;
}

export async function getClock(): Promise<ClockView> {
  const state = await refreshClock({ fresh: true });
  return { now: nowIso(), simulated: state.simulated, offsetMs: clock.offsetMs };
}

/**
 * Set the clock (`now`), move it (`advanceBy`, from the current simulated now) or go back to the
 * wall clock (`reset`); with `runJob`, run the expiry job at the new now and add its result.
 */
export async function postClock(
  input: unknown,
  runJob: (now: string) => Promise<unknown>,
): Promise<ClockView & { job?: unknown }> {
  const body = validate(ClockBody, input);
  const given = [body.now, body.advanceBy, body.reset].filter((v) => v !== undefined).length;
  if (given !== 1) throw invalidParameter(undefined, 'Give exactly one of now, advanceBy or reset: true.');
  let target: number | null = null;
  const wall = Date.now();
  if (body.now !== undefined) target = instant(body.now);
  else if (body.advanceBy !== undefined) {
    await refreshClock({ fresh: true });
    target = advance(wall + clock.offsetMs, body.advanceBy);
  }
  if (target !== null && !(target >= EARLIEST && target < LATEST)) {
    throw invalidParameter(
      body.now !== undefined ? 'now' : 'advanceBy',
      'The simulated time must fall between 2000-01-01 and 9000-01-01.',
    );
  }
  await setClock(target === null ? null : target - wall);
  await outliveCaches();
  const view = await getClock();
  return body.runJob ? { ...view, job: await runJob(view.now) } : view;
}

function instant(text: string): number {
  const ms = INSTANT.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalidParameter('now', 'now must be an ISO 8601 time with a zone, e.g. 2027-02-01T00:00:00Z.');
  }
  return ms;
}

/** An ISO 8601 duration (`P31D`, `PT12H`, `P1M`, `-P1D`) added to a time: months in calendar months. */
export function advance(fromMs: number, duration: string): number {
  const m = DURATION.exec(duration);
  if (!m || duration.endsWith('T') || /^-?P$/.test(duration)) {
    throw invalidParameter('advanceBy', 'advanceBy must be an ISO 8601 duration, e.g. P31D, PT12H or P1M.');
  }
  const sign = m[1] ? -1 : 1;
  const n = (i: number) => Number(m[i] ?? 0);
  const months = sign * (n(2) * 12 + n(3));
  const ms = sign * ((((n(4) * 7 + n(5)) * 24 + n(6)) * 60 + n(7)) * 60_000 + Math.round(n(8) * 1000));
  const shifted = months === 0 ? fromMs : Date.parse(addMonths(new Date(fromMs).toISOString(), months));
  return shifted + ms;
}

/* ---------- faults ---------- */

const FaultBody = z.strictObject({
  operation: z.string().refine((op) => op === '*' || Object.hasOwn(routes, op), {
    message: 'operation must be * or the name of an API function of serverless.yml',
  }),
  error: z.enum(FAULT_ERRORS),
  probability: z.number().min(0).max(1),
  latencyMs: z.number().int().min(0).max(60_000).optional(),
  count: z.number().int().min(1).max(1_000_000).optional(),
});
const FaultsBody = z.strictObject({ faults: z.array(FaultBody).max(50) });

export async function getFaults() {
  const { faults } = await readState();
  return {
    faults: faults.map(({ operation, error, probability, latencyMs, count }) => ({
      operation,
      error,
      probability,
      ...(latencyMs === undefined ? {} : { latencyMs }),
      ...(count === undefined ? {} : { count }),
    })),
  };
}

export async function putFaults(input: unknown) {
  const { faults } = validate(FaultsBody, input);
  await setFaults(faults);
  await outliveCaches();
  return getFaults();
}

export async function deleteFaults(): Promise<void> {
  await setFaults([]);
  await outliveCaches();
}

/* ---------- reset ---------- */

/** Delete every item, then seed the demo keys again; the clock and faults go with their item. */
export async function reset(seedDemo: () => Promise<void>): Promise<void> {
  await deleteAll();
  await clearState();
  clock.setOffset(0);
  await seedDemo();
  await outliveCaches();
}

/* ---------- snapshots ---------- */

export async function takeSnapshot() {
  const items = (await scanAll()).filter((i) => !isEmulatorState(i));
  return { format: SNAPSHOT_FORMAT, takenAt: new Date().toISOString(), items };
}

const KEY_ATTRIBUTES = definition.AttributeDefinitions.map((a) => a.AttributeName);
const MAX_ITEM_BYTES = 400 * 1024;

const SnapshotBody = z.strictObject({
  format: z.literal(SNAPSHOT_FORMAT),
  takenAt: z.string().max(64).optional(),
  items: z.array(z.record(z.string(), z.unknown())).max(1_000_000),
});

/**
 * Replace the table's content with the snapshot's items. Everything is validated first (shape,
 * keys, duplicates, sizes), so a malformed snapshot is a 400 that changes nothing. The clock and
 * faults are the stack's, not data: they stay as they are.
 */
export async function restoreSnapshot(input: unknown): Promise<void> {
  const { items } = validate(SnapshotBody, input);
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const where = `items.${i}`;
    for (const name of KEY_ATTRIBUTES) {
      const value = item[name];
      const required = name === 'PK' || name === 'SK';
      if (value === undefined && !required) continue;
      if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 1024) {
        throw invalidParameter('items', `${where}.${name} must be a non-empty string of at most 1024 bytes.`);
      }
    }
    if (isEmulatorState(item)) throw invalidParameter('items', `${where} uses the emulator's own key.`);
    const id = JSON.stringify([item.PK, item.SK]);
    if (seen.has(id)) throw invalidParameter('items', `${where} repeats the key of an earlier item.`);
    seen.add(id);
    if (Buffer.byteLength(JSON.stringify(item)) > MAX_ITEM_BYTES || depth(item) > 32) {
      throw invalidParameter('items', `${where} exceeds DynamoDB's item size or nesting limits.`);
    }
  });
  await deleteAll();
  await batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
}

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Object.values(value as object);
  return 1 + (children.length ? Math.max(...children.map(depth)) : 0);
}

/* ---------- table helpers ---------- */

const isEmulatorState = (item: Item) => item.PK === EMULATOR_KEY.PK && item.SK === EMULATOR_KEY.SK;

async function scanAll(projectKeys = false): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await db
      .send(
        new ScanCommand({
          TableName: TABLE,
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...(projectKeys ? { ProjectionExpression: 'PK, SK' } : {}),
        }),
      )
      .catch(translate);
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every item but the emulator's state. */
async function deleteAll(): Promise<void> {
  const keys = (await scanAll(true)).filter((k) => !isEmulatorState(k));
  await batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
}

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

async function batchWrite(requests: WriteRequest[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    // What DynamoDB left unprocessed is sent again, in the one optimistic loop (backoff, budget).
    await optimistic(async () => {
      const out = await db
        .send(new BatchWriteCommand({ RequestItems: { [TABLE]: pending } }))
        .catch(translate);
      pending = out.UnprocessedItems?.[TABLE] ?? [];
      if (pending.length > 0) throw RETRY;
    });
  }
}
