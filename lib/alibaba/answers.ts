/**
 * Domain objects as Alibaba's CEN API answers them (SPEC §8.3-§8.4): PascalCase, areas in lower
 * case, times `YYYY-MM-DDThh:mmZ`, and the JSON types of Alibaba's SDK models (bandwidths and
 * counts are numbers, `IsCrossBorder` a boolean, the `BandwidthLimit` of an
 * `OrginInterRegionBandwidthLimit` a string).
 */
import type { BandwidthPackage, Cen, Connection, Network } from '../schemas';

/** `2026-12-01T02:45:13.123Z` → `2026-12-01T02:45Z`. */
export const rpcTime = (iso: string | null) => (iso ? `${iso.slice(0, 16)}Z` : '');

export const cenAnswer = (cen: Cen, packageIds: string[]) => ({
  CenId: cen.cenId,
  Name: cen.name ?? '',
  Description: cen.description ?? '',
  Status: cen.status,
  CreationTime: rpcTime(cen.createdAt),
  CenBandwidthPackageIds: { CenBandwidthPackageId: packageIds },
});

export const networkAnswer = (n: Network) => ({
  CenId: n.cenId,
  ChildInstanceId: n.networkId,
  ChildInstanceType: n.networkType,
  ChildInstanceRegionId: n.regionId,
  ChildInstanceAttachTime: rpcTime(n.attachedAt),
  Status: 'Attached',
});

export const packageAnswer = (pkg: BandwidthPackage, connections: Connection[]) => ({
  CenBandwidthPackageId: pkg.bandwidthPackageId,
  Name: pkg.name ?? '',
  Description: pkg.description ?? '',
  Bandwidth: pkg.bandwidthMbps,
  BandwidthPackageChargeType: pkg.chargeType,
  GeographicRegionAId: pkg.areaA.toLowerCase(),
  GeographicRegionBId: pkg.areaB.toLowerCase(),
  GeographicSpanId: pkg.geographicSpanId,
  IsCrossBorder: pkg.isCrossBorder,
  Status: pkg.status,
  BusinessStatus: pkg.businessStatus,
  CreationTime: rpcTime(pkg.createdAt),
  ExpiredTime: rpcTime(pkg.expiresAt),
  CenIds: { CenId: pkg.cenId ? [pkg.cenId] : [] },
  OrginInterRegionBandwidthLimits: {
    OrginInterRegionBandwidthLimit: connections.map((c) => ({
      LocalRegionId: c.regionA,
      OppositeRegionId: c.regionB,
      GeographicSpanId: c.geographicSpanId,
      BandwidthLimit: String(c.bandwidthMbps),
    })),
  },
});

export const limitAnswer = (c: Connection) => ({
  CenId: c.cenId,
  LocalRegionId: c.regionA,
  OppositeRegionId: c.regionB,
  GeographicSpanId: c.geographicSpanId,
  BandwidthLimit: c.bandwidthMbps,
  BandwidthPackageId: c.bandwidthPackageId,
  BandwidthType: 'BandwidthPackage',
  Status: c.status,
});
