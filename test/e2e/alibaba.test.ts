/**
 * The Alibaba door (SPEC §8) driven only through Alibaba's own Node client, `@alicloud/pop-core`,
 * over HTTP against the test stack: the seed story, every action, tenant isolation, ClientToken
 * replay, and visibility across the two doors.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEMO_ACCESS_KEYS } from '../../lib/alibaba/accessKeys';
import { alibaba, newAlibabaTenant } from '../support/alibaba';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;

/** A tenant with a CEN and a China/North-America package of `bandwidth` Mbps bound to it. */
async function boundPackage(bandwidth = 10) {
  const t = await newAlibabaTenant();
  const { CenId } = await t.rpc.call('CreateCen', { Name: 'story' });
  const { CenBandwidthPackageId } = await t.rpc.call('CreateCenBandwidthPackage', {
    GeographicRegionAId: 'China',
    GeographicRegionBId: 'North-America',
    Bandwidth: bandwidth,
  });
  await t.rpc.call('AssociateCenBandwidthPackage', { CenId, CenBandwidthPackageId });
  return { t, cenId: CenId as string, packageId: CenBandwidthPackageId as string };
}

describe('the Alibaba CEN API through pop-core', () => {
  it('runs the seed story end to end', async () => {
    const t = await newAlibabaTenant();
    const { call, fail } = t.rpc;

    const cen = await call('CreateCen', { Name: 'prod-cen', Description: 'the story' });
    expect(cen).toEqual({ RequestId: expect.any(String), CenId: expect.stringMatching(/^cen-/) });
    const cenId = cen.CenId as string;
    expect(
      await call('AttachCenChildInstance', {
        CenId: cenId,
        ChildInstanceId: 'vpc-hz1',
        ChildInstanceType: 'VPC',
        ChildInstanceRegionId: 'cn-hangzhou',
      }),
    ).toEqual({ RequestId: expect.any(String) });
    const bought = await call('CreateCenBandwidthPackage', {
      GeographicRegionAId: 'China',
      GeographicRegionBId: 'North-America',
      Bandwidth: 10,
      BandwidthPackageChargeType: 'PREPAY',
      PricingCycle: 'Month',
      Period: 1,
    });
    expect(bought.CenBandwidthPackageId).toMatch(/^cenbwp-/);
    expect(bought.CenBandwidthPackageOrderId).toMatch(/^order-/);
    const bwp = bought.CenBandwidthPackageId as string;
    await call('AssociateCenBandwidthPackage', { CenId: cenId, CenBandwidthPackageId: bwp });

    const limit = (LocalRegionId: string, OppositeRegionId: string, BandwidthLimit: number) => ({
      CenId: cenId,
      LocalRegionId,
      OppositeRegionId,
      BandwidthLimit,
    });
    await call('SetCenInterRegionBandwidthLimit', limit('cn-hangzhou', 'us-west-1', 8));
    // The sum rule: 8 + 3 > 10 on the same package, through another pair of the span.
    expect((await fail('SetCenInterRegionBandwidthLimit', limit('cn-beijing', 'us-east-1', 3))).code).toBe(
      'InvalidOperation.BwpBandwidthExceeded',
    );
    const downgrade = await fail('ModifyCenBandwidthPackageSpec', {
      CenBandwidthPackageId: bwp,
      Bandwidth: 5,
    });
    expect(downgrade).toMatchObject({
      code: 'OperationFailed.CrossBorderDowngradeNotSupported',
      status: 400,
    });
    await call('ModifyCenBandwidthPackageSpec', { CenBandwidthPackageId: bwp, Bandwidth: 20 });
    const remaining = await call('DescribeCenGeographicSpanRemainingBandwidth', {
      CenId: cenId,
      GeographicRegionAId: 'china',
      GeographicRegionBId: 'north-america',
    });
    expect(remaining.RemainingBandwidth).toBe(12);
    const busy = await fail('UnassociateCenBandwidthPackage', { CenId: cenId, CenBandwidthPackageId: bwp });
    expect(busy.code).toBe('InvalidOperation.CenBandwidthLimitsNotZero');
    await call('SetCenInterRegionBandwidthLimit', limit('us-west-1', 'cn-hangzhou', 0));
    await call('UnassociateCenBandwidthPackage', { CenId: cenId, CenBandwidthPackageId: bwp });
    const release = await fail('DeleteCenBandwidthPackage', { CenBandwidthPackageId: bwp });
    expect(release).toMatchObject({ code: 'Forbidden.Release', status: 403 });
    expect(release.body).toEqual({
      RequestId: expect.any(String),
      HostId: expect.any(String),
      Code: 'Forbidden.Release',
      Message: expect.any(String),
      Recommend: expect.any(String),
    });
  });

  it('serves the seeded demo pairs, an operator acting on its own account', async () => {
    const [a, , operator] = DEMO_ACCESS_KEYS;
    const tenant = alibaba(a!);
    const own = await alibaba(operator!).call('CreateCen', { Name: `op-${randomUUID()}` });
    const seen = await tenant.call('DescribeCens', {
      'Filter.1.Key': 'CenId',
      'Filter.1.Value.1': own.CenId,
    });
    expect(seen.TotalCount).toBe(0);
    const mine = await alibaba(operator!).call('DescribeCens', {
      'Filter.1.Key': 'CenId',
      'Filter.1.Value.1': own.CenId,
    });
    expect(mine.TotalCount).toBe(1);
  });

  it('creates, describes with filters and pages, and deletes CENs', async () => {
    const t = await newAlibabaTenant();
    const ids: string[] = [];
    for (const name of ['alpha', 'beta', 'gamma'])
      ids.push((await t.rpc.call('CreateCen', { Name: name })).CenId);
    const unnamed = await t.rpc.call('CreateCen', {}, 'GET');
    ids.push(unnamed.CenId);

    const firstPage = await t.rpc.call('DescribeCens', { PageSize: 3 }, 'GET');
    expect(firstPage).toMatchObject({ TotalCount: 4, PageNumber: 1, PageSize: 3 });
    expect(firstPage.Cens.Cen.map((c: any) => c.CenId)).toEqual(ids.slice(0, 3));
    const cen = firstPage.Cens.Cen[0];
    expect(cen).toEqual({
      CenId: ids[0],
      Name: 'alpha',
      Description: '',
      Status: 'Active',
      CreationTime: expect.stringMatching(TIME),
      CenBandwidthPackageIds: { CenBandwidthPackageId: [] },
    });
    const second = await t.rpc.call('DescribeCens', { PageSize: 3, PageNumber: 2 });
    expect(second.Cens.Cen.map((c: any) => [c.CenId, c.Name])).toEqual([[ids[3], '']]);
    expect((await t.rpc.call('DescribeCens', { PageNumber: 3, PageSize: 3 })).Cens.Cen).toEqual([]);

    const byName = await t.rpc.call('DescribeCens', {
      'Filter.1.Key': 'Name',
      'Filter.1.Value.1': 'alpha',
      'Filter.1.Value.2': 'gamma',
    });
    expect(byName.Cens.Cen.map((c: any) => c.Name)).toEqual(['alpha', 'gamma']);
    const both = {
      'Filter.1.Key': 'Name',
      'Filter.1.Value.1': 'alpha',
      'Filter.2.Key': 'CenId',
      'Filter.2.Value.1': ids[1],
    };
    expect((await t.rpc.call('DescribeCens', both)).TotalCount).toBe(0);
    expect((await t.rpc.call('DescribeCens', { ...both, IsOrKey: true })).TotalCount).toBe(2);
    const unknown = await t.rpc.fail('DescribeCens', { 'Filter.1.Key': 'Colour', 'Filter.1.Value.1': 'x' });
    expect(unknown.code).toBe('InvalidParameter');
    expect((await t.rpc.fail('DescribeCens', { PageSize: 51 })).code).toBe('InvalidParameter.PageSize');

    await t.rpc.call('DeleteCen', { CenId: ids[0] });
    expect((await t.rpc.fail('DeleteCen', { CenId: ids[0] })).code).toBe('ParameterCenInstanceId');
    expect((await t.rpc.fail('DeleteCen', {})).code).toBe('MissingCenId');
  });

  it('attaches, lists and detaches child instances, naming an attachment by all four', async () => {
    const t = await newAlibabaTenant();
    const { CenId } = await t.rpc.call('CreateCen', { Name: 'nets' });
    const attach = (id: string, type: string, region: string) => ({
      CenId,
      ChildInstanceId: id,
      ChildInstanceType: type,
      ChildInstanceRegionId: region,
    });
    await t.rpc.call('AttachCenChildInstance', attach('vpc-1', 'VPC', 'cn-hangzhou'));
    await t.rpc.call('AttachCenChildInstance', attach('vbr-1', 'VBR', 'us-west-1'));
    const again = await t.rpc.fail('AttachCenChildInstance', attach('vpc-1', 'VPC', 'cn-hangzhou'));
    expect(again.code).toBe('InvalidOperation.ChildInstanceAlreadyAttached');
    expect((await t.rpc.fail('AttachCenChildInstance', attach('vpc-2', 'ECS', 'cn-hangzhou'))).code).toBe(
      'InvalidParameter.ChildInstanceType',
    );
    expect((await t.rpc.fail('AttachCenChildInstance', attach('vpc-2', 'VPC', 'mars-1'))).code).toBe(
      'InvalidParameter.ChildInstanceRegionId',
    );

    const listed = await t.rpc.call('DescribeCenAttachedChildInstances', { CenId });
    expect(listed).toMatchObject({ TotalCount: 2, PageNumber: 1, PageSize: 10 });
    expect(listed.ChildInstances.ChildInstance[0]).toEqual({
      CenId,
      ChildInstanceId: 'vbr-1',
      ChildInstanceType: 'VBR',
      ChildInstanceRegionId: 'us-west-1',
      ChildInstanceAttachTime: expect.stringMatching(TIME),
      Status: 'Attached',
    });
    const vpcs = await t.rpc.call('DescribeCenAttachedChildInstances', { CenId, ChildInstanceType: 'VPC' });
    expect(vpcs.ChildInstances.ChildInstance.map((c: any) => c.ChildInstanceId)).toEqual(['vpc-1']);

    const wrongRegion = await t.rpc.fail('DetachCenChildInstance', attach('vpc-1', 'VPC', 'cn-beijing'));
    expect(wrongRegion).toMatchObject({ code: 'ParameterInstanceId', status: 404 });
    expect((await t.rpc.fail('DetachCenChildInstance', attach('vpc-1', 'VBR', 'cn-hangzhou'))).code).toBe(
      'ParameterInstanceId',
    );
    expect((await t.rpc.fail('DeleteCen', { CenId })).code).toBe('InvalidOperation.CenInUse');
    await t.rpc.call('DetachCenChildInstance', attach('vpc-1', 'VPC', 'cn-hangzhou'));
    await t.rpc.call('DetachCenChildInstance', attach('vbr-1', 'VBR', 'us-west-1'));
    expect((await t.rpc.call('DescribeCenAttachedChildInstances', { CenId })).TotalCount).toBe(0);
    await t.rpc.call('DeleteCen', { CenId });
  });

  it('buys, describes, renames and rebinds packages with the JSON types of the SDK models', async () => {
    const { t, cenId, packageId } = await boundPackage(10);
    await t.rpc.call('SetCenInterRegionBandwidthLimit', {
      CenId: cenId,
      LocalRegionId: 'us-east-1',
      OppositeRegionId: 'cn-shanghai',
      BandwidthLimit: 4,
    });
    const idle = await t.rpc.call('CreateCenBandwidthPackage', {
      GeographicRegionAId: 'europe',
      GeographicRegionBId: 'ASIA-PACIFIC',
      Bandwidth: 5,
      PricingCycle: 'Year',
      Period: 2,
      AutoRenew: true,
      AutoRenewDuration: 3,
      Name: 'eu-ap',
      Description: 'idle one',
    });
    const described = await t.rpc.call('DescribeCenBandwidthPackages', {
      'Filter.1.Key': 'CenId',
      'Filter.1.Value.1': cenId,
    });
    expect(described).toMatchObject({ TotalCount: 1, PageNumber: 1, PageSize: 10 });
    expect(described.CenBandwidthPackages.CenBandwidthPackage[0]).toEqual({
      CenBandwidthPackageId: packageId,
      Name: '',
      Description: '',
      Bandwidth: 10,
      BandwidthPackageChargeType: 'PREPAY',
      GeographicRegionAId: 'china',
      GeographicRegionBId: 'north-america',
      GeographicSpanId: 'china_north-america',
      IsCrossBorder: true,
      Status: 'InUse',
      BusinessStatus: 'Normal',
      CreationTime: expect.stringMatching(TIME),
      ExpiredTime: expect.stringMatching(TIME),
      CenIds: { CenId: [cenId] },
      OrginInterRegionBandwidthLimits: {
        OrginInterRegionBandwidthLimit: [
          {
            LocalRegionId: 'cn-shanghai',
            OppositeRegionId: 'us-east-1',
            GeographicSpanId: 'china_north-america',
            BandwidthLimit: '4',
          },
        ],
      },
    });
    const byStatus = await t.rpc.call('DescribeCenBandwidthPackages', {
      'Filter.1.Key': 'Status',
      'Filter.1.Value.1': 'Idle',
    });
    const idlePkg = byStatus.CenBandwidthPackages.CenBandwidthPackage[0];
    expect(byStatus.TotalCount).toBe(1);
    expect(idlePkg).toMatchObject({
      CenBandwidthPackageId: idle.CenBandwidthPackageId,
      Name: 'eu-ap',
      GeographicSpanId: 'asia-pacific_europe',
      IsCrossBorder: false,
      CenIds: { CenId: [] },
    });

    const id = idle.CenBandwidthPackageId as string;
    await t.rpc.call('ModifyCenBandwidthPackageAttribute', { CenBandwidthPackageId: id, Name: 'renamed' });
    const byName = await t.rpc.call('DescribeCenBandwidthPackages', {
      'Filter.1.Key': 'Name',
      'Filter.1.Value.1': 'renamed',
      'Filter.2.Key': 'CenBandwidthPackageId',
      'Filter.2.Value.1': id,
    });
    expect(byName.TotalCount).toBe(1);
    await t.rpc.call('ModifyCenBandwidthPackageSpec', { CenBandwidthPackageId: id, Bandwidth: 3 });
    expect((await t.rest.get(`/bandwidth-packages/${id}`)).body.bandwidthMbps).toBe(3);
    await t.rpc.call('AssociateCenBandwidthPackage', { CenId: cenId, CenBandwidthPackageId: id });
    const twice = await t.rpc.fail('AssociateCenBandwidthPackage', {
      CenId: cenId,
      CenBandwidthPackageId: id,
    });
    expect(twice.code).toBe('InvalidOperation.BwpInstanceStatus');
    await t.rpc.call('UnassociateCenBandwidthPackage', { CenId: cenId, CenBandwidthPackageId: id });

    // Rule 2 keeps Alibaba's documented 409.
    const second = await t.rpc.call('CreateCenBandwidthPackage', {
      GeographicRegionAId: 'North-America',
      GeographicRegionBId: 'China',
      Bandwidth: 2,
    });
    const taken = await t.rpc.fail('AssociateCenBandwidthPackage', {
      CenId: cenId,
      CenBandwidthPackageId: second.CenBandwidthPackageId,
    });
    expect(taken).toMatchObject({ code: 'InvalidOperation.BwpForGeoSpanAlreadyAssociated', status: 409 });

    const bad = (extra: Record<string, unknown>) =>
      t.rpc.fail('CreateCenBandwidthPackage', {
        GeographicRegionAId: 'China',
        GeographicRegionBId: 'Europe',
        Bandwidth: 10,
        ...extra,
      });
    expect((await bad({ BandwidthPackageChargeType: 'POSTPAY' })).code).toBe('UnSupported.ChargeType');
    expect((await bad({ Period: 4 })).code).toBe('InvalidParameter.Period');
    expect((await bad({ PricingCycle: 'Year', Period: 6 })).code).toBe('InvalidParameter.Period');
    expect((await bad({ Bandwidth: 1 })).code).toBe('InvalidParameter.Bandwidth');
    expect((await bad({ GeographicRegionBId: 'Atlantis' })).code).toBe(
      'InvalidParameter.GeographicRegionBId',
    );
    expect((await bad({ AutoRenew: 'maybe' })).code).toBe('InvalidParameter.AutoRenew');
    expect((await t.rpc.fail('CreateCenBandwidthPackage', { GeographicRegionAId: 'China' })).code).toBe(
      'MissingGeographicRegionBId',
    );
  });

  it('sets inter-region bandwidth limits on the unordered pair: create, modify, delete with 0', async () => {
    const { t, cenId, packageId } = await boundPackage(10);
    const set = (local: string, opposite: string, limit: number) =>
      t.rpc.call('SetCenInterRegionBandwidthLimit', {
        CenId: cenId,
        LocalRegionId: local,
        OppositeRegionId: opposite,
        BandwidthLimit: limit,
        BandwidthType: 'BandwidthPackage',
      });
    await set('us-west-1', 'cn-beijing', 6);
    await set('cn-beijing', 'us-west-1', 9); // the same pair, the other way round: a modify
    const listed = await t.rpc.call('DescribeCenInterRegionBandwidthLimits', { CenId: cenId });
    expect(listed).toMatchObject({ TotalCount: 1, PageNumber: 1, PageSize: 10 });
    expect(listed.CenInterRegionBandwidthLimits.CenInterRegionBandwidthLimit).toEqual([
      {
        CenId: cenId,
        LocalRegionId: 'cn-beijing',
        OppositeRegionId: 'us-west-1',
        GeographicSpanId: 'china_north-america',
        BandwidthLimit: 9,
        BandwidthPackageId: packageId,
        BandwidthType: 'BandwidthPackage',
        Status: 'Active',
      },
    ]);
    expect((await t.rpc.call('DescribeCenInterRegionBandwidthLimits', {})).TotalCount).toBe(1);
    const remaining = await t.rpc.call('DescribeCenGeographicSpanRemainingBandwidth', {
      CenId: cenId,
      GeographicRegionAId: 'North-America',
      GeographicRegionBId: 'China',
    });
    expect(remaining.RemainingBandwidth).toBe(1);
    const europe = await t.rpc.call('DescribeCenGeographicSpanRemainingBandwidth', {
      CenId: cenId,
      GeographicRegionAId: 'Europe',
      GeographicRegionBId: 'China',
    });
    expect(europe.RemainingBandwidth).toBe(0);

    const other = await t.rpc.fail('SetCenInterRegionBandwidthLimit', {
      CenId: cenId,
      LocalRegionId: 'eu-west-1',
      OppositeRegionId: 'cn-beijing',
      BandwidthLimit: 1,
    });
    expect(other.code).toBe('InvalidOperation.BwpForGeoSpanNotAssociated');
    const same = await t.rpc.fail('SetCenInterRegionBandwidthLimit', {
      CenId: cenId,
      LocalRegionId: 'cn-beijing',
      OppositeRegionId: 'cn-beijing',
      BandwidthLimit: 1,
    });
    expect(same.code).toMatch(/^InvalidParameter/);
    const type = await t.rpc.fail('SetCenInterRegionBandwidthLimit', {
      CenId: cenId,
      LocalRegionId: 'cn-beijing',
      OppositeRegionId: 'us-west-1',
      BandwidthLimit: 1,
      BandwidthType: 'DataTransfer',
    });
    expect(type.code).toBe('InvalidParameter.BandwidthType');

    await set('us-west-1', 'cn-beijing', 0);
    await set('us-west-1', 'cn-beijing', 0); // none left: succeeds and changes nothing
    expect((await t.rpc.call('DescribeCenInterRegionBandwidthLimits', { CenId: cenId })).TotalCount).toBe(0);
    expect((await t.rest.get(`/bandwidth-packages/${packageId}`)).body.remainingMbps).toBe(10);
  });

  it('describes the catalogue: the 15 spans in either order, and the regions of an area', async () => {
    const { rpc } = await newAlibabaTenant();
    const spans = await rpc.call('DescribeCenGeographicSpans', { PageSize: 50 });
    expect(spans.TotalCount).toBe(15);
    expect(spans.GeographicSpanModels.GeographicSpanModel).toContainEqual({
      GeographicSpanId: 'china_north-america',
      LocalGeoRegionId: 'china',
      OppositeGeoRegionId: 'north-america',
    });
    for (const id of ['north-america_china', 'China_North-America']) {
      const one = await rpc.call('DescribeCenGeographicSpans', { GeographicSpanId: id });
      expect(one.GeographicSpanModels.GeographicSpanModel.map((s: any) => s.GeographicSpanId)).toEqual([
        'china_north-america',
      ]);
    }
    expect((await rpc.fail('DescribeCenGeographicSpans', { GeographicSpanId: 'china_mars' })).code).toBe(
      'InvalidParameter.GeographicSpanId',
    );
    const ap = await rpc.call('DescribeGeographicRegionMembership', { GeographicRegionId: 'asia-pacific' });
    expect(ap).toMatchObject({ TotalCount: 6, PageNumber: 1, PageSize: 10 });
    expect(ap.RegionIds.RegionId).toContainEqual({ RegionId: 'cn-hongkong' });
    const paged = await rpc.call('DescribeGeographicRegionMembership', {
      GeographicRegionId: 'China',
      PageSize: 5,
      PageNumber: 2,
    });
    expect(paged.RegionIds.RegionId).toHaveLength(2);
    expect((await rpc.fail('DescribeGeographicRegionMembership', {})).code).toBe('MissingGeographicRegionId');
    expect(
      (await rpc.fail('DescribeGeographicRegionMembership', { GeographicRegionId: 'Antarctica' })).code,
    ).toBe('InvalidParameter.GeographicRegionId');
  });

  it("keeps tenants apart: another account's ids are not found, and filters match nothing", async () => {
    const { cenId, packageId } = await boundPackage(10);
    const other = await newAlibabaTenant();
    const { call, fail } = other.rpc;
    const expectations: [string, Record<string, unknown>, string][] = [
      ['DeleteCen', { CenId: cenId }, 'ParameterCenInstanceId'],
      ['DescribeCenAttachedChildInstances', { CenId: cenId }, 'ParameterCenInstanceId'],
      ['DescribeCenInterRegionBandwidthLimits', { CenId: cenId }, 'ParameterCenInstanceId'],
      ['DeleteCenBandwidthPackage', { CenBandwidthPackageId: packageId }, 'ParameterBwpInstanceId'],
      [
        'ModifyCenBandwidthPackageSpec',
        { CenBandwidthPackageId: packageId, Bandwidth: 50 },
        'ParameterBwpInstanceId',
      ],
      [
        'ModifyCenBandwidthPackageAttribute',
        { CenBandwidthPackageId: packageId, Name: 'x' },
        'ParameterBwpInstanceId',
      ],
      [
        'SetCenInterRegionBandwidthLimit',
        { CenId: cenId, LocalRegionId: 'cn-hangzhou', OppositeRegionId: 'us-west-1', BandwidthLimit: 1 },
        'ParameterCenInstanceId',
      ],
      [
        'DescribeCenGeographicSpanRemainingBandwidth',
        { CenId: cenId, GeographicRegionAId: 'China', GeographicRegionBId: 'North-America' },
        'ParameterCenInstanceId',
      ],
      [
        'AttachCenChildInstance',
        {
          CenId: cenId,
          ChildInstanceId: 'vpc-x',
          ChildInstanceType: 'VPC',
          ChildInstanceRegionId: 'cn-hangzhou',
        },
        'ParameterCenInstanceId',
      ],
    ];
    for (const [action, params, code] of expectations) {
      expect(await fail(action, params), action).toMatchObject({ code, status: 404 });
    }
    // Two ids: the CEN is checked first, then the package.
    const mine = await call('CreateCen', { Name: 'mine' });
    expect(
      (await fail('AssociateCenBandwidthPackage', { CenId: cenId, CenBandwidthPackageId: packageId })).code,
    ).toBe('ParameterCenInstanceId');
    expect(
      (await fail('AssociateCenBandwidthPackage', { CenId: mine.CenId, CenBandwidthPackageId: packageId }))
        .code,
    ).toBe('ParameterBwpInstanceId');
    const filtered = await call('DescribeCenBandwidthPackages', {
      'Filter.1.Key': 'CenBandwidthPackageId',
      'Filter.1.Value.1': packageId,
    });
    expect(filtered.TotalCount).toBe(0);
    expect(
      (await call('DescribeCens', { 'Filter.1.Key': 'CenId', 'Filter.1.Value.1': cenId })).TotalCount,
    ).toBe(0);
  });

  it('answers a ClientToken repeat with the first outcome and creates nothing more', async () => {
    const t = await newAlibabaTenant();
    const token = randomUUID();
    const first = await t.rpc.call('CreateCen', { Name: 'once', ClientToken: token });
    const again = await t.rpc.call('CreateCen', { Name: 'once', ClientToken: token }, 'GET');
    expect(again.CenId).toBe(first.CenId);
    expect(again.RequestId).not.toBe(first.RequestId);
    expect((await t.rest.get('/cens')).body.items).toHaveLength(1);
    const changed = await t.rpc.fail('CreateCen', { Name: 'twice', ClientToken: token });
    expect(changed).toMatchObject({ code: 'IdempotenceParam.NotMatch', status: 400 });

    // The same token for another action is another key; a refusal is replayed as its code.
    const pkg = { GeographicRegionAId: 'China', GeographicRegionBId: 'Europe', ClientToken: token };
    const refused = await t.rpc.fail('CreateCenBandwidthPackage', { ...pkg, Bandwidth: 1 });
    expect(refused.code).toBe('InvalidParameter.Bandwidth');
    expect((await t.rpc.fail('CreateCenBandwidthPackage', { ...pkg, Bandwidth: 1 })).code).toBe(
      'InvalidParameter.Bandwidth',
    );
    const other = randomUUID();
    const bought = await t.rpc.call('CreateCenBandwidthPackage', {
      ...pkg,
      Bandwidth: 4,
      ClientToken: other,
    });
    const rebought = await t.rpc.call('CreateCenBandwidthPackage', {
      ...pkg,
      Bandwidth: 4,
      ClientToken: other,
    });
    expect(rebought.CenBandwidthPackageId).toBe(bought.CenBandwidthPackageId);
    expect(rebought.CenBandwidthPackageOrderId).toBe(bought.CenBandwidthPackageOrderId);
    expect((await t.rest.get('/bandwidth-packages')).body.items).toHaveLength(1);
  });

  it('shows what one door made through the other, with the same ids, both ways', async () => {
    const t = await newAlibabaTenant();
    // REST → RPC
    const cenId = (await t.rest.post('/cens', { name: 'rest-made' })).body.cenId as string;
    const rest = await t.rest.post('/bandwidth-packages', {
      areaA: 'Asia-Pacific',
      areaB: 'China',
      bandwidthMbps: 8,
      cenId,
    });
    await t.rest.post(`/cens/${cenId}/region-connections`, {
      regionA: 'cn-hongkong',
      regionB: 'cn-shanghai',
      bandwidthMbps: 3,
    });
    const cens = await t.rpc.call('DescribeCens', { 'Filter.1.Key': 'CenId', 'Filter.1.Value.1': cenId });
    expect(cens.Cens.Cen[0]).toMatchObject({
      Name: 'rest-made',
      CenBandwidthPackageIds: { CenBandwidthPackageId: [rest.body.bandwidthPackageId] },
    });
    const limits = await t.rpc.call('DescribeCenInterRegionBandwidthLimits', { CenId: cenId });
    expect(limits.CenInterRegionBandwidthLimits.CenInterRegionBandwidthLimit[0]).toMatchObject({
      LocalRegionId: 'cn-hongkong',
      OppositeRegionId: 'cn-shanghai',
      BandwidthLimit: 3,
      GeographicSpanId: 'asia-pacific_china',
    });
    // …and changeable through RPC, seen again through REST.
    await t.rpc.call('SetCenInterRegionBandwidthLimit', {
      CenId: cenId,
      LocalRegionId: 'cn-shanghai',
      OppositeRegionId: 'cn-hongkong',
      BandwidthLimit: 5,
    });
    const conn = await t.rest.get(`/cens/${cenId}/region-connections/cn-hongkong_cn-shanghai`);
    expect(conn.body.bandwidthMbps).toBe(5);

    // RPC → REST
    const made = await t.rpc.call('CreateCen', { Name: 'rpc-made', Description: 'via pop-core' });
    expect((await t.rest.get(`/cens/${made.CenId}`)).body).toMatchObject({
      cenId: made.CenId,
      name: 'rpc-made',
      description: 'via pop-core',
      status: 'Active',
    });
    const bought = await t.rpc.call('CreateCenBandwidthPackage', {
      GeographicRegionAId: 'europe',
      GeographicRegionBId: 'europe',
      Bandwidth: 6,
      Name: 'eu',
    });
    const pkg = await t.rest.get(`/bandwidth-packages/${bought.CenBandwidthPackageId}`);
    expect(pkg.body).toMatchObject({
      areaA: 'Europe',
      areaB: 'Europe',
      bandwidthMbps: 6,
      name: 'eu',
      status: 'Idle',
    });
    const orders = await t.rest.get(`/bandwidth-packages/${bought.CenBandwidthPackageId}/orders`);
    expect(orders.body.items[0]).toMatchObject({
      orderId: bought.CenBandwidthPackageOrderId,
      type: 'Purchase',
    });
    // …and changeable through REST, seen again through RPC.
    await t.rest.post(`/bandwidth-packages/${bought.CenBandwidthPackageId}/bind`, { cenId: made.CenId });
    const described = await t.rpc.call('DescribeCenBandwidthPackages', {
      'Filter.1.Key': 'CenBandwidthPackageId',
      'Filter.1.Value.1': bought.CenBandwidthPackageId,
    });
    expect(described.CenBandwidthPackages.CenBandwidthPackage[0]).toMatchObject({
      Status: 'InUse',
      CenIds: { CenId: [made.CenId] },
    });
  });
});
