/**
 * Every rule of SPEC §2.3 that is a condition on an item is one named builder (lib/entities/*).
 * These tests evaluate each builder's condition against items, without a database
 * (test/support/evaluate.ts), and check that each write is one DynamoDB would accept: every
 * placeholder defined and used. What DynamoDB itself does with them is the integration tests'.
 */
import { describe, expect, it } from 'vitest';
import { and, expr, updateOf } from '../../lib/db/expression';
import { keys } from '../../lib/db/keys';
import * as cen from '../../lib/entities/cen';
import * as pkg from '../../lib/entities/package';
import { conditionOf, evaluate, placeholderProblems } from '../support/evaluate';

const PAIR = 'cn-hangzhou_us-east-1';
const SPAN = 'china_north-america';

/** A stored package bound to cen-1, 10 Mbps with 4 allocated to one connection. */
const stored = (over: Record<string, unknown> = {}) => ({
  ...keys.bandwidthPackage('acme', 'cenbwp-1'),
  accountId: 'acme',
  bandwidthPackageId: 'cenbwp-1',
  geographicSpanId: SPAN,
  cenId: 'cen-1',
  status: 'InUse',
  businessStatus: 'Normal',
  bandwidthMbps: 10,
  allocatedMbps: 4,
  remainingMbps: 6,
  connectionCount: 1,
  expiresAt: '2027-01-01T00:00:00.000Z',
  expiredAt: null,
  autoRenew: false,
  conns: { [PAIR]: { bw: 4, createdAt: 'c', updatedAt: 'u', w: 'w1' } },
  gone: {},
  ...over,
});

const ref = { accountId: 'acme', bandwidthPackageId: 'cenbwp-1' };

/** The write is well-formed for DynamoDB: every placeholder of its update and condition defined and used. */
function wellFormed(write: {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}) {
  expect(placeholderProblems(conditionOf(write), write.UpdateExpression ?? '')).toEqual([]);
}

describe('rule 1, the sum rule: hasRoom', () => {
  it('holds exactly while the package has the bandwidth left', () => {
    expect(evaluate(pkg.hasRoom(6), stored())).toBe(true);
    expect(evaluate(pkg.hasRoom(7), stored())).toBe(false);
    expect(evaluate(pkg.hasRoom(1), stored({ remainingMbps: 0 }))).toBe(false);
  });
});

describe('rule 3 and 8: which package may serve a pair', () => {
  it('servesSpan: bound to this CEN, for this span', () => {
    expect(evaluate(pkg.servesSpan('cen-1', SPAN), stored())).toBe(true);
    expect(evaluate(pkg.servesSpan('cen-2', SPAN), stored())).toBe(false);
    expect(evaluate(pkg.servesSpan('cen-1', 'china_europe'), stored())).toBe(false);
    expect(evaluate(pkg.servesSpan('cen-1', SPAN), stored({ cenId: null }))).toBe(false);
    expect(evaluate(pkg.servesSpan('cen-1', SPAN), undefined)).toBe(false);
  });

  it('pairFree / pairHeld / pairHas', () => {
    expect(evaluate(pkg.pairFree(PAIR), stored())).toBe(false);
    expect(evaluate(pkg.pairFree('cn-beijing_us-east-1'), stored())).toBe(true);
    expect(evaluate(pkg.pairHeld(PAIR), stored())).toBe(true);
    expect(evaluate(pkg.pairHeld('cn-beijing_us-east-1'), stored())).toBe(false);
    expect(evaluate(pkg.pairHas(PAIR, 4), stored())).toBe(true);
    expect(evaluate(pkg.pairHas(PAIR, 5), stored())).toBe(false);
  });

  it('isNormal / isExpired', () => {
    expect(evaluate(pkg.isNormal(), stored())).toBe(true);
    expect(evaluate(pkg.isNormal(), stored({ businessStatus: 'Expired' }))).toBe(false);
    expect(evaluate(pkg.isExpired(), stored({ businessStatus: 'Expired' }))).toBe(true);
  });
});

