/**
 * Model-based test: random sequences of commands (purchase, bind, unbind, upgrade, downgrade,
 * renew, create/modify/delete connections, deletion tickets, the expiry job moving time forward)
 * run against the reference model (test/support/model.ts) and the real service over HTTP. Every
 * response's status and code must match the model's, and after each sequence the service's state
 * must equal the model's. fast-check prints the seed and the shrunk command path of a failure;
 * replay with MODEL_SEED=<seed> MODEL_PATH=<path>.
 *
 * Runs on a stack of its own (test/support/own-stack.ts): the expiry job it invokes moves time
 * years ahead, which would expire every other test's packages in a shared table.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLoadAccount } from '../../bench/load';
import type { AreaId, RegionId } from '../../lib/catalogue';
import { addDays, addMonths } from '../../lib/time';
import { Model, type Outcome } from '../support/model';
import { useOwnStack } from '../support/own-stack';

const GRACE_DAYS = 15;
const own = useOwnStack('model', {
  LOG_LEVEL: 'error',
  GRACE_PERIOD_DAYS: String(GRACE_DAYS),
  API_KEY_CACHE_SECONDS: '60',
});
const http = own.http;

interface Real {
  tenant: string;
  operator: string;
  /** Every package id this run has seen, released ones included (to exercise 404s). */
  ids: string[];
}

function same(what: string, got: { status: number; body: any }, want: Outcome) {
  const actual = `${got.status} ${got.status >= 400 ? got.body?.code : ''}`.trim();
  const expected = `${want.status} ${want.code ?? ''}`.trim();
  if (actual !== expected) throw new Error(`${what}: service answered ${actual}, model says ${expected}`);
}

const SPANS: [AreaId, AreaId][] = [
  ['China', 'Asia-Pacific'],
  ['Asia-Pacific', 'Asia-Pacific'],
  ['Europe', 'North-America'],
];
const PAIRS: [RegionId, RegionId][] = [
  ['cn-hangzhou', 'cn-hongkong'],
  ['ap-southeast-1', 'cn-beijing'],
  ['cn-shanghai', 'ap-northeast-1'],
  ['cn-hongkong', 'ap-southeast-1'],
  ['ap-south-1', 'ap-northeast-1'],
  ['eu-central-1', 'us-east-1'],
  ['us-west-1', 'eu-west-1'],
  ['ap-southeast-2', 'eu-west-1'], // a span nobody buys here
];

type Cmd = fc.AsyncCommand<Model, Real>;
const pick = <T>(items: T[], i: number) => items[i % items.length]!;

class Purchase implements Cmd {
  constructor(
    readonly span: number,
    readonly mbps: number,
    readonly cen: number,
    readonly autoRenew: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const [areaA, areaB] = pick(SPANS, this.span);
    const cenId = this.cen < m.cens.length ? m.cens[this.cen]! : null;
    const want = m.purchase(areaA, areaB, cenId);
    const res = await http(r.tenant, 'POST', '/bandwidth-packages', {
      areaA,
      areaB,
      bandwidthMbps: this.mbps,
      autoRenew: this.autoRenew,
      ...(cenId ? { cenId } : {}),
    });
    same(this.toString(), res, want);
    if (res.status !== 201) return;
    expect(res.body.expiresAt).toBe(addMonths(res.body.createdAt, 1));
    r.ids.push(res.body.bandwidthPackageId);
    m.addPackage({
      id: res.body.bandwidthPackageId,
      areaA,
      areaB,
      bandwidthMbps: this.mbps,
      cenId,
      businessStatus: 'Normal',
      expiresAt: res.body.expiresAt,
      expiredAt: null,
      autoRenew: this.autoRenew,
      autoRenewPeriod: 1,
    });
  }
  toString = () =>
    `purchase(${pick(SPANS, this.span)}, ${this.mbps}, cen ${this.cen}, autoRenew ${this.autoRenew})`;
}

