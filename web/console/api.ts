/**
 * The console's only way to the service: the REST API of SPEC §3 on this same origin, with the
 * signed-in key in `x-api-key`. Types are the API's own (lib/schemas.ts, imported as types only,
 * so no zod reaches the bundle): a change there that the console does not follow fails
 * `npm run typecheck`.
 */
import type { z } from 'zod';
import type * as s from '../../lib/schemas';

export type Cen = z.output<typeof s.CenResource>;
export type Network = z.output<typeof s.NetworkResource>;
export type BandwidthPackage = z.output<typeof s.PackageResource>;
export type Connection = z.output<typeof s.ConnectionResource>;
export type Order = z.output<typeof s.OrderResource>;
export type Ticket = z.output<typeof s.TicketResource>;
export type Whoami = z.output<typeof s.WhoamiResource>;
export type Area = z.output<typeof s.AreaResource>;
export type Region = z.output<typeof s.RegionResource>;
export type AreaId = z.output<typeof s.Area>;
export type RegionId = z.output<typeof s.Region>;
export type EffectiveBandwidth = z.output<typeof s.EffectiveBandwidthResource>;
type ErrorBody = z.output<typeof s.ErrorResource>;
type Page<T> = { items: T[]; nextToken?: string };

/** Request bodies as the API validates them (zod's input side). */
export type Body = {
  createCen: z.input<typeof s.CreateCenBody>;
  attachNetwork: z.input<typeof s.AttachNetworkBody>;
  createPackage: z.input<typeof s.CreatePackageBody>;
  changeBandwidth: z.input<typeof s.ChangeBandwidthBody>;
  renew: z.input<typeof s.RenewBody>;
  cenRef: z.input<typeof s.CenRefBody>;
  createConnection: z.input<typeof s.CreateConnectionBody>;
  updateConnection: z.input<typeof s.UpdateConnectionBody>;
  createTicket: z.input<typeof s.CreateTicketBody>;
  rejectTicket: z.input<typeof s.RejectTicketBody>;
};

/** An API refusal: shown with its code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, 'NetworkError', error instanceof Error ? error.message : String(error));
}

export type Api = ReturnType<typeof client>;

export function client(apiKey: string) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'x-api-key': apiKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!res.ok) {
      const e = (data ?? {}) as Partial<ErrorBody>;
      throw new ApiError(res.status, e.code ?? `HTTP${res.status}`, e.message ?? res.statusText);
    }
    return data as T;
  }

  /** Every item of a list: follows `nextToken` to the last page. */
  async function all<T>(path: string, query: Record<string, string> = {}): Promise<T[]> {
    const items: T[] = [];
    let nextToken: string | undefined;
    do {
      const q = new URLSearchParams(query);
      if (nextToken) q.set('nextToken', nextToken);
      const qs = q.toString();
      const page = await call<Page<T>>('GET', qs ? `${path}?${qs}` : path);
      items.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    return items;
  }

  const id = encodeURIComponent;
  const pkg = (packageId: string) => `/bandwidth-packages/${id(packageId)}`;
  return {
    whoami: () => call<Whoami>('GET', '/whoami'),
    areas: () => call<{ areas: Area[] }>('GET', '/areas').then((r) => r.areas),
    regions: () => call<{ regions: Region[] }>('GET', '/regions').then((r) => r.regions),

    cens: () => all<Cen>('/cens'),
    cen: (cenId: string) => call<Cen>('GET', `/cens/${id(cenId)}`),
    createCen: (body: Body['createCen']) => call<Cen>('POST', '/cens', body),
    deleteCen: (cenId: string) => call<void>('DELETE', `/cens/${id(cenId)}`),

    networks: (cenId: string) => all<Network>(`/cens/${id(cenId)}/networks`),
    attachNetwork: (cenId: string, body: Body['attachNetwork']) =>
      call<Network>('POST', `/cens/${id(cenId)}/networks`, body),
    detachNetwork: (cenId: string, networkId: string) =>
      call<void>('DELETE', `/cens/${id(cenId)}/networks/${id(networkId)}`),

    packages: (query: Record<string, string>) => all<BandwidthPackage>('/bandwidth-packages', query),
    buyPackage: (body: Body['createPackage']) => call<BandwidthPackage>('POST', '/bandwidth-packages', body),
    changeBandwidth: (packageId: string, body: Body['changeBandwidth']) =>
      call<BandwidthPackage>('POST', `${pkg(packageId)}/bandwidth`, body),
    renew: (packageId: string, body: Body['renew']) =>
      call<BandwidthPackage>('POST', `${pkg(packageId)}/renewals`, body),
    bind: (packageId: string, body: Body['cenRef']) =>
      call<BandwidthPackage>('POST', `${pkg(packageId)}/bind`, body),
    unbind: (packageId: string, body: Body['cenRef']) =>
      call<BandwidthPackage>('POST', `${pkg(packageId)}/unbind`, body),
    orders: (packageId: string) => all<Order>(`${pkg(packageId)}/orders`),

    connections: (cenId: string) => all<Connection>(`/cens/${id(cenId)}/region-connections`),
    createConnection: (cenId: string, body: Body['createConnection']) =>
      call<Connection>('POST', `/cens/${id(cenId)}/region-connections`, body),
    updateConnection: (cenId: string, connectionId: string, body: Body['updateConnection']) =>
      call<Connection>('PATCH', `/cens/${id(cenId)}/region-connections/${id(connectionId)}`, body),
    deleteConnection: (cenId: string, connectionId: string) =>
      call<void>('DELETE', `/cens/${id(cenId)}/region-connections/${id(connectionId)}`),
    effectiveBandwidth: (cenId: string, regionA: string, regionB: string) =>
      call<EffectiveBandwidth>(
        'GET',
        `/cens/${id(cenId)}/effective-bandwidth?${new URLSearchParams({ regionA, regionB })}`,
      ),

    tickets: () => all<Ticket>('/tickets'),
    createTicket: (body: Body['createTicket']) => call<Ticket>('POST', '/tickets', body),
    approveTicket: (ticketId: string) => call<Ticket>('POST', `/tickets/${id(ticketId)}/approve`, {}),
    rejectTicket: (ticketId: string, body: Body['rejectTicket']) =>
      call<Ticket>('POST', `/tickets/${id(ticketId)}/reject`, body),
  };
}