describe('connect: a new connection is one update stating rules 1, 3 and 8', () => {
  const entry = { bw: 5, createdAt: 'n', updatedAt: 'n', w: 'w2' };
  const write = pkg.connect(ref, { cenId: 'cen-1', spanId: SPAN, pair: 'cn-beijing_us-east-1' }, entry);
  const holds = (item: Record<string, unknown> | undefined) => evaluate(conditionOf(write), item);

  it('commits on the serving package with room, a free pair, not expired', () => {
    wellFormed(write);
    expect(write.Key).toEqual(keys.bandwidthPackage('acme', 'cenbwp-1'));
    expect(holds(stored())).toBe(true);
  });

  it('fails for each rule broken alone', () => {
    expect(holds(stored({ remainingMbps: 4 })), 'rule 1').toBe(false);
    expect(holds(stored({ cenId: 'cen-2' })), 'rule 3: another CEN').toBe(false);
    expect(holds(stored({ geographicSpanId: 'china_europe' })), 'rule 3: another span').toBe(false);
    const taken = stored({
      conns: { 'cn-beijing_us-east-1': { bw: 1, createdAt: 'c', updatedAt: 'u', w: 'x' } },
    });
    expect(holds(taken), 'rule 3: one connection per pair').toBe(false);
    expect(holds(stored({ businessStatus: 'Expired' })), 'rule 8').toBe(false);
    expect(holds(undefined), 'no package').toBe(false);
  });

  it('moves the accounting and the count with the entry, and clears the pair’s delete mark', () => {
    expect(write.UpdateExpression).toContain('allocatedMbps = allocatedMbps + :bw');
    expect(write.UpdateExpression).toContain('remainingMbps = remainingMbps - :bw');
    expect(write.UpdateExpression).toContain('REMOVE gone.#pair');
    expect(write.UpdateExpression).toContain('ADD connectionCount :one');
    expect(write.ExpressionAttributeValues?.[':entry']).toEqual(entry);
  });
});

describe('resize', () => {
  const grow = pkg.resize(
    ref,
    { cenId: 'cen-1', pair: PAIR },
    { before: 4, after: 9, updatedAt: 'n', w: 'w3' },
  );
  const shrink = pkg.resize(
    ref,
    { cenId: 'cen-1', pair: PAIR },
    { before: 4, after: 1, updatedAt: 'n', w: 'w4' },
  );

  it('grows only by what is left (rule 1), and not while expired (rule 8)', () => {
    wellFormed(grow);
    expect(evaluate(conditionOf(grow), stored()), '5 more of the 6 left').toBe(true);
    expect(
      evaluate(conditionOf(grow), stored({ remainingMbps: 4, allocatedMbps: 6 })),
      '5 more of 4 left',
    ).toBe(false);
    expect(evaluate(conditionOf(grow), stored({ businessStatus: 'Expired' }))).toBe(false);
  });

  it('shrinks whatever the status, but only from the bandwidth read (optimistic)', () => {
    wellFormed(shrink);
    expect(evaluate(conditionOf(shrink), stored({ businessStatus: 'Expired' }))).toBe(true);
    expect(
      evaluate(
        conditionOf(shrink),
        stored({ conns: { [PAIR]: { bw: 3, createdAt: 'c', updatedAt: 'u', w: 'x' } } }),
      ),
    ).toBe(false);
    expect(evaluate(conditionOf(shrink), stored({ cenId: 'cen-2' }))).toBe(false);
  });
});

describe('disconnect', () => {
  const write = pkg.disconnect(ref, { cenId: 'cen-1', pair: PAIR }, 'w5');

  it('needs the pair held on this CEN, and reads the bandwidth to give back in the update itself', () => {
    wellFormed(write);
    expect(evaluate(conditionOf(write), stored())).toBe(true);
    expect(evaluate(conditionOf(write), stored({ conns: {} }))).toBe(false);
    expect(evaluate(conditionOf(write), stored({ cenId: 'cen-2' }))).toBe(false);
    expect(write.UpdateExpression).toContain('remainingMbps = remainingMbps + conns.#pair.bw');
    expect(write.UpdateExpression).toContain('REMOVE conns.#pair');
    expect(write.UpdateExpression).toContain('gone.#pair = :w');
  });
});

