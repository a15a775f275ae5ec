/**
 * Parameters of the RPC door: the query string and the form body, merged (a key given twice is
 * 400), and readers that check an action's parameters with Alibaba's names and codes.
 */
import { AREA_IDS, type AreaId, REGION_IDS, type RegionId } from '../catalogue';
import { invalid, missing, RpcError } from './errors';

export const MAX_BODY_BYTES = 16_384;

export type Params = Record<string, string>;

function addAll(into: Params, text: string) {
  for (const [key, value] of new URLSearchParams(text)) {
    if (Object.hasOwn(into, key)) throw invalid(undefined, `The parameter ${key} is given more than once.`);
    into[key] = value;
  }
}

/** Decode the query string and the (form) body into one map of URL-decoded parameters. */
export function decodeParams(query: string, body: string, contentType: string | undefined): Params {
  if (Buffer.byteLength(body, 'utf8') > MAX_BODY_BYTES) {
    throw new RpcError(413, 'RequestTooLarge', `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  }
  const params: Params = Object.create(null);
  addAll(params, query);
  if (body !== '') {
    if (!/^application\/x-www-form-urlencoded\b/i.test(contentType ?? '')) {
      throw invalid(undefined, 'A POST body must be application/x-www-form-urlencoded.');
    }
    addAll(params, body);
  }
  return params;
}

/** Readers of one action's parameters: absent is `Missing<Name>`, malformed `InvalidParameter.<Name>`. */
export class Reader {
  constructor(readonly params: Params) {}

  optional(name: string): string | undefined {
    const value = this.params[name];
    return value === undefined || value === '' ? undefined : value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw missing(name);
    return value;
  }

  text(name: string, max: number): string | undefined {
    const value = this.params[name];
    if (value !== undefined && [...value].length > max)
      throw invalid(name, `${name} is longer than ${max} characters.`);
    return value;
  }

  int(name: string, min: number, max: number, fallback?: number): number {
    const raw = fallback === undefined ? this.required(name) : this.optional(name);
    if (raw === undefined) return fallback!;
    const value = /^\d{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= min && value <= max))
      throw invalid(name, `${name} must be an integer from ${min} to ${max}.`);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (raw !== 'true' && raw !== 'false') throw invalid(name, `${name} must be true or false.`);
    return raw === 'true';
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const raw = fallback === undefined ? this.required(name) : this.optional(name);
    if (raw === undefined) return fallback!;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw invalid(name, `${name} must be one of ${allowed.join(', ')}.`);
    }
    return raw as T;
  }

  /** An area id of the catalogue in any case (`China`, `china`, `NORTH-AMERICA`). */
  area(name: string): AreaId {
    const raw = this.required(name);
    const area = AREA_IDS.find((a) => a.toLowerCase() === raw.toLowerCase());
    if (!area)
      throw invalid(name, `${name} is not an area: ${AREA_IDS.map((a) => a.toLowerCase()).join(', ')}.`);
    return area;
  }

  region(name: string, fallback?: 'optional'): RegionId;
  region(name: string, fallback: 'optional'): RegionId | undefined;
  region(name: string, fallback?: 'optional'): RegionId | undefined {
    const raw = fallback ? this.optional(name) : this.required(name);
    if (raw === undefined) return undefined;
    if (!(REGION_IDS as readonly string[]).includes(raw)) throw invalid(name, `${name} is not a region.`);
    return raw as RegionId;
  }

  /** `PageNumber` (≥ 1, default 1) and `PageSize` (1-50, default 10). */
  paging(): Paging {
    return { pageNumber: this.int('PageNumber', 1, 999_999, 1), pageSize: this.int('PageSize', 1, 50, 10) };
  }

  /** `Filter.N.Key` / `Filter.N.Value.M` and `IsOrKey` (SPEC §8.4), keys restricted to `allowed`. */
  filters(allowed: readonly string[]): Filter {
    const byIndex = new Map<string, { key?: string; values: string[] }>();
    for (const [name, value] of Object.entries(this.params)) {
      const key = /^Filter\.(\d{1,3})\.Key$/.exec(name);
      const val = /^Filter\.(\d{1,3})\.Value\.\d{1,3}$/.exec(name);
      const index = key?.[1] ?? val?.[1];
      if (index === undefined) continue;
      const entry = byIndex.get(index) ?? { values: [] };
      if (key) entry.key = value;
      else entry.values.push(value);
      byIndex.set(index, entry);
    }
    const keys = new Map<string, Set<string>>();
    for (const [index, { key, values }] of byIndex) {
      if (key === undefined) throw missing(`Filter.${index}.Key`);
      if (!allowed.includes(key))
        throw invalid(undefined, `Unknown filter key ${key}; use ${allowed.join(', ')}.`);
      const set = keys.get(key) ?? new Set();
      for (const v of values) set.add(v);
      keys.set(key, set);
    }
    return { keys, or: this.bool('IsOrKey', false) };
  }
}

export interface Paging {
  pageNumber: number;
  pageSize: number;
}

export interface Filter {
  keys: Map<string, Set<string>>;
  or: boolean;
}

/** Does an object (its filterable values by key) pass the filter? Values OR-ed; keys AND-ed or OR-ed. */
export function matches(filter: Filter, valuesOf: (key: string) => readonly (string | null)[]): boolean {
  const tests = [...filter.keys].filter(([, wanted]) => wanted.size > 0);
  if (tests.length === 0) return true;
  const pass = ([key, wanted]: [string, Set<string>]) =>
    valuesOf(key).some((v) => v !== null && wanted.has(v));
  return filter.or ? tests.some(pass) : tests.every(pass);
}

export function page<T>(items: T[], paging: Paging) {
  const start = (paging.pageNumber - 1) * paging.pageSize;
  return {
    items: items.slice(start, start + paging.pageSize),
    TotalCount: items.length,
    PageNumber: paging.pageNumber,
    PageSize: paging.pageSize,
  };
}