abstract class OnPackage implements Cmd {
  constructor(readonly pkg: number) {}
  check = (m: Readonly<Model>) => m.packages.size + m.gone.size > 0;
  id = (r: Real) => pick(r.ids, this.pkg);
  abstract run(m: Model, r: Real): Promise<void>;
}

/** Bind or unbind a package and a CEN: the same request shape, the same model check. */
class Binding extends OnPackage {
  constructor(
    readonly action: 'bind' | 'unbind',
    pkg: number,
    readonly cen: number,
  ) {
    super(pkg);
  }
  async run(m: Model, r: Real) {
    const cenId = pick(m.cens, this.cen);
    const want = m[this.action](this.id(r), cenId);
    const res = await http(r.tenant, 'POST', `/bandwidth-packages/${this.id(r)}/${this.action}`, { cenId });
    same(this.toString(), res, want);
  }
  override toString = () => `${this.action}(pkg ${this.pkg}, cen ${this.cen})`;
}

class ChangeBandwidth extends OnPackage {
  constructor(
    pkg: number,
    readonly mbps: number,
  ) {
    super(pkg);
  }
  async run(m: Model, r: Real) {
    const want = m.changeBandwidth(this.id(r), this.mbps);
    const res = await http(r.tenant, 'POST', `/bandwidth-packages/${this.id(r)}/bandwidth`, {
      bandwidthMbps: this.mbps,
    });
    same(this.toString(), res, want);
  }
  override toString = () => `bandwidth(pkg ${this.pkg}, ${this.mbps})`;
}

class Renew extends OnPackage {
  constructor(
    pkg: number,
    readonly months: number,
  ) {
    super(pkg);
  }
  async run(m: Model, r: Real) {
    const want = m.renew(this.id(r), this.months);
    const before = new Date().toISOString();
    const res = await http(r.tenant, 'POST', `/bandwidth-packages/${this.id(r)}/renewals`, {
      period: this.months,
    });
    same(this.toString(), res, want);
    if (res.status !== 200) return;
    const p = m.packages.get(this.id(r))!;
    if (p.businessStatus === 'Expired') {
      // From the time of renewal: between the request's start and its answer.
      expect(res.body.expiresAt >= addMonths(before, this.months)).toBe(true);
      expect(res.body.expiresAt <= addMonths(new Date().toISOString(), this.months)).toBe(true);
    }
    const mismatch = m.applyRenewal(this.id(r), this.months, res.body.expiresAt);
    if (mismatch) throw new Error(mismatch);
  }
  override toString = () => `renew(pkg ${this.pkg}, ${this.months} months)`;
}

class ApproveDeletion extends OnPackage {
  async run(m: Model, r: Real) {
    const id = this.id(r);
    const ticket = await http(r.tenant, 'POST', '/tickets', {
      type: 'DeleteBandwidthPackage',
      bandwidthPackageId: id,
    });
    if (!m.packages.has(id)) {
      same(`${this.toString()} (ticket)`, ticket, { status: 404, code: 'NotFound.BandwidthPackage' });
      return;
    }
    same(`${this.toString()} (ticket)`, ticket, { status: 201 });
    const want = m.approveDeletion(id);
    const res = await http(r.operator, 'POST', `/tickets/${ticket.body.ticketId}/approve`, {});
    same(this.toString(), res, want);
    expect(res.status === 200 ? 'Completed' : 'Open').toBe(
      (await http(r.tenant, 'GET', `/tickets/${ticket.body.ticketId}`)).body.status,
    );
    // A package has at most one Open ticket (rule 12): close a refused one so the next can open.
    if (res.status !== 200) {
      const rejected = await http(r.operator, 'POST', `/tickets/${ticket.body.ticketId}/reject`, {});
      expect(rejected.status).toBe(200);
    }
  }
  override toString = () => `approveDeletion(pkg ${this.pkg})`;
}