describe('rule 6: changeBandwidth', () => {
  const read = { ...ref, bandwidthMbps: 10, expiresAt: '2027-01-01T00:00:00.000Z' };

  it('a downgrade may not go below the allocation; an upgrade may', () => {
    const down = pkg.changeBandwidth(read, 5);
    wellFormed(down);
    expect(evaluate(conditionOf(down), stored())).toBe(true); // gives back 5 of the 6 left
    expect(evaluate(conditionOf(pkg.changeBandwidth(read, 3)), stored())).toBe(false); // 7 > 6 left
    expect(
      evaluate(conditionOf(pkg.changeBandwidth(read, 50)), stored({ remainingMbps: 0, allocatedMbps: 10 })),
    ).toBe(true);
  });

  it('is exact against the bandwidth and expiry read, and refused while expired', () => {
    const up = pkg.changeBandwidth(read, 20);
    expect(evaluate(conditionOf(up), stored({ bandwidthMbps: 12 }))).toBe(false);
    expect(evaluate(conditionOf(up), stored({ expiresAt: '2028-01-01T00:00:00.000Z' }))).toBe(false);
    expect(evaluate(conditionOf(up), stored({ businessStatus: 'Expired' }))).toBe(false);
  });
});

describe('rule 5: bind and unbind', () => {
  it('binds only an Idle, Normal package', () => {
    const write = pkg.bind(ref, 'cen-9').Update!;
    wellFormed(write);
    expect(evaluate(conditionOf(write), stored({ status: 'Idle', cenId: null }))).toBe(true);
    expect(evaluate(conditionOf(write), stored())).toBe(false);
    expect(
      evaluate(conditionOf(write), stored({ status: 'Idle', cenId: null, businessStatus: 'Expired' })),
    ).toBe(false);
    expect(evaluate(conditionOf(write), undefined)).toBe(false);
  });

  it('unbinds only from its CEN, with no connection left', () => {
    const write = pkg.unbind(ref, 'cen-1').Update!;
    wellFormed(write);
    expect(evaluate(conditionOf(write), stored())).toBe(false);
    expect(evaluate(conditionOf(write), stored({ connectionCount: 0, conns: {} }))).toBe(true);
    expect(evaluate(conditionOf(write), stored({ connectionCount: 0, cenId: 'cen-2' }))).toBe(false);
  });
});

describe('rules 7 and 8: renewal, expiry, auto-renewal, release', () => {
  const normal = stored() as unknown as pkg.StoredPackage;
  const expired = stored({
    businessStatus: 'Expired',
    expiredAt: '2027-01-01T00:00:00.000Z',
  }) as unknown as pkg.StoredPackage;

  it('renewal is exact against what it read, Normal or Expired', () => {
    const write = pkg.renew(normal, '2027-02-01T00:00:00.000Z');
    wellFormed(write);
    expect(evaluate(conditionOf(write), normal)).toBe(true);
    expect(evaluate(conditionOf(write), { ...normal, expiresAt: '2027-02-01T00:00:00.000Z' })).toBe(false);
    expect(evaluate(conditionOf(write), expired)).toBe(false);
    const revive = pkg.renew(expired, '2027-03-01T00:00:00.000Z');
    wellFormed(revive);
    expect(evaluate(conditionOf(revive), expired)).toBe(true);
    expect(evaluate(conditionOf(revive), normal)).toBe(false);
    expect(revive.UpdateExpression).toContain('businessStatus = :normal');
  });

  it('the job expires or auto-renews only the package it read', () => {
    const expire = pkg.expire(normal, '2027-01-02T00:00:00.000Z');
    wellFormed(expire);
    expect(evaluate(conditionOf(expire), normal)).toBe(true);
    expect(evaluate(conditionOf(expire), { ...normal, expiresAt: '2030-01-01T00:00:00.000Z' })).toBe(false);
    const renewing = { ...normal, autoRenew: true };
    const renew = pkg.autoRenew(renewing, '2027-02-01T00:00:00.000Z');
    wellFormed(renew);
    expect(evaluate(conditionOf(renew), renewing)).toBe(true);
    expect(evaluate(conditionOf(renew), normal)).toBe(false);
  });

  it('release deletes only the expired package read, on its CEN (its connections go with its item)', () => {
    const write = pkg.release(expired).Delete!;
    wellFormed(write);
    expect(evaluate(conditionOf(write), expired)).toBe(true);
    expect(evaluate(conditionOf(write), { ...expired, businessStatus: 'Normal' })).toBe(false);
    expect(evaluate(conditionOf(write), { ...expired, expiredAt: '2027-02-01T00:00:00.000Z' })).toBe(false);
    const idle = { ...expired, cenId: null, status: 'Idle' } as pkg.StoredPackage;
    expect(evaluate(conditionOf(pkg.release(idle).Delete!), idle)).toBe(true);
    expect(evaluate(conditionOf(pkg.release(idle).Delete!), expired)).toBe(false);
  });
});

