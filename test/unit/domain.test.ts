import { describe, expect, it } from 'vitest';
import {
  areaOf,
  geographicSpanId,
  isCrossBorder,
  orderedPair,
  pairsOfSpan,
  REGIONS,
} from '../../lib/catalogue';
import { shardOf } from '../../lib/db/keys';
import { decodeToken, encodeToken } from '../../lib/db/pagination';
import { fingerprint } from '../../lib/idempotency';
import { addMonths } from '../../lib/time';

describe('catalogue', () => {
  it('lists the region pairs of a span: once each, canonical, one region in each area', () => {
    const cross = pairsOfSpan('China', 'Asia-Pacific');
    expect(cross).toHaveLength(42);
    const ids = (pairs: string[][]) => pairs.map((p) => p.join('_')).sort();
    expect(ids(pairsOfSpan('Asia-Pacific', 'China'))).toEqual(ids(cross));
    expect(pairsOfSpan('China', 'China')).toHaveLength(21);
    expect(pairsOfSpan('Australia', 'Australia')).toEqual([]);
    for (const [a, b] of [...cross, ...pairsOfSpan('China', 'China')]) {
      expect(orderedPair(a, b)).toEqual([a, b]);
      expect(a).not.toBe(b);
    }
    expect(new Set(cross.map((p) => p.join('_'))).size).toBe(42);
  });

  it('has the 18 regions of the spec, Hong Kong in Asia-Pacific', () => {
    expect(REGIONS).toHaveLength(18);
    expect(areaOf('cn-hongkong')).toBe('Asia-Pacific');
  });

  it('writes spans lower-case and sorted, whatever the order of the areas', () => {
    expect(geographicSpanId('North-America', 'China')).toBe('china_north-america');
    expect(geographicSpanId('China', 'China')).toBe('china_china');
  });

  it('calls a span cross-border only when exactly one side is China', () => {
    expect(isCrossBorder('China', 'Asia-Pacific')).toBe(true);
    expect(isCrossBorder('China', 'China')).toBe(false);
    expect(isCrossBorder('Europe', 'Asia-Pacific')).toBe(false);
  });

  it('orders a region pair canonically', () => {
    expect(orderedPair('us-east-1', 'cn-hangzhou')).toEqual(['cn-hangzhou', 'us-east-1']);
    expect(orderedPair('cn-hangzhou', 'us-east-1')).toEqual(['cn-hangzhou', 'us-east-1']);
  });
});

describe('addMonths', () => {
  it('clamps the day to the end of a shorter month', () => {
    expect(addMonths('2026-01-31T10:00:00.000Z', 1)).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonths('2028-01-31T10:00:00.000Z', 1)).toBe('2028-02-29T10:00:00.000Z');
    expect(addMonths('2026-03-31T00:00:00.000Z', 6)).toBe('2026-09-30T00:00:00.000Z');
  });

  it('crosses years and keeps the time of day', () => {
    expect(addMonths('2026-11-15T23:59:59.999Z', 3)).toBe('2027-02-15T23:59:59.999Z');
    expect(addMonths('2026-05-20T12:00:00.000Z', 36)).toBe('2029-05-20T12:00:00.000Z');
  });
});

describe('pagination tokens', () => {
  const attrs = ['PK', 'SK', 'GSI1PK', 'GSI1SK'];
  const scope = { index: 'GSI1', partition: 'ACCT#a#CENS', equals: {} };
  const key = { PK: 'p', SK: 's', GSI1PK: 'ACCT#a#CENS', GSI1SK: 'x' };

  it('round-trips a start key for the list that issued it', () => {
    expect(decodeToken(scope, encodeToken(scope, key), attrs)).toEqual(key);
  });

  it('refuses a token of another list, filter or account', () => {
    const token = encodeToken(scope, key);
    for (const other of [
      { ...scope, partition: 'ACCT#b#CENS' },
      { ...scope, index: 'GSI2' },
      { ...scope, equals: { status: 'Idle' } },
    ])
      expect(() => decodeToken(other, token, attrs)).toThrow(/nextToken/);
  });

  it('refuses an edited, truncated or forged token, and garbage', () => {
    const token = encodeToken(scope, key);
    const [payload, signature] = token.split('.') as [string, string];
    const edited = Buffer.from(JSON.stringify({ ...key, GSI1SK: '' })).toString('base64url');
    for (const bad of [
      `${edited}.${signature}`,
      token.slice(0, -1),
      payload,
      `${payload}.`,
      `${payload}.${signature}.x`,
      '%%%not-base64',
      'x'.repeat(5000),
    ])
      expect(() => decodeToken(scope, bad, attrs), bad.slice(0, 40)).toThrow(/nextToken/);
  });
});

describe('idempotency fingerprint', () => {
  it('ignores key order but not values, paths or methods', () => {
    const a = fingerprint('POST', '/cens', { name: 'x', description: 'y' });
    expect(fingerprint('POST', '/cens', { description: 'y', name: 'x' })).toBe(a);
    expect(fingerprint('POST', '/cens', { name: 'x', description: 'z' })).not.toBe(a);
    expect(fingerprint('PATCH', '/cens', { name: 'x', description: 'y' })).not.toBe(a);
    expect(fingerprint('POST', '/tickets', { name: 'x', description: 'y' })).not.toBe(a);
  });
});

describe('due-index shards', () => {
  it('is stable and spreads ids over every shard', () => {
    expect(shardOf('cenbwp-abc', 4)).toBe(shardOf('cenbwp-abc', 4));
    const seen = new Set(Array.from({ length: 200 }, (_, i) => shardOf(`cenbwp-${i}`, 4)));
    expect(seen).toEqual(new Set([0, 1, 2, 3]));
  });
});
