/**
 * Request and response schemas. The handlers validate with these, the TypeScript types are
 * inferred from them, and the OpenAPI document is generated from them: one source, no drift.
 */
import { z } from 'zod';
import { AREA_IDS, REGION_IDS } from './catalogue';

const name = z.string().min(1).max(128);
const description = z.string().max(256);
const reason = z.string().max(256);
export const NETWORK_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const Area = z.enum(AREA_IDS);
export const Region = z.enum(REGION_IDS);
export const PricingCycle = z.enum(['Month', 'Year']);
export const PackageStatus = z.enum(['Idle', 'InUse']);
export const BusinessStatus = z.enum(['Normal', 'Expired']);
export const NetworkType = z.enum(['VPC', 'VBR', 'CCN']);

const PERIODS = { Month: [1, 2, 3, 6], Year: [1, 2, 3] } as const;
const periodOk = (cycle: 'Month' | 'Year', period: number) =>
  (PERIODS[cycle] as readonly number[]).includes(period);
const periodMessage = 'period must be 1, 2, 3 or 6 for pricingCycle Month, and 1, 2 or 3 for Year';

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/* ---------- request bodies ---------- */

export const CreateCenBody = z.strictObject({ name, description: description.optional() });

export const AttachNetworkBody = z.strictObject({
  networkId: z.string().regex(NETWORK_ID, '1-64 letters, digits, - and _'),
  networkType: NetworkType,
  regionId: Region,
});

export const CreatePackageBody = z
  .strictObject({
    areaA: Area,
    areaB: Area,
    bandwidthMbps: int(2, 10_000),
    name: name.optional(),
    description: description.optional(),
    pricingCycle: PricingCycle.default('Month'),
    period: z.number().int().default(1),
    autoRenew: z.boolean().default(false),
    autoRenewPeriod: z.union([z.literal(1), z.literal(2), z.literal(3)]).default(1),
    cenId: z.string().optional(),
  })
  .refine((b) => periodOk(b.pricingCycle, b.period), { path: ['period'], message: periodMessage });

export const UpdatePackageBody = z
  .strictObject({ name: name.optional(), description: description.optional() })
  .refine((b) => b.name !== undefined || b.description !== undefined, {
    message: 'give name, description or both',
  });

export const ChangeBandwidthBody = z.strictObject({ bandwidthMbps: int(2, 10_000) });

export const RenewBody = z
  .strictObject({ period: z.number().int(), pricingCycle: PricingCycle.default('Month') })
  .refine((b) => periodOk(b.pricingCycle, b.period), { path: ['period'], message: periodMessage });

export const CenRefBody = z.strictObject({ cenId: z.string().min(1).max(64) });

export const CreateConnectionBody = z
  .strictObject({
    regionA: Region,
    regionB: Region,
    bandwidthMbps: int(1, 10_000),
    bandwidthPackageId: z.string().min(1).max(64).optional(),
  })
  .refine((b) => b.regionA !== b.regionB, { path: ['regionB'], message: 'regionA and regionB must differ' });

export const UpdateConnectionBody = z.strictObject({ bandwidthMbps: int(1, 10_000) });

export const CreateTicketBody = z.strictObject({
  type: z.literal('DeleteBandwidthPackage'),
  bandwidthPackageId: z.string().min(1).max(64),
  reason: reason.optional(),
});

export const RejectTicketBody = z.strictObject({ reason: reason.optional() });

export const EmptyBody = z.strictObject({});

/* ---------- query strings ---------- */

const limit = z
  .string()
  .regex(/^\d{1,3}$/, 'limit must be an integer from 1 to 100')
  .transform(Number)
  .pipe(int(1, 100))
  .default(50);
const nextToken = z.string().min(1).max(2048).optional();

export const ListQuery = z.strictObject({ limit, nextToken });
export const ListPackagesQuery = z.strictObject({
  limit,
  nextToken,
  cenId: z.string().min(1).max(64).optional(),
  status: PackageStatus.optional(),
  businessStatus: BusinessStatus.optional(),
});
export const EffectiveBandwidthQuery = z.strictObject({ regionA: Region, regionB: Region });
export const NoQuery = z.strictObject({});

/* ---------- resources ---------- */

const timestamp = z.iso.datetime();

