/**
 * Rules 1, 7 and 8 under concurrency, through HTTP: 300 creates, modifies and deletes of region
 * connections on one package, 42 in flight at once, while the package is made due, expired by the
 * scheduled job (`expireSubscriptions` through serverless-offline's Lambda invoke endpoint) and
 * revived by a renewal, several times over. A failure names its seed; replay the workload with
 * `RACE_SEEDS=<seed> npx vitest run test/e2e/race-expiry.test.ts` (the interleaving is the
 * scheduler's, as in races.test.ts).
 *
 * Only this package is made due (its expiry moved a second into the past) and the job runs at the
 * real "now", so other tests' packages in the shared table are not touched (as in
 * packages.test.ts). The stack's own minute schedule may expire it first: the checks below hold
 * either way.
 *
 * The requests are spread over the cycles' steps (`expiryCycles`): 42 leave at once, then some at
 * each step, so that whatever the machine's speed some race the expiry, some the renewal, and some
 * are sent and answered while the package is surely expired.
 *
 * How it is judged:
 * - Each region pair is a lane of requests one after another, all 42 lanes at once, so a model of
 *   each connection tells which answers are allowed and whether a request asks for more bandwidth
 *   (a create of an absent connection, or a modify upwards): only such a growth may be refused,
 *   with BwpBandwidthExceeded or, around an expiry, BwpBusinessStatus. Shrinks and deletes always
 *   pass (rule 8).
 * - Each expiry cycle gives two windows on the test's monotonic clock: the package was surely
 *   `Expired` from the job's answer to the renewal's sending, and possibly from the moment it was
 *   made due to the renewal's answer. A growth sent and answered inside a sure window committed
 *   while the package was expired and must be refused with BwpBusinessStatus; a BwpBusinessStatus
 *   refusal must overlap a possible window.
 * - Afterwards the table is the replay of the 2xx answers, each package's accounting matches its
 *   stored connections, and the package is `Normal` with one Renewal order per renewal.
 */
import { describe, expect, it } from 'vitest';
import { pairsOfSpan, type RegionId } from '../../lib/catalogue';
import { addMonths } from '../../lib/time';
import { newTenant } from '../support/fixtures';
import { type Api, api, invokeFunction, type Reply } from '../support/http';
import { type Prng, prng, raceSeeds } from '../support/prng';
import { accountingViolations, tableViolations } from '../support/stored';
import { setPackageTime } from '../support/time';

const SEEDS = raceSeeds(2);
const REQUESTS = 300;
const BANDWIDTH = 60;
/** Expiry cycles, each of four steps (see `expiryCycles`), over which the lanes' requests are spread. */
const CYCLES = 3;
const STEPS = 4 * CYCLES;
/** A request waits this long at most once its step is reached, so a step's requests do not all leave at once. */
const JITTER_MS = 50;

const pairs = pairsOfSpan('China', 'Asia-Pacific');

const sleep = (ms: number) => new Promise((go) => setTimeout(go, ms));
const clock = () => performance.now();
const codeOf = (r: Reply) => (r.status < 300 ? String(r.status) : `${r.status} ${r.body?.code}`);

type Model = Map<string, number | undefined>;

interface Sent {
  what: string;
  /** A create of an absent connection or a modify upwards: the only requests rule 8 refuses. */
  growth: boolean;
  sent: number;
  answered: number;
  reply: Reply;
}

interface Cycle {
  dueAt: string;
  /** Made due (possibly expired from here: the stack's schedule may run before our job). */
  dueSet: number;
  /** The job answered: surely expired from here. */
  jobAnswered: number;
  /** The renewal sent: surely expired until here. */
  renewalSent: number;
  /** The renewal answered: possibly expired until here. */
  renewalAnswered: number;
  renewal: Reply;
}

interface Run {
  failures: string[];
  sent: Sent[];
}

/**
 * The steps a lane's `ops` requests wait for: every lane's first at step 0 (42 at once), the rest
 * spread evenly over the steps from an offset of the lane's own, so that every step has some.
 */
const stepsOf = (ops: number, offset: number) =>
  Array.from({ length: ops }, (_, j) => Math.floor((j * STEPS + offset) / ops));

/** The expiry cycles' progress: lanes wait for a step to be reached, the cycles for a step's requests to be answered. */
class Steps {
  private reached = -1;
  private waiting: { step: number; go: () => void }[] = [];
  private left = new Map<number, number>();
  private settledWaiters = new Map<number, () => void>();

