/**
 * Every HTTP route of the API, keyed by its function name in serverless.yml. Handlers take their
 * route from here; the OpenAPI document and its tests are built from the same table.
 */
import type { z } from 'zod';
import { ACCOUNT_ID } from '../auth';
import type { ErrorCode, Resource } from '../errors';
import { ID_PATTERNS } from '../ids';
import * as s from '../schemas';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A path parameter: the pattern its ids have, and the resource it names (a 404 if malformed), or,
 * for a name that always exists (an account), the field a malformed one is a 400 of.
 */
export type Param = { pattern: RegExp; resource: Resource } | { pattern: RegExp; field: string };

export interface Route<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: Method;
  path: string;
  summary: string;
  body?: B;
  query: Q;
  params: Record<string, Param>;
  status: 200 | 201 | 204;
  response?: z.ZodType;
  role?: 'operator';
  /**
   * The codes the operation itself can answer (the pipeline adds its own: `pipelineErrors` in
   * api.ts); test/unit/error-codes.test.ts checks them against what the handler can throw.
   */
  errors: ErrorCode[];
  /**
   * Response fields shown once and never stored: the idempotency record keeps the response
   * without them (null), so a replay says what happened without showing the secret again.
   */
  shownOnce?: string[];
}

const cenId: Param = { pattern: ID_PATTERNS.cen, resource: 'Cen' };
const packageId: Param = { pattern: ID_PATTERNS.bandwidthPackage, resource: 'BandwidthPackage' };
const networkId: Param = { pattern: s.NETWORK_ID, resource: 'Network' };
const connectionId: Param = { pattern: /^[a-z0-9-]{2,32}_[a-z0-9-]{2,32}$/, resource: 'RegionConnection' };
const ticketId: Param = { pattern: ID_PATTERNS.ticket, resource: 'Ticket' };
// Accounts exist implicitly (SPEC §3): a malformed id is 400 InvalidParameter.AccountId, not a 404.
const accountId: Param = { pattern: ACCOUNT_ID, field: 'accountId' };
/**
 * What every account-administration route shares: operators only, the account in the path. Its
 * codes are the pipeline's (403 Forbidden for a tenant, 400 InvalidParameter.AccountId).
 */
const accountAdmin = {
  query: s.NoQuery,
  params: { accountId },
  role: 'operator' as const,
  errors: [],
};

const route = <B extends z.ZodType, Q extends z.ZodType>(r: Route<B, Q>) => r;