export const AreaResource = z.object({ areaId: Area, name: z.string(), regionIds: z.array(Region) });
export const RegionResource = z.object({ regionId: Region, name: z.string(), areaId: Area });
export const AreaCatalogue = z.object({ areas: z.array(AreaResource) });
export const RegionCatalogue = z.object({ regions: z.array(RegionResource) });

export const CenResource = z.object({
  cenId: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  status: z.literal('Active'),
  createdAt: timestamp,
});

export const NetworkResource = z.object({
  networkId: z.string(),
  networkType: NetworkType,
  regionId: Region,
  cenId: z.string(),
  attachedAt: timestamp,
});

export const PackageResource = z.object({
  bandwidthPackageId: z.string(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  areaA: Area,
  areaB: Area,
  geographicSpanId: z.string(),
  isCrossBorder: z.boolean(),
  bandwidthMbps: z.number().int(),
  allocatedMbps: z.number().int(),
  remainingMbps: z.number().int(),
  status: PackageStatus,
  businessStatus: BusinessStatus,
  cenId: z.string().nullable(),
  chargeType: z.literal('PREPAY'),
  pricingCycle: PricingCycle,
  period: z.number().int(),
  autoRenew: z.boolean(),
  autoRenewPeriod: z.number().int(),
  createdAt: timestamp,
  expiresAt: timestamp,
  expiredAt: timestamp.nullable(),
});

export const ConnectionResource = z.object({
  connectionId: z.string(),
  cenId: z.string(),
  regionA: Region,
  regionB: Region,
  bandwidthMbps: z.number().int(),
  bandwidthPackageId: z.string(),
  geographicSpanId: z.string(),
  status: z.enum(['Active', 'Suspended']),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const EffectiveBandwidthResource = z.object({
  regionA: Region,
  regionB: Region,
  source: z.enum(['SameRegion', 'RegionConnection', 'Default']),
  bandwidthKbps: z.number().int().nullable(),
});

export const OrderResource = z.object({
  orderId: z.string(),
  bandwidthPackageId: z.string(),
  type: z.enum(['Purchase', 'Upgrade', 'Downgrade', 'Renewal', 'AutoRenewal']),
  bandwidthMbpsBefore: z.number().int().nullable(),
  bandwidthMbpsAfter: z.number().int(),
  expiresAtBefore: timestamp.nullable(),
  expiresAtAfter: timestamp,
  createdAt: timestamp,
});

export const TicketResource = z.object({
  ticketId: z.string(),
  type: z.literal('DeleteBandwidthPackage'),
  bandwidthPackageId: z.string(),
  status: z.enum(['Open', 'Completed', 'Rejected']),
  reason: z.string().nullable(),
  resolution: z.string().nullable(),
  createdAt: timestamp,
  resolvedAt: timestamp.nullable(),
});

export const WhoamiResource = z.object({ accountId: z.string(), role: z.enum(['tenant', 'operator']) });

export const ErrorResource = z.object({ code: z.string(), message: z.string(), requestId: z.string() });

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextToken: z.string().optional() });

export type Cen = z.infer<typeof CenResource>;
export type Network = z.infer<typeof NetworkResource>;
export type BandwidthPackage = z.infer<typeof PackageResource>;
export type Connection = z.infer<typeof ConnectionResource>;
export type Order = z.infer<typeof OrderResource>;
export type Ticket = z.infer<typeof TicketResource>;

/* ---------- accounts (rule 12, SPEC §3 "Account administration") ---------- */

const quota = z.number().int().min(0).max(100_000);
const quotaSet = z.object({
  cens: z.number().int(),
  bandwidthPackages: z.number().int(),
  networks: z.number().int(),
});

export const CreateApiKeyBody = z.strictObject({ role: z.enum(['tenant', 'operator']).default('tenant') });
export const SetQuotasBody = z.strictObject({
  cens: quota.optional(),
  bandwidthPackages: quota.optional(),
  networks: quota.optional(),
});

export const ApiKeyResource = z.object({
  apiKey: z.string(),
  accountId: z.string(),
  role: z.enum(['tenant', 'operator']),
  createdAt: timestamp,
});
export const QuotasResource = z.object({ accountId: z.string(), quotas: quotaSet, usage: quotaSet });