describe('rule 9: deletion by ticket', () => {
  it('deletes only an unbound package with no connections', () => {
    const write = pkg.deleteIdle(ref).Delete!;
    wellFormed(write);
    expect(evaluate(conditionOf(write), stored({ status: 'Idle', cenId: null, connectionCount: 0 }))).toBe(
      true,
    );
    expect(evaluate(conditionOf(write), stored({ status: 'Idle', cenId: null }))).toBe(false);
    expect(evaluate(conditionOf(write), stored({ connectionCount: 0 }))).toBe(false);
  });
});

describe('rules 2 and 10: the CEN partition', () => {
  it('rule 2: a span takes one binding; unbinding removes only this package’s', () => {
    const bind = cen.bindItems('acme', 'cenbwp-1', SPAN, 'cen-1');
    expect(evaluate(conditionOf(bind.binding.Put), undefined)).toBe(true);
    expect(evaluate(conditionOf(bind.binding.Put), { PK: 'x', bandwidthPackageId: 'other' })).toBe(false);
    const unbind = cen.unbindItems('acme', 'cenbwp-1', SPAN, 'cen-1');
    expect(evaluate(conditionOf(unbind.binding.Delete), { bandwidthPackageId: 'cenbwp-1' })).toBe(true);
    expect(evaluate(conditionOf(unbind.binding.Delete), { bandwidthPackageId: 'other' })).toBe(false);
  });

  it('rule 10: a CEN is deleted only with no network and no package', () => {
    const write = cen.deleteCenItem('acme', 'cen-1').Delete!;
    expect(evaluate(conditionOf(write), { PK: 'x', networkCount: 0, packageCount: 0 })).toBe(true);
    expect(evaluate(conditionOf(write), { PK: 'x', networkCount: 1, packageCount: 0 })).toBe(false);
    expect(evaluate(conditionOf(write), { PK: 'x', networkCount: 0, packageCount: 1 })).toBe(false);
    expect(evaluate(conditionOf(write), undefined)).toBe(false);
    wellFormed(cen.countPackages('acme', 'cen-1', 1).Update!);
  });
});

describe('expressions', () => {
  it('refuse one placeholder with two values: a clash is an error, never a wrong write', () => {
    expect(() => and(expr('a = :v', { ':v': 1 }), expr('b = :v', { ':v': 2 }))).toThrow(/two values/);
    expect(and(expr('a = :v', { ':v': 1 }), expr('b = :v', { ':v': 1 })).text).toBe('a = :v AND b = :v');
  });

  it('bracket an OR inside an AND, and build SET, REMOVE and ADD clauses in that order', () => {
    expect(and(expr('a = :a OR b = :a', { ':a': 1 }), expr('c = :c', { ':c': 2 })).text).toBe(
      '(a = :a OR b = :a) AND c = :c',
    );
    const u = updateOf(
      't',
      { PK: 'p', SK: 's' },
      { add: [expr('n :one', { ':one': 1 })], set: [expr('x = :x', { ':x': 1 })], remove: [expr('y')] },
    );
    expect(u.UpdateExpression).toBe('SET x = :x REMOVE y ADD n :one');
    expect(u.ConditionExpression).toBeUndefined();
  });
});