  constructor(lanes: number[][]) {
    for (const step of lanes.flat()) this.left.set(step, (this.left.get(step) ?? 0) + 1);
  }

  reach(step: number) {
    this.reached = step;
    for (const w of this.waiting.filter((x) => x.step <= step)) w.go();
    this.waiting = this.waiting.filter((x) => x.step > step);
  }

  until(step: number): Promise<void> {
    if (step <= this.reached) return Promise.resolve();
    return new Promise((go) => this.waiting.push({ step, go }));
  }

  answered(step: number) {
    const left = this.left.get(step)! - 1;
    this.left.set(step, left);
    if (left === 0) this.settledWaiters.get(step)?.();
  }

  /** Every request of the step answered. */
  settled(step: number): Promise<void> {
    if (!this.left.get(step)) return Promise.resolve();
    return new Promise((go) => this.settledWaiters.set(step, go));
  }
}

async function timed(run: Run, what: string, growth: boolean, call: () => Promise<Reply>) {
  const sent = clock();
  const reply = await call();
  run.sent.push({ what, growth, sent, answered: clock(), reply });
  return reply;
}

/** One region pair's requests, one after another, each answer checked against the model. */
async function lane(
  c: Api,
  rnd: Prng,
  cenId: string,
  pair: [RegionId, RegionId],
  mine: number[],
  steps: Steps,
  model: Model,
  run: Run,
) {
  const id = pair.join('_');
  const base = `/cens/${cenId}/region-connections`;
  for (const step of mine) {
    await steps.until(step);
    await sleep(rnd.int(0, JITTER_MS));
    const now = model.get(id);
    const roll = rnd.next();
    const op =
      now !== undefined
        ? roll < 0.55
          ? 'modify'
          : roll < 0.85
            ? 'delete'
            : 'create'
        : roll < 0.75
          ? 'create'
          : roll < 0.9
            ? 'modify'
            : 'delete';
    // Either order of the pair names the same connection.
    const [a, b] = rnd.chance(0.5) ? pair : [pair[1], pair[0]];
    const fail = (what: string, r: Reply) =>
      run.failures.push(`${id}: ${what} (model ${now ?? 'absent'}) → ${r.status} ${JSON.stringify(r.body)}`);
    if (op === 'create') {
      const bw = rnd.int(1, 5);
      const what = `create ${bw}`;
      const r = await timed(run, `${id}: ${what}`, now === undefined, () =>
        c.post(base, { regionA: a, regionB: b, bandwidthMbps: bw }),
      );
      if (now !== undefined) {
        if (codeOf(r) !== '409 InvalidOperation.RegionConnectionExists') fail(what, r);
      } else if (r.status === 201) {
        if (r.body.connectionId !== id || r.body.bandwidthMbps !== bw) fail(what, r);
        model.set(id, bw);
      } else if (!REFUSED_GROWTH.has(codeOf(r))) fail(what, r);
    } else if (op === 'modify') {
      const bw = rnd.int(1, 8);
      const what = `modify to ${bw}`;
      const growth = now !== undefined && bw > now;
      const r = await timed(run, `${id}: ${what}`, growth, () =>
        c.patch(`${base}/${a}_${b}`, { bandwidthMbps: bw }),
      );
      if (now === undefined) {
        if (codeOf(r) !== '404 NotFound.RegionConnection') fail(what, r);
      } else if (r.status === 200) {
        if (r.body.bandwidthMbps !== bw || r.body.connectionId !== id) fail(what, r);
        model.set(id, bw);
      } else if (!(growth ? REFUSED_GROWTH : BUSY).has(codeOf(r))) fail(what, r);
    } else {
      const r = await timed(run, `${id}: delete`, false, () => c.delete(`${base}/${a}_${b}`));
      if (now === undefined) {
        if (codeOf(r) !== '404 NotFound.RegionConnection') fail('delete', r);
      } else if (r.status === 204) model.set(id, undefined);
      else if (!BUSY.has(codeOf(r))) fail('delete', r);
    }
    steps.answered(step);
  }
}

/** Retryable, nothing written: the optimistic budget ran out under contention (counted, reported). */
const BUSY = new Set(['503 ServiceUnavailable']);
const REFUSED_GROWTH = new Set([
  '409 InvalidOperation.BwpBandwidthExceeded',
  '409 InvalidOperation.BwpBusinessStatus',
  ...BUSY,
]);

