/** The static catalogue of areas and regions (SPEC §2.1) and the geographic-span arithmetic. */

export const AREAS = [
  {
    areaId: 'China',
    name: 'Mainland China',
    regions: [
      ['cn-qingdao', 'Qingdao'],
      ['cn-beijing', 'Beijing'],
      ['cn-zhangjiakou', 'Zhangjiakou'],
      ['cn-shenzhen', 'Shenzhen'],
      ['cn-hangzhou', 'Hangzhou'],
      ['cn-shanghai', 'Shanghai'],
      ['cn-huhehaote', 'Hohhot'],
    ],
  },
  {
    areaId: 'North-America',
    name: 'North America',
    regions: [
      ['us-west-1', 'Silicon Valley'],
      ['us-east-1', 'Virginia'],
    ],
  },
  {
    areaId: 'Asia-Pacific',
    name: 'Asia Pacific',
    regions: [
      ['cn-hongkong', 'Hong Kong'],
      ['ap-southeast-1', 'Singapore'],
      ['ap-southeast-3', 'Kuala Lumpur'],
      ['ap-northeast-1', 'Tokyo'],
      ['ap-south-1', 'Mumbai'],
      ['ap-southeast-5', 'Jakarta'],
    ],
  },
  {
    areaId: 'Europe',
    name: 'Europe',
    regions: [
      ['eu-central-1', 'Frankfurt'],
      ['eu-west-1', 'London'],
    ],
  },
  { areaId: 'Australia', name: 'Australia', regions: [['ap-southeast-2', 'Sydney']] },
] as const;

export type AreaId = (typeof AREAS)[number]['areaId'];
export type RegionId = (typeof AREAS)[number]['regions'][number][0];

export const AREA_IDS = AREAS.map((a) => a.areaId) as [AreaId, ...AreaId[]];

export const REGIONS: { regionId: RegionId; name: string; areaId: AreaId }[] = AREAS.flatMap((area) =>
  area.regions.map(([regionId, name]) => ({ regionId, name, areaId: area.areaId })),
);

export const REGION_IDS = REGIONS.map((r) => r.regionId) as [RegionId, ...RegionId[]];

const areaOfRegion = new Map<string, AreaId>(REGIONS.map((r) => [r.regionId, r.areaId]));

export function areaOf(regionId: RegionId): AreaId {
  return areaOfRegion.get(regionId)!;
}

/** `china_north-america`: the two areas lower-cased, sorted, joined by `_`. */
export function geographicSpanId(a: AreaId, b: AreaId): string {
  return [a.toLowerCase(), b.toLowerCase()].sort().join('_');
}

/** A span is cross-border when exactly one of its areas is China. */
export function isCrossBorder(a: AreaId, b: AreaId): boolean {
  return (a === 'China') !== (b === 'China');
}

/** The canonical (sorted) order of an unordered region pair. */
export function orderedPair(a: RegionId, b: RegionId): [RegionId, RegionId] {
  return a < b ? [a, b] : [b, a];
}

const regionsOf = (areaId: AreaId) => REGIONS.filter((r) => r.areaId === areaId).map((r) => r.regionId);

/**
 * Every unordered pair of two different regions, one in each area (both in the one area when the
 * two are the same), in canonical order: the pairs a package of that span can serve (rule 3).
 */
export function pairsOfSpan(a: AreaId, b: AreaId): [RegionId, RegionId][] {
  const out = new Map<string, [RegionId, RegionId]>();
  for (const x of regionsOf(a))
    for (const y of regionsOf(b)) if (x !== y) out.set(orderedPair(x, y).join('_'), orderedPair(x, y));
  return [...out.values()];
}

export const listAreas = () => ({
  areas: AREAS.map((a) => ({ areaId: a.areaId, name: a.name, regionIds: a.regions.map(([id]) => id) })),
});

export const listRegions = () => ({ regions: REGIONS });
