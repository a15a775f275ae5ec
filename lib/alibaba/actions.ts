/**
 * The 18 actions of SPEC §8.3, each a mapping of Alibaba's parameters onto the same domain
 * functions the REST handlers call (so the same rules, conditions, ids, quotas and clock), and
 * of the domain's answer onto Alibaba's. Parameters are checked first, in the order read; then
 * ids the caller does not own are not found (`CenId` first), then the domain's rules.
 */
import type { Principal } from '../auth';
import { AREA_IDS, AREAS, type AreaId, geographicSpanId, orderedPair } from '../catalogue';
import {
  attachNetwork,
  createCen,
  deleteCen,
  detachNetwork,
  listCens,
  listNetworks,
  requireCen,
} from '../cens';
import {
  connectionIdOf,
  createConnection,
  deleteConnection,
  listConnections,
  updateConnection,
} from '../connections';
import { optimistic, RETRY } from '../db/client';
import type { Page } from '../db/list';
import { ApiError, notFound } from '../errors';
import { ID_PATTERNS } from '../ids';
import {
  bind,
  changeBandwidth,
  deletePackage,
  getPackage,
  listPackages,
  purchaseWithOrder,
  remainingForSpan,
  unbind,
  updatePackage,
} from '../packages';
import { NETWORK_ID, NetworkType } from '../schemas';
import { cenAnswer, limitAnswer, networkAnswer, packageAnswer } from './answers';
import { withClientToken } from './clientToken';
import { invalid, RpcError } from './errors';
import { matches, page, type Reader } from './params';

type Answer = Record<string, unknown>;
type Action = (r: Reader, p: Principal) => Promise<Answer>;

/** Every page of a domain list, oldest first (RPC lists count and page in memory). */
async function all<T>(list: (page: { limit: number; nextToken?: string }) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | undefined;
  do {
    const out = await list({ limit: 100, nextToken });
    items.push(...out.items);
    nextToken = out.nextToken;
  } while (nextToken);
  return items;
}

/** A malformed id names nothing: not found, like an absent one (as the REST path parameters). */
function cenIdOf(r: Reader): string {
  const id = r.required('CenId');
  if (!ID_PATTERNS.cen.test(id)) throw notFound('Cen', id);
  return id;
}
function packageIdOf(r: Reader): string {
  const id = r.required('CenBandwidthPackageId');
  if (!ID_PATTERNS.bandwidthPackage.test(id)) throw notFound('BandwidthPackage', id);
  return id;
}

const isCode = (error: unknown, code: string) => error instanceof ApiError && error.code === code;

const PERIODS = { Month: [1, 2, 3, 6], Year: [1, 2, 3] } as const;

/** The four parameters that name an attachment, checked before any id is looked up. */
function attachment(r: Reader) {
  const cenId = r.required('CenId');
  const networkId = r.required('ChildInstanceId');
  const networkType = r.oneOf('ChildInstanceType', NetworkType.options);
  const regionId = r.region('ChildInstanceRegionId');
  return { cenId, networkId, networkType, regionId };
}

/** `china_north-america` or `North-America_China`: the canonical span id, or undefined. */
function parseSpan(text: string): string | undefined {
  const parts = text.toLowerCase().split('_');
  const areas = parts.map((part) => AREA_IDS.find((a) => a.toLowerCase() === part));
  if (areas.length !== 2 || !areas[0] || !areas[1]) return undefined;
  return geographicSpanId(areas[0], areas[1]);
}

/** The 15 spans of the five areas, by span id. */
const SPANS = AREA_IDS.flatMap((a, i) => AREA_IDS.slice(i).map((b) => geographicSpanId(a, b))).sort();