/**
 * Expire and renew the package CYCLES times while the lanes run. Each cycle is four steps, and at
 * each step the lanes send the requests waiting for it:
 *   0. the package is Normal: the requests race each other only;
 *   1. it is made due and the job runs: these race the expiry;
 *   2. the job has answered, so it is Expired: these are sent and answered before the renewal is
 *      sent (the cycle waits for them), so they must see it Expired;
 *   3. the renewal is sent: these race the renewal.
 * Lanes that fall behind send late, whatever the step: more racing, never less.
 */
async function expiryCycles(
  c: Api,
  rnd: Prng,
  accountId: string,
  packageId: string,
  steps: Steps,
  run: Run,
): Promise<Cycle[]> {
  const cycles: Cycle[] = [];
  for (let n = 0; n < CYCLES; n++) {
    steps.reach(4 * n);
    await sleep(rnd.int(200, 500));
    const dueAt = new Date(Date.now() - 1_000).toISOString();
    const dueSet = clock();
    steps.reach(4 * n + 1);
    await setPackageTime(accountId, packageId, { expiresAt: dueAt });
    await invokeFunction('expireSubscriptions', { time: new Date().toISOString() });
    const jobAnswered = clock();
    steps.reach(4 * n + 2);
    const read = await c.get(`/bandwidth-packages/${packageId}`);
    if (read.body?.businessStatus !== 'Expired')
      run.failures.push(`cycle ${n}: after the job ${JSON.stringify(read.body)}`);
    await steps.settled(4 * n + 2);
    const renewalSent = clock();
    const from = new Date().toISOString();
    steps.reach(4 * n + 3);
    const renewal = await c.post(`/bandwidth-packages/${packageId}/renewals`, { period: 1 });
    const to = new Date().toISOString();
    const renewalAnswered = clock();
    // Rule 7: an Expired package renews from the time of renewal and is Normal again.
    if (
      renewal.status !== 200 ||
      renewal.body.businessStatus !== 'Normal' ||
      renewal.body.expiredAt !== null ||
      renewal.body.expiresAt < addMonths(from, 1) ||
      renewal.body.expiresAt > addMonths(to, 1)
    )
      run.failures.push(`cycle ${n}: renewal → ${renewal.status} ${JSON.stringify(renewal.body)}`);
    else run.failures.push(...accountingViolations(`cycle ${n} renewal`, renewal.body));
    cycles.push({ dueAt, dueSet, jobAnswered, renewalSent, renewalAnswered, renewal });
  }
  return cycles;
}