export const routes = {
  listAreas: route({
    method: 'GET',
    path: '/areas',
    summary: 'List the areas and their regions',
    query: s.NoQuery,
    params: {},
    status: 200,
    response: s.AreaCatalogue,
    errors: [],
  }),
  listRegions: route({
    method: 'GET',
    path: '/regions',
    summary: 'List the regions',
    query: s.NoQuery,
    params: {},
    status: 200,
    response: s.RegionCatalogue,
    errors: [],
  }),
  createCen: route({
    method: 'POST',
    path: '/cens',
    summary: 'Create a CEN instance',
    body: s.CreateCenBody,
    query: s.NoQuery,
    params: {},
    status: 201,
    response: s.CenResource,
    errors: ['QuotaExceeded.Cen'],
  }),
  listCens: route({
    method: 'GET',
    path: '/cens',
    summary: 'List CEN instances',
    query: s.ListQuery,
    params: {},
    status: 200,
    response: s.listOf(s.CenResource),
    errors: [],
  }),
  getCen: route({
    method: 'GET',
    path: '/cens/{cenId}',
    summary: 'Get a CEN instance',
    query: s.NoQuery,
    params: { cenId },
    status: 200,
    response: s.CenResource,
    errors: ['NotFound.Cen'],
  }),
  deleteCen: route({
    method: 'DELETE',
    path: '/cens/{cenId}',
    summary: 'Delete a CEN instance with no networks and no packages',
    query: s.NoQuery,
    params: { cenId },
    status: 204,
    errors: ['NotFound.Cen', 'InvalidOperation.CenInUse'],
  }),
  attachNetwork: route({
    method: 'POST',
    path: '/cens/{cenId}/networks',
    summary: 'Attach a network to a CEN',
    body: s.AttachNetworkBody,
    query: s.NoQuery,
    params: { cenId },
    status: 201,
    response: s.NetworkResource,
    errors: ['NotFound.Cen', 'InvalidOperation.ChildInstanceAlreadyAttached', 'QuotaExceeded.Network'],
  }),
  listNetworks: route({
    method: 'GET',
    path: '/cens/{cenId}/networks',
    summary: 'List the networks attached to a CEN',
    query: s.ListQuery,
    params: { cenId },
    status: 200,
    response: s.listOf(s.NetworkResource),
    errors: ['NotFound.Cen'],
  }),
  detachNetwork: route({
    method: 'DELETE',
    path: '/cens/{cenId}/networks/{networkId}',
    summary: 'Detach a network from a CEN',
    query: s.NoQuery,
    params: { cenId, networkId },
    status: 204,
    errors: ['NotFound.Cen', 'NotFound.Network'],
  }),
  createPackage: route({
    method: 'POST',
    path: '/bandwidth-packages',
    summary: 'Buy a bandwidth package (bound at once when cenId is given)',
    body: s.CreatePackageBody,
    query: s.NoQuery,
    params: {},
    status: 201,
    response: s.PackageResource,
    errors: [
      'NotFound.Cen',
      'InvalidOperation.BwpForGeoSpanAlreadyAssociated',
      'QuotaExceeded.BandwidthPackage',
    ],
  }),
  listPackages: route({
    method: 'GET',
    path: '/bandwidth-packages',
    summary: 'List bandwidth packages',
    query: s.ListPackagesQuery,
    params: {},
    status: 200,
    response: s.listOf(s.PackageResource),
    errors: [],
  }),
  getPackage: route({
    method: 'GET',
    path: '/bandwidth-packages/{bandwidthPackageId}',
    summary: 'Get a bandwidth package',
    query: s.NoQuery,
    params: { bandwidthPackageId: packageId },
    status: 200,
    response: s.PackageResource,
    errors: ['NotFound.BandwidthPackage'],
  }),
  updatePackage: route({
    method: 'PATCH',
    path: '/bandwidth-packages/{bandwidthPackageId}',
    summary: 'Rename or describe a bandwidth package',
    body: s.UpdatePackageBody,
    query: s.NoQuery,
    params: { bandwidthPackageId: packageId },
    status: 200,
    response: s.PackageResource,
    errors: ['NotFound.BandwidthPackage'],
  }),
  changePackageBandwidth: route({
    method: 'POST',
    path: '/bandwidth-packages/{bandwidthPackageId}/bandwidth',
    summary: 'Upgrade or downgrade a bandwidth package',
    body: s.ChangeBandwidthBody,
    query: s.NoQuery,
    params: { bandwidthPackageId: packageId },
    status: 200,
    response: s.PackageResource,
    errors: [
      'NotFound.BandwidthPackage',
      'InvalidOperation.BwpBusinessStatus',
      'InvalidOperation.BwpBandwidthExceeded',
      'OperationFailed.CrossBorderDowngradeNotSupported',
    ],
  }),
  renewPackage: route({
    method: 'POST',
    path: '/bandwidth-packages/{bandwidthPackageId}/renewals',
    summary: 'Renew a bandwidth package',
    body: s.RenewBody,
    query: s.NoQuery,
    params: { bandwidthPackageId: packageId },
    status: 200,
    response: s.PackageResource,
    errors: ['NotFound.BandwidthPackage', 'InvalidOperation.RenewalLimitExceeded'],
  }),
  bindPackage: route({
    method: 'POST',
    path: '/bandwidth-packages/{bandwidthPackageId}/bind',
    summary: 'Bind a bandwidth package to a CEN',
    body: s.CenRefBody,
    query: s.NoQuery,
    params: { bandwidthPackageId: packageId },
    status: 200,
    response: s.PackageResource,
    errors: [
      'NotFound.BandwidthPackage',
      'NotFound.Cen',
      'InvalidOperation.BwpInstanceStatus',
      'InvalidOperation.BwpBusinessStatus',
      'InvalidOperation.BwpForGeoSpanAlreadyAssociated',
    ],
  }),
  unbindPackage: route({
    method: 'POST',
    path: '/bandwidth-packages/{bandwidthPackageId}/unbind',
    summary: 'Unbind a bandwidth package from its CEN',
    body: s.CenRefBody,
    query: s.NoQuery,
    params: { bandwidthPackageId: packageId },
    status: 200,
    response: s.PackageResource,
    errors: [
      'NotFound.BandwidthPackage',
      'NotFound.Cen',
      'InvalidOperation.BwpInstanceStatus',
      'InvalidOperation.CenBandwidthLimitsNotZero',
    ],
  }),
  deletePackage: route({
    method: 'DELETE',
    path: '/bandwidth-packages/{bandwidthPackageId}',
    summary: 'Always refused: a subscription package is deleted through a ticket',
    query: s.NoQuery,
    params: { bandwidthPackageId: packageId },
    status: 204,
    errors: ['NotFound.BandwidthPackage', 'Forbidden.Release'],
  }),
  listOrders: route({
    method: 'GET',
    path: '/bandwidth-packages/{bandwidthPackageId}/orders',
    summary: "List a package's orders, oldest first (also after release)",
    query: s.ListQuery,
    params: { bandwidthPackageId: packageId },
    status: 200,
    response: s.listOf(s.OrderResource),
    errors: ['NotFound.BandwidthPackage'],
  }),
  createConnection: route({
    method: 'POST',
    path: '/cens/{cenId}/region-connections',
    summary: 'Allocate bandwidth between two regions from the bound package of their span',
    body: s.CreateConnectionBody,
    query: s.NoQuery,
    params: { cenId },
    status: 201,
    response: s.ConnectionResource,
    errors: [
      'NotFound.Cen',
      'NotFound.BandwidthPackage',
      'InvalidOperation.BwpForGeoSpanNotAssociated',
      'InvalidOperation.RegionConnectionExists',
      'InvalidOperation.BwpBandwidthExceeded',
      'InvalidOperation.BwpBusinessStatus',
    ],
  }),
  listConnections: route({
    method: 'GET',
    path: '/cens/{cenId}/region-connections',
    summary: 'List the region connections of a CEN',
    query: s.ListQuery,
    params: { cenId },
    status: 200,
    response: s.listOf(s.ConnectionResource),
    errors: ['NotFound.Cen'],
  }),
  getConnection: route({
    method: 'GET',
    path: '/cens/{cenId}/region-connections/{connectionId}',
    summary: 'Get a region connection',
    query: s.NoQuery,
    params: { cenId, connectionId },
    status: 200,
    response: s.ConnectionResource,
    errors: ['NotFound.Cen', 'NotFound.RegionConnection'],
  }),
  updateConnection: route({
    method: 'PATCH',
    path: '/cens/{cenId}/region-connections/{connectionId}',
    summary: "Change a region connection's bandwidth",
    body: s.UpdateConnectionBody,
    query: s.NoQuery,
    params: { cenId, connectionId },
    status: 200,
    response: s.ConnectionResource,
    errors: [
      'NotFound.RegionConnection',
      'InvalidOperation.BwpBandwidthExceeded',
      'InvalidOperation.BwpBusinessStatus',
    ],
  }),
  deleteConnection: route({
    method: 'DELETE',
    path: '/cens/{cenId}/region-connections/{connectionId}',
    summary: 'Delete a region connection, returning its bandwidth to the package',
    query: s.NoQuery,
    params: { cenId, connectionId },
    status: 204,
    errors: ['NotFound.RegionConnection'],
  }),
  getEffectiveBandwidth: route({
    method: 'GET',
    path: '/cens/{cenId}/effective-bandwidth',
    summary: 'The bandwidth two regions of a CEN get now',
    query: s.EffectiveBandwidthQuery,
    params: { cenId },
    status: 200,
    response: s.EffectiveBandwidthResource,
    errors: ['NotFound.Cen'],
  }),
  createTicket: route({
    method: 'POST',
    path: '/tickets',
    summary: 'Ask for a bandwidth package to be deleted',
    body: s.CreateTicketBody,
    query: s.NoQuery,
    params: {},
    status: 201,
    response: s.TicketResource,
    errors: ['NotFound.BandwidthPackage', 'InvalidOperation.TicketExists'],
  }),
  listTickets: route({
    method: 'GET',
    path: '/tickets',
    summary: "List tickets (operators see every account's)",
    query: s.ListQuery,
    params: {},
    status: 200,
    response: s.listOf(s.TicketResource),
    errors: [],
  }),
  getTicket: route({
    method: 'GET',
    path: '/tickets/{ticketId}',
    summary: 'Get a ticket',
    query: s.NoQuery,
    params: { ticketId },
    status: 200,
    response: s.TicketResource,
    errors: ['NotFound.Ticket'],
  }),
  approveTicket: route({
    method: 'POST',
    path: '/tickets/{ticketId}/approve',
    summary: 'Approve a ticket: delete the package if it is unbound and has no connections',
    body: s.EmptyBody,
    query: s.NoQuery,
    params: { ticketId },
    status: 200,
    response: s.TicketResource,
    role: 'operator',
    errors: [
      'NotFound.Ticket',
      'InvalidOperation.TicketStatus',
      'InvalidOperation.BwpInstanceStatus',
      'InvalidOperation.CenBandwidthLimitsNotZero',
    ],
  }),
  rejectTicket: route({
    method: 'POST',
    path: '/tickets/{ticketId}/reject',
    summary: 'Reject a ticket',
    body: s.RejectTicketBody,
    query: s.NoQuery,
    params: { ticketId },
    status: 200,
    response: s.TicketResource,
    role: 'operator',
    errors: ['NotFound.Ticket', 'InvalidOperation.TicketStatus'],
  }),
  routeNotFound: route({
    method: 'GET',
    path: '*',
    summary: 'Any other path: 404 NotFound.Route in the API error format',
    query: s.NoQuery,
    params: {},
    status: 200,
    errors: ['NotFound.Route'],
  }),
  whoami: route({
    method: 'GET',
    path: '/whoami',
    summary: 'The account and role of the calling API key',
    query: s.NoQuery,
    params: {},
    status: 200,
    response: s.WhoamiResource,
    errors: [],
  }),
  createAccountApiKey: route({
    method: 'POST',
    path: '/accounts/{accountId}/api-keys',
    summary: 'Issue an API key for an account (shown once, stored hashed)',
    body: s.CreateApiKeyBody,
    ...accountAdmin,
    status: 201,
    response: s.ApiKeyResource,
    shownOnce: ['apiKey'],
  }),
  getAccountQuotas: route({
    method: 'GET',
    path: '/accounts/{accountId}/quotas',
    summary: "An account's quotas and usage",
    ...accountAdmin,
    status: 200,
    response: s.QuotasResource,
  }),
  setAccountQuotas: route({
    method: 'PUT',
    path: '/accounts/{accountId}/quotas',
    summary: "Set some of an account's quotas (a quota below the usage refuses new creates, deletes nothing)",
    body: s.SetQuotasBody,
    ...accountAdmin,
    status: 200,
    response: s.QuotasResource,
  }),
  getQuotas: route({
    method: 'GET',
    path: '/quotas',
    summary: "The calling account's quotas and usage",
    query: s.NoQuery,
    params: {},
    status: 200,
    response: s.QuotasResource,
    errors: [],
  }),
  getOpenApi: route({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    query: s.NoQuery,
    params: {},
    status: 200,
    errors: [],
  }),
} satisfies Record<string, Route>;

export type RouteName = keyof typeof routes;

/**
 * The public pages (SPEC §7): the web console and the API reference. They are not operations of
 * the API (no key, no JSON body, no error codes of their own), so they are not in `routes` nor in
 * the OpenAPI document; serverless.yml routes each function here by exactly these paths
 * (test/unit/openapi.test.ts), ahead of the catch-all `routeNotFound`.
 */
export const staticRoutes = {
  serveConsole: {
    method: 'GET',
    paths: ['/console', '/console/{proxy+}', '/docs', '/docs/{proxy+}'],
    summary: 'The web console and the API reference page: built files, no API key',
  },
} as const;

export type StaticRouteName = keyof typeof staticRoutes;
