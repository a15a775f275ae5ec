import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { timeOf } from '../../functions/expireSubscriptions';
import { advance } from '../../lib/emulator/controls';
import { openApiDocument } from '../../lib/http/openapi';
import { CONTROLS } from '../../local/controls';
import { readService } from '../support/service';

const { CONTROL_ROUTES } = createRequire(__filename)('../../local/emulator-plugin.js') as {
  CONTROL_ROUTES: [string, string][];
};

const at = (iso: string) => Date.parse(iso);

describe('the local controls and the public API', () => {
  it('routes exactly the controls that local/controls.ts serves, all under /_local', () => {
    expect(CONTROL_ROUTES.map(([m, p]) => `${m} ${p}`).sort()).toEqual(Object.keys(CONTROLS).sort());
    for (const [, path] of CONTROL_ROUTES) expect(path).toMatch(/^\/_local\//);
  });

  it('keeps them out of serverless.yml and out of the OpenAPI document', () => {
    expect(JSON.stringify(readService().functions)).not.toContain('_local');
    expect(Object.keys((openApiDocument() as { paths: object }).paths).join()).not.toContain('_local');
  });
});

describe('advanceBy durations', () => {
  const from = at('2027-01-31T10:00:00.000Z');
  it('adds days, weeks, hours, minutes and seconds', () => {
    expect(advance(from, 'P31D')).toBe(from + 31 * 86_400_000);
    expect(advance(from, 'PT12H')).toBe(from + 12 * 3_600_000);
    expect(advance(from, 'P1W')).toBe(from + 7 * 86_400_000);
    expect(advance(from, 'P1DT1H1M1.5S')).toBe(from + 86_400_000 + 3_661_500);
    expect(advance(from, '-P1D')).toBe(from - 86_400_000);
  });

  it('adds months and years as calendar months, clamping the day', () => {
    expect(advance(from, 'P1M')).toBe(at('2027-02-28T10:00:00.000Z'));
    expect(advance(from, 'P1Y1M')).toBe(at('2028-02-29T10:00:00.000Z'));
  });

  it('refuses what is not a duration', () => {
    for (const bad of ['', 'P', 'PT', '31D', 'P1.5D', 'P1DT', 'p1d', 'P-1D', 'PT1H30']) {
      expect(() => advance(from, bad), bad).toThrow(/advanceBy/);
    }
  });
});

describe("the job's time", () => {
  const wallMs = at('2026-12-01T00:00:00.000Z');
  const scheduled = { source: 'aws.events', 'detail-type': 'Scheduled Event', time: '2026-12-01T00:00:00Z' };

  it('refuses, outside the local stage, a time more than five minutes from the wall clock', () => {
    for (const time of ['2027-12-01T00:00:00Z', '2026-12-01T00:05:01Z', '2026-11-30T23:54:59Z']) {
      expect(() => timeOf({ time }, { local: false, wallMs }), time).toThrow(/5 minutes/);
    }
    expect(timeOf({ time: '2026-12-01T00:04:59Z' }, { local: false, wallMs })).toBe(
      '2026-12-01T00:04:59.000Z',
    );
    expect(timeOf(scheduled, { local: false, wallMs })).toBe('2026-12-01T00:00:00.000Z');
  });

  it('takes any time locally, and a malformed one nowhere', () => {
    expect(timeOf({ time: '2031-01-01T00:00:00Z' }, { local: true })).toBe('2031-01-01T00:00:00.000Z');
    expect(() => timeOf({ time: 'soon' }, { local: true })).toThrow(/ISO 8601/);
    expect(() => timeOf({ time: 7 }, { local: false })).toThrow(/ISO 8601/);
  });
});