describe('300 creates, modifies and deletes on one package while the job expires it and renewals revive it', () => {
  it.each(SEEDS)(
    'no growth commits while it is expired, the table keeps the sum rule, one Renewal order per renewal (seed %i)',
    async (seed) => {
      const rnd = prng(seed);
      const t = await newTenant();
      const c = api(t.apiKey);
      const cen = await c.post('/cens', { name: 'race-expiry' });
      const cenId = cen.body.cenId as string;
      const bought = await c.post('/bandwidth-packages', {
        areaA: 'China',
        areaB: 'Asia-Pacific',
        bandwidthMbps: BANDWIDTH,
        cenId,
      });
      expect(bought.status).toBe(201);
      const packageId = bought.body.bandwidthPackageId as string;
      expect(pairs).toHaveLength(42);

      // A first run of the job before the storm, so that the cycles' runs do not pay for loading it.
      await invokeFunction('expireSubscriptions', { time: new Date().toISOString() });

      // 300 requests over the 42 lanes, a few lanes one longer.
      const order = rnd.shuffle(pairs);
      const opsOf = (i: number) =>
        Math.floor(REQUESTS / pairs.length) + (i < REQUESTS % pairs.length ? 1 : 0);
      const model: Model = new Map();
      const run: Run = { failures: [], sent: [] };
      const laneSteps = order.map((_, i) => stepsOf(opsOf(i), rnd.int(0, opsOf(i) - 1)));
      const steps = new Steps(laneSteps);
      const started = clock();
      const [cycles] = await Promise.all([
        expiryCycles(c, prng(seed + 1000), t.accountId, packageId, steps, run),
        ...order.map((pair, i) => lane(c, prng(seed + i + 1), cenId, pair, laneSteps[i]!, steps, model, run)),
      ]);
      const ms = Math.round(clock() - started);

      const counts: Record<string, number> = {};
      for (const s of run.sent) counts[codeOf(s.reply)] = (counts[codeOf(s.reply)] ?? 0) + 1;
      // Sent and answered while the package was surely Expired.
      const inside = (s: Sent) => cycles.some((y) => s.sent >= y.jobAnswered && s.answered <= y.renewalSent);
      const overlaps = (s: Sent) => cycles.some((y) => s.answered >= y.dueSet && s.sent <= y.renewalAnswered);
      const expiredWindowMs = cycles.reduce((n, y) => n + (y.renewalSent - y.jobAnswered), 0);
      const refusedExpired = run.sent.filter(
        (s) => codeOf(s.reply) === '409 InvalidOperation.BwpBusinessStatus',
      );
      const passedInside = run.sent.filter((s) => !s.growth && s.reply.status < 300 && inside(s));
      console.log(
        `race-expiry, seed ${seed}: ${run.sent.length} requests in ${ms} ms, ${cycles.length} expiry cycles ` +
          `(${Math.round(expiredWindowMs)} ms surely expired), ${run.sent.filter(inside).length} requests inside, ` +
          `${passedInside.length} shrinks/deletes passed inside\n  cycles (made due → job answered → renewal sent → answered, ms) ` +
          `${cycles.map((y) => [y.dueSet, y.jobAnswered, y.renewalSent, y.renewalAnswered].map((x) => Math.round(x - started)).join('→')).join(', ')}` +
          `\n  answers ${JSON.stringify(counts)}`,
      );

      expect(run.failures, `seed ${seed}`).toEqual([]);
      expect(run.sent).toHaveLength(REQUESTS);
      expect(
        run.sent.filter((s) => s.reply.status >= 500 && !BUSY.has(codeOf(s.reply))),
        `seed ${seed}`,
      ).toEqual([]);
      // Rule 8, on the timeline: nothing grew while surely expired, and every refusal for the
      // package's status came while it may have been expired.
      expect(
        run.sent
          .filter(
            (s) => s.growth && inside(s) && codeOf(s.reply) !== '409 InvalidOperation.BwpBusinessStatus',
          )
          .map((s) => `${s.what} → ${codeOf(s.reply)}`),
        `seed ${seed}`,
      ).toEqual([]);
      expect(
        refusedExpired.filter((s) => !s.growth || !overlaps(s)).map((s) => s.what),
        `seed ${seed}`,
      ).toEqual([]);
      // It really raced: expiries came and went while requests were in flight, growths were
      // refused for the expiry, and shrinks or deletes passed on the expired package.
      expect(refusedExpired.length, `seed ${seed}`).toBeGreaterThan(0);
      expect(passedInside.length, `seed ${seed}`).toBeGreaterThan(0);

      // The table is the replay of the 2xx answers, and the package's accounting is its connections'.
      const { conns, violations } = await tableViolations(t.accountId, cenId, [packageId]);
      expect(violations, `seed ${seed}`).toEqual([]);
      expect(Object.fromEntries(conns.map((x) => [x.connectionId, x.bandwidthMbps])), `seed ${seed}`).toEqual(
        Object.fromEntries([...model].filter(([, bw]) => bw !== undefined)),
      );
      expect(conns.every((x) => x.bandwidthPackageId === packageId)).toBe(true);

      // Normal again, renewed by the last renewal, with exactly one Renewal order per renewal.
      const last = cycles.at(-1)!.renewal.body;
      const pkg = (await c.get(`/bandwidth-packages/${packageId}`)).body;
      expect(pkg).toMatchObject({
        businessStatus: 'Normal',
        status: 'InUse',
        cenId,
        expiredAt: null,
        expiresAt: last.expiresAt,
        bandwidthMbps: BANDWIDTH,
      });
      const orders = (await c.get(`/bandwidth-packages/${packageId}/orders`, { query: { limit: 100 } })).body
        .items;
      expect(orders.map((o: { type: string }) => o.type)).toEqual([
        'Purchase',
        ...cycles.map(() => 'Renewal'),
      ]);
      expect(orders.slice(1)).toEqual(
        cycles.map((y) =>
          expect.objectContaining({
            bandwidthMbpsBefore: BANDWIDTH,
            bandwidthMbpsAfter: BANDWIDTH,
            // Renewed while Expired: from the expiry the package was made due with.
            expiresAtBefore: y.dueAt,
            expiresAtAfter: y.renewal.body.expiresAt,
          }),
        ),
      );
      // And the API lists the same connections, Active again.
      const listed = (await c.get(`/cens/${cenId}/region-connections`, { query: { limit: 100 } })).body.items;
      expect(Object.fromEntries(listed.map((x: any) => [x.connectionId, x.bandwidthMbps]))).toEqual(
        Object.fromEntries(conns.map((x) => [x.connectionId, x.bandwidthMbps])),
      );
      expect(listed.every((x: any) => x.status === 'Active')).toBe(true);
    },
  );
});