abstract class OnPair implements Cmd {
  constructor(
    readonly cen: number,
    readonly pair: number,
  ) {}
  check = () => true;
  abstract run(m: Model, r: Real): Promise<void>;
  path = (m: Model) => `/cens/${pick(m.cens, this.cen)}/region-connections`;
  regions = () => pick(PAIRS, this.pair);
}

class CreateConnection extends OnPair {
  constructor(
    cen: number,
    pair: number,
    readonly mbps: number,
  ) {
    super(cen, pair);
  }
  async run(m: Model, r: Real) {
    const [a, b] = this.regions();
    const want = m.createConnection(pick(m.cens, this.cen), a, b, this.mbps);
    const res = await http(r.tenant, 'POST', this.path(m), {
      regionA: a,
      regionB: b,
      bandwidthMbps: this.mbps,
    });
    same(this.toString(), res, want);
  }
  override toString = () => `connect(cen ${this.cen}, ${this.regions()}, ${this.mbps})`;
}

class UpdateConnection extends OnPair {
  constructor(
    cen: number,
    pair: number,
    readonly mbps: number,
  ) {
    super(cen, pair);
  }
  async run(m: Model, r: Real) {
    const [a, b] = this.regions();
    const want = m.updateConnection(pick(m.cens, this.cen), a, b, this.mbps);
    const res = await http(r.tenant, 'PATCH', `${this.path(m)}/${[a, b].sort().join('_')}`, {
      bandwidthMbps: this.mbps,
    });
    same(this.toString(), res, want);
  }
  override toString = () => `modify(cen ${this.cen}, ${this.regions()}, ${this.mbps})`;
}

class DeleteConnection extends OnPair {
  async run(m: Model, r: Real) {
    const [a, b] = this.regions();
    const want = m.deleteConnection(pick(m.cens, this.cen), a, b);
    same(this.toString(), await http(r.tenant, 'DELETE', `${this.path(m)}/${[a, b].sort().join('_')}`), want);
  }
  override toString = () => `disconnect(cen ${this.cen}, ${this.regions()})`;
}

class EffectiveBandwidth extends OnPair {
  async run(m: Model, r: Real) {
    const [a, b] = this.regions();
    const cenId = pick(m.cens, this.cen);
    const c = m.connections.get(`${cenId}|${[a, b].sort().join('_')}`);
    const live = c && m.packages.get(c.packageId)?.businessStatus === 'Normal';
    const res = await http(r.tenant, 'GET', `/cens/${cenId}/effective-bandwidth?regionA=${a}&regionB=${b}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(
      live
        ? { source: 'RegionConnection', bandwidthKbps: c!.bandwidthMbps * 1000 }
        : { source: 'Default', bandwidthKbps: 1 },
    );
  }
  override toString = () => `effective(cen ${this.cen}, ${this.regions()})`;
}

class RunExpiryJob implements Cmd {
  constructor(readonly days: number) {}
  check = () => true;
  async run(m: Model) {
    const time = addDays(m.clock, this.days);
    m.expire(time);
    const res = await own.invokeJob(time);
    expect(res.status).toBe(200);
    const out = (await res.json()) as Record<string, unknown>;
    expect(out).toMatchObject({
      expired: expect.any(Number),
      autoRenewed: expect.any(Number),
      released: expect.any(Number),
    });
  }
  toString = () => `job(+${this.days} days)`;
}

/** After a sequence: the service's state must be the model's. */
async function compareState(m: Model, r: Real) {
  for (const [id, p] of m.packages) {
    const res = await http(r.tenant, 'GET', `/bandwidth-packages/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      bandwidthMbps: p.bandwidthMbps,
      allocatedMbps: m.allocated(id),
      remainingMbps: p.bandwidthMbps - m.allocated(id),
      cenId: p.cenId,
      status: p.cenId ? 'InUse' : 'Idle',
      businessStatus: p.businessStatus,
      expiresAt: p.expiresAt,
      expiredAt: p.expiredAt,
    });
    const orders = await http(r.tenant, 'GET', `/bandwidth-packages/${id}/orders?limit=100`);
    expect(orders.body.items.map((o: { type: string }) => o.type)).toEqual(p.orders);
  }
  for (const [id, orderTypes] of m.gone) {
    expect((await http(r.tenant, 'GET', `/bandwidth-packages/${id}`)).status).toBe(404);
    const orders = await http(r.tenant, 'GET', `/bandwidth-packages/${id}/orders?limit=100`);
    expect(orders.body.items.map((o: { type: string }) => o.type)).toEqual(orderTypes);
  }
  for (const cenId of m.cens) {
    const res = await http(r.tenant, 'GET', `/cens/${cenId}/region-connections?limit=100`);
    expect(res.status).toBe(200);
    const got = Object.fromEntries(
      res.body.items.map((c: any) => [
        `${cenId}|${c.connectionId}`,
        [c.bandwidthMbps, c.bandwidthPackageId, c.status],
      ]),
    );
    const want = Object.fromEntries(
      [...m.connections]
        .filter(([key]) => key.startsWith(`${cenId}|`))
        .map(([key, c]) => [
          key,
          [
            c.bandwidthMbps,
            c.packageId,
            m.packages.get(c.packageId)!.businessStatus === 'Normal' ? 'Active' : 'Suspended',
          ],
        ]),
    );
    expect(got).toEqual(want);
  }
}