export const ACTIONS: Record<string, Action> = {
  CreateCen: (r, p) =>
    withClientToken(
      p,
      'CreateCen',
      r.params,
      async () => {
        const name = r.text('Name', 128) ?? '';
        const description = r.text('Description', 256);
        return { result: await createCen(p, { name, description: description || undefined }), facts: {} };
      },
      (cen) => ({ CenId: cen.cenId }),
    ),

  DescribeCens: async (r, p) => {
    const filter = r.filters(['CenId', 'Name']);
    const paging = r.paging();
    const [cens, packages] = await Promise.all([all((q) => listCens(p, q)), all((q) => listPackages(p, q))]);
    const packagesOf = new Map<string, string[]>();
    for (const pkg of packages) {
      if (pkg.cenId)
        packagesOf.set(pkg.cenId, [...(packagesOf.get(pkg.cenId) ?? []), pkg.bandwidthPackageId]);
    }
    const found = cens.filter((c) => matches(filter, (key) => [key === 'CenId' ? c.cenId : c.name]));
    const { items, ...counts } = page(found, paging);
    return { ...counts, Cens: { Cen: items.map((c) => cenAnswer(c, packagesOf.get(c.cenId) ?? [])) } };
  },

  DeleteCen: async (r, p) => {
    await deleteCen(p, cenIdOf(r));
    return {};
  },

  AttachCenChildInstance: async (r, p) => {
    const { cenId, networkId, networkType, regionId } = attachment(r);
    if (!NETWORK_ID.test(networkId)) {
      throw invalid('ChildInstanceId', 'ChildInstanceId must be 1-64 letters, digits, - and _.');
    }
    if (!ID_PATTERNS.cen.test(cenId)) throw notFound('Cen', cenId);
    await attachNetwork(p, cenId, { networkId, networkType, regionId });
    return {};
  },

  DetachCenChildInstance: async (r, p) => {
    const { cenId, networkId, networkType, regionId } = attachment(r);
    if (!ID_PATTERNS.cen.test(cenId)) throw notFound('Cen', cenId);
    if (!NETWORK_ID.test(networkId)) throw notFound('Network', networkId);
    await detachNetwork(p, cenId, networkId, { networkType, regionId });
    return {};
  },

  DescribeCenAttachedChildInstances: async (r, p) => {
    const cenId = r.required('CenId');
    const type = r.params.ChildInstanceType ? r.oneOf('ChildInstanceType', NetworkType.options) : undefined;
    const region = r.region('ChildInstanceRegionId', 'optional');
    const paging = r.paging();
    if (!ID_PATTERNS.cen.test(cenId)) throw notFound('Cen', cenId);
    const networks = (await all((q) => listNetworks(p, cenId, q))).filter(
      (n) => (!type || n.networkType === type) && (!region || n.regionId === region),
    );
    const { items, ...counts } = page(networks, paging);
    return { ...counts, ChildInstances: { ChildInstance: items.map(networkAnswer) } };
  },

  CreateCenBandwidthPackage: (r, p) =>
    withClientToken(
      p,
      'CreateCenBandwidthPackage',
      r.params,
      async () => {
        const areaA = r.area('GeographicRegionAId');
        const areaB = r.area('GeographicRegionBId');
        const bandwidthMbps = r.int('Bandwidth', 2, 10_000);
        const chargeType = r.optional('BandwidthPackageChargeType');
        if (chargeType !== undefined && chargeType.toUpperCase() !== 'PREPAY') {
          throw new RpcError(
            400,
            'UnSupported.ChargeType',
            `Charge type ${chargeType} is not supported; use PREPAY.`,
          );
        }
        const pricingCycle = r.oneOf('PricingCycle', ['Month', 'Year'] as const, 'Month');
        const period = r.int('Period', 1, 6, 1);
        if (!(PERIODS[pricingCycle] as readonly number[]).includes(period)) {
          throw invalid(
            'Period',
            'Period must be 1, 2, 3 or 6 for PricingCycle Month, and 1, 2 or 3 for Year.',
          );
        }
        const autoRenew = r.bool('AutoRenew', false);
        const autoRenewPeriod = r.int('AutoRenewDuration', 1, 3, 1);
        const name = r.text('Name', 128) || undefined;
        const description = r.text('Description', 256) || undefined;
        const { pkg, orderId } = await purchaseWithOrder(p, {
          areaA,
          areaB,
          bandwidthMbps,
          pricingCycle,
          period,
          autoRenew,
          autoRenewPeriod,
          name,
          description,
        });
        return { result: pkg, facts: { orderId } };
      },
      (pkg, facts) => ({
        CenBandwidthPackageId: pkg.bandwidthPackageId,
        CenBandwidthPackageOrderId: facts.orderId ?? '',
      }),
    ),

  DescribeCenBandwidthPackages: async (r, p) => {
    const filter = r.filters(['CenId', 'Status', 'CenBandwidthPackageId', 'Name']);
    const paging = r.paging();
    const packages = (await all((q) => listPackages(p, q))).filter((pkg) =>
      matches(filter, (key) => {
        if (key === 'CenId') return [pkg.cenId];
        if (key === 'Status') return [pkg.status];
        if (key === 'Name') return [pkg.name];
        return [pkg.bandwidthPackageId];
      }),
    );
    const { items, ...counts } = page(packages, paging);
    const cenIds = [...new Set(items.flatMap((pkg) => (pkg.cenId ? [pkg.cenId] : [])))];
    const connections = (
      await Promise.all(cenIds.map((cenId) => all((q) => listConnections(p, cenId, q))))
    ).flat();
    return {
      ...counts,
      CenBandwidthPackages: {
        CenBandwidthPackage: items.map((pkg) =>
          packageAnswer(
            pkg,
            connections.filter((c) => c.bandwidthPackageId === pkg.bandwidthPackageId),
          ),
        ),
      },
    };
  },

  AssociateCenBandwidthPackage: async (r, p) => {
    r.required('CenBandwidthPackageId');
    const cenId = cenIdOf(r);
    await requireCen(p, cenId);
    await bind(p, packageIdOf(r), cenId);
    return {};
  },

  UnassociateCenBandwidthPackage: async (r, p) => {
    r.required('CenBandwidthPackageId');
    const cenId = cenIdOf(r);
    await requireCen(p, cenId);
    await unbind(p, packageIdOf(r), cenId);
    return {};
  },

  ModifyCenBandwidthPackageSpec: async (r, p) => {
    r.required('CenBandwidthPackageId');
    const bandwidthMbps = r.int('Bandwidth', 2, 10_000);
    await changeBandwidth(p, packageIdOf(r), bandwidthMbps);
    return {};
  },

  ModifyCenBandwidthPackageAttribute: async (r, p) => {
    r.required('CenBandwidthPackageId');
    const name = r.text('Name', 128) || undefined;
    const description = r.text('Description', 256);
    const id = packageIdOf(r);
    if (name === undefined && description === undefined) await getPackage(p, id);
    else await updatePackage(p, id, { name, description });
    return {};
  },

  DeleteCenBandwidthPackage: async (r, p) => {
    await deletePackage(p, packageIdOf(r));
    return {};
  },

  SetCenInterRegionBandwidthLimit: async (r, p) => {
    r.required('CenId');
    const local = r.region('LocalRegionId');
    const opposite = r.region('OppositeRegionId');
    const limit = r.int('BandwidthLimit', 0, 10_000);
    r.oneOf('BandwidthType', ['BandwidthPackage'] as const, 'BandwidthPackage');
    if (local === opposite) throw invalid(undefined, 'LocalRegionId and OppositeRegionId must differ.');
    const cenId = cenIdOf(r);
    const connectionId = connectionIdOf(...orderedPair(local, opposite));
    if (limit === 0) {
      // Deleting what is not there succeeds and changes nothing (SPEC §8.4), on a CEN one owns.
      await deleteConnection(p, cenId, connectionId).catch(async (error: unknown) => {
        if (!isCode(error, 'NotFound.RegionConnection')) throw error;
        await requireCen(p, cenId);
      });
      return {};
    }
    // The unordered pair's connection: create it, or, when it exists, give it the new bandwidth.
    // Each step is the REST operation with its own conditions; a race between them (deleted
    // between the two) goes round the one optimistic loop.
    return optimistic(async () => {
      try {
        await createConnection(p, cenId, { regionA: local, regionB: opposite, bandwidthMbps: limit });
        return {};
      } catch (error) {
        if (!isCode(error, 'InvalidOperation.RegionConnectionExists')) throw error;
      }
      try {
        await updateConnection(p, cenId, connectionId, limit);
        return {};
      } catch (error) {
        if (!isCode(error, 'NotFound.RegionConnection')) throw error;
        throw RETRY;
      }
    });
  },

  DescribeCenInterRegionBandwidthLimits: async (r, p) => {
    const cenId = r.optional('CenId');
    const paging = r.paging();
    if (cenId !== undefined && !ID_PATTERNS.cen.test(cenId)) throw notFound('Cen', cenId);
    const cenIds = cenId ? [cenId] : (await all((q) => listCens(p, q))).map((c) => c.cenId);
    const connections = (await Promise.all(cenIds.map((id) => all((q) => listConnections(p, id, q)))))
      .flat()
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.connectionId.localeCompare(b.connectionId));
    const { items, ...counts } = page(connections, paging);
    return {
      ...counts,
      CenInterRegionBandwidthLimits: { CenInterRegionBandwidthLimit: items.map(limitAnswer) },
    };
  },

  DescribeCenGeographicSpans: async (r) => {
    const wanted = r.optional('GeographicSpanId');
    const paging = r.paging();
    const span = wanted === undefined ? undefined : parseSpan(wanted);
    if (wanted !== undefined && !span) {
      throw invalid('GeographicSpanId', `${wanted} is not a geographic span of two areas.`);
    }
    const { items, ...counts } = page(
      SPANS.filter((s) => !span || s === span),
      paging,
    );
    return {
      ...counts,
      GeographicSpanModels: {
        GeographicSpanModel: items.map((s) => {
          const [local, opposite] = s.split('_') as [string, string];
          return { GeographicSpanId: s, LocalGeoRegionId: local, OppositeGeoRegionId: opposite };
        }),
      },
    };
  },

  DescribeGeographicRegionMembership: async (r) => {
    const area: AreaId = r.area('GeographicRegionId');
    const paging = r.paging();
    const regions = AREAS.find((a) => a.areaId === area)!.regions.map(([regionId]) => ({
      RegionId: regionId,
    }));
    const { items, ...counts } = page(regions, paging);
    return { ...counts, RegionIds: { RegionId: items } };
  },

  DescribeCenGeographicSpanRemainingBandwidth: async (r, p) => {
    r.required('CenId');
    const spanId = geographicSpanId(r.area('GeographicRegionAId'), r.area('GeographicRegionBId'));
    return { RemainingBandwidth: await remainingForSpan(p, cenIdOf(r), spanId) };
  },
};
