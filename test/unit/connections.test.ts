import { describe, expect, it } from 'vitest';
import { REGION_IDS } from '../../lib/catalogue';
import { connectionIdOf, parseConnectionId, toConnection } from '../../lib/connections';

describe('connection ids', () => {
  it('name an unordered pair: either order parses to the canonical (sorted) pair', () => {
    expect(parseConnectionId('us-east-1_cn-hangzhou')).toEqual(['cn-hangzhou', 'us-east-1']);
    expect(parseConnectionId('cn-hangzhou_us-east-1')).toEqual(['cn-hangzhou', 'us-east-1']);
    expect(connectionIdOf('cn-hangzhou', 'us-east-1')).toBe('cn-hangzhou_us-east-1');
  });

  it('round-trip for every pair of the catalogue', () => {
    for (const a of REGION_IDS)
      for (const b of REGION_IDS) {
        if (a === b) continue;
        const pair = parseConnectionId(`${a}_${b}`)!;
        expect(pair).toEqual([a, b].sort());
        expect(parseConnectionId(connectionIdOf(...pair))).toEqual(pair);
      }
  });

  it('name nothing when malformed: one region twice, unknown regions, wrong shape', () => {
    for (const id of [
      'cn-hangzhou_cn-hangzhou',
      'mars-1_cn-hangzhou',
      'cn-hangzhou',
      'a_b_c',
      '_',
      'CN-HANGZHOU_us-east-1',
    ])
      expect(parseConnectionId(id), id).toBeUndefined();
  });
});

describe('connection status', () => {
  const entry = { bw: 3, createdAt: 'c', updatedAt: 'u' };
  const pkg = (businessStatus: 'Normal' | 'Expired') => ({
    bandwidthPackageId: 'cenbwp-1',
    cenId: 'cen-1',
    geographicSpanId: 'china_north-america',
    businessStatus,
  });

  it('is derived from the package: Active while Normal, Suspended while Expired', () => {
    expect(toConnection(['cn-hangzhou', 'us-east-1'], entry, pkg('Normal')).status).toBe('Active');
    expect(toConnection(['cn-hangzhou', 'us-east-1'], entry, pkg('Expired')).status).toBe('Suspended');
    expect(toConnection(['cn-hangzhou', 'us-east-1'], entry, pkg('Normal'))).toMatchObject({
      connectionId: 'cn-hangzhou_us-east-1',
      bandwidthMbps: 3,
      bandwidthPackageId: 'cenbwp-1',
    });
  });
});