const commands = [
  fc
    .tuple(fc.nat(2), fc.integer({ min: 2, max: 12 }), fc.nat(3), fc.boolean())
    .map(([s, b, c, a]) => new Purchase(s, b, c, a)),
  fc.tuple(fc.nat(), fc.nat(1)).map(([p, c]) => new Binding('bind', p, c)),
  fc.tuple(fc.nat(), fc.nat(1)).map(([p, c]) => new Binding('unbind', p, c)),
  fc.tuple(fc.nat(), fc.integer({ min: 2, max: 14 })).map(([p, b]) => new ChangeBandwidth(p, b)),
  fc.tuple(fc.nat(), fc.constantFrom(1, 2, 3, 6)).map(([p, n]) => new Renew(p, n)),
  fc.nat().map((p) => new ApproveDeletion(p)),
  fc
    .tuple(fc.nat(1), fc.nat(PAIRS.length - 1), fc.integer({ min: 1, max: 6 }))
    .map(([c, p, b]) => new CreateConnection(c, p, b)),
  fc
    .tuple(fc.nat(1), fc.nat(PAIRS.length - 1), fc.integer({ min: 1, max: 8 }))
    .map(([c, p, b]) => new UpdateConnection(c, p, b)),
  fc.tuple(fc.nat(1), fc.nat(PAIRS.length - 1)).map(([c, p]) => new DeleteConnection(c, p)),
  fc.tuple(fc.nat(1), fc.nat(PAIRS.length - 1)).map(([c, p]) => new EffectiveBandwidth(c, p)),
  fc.constantFrom(10, 20, 40, 400).map((d) => new RunExpiryJob(d)),
];

describe('the service against a reference model of the rules', () => {
  it('answers every command as the model does, and ends in the model’s state', async () => {
    const seed = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : undefined;
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        const tenant = await createLoadAccount(own.stack.dbUrl, own.stack.tableName);
        const operator = await createLoadAccount(own.stack.dbUrl, own.stack.tableName, 'operator');
        const cens: string[] = [];
        for (const name of ['model-a', 'model-b']) {
          cens.push((await http(tenant.apiKey, 'POST', '/cens', { name })).body.cenId);
        }
        const model = new Model(cens, GRACE_DAYS, new Date().toISOString());
        const real: Real = { tenant: tenant.apiKey, operator: operator.apiKey, ids: [] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await compareState(model, real);
      }),
      {
        numRuns: Number(process.env.MODEL_RUNS ?? 12),
        seed,
        path: process.env.MODEL_PATH,
        endOnFailure: false,
      },
    );
  });
});
