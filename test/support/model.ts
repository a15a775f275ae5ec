/**
 * A reference model of the spec's rules (SPEC §2.3), in memory, for the model-based test: what
 * every operation should answer, and what state it should leave. It takes the values only the
 * server can know (ids, createdAt, the clock of a renewal) from the server's responses.
 */
import {
  type AreaId,
  areaOf,
  geographicSpanId,
  isCrossBorder,
  orderedPair,
  type RegionId,
} from '../../lib/catalogue';
import { addDays, addMonths } from '../../lib/time';

export interface MPackage {
  id: string;
  areaA: AreaId;
  areaB: AreaId;
  span: string;
  crossBorder: boolean;
  bandwidthMbps: number;
  cenId: string | null;
  businessStatus: 'Normal' | 'Expired';
  expiresAt: string;
  expiredAt: string | null;
  autoRenew: boolean;
  autoRenewPeriod: number;
  orders: string[];
}

export interface MConnection {
  bandwidthMbps: number;
  packageId: string;
}

export type Outcome = { status: number; code?: string };

export class Model {
  packages = new Map<string, MPackage>();
  /** `${cenId}|${span}` → package id */
  bindings = new Map<string, string>();
  /** `${cenId}|${low}_${high}` → connection */
  connections = new Map<string, MConnection>();
  /** Packages released or deleted: their orders stay readable. */
  gone = new Map<string, string[]>();
  clock: string;

  constructor(
    readonly cens: string[],
    readonly graceDays: number,
    now: string,
  ) {
    this.clock = now;
  }

  allocated(id: string): number {
    let sum = 0;
    for (const c of this.connections.values()) if (c.packageId === id) sum += c.bandwidthMbps;
    return sum;
  }

  connectionCount(id: string): number {
    return [...this.connections.values()].filter((c) => c.packageId === id).length;
  }

  purchase(areaA: AreaId, areaB: AreaId, cenId: string | null): Outcome {
    if (cenId && this.bindings.has(`${cenId}|${geographicSpanId(areaA, areaB)}`)) {
      return { status: 409, code: 'InvalidOperation.BwpForGeoSpanAlreadyAssociated' };
    }
    return { status: 201 };
  }

  addPackage(p: Omit<MPackage, 'span' | 'crossBorder' | 'orders'>): void {
    const span = geographicSpanId(p.areaA, p.areaB);
    this.packages.set(p.id, {
      ...p,
      span,
      crossBorder: isCrossBorder(p.areaA, p.areaB),
      orders: ['Purchase'],
    });
    if (p.cenId) this.bindings.set(`${p.cenId}|${span}`, p.id);
  }

  bind(id: string, cenId: string): Outcome {
    const p = this.packages.get(id);
    if (!p) return { status: 404, code: 'NotFound.BandwidthPackage' };
    if (p.cenId) return { status: 409, code: 'InvalidOperation.BwpInstanceStatus' };
    if (p.businessStatus === 'Expired') return { status: 409, code: 'InvalidOperation.BwpBusinessStatus' };
    if (this.bindings.has(`${cenId}|${p.span}`)) {
      return { status: 409, code: 'InvalidOperation.BwpForGeoSpanAlreadyAssociated' };
    }
    p.cenId = cenId;
    this.bindings.set(`${cenId}|${p.span}`, id);
    return { status: 200 };
  }

  unbind(id: string, cenId: string): Outcome {
    const p = this.packages.get(id);
    if (!p) return { status: 404, code: 'NotFound.BandwidthPackage' };
    if (p.cenId !== cenId) return { status: 409, code: 'InvalidOperation.BwpInstanceStatus' };
    if (this.connectionCount(id) > 0)
      return { status: 409, code: 'InvalidOperation.CenBandwidthLimitsNotZero' };
    this.bindings.delete(`${cenId}|${p.span}`);
    p.cenId = null;
    return { status: 200 };
  }

  changeBandwidth(id: string, mbps: number): Outcome {
    const p = this.packages.get(id);
    if (!p) return { status: 404, code: 'NotFound.BandwidthPackage' };
    if (p.businessStatus === 'Expired') return { status: 409, code: 'InvalidOperation.BwpBusinessStatus' };
    if (mbps === p.bandwidthMbps) return { status: 200 };
    if (mbps < p.bandwidthMbps) {
      if (p.crossBorder) return { status: 409, code: 'OperationFailed.CrossBorderDowngradeNotSupported' };
      if (mbps < this.allocated(id)) return { status: 409, code: 'InvalidOperation.BwpBandwidthExceeded' };
      p.orders.push('Downgrade');
    } else {
      p.orders.push('Upgrade');
    }
    p.bandwidthMbps = mbps;
    return { status: 200 };
  }

  /** Renewal: the server's clock decides the start for an expired package; `serverNow` bounds it. */
  renew(id: string, _months: number): Outcome {
    const p = this.packages.get(id);
    if (!p) return { status: 404, code: 'NotFound.BandwidthPackage' };
    return { status: 200 };
  }

  applyRenewal(id: string, months: number, responseExpiresAt: string): string | undefined {
    const p = this.packages.get(id)!;
    p.orders.push('Renewal');
    if (p.businessStatus === 'Normal') {
      const expected = addMonths(p.expiresAt, months);
      p.expiresAt = expected;
      return responseExpiresAt === expected
        ? undefined
        : `renewal: expiresAt ${responseExpiresAt} ≠ ${expected}`;
    }
    p.businessStatus = 'Normal';
    p.expiredAt = null;
    p.expiresAt = responseExpiresAt; // from the time of renewal, which only the server knows
    return undefined;
  }

  createConnection(cenId: string, a: RegionId, b: RegionId, mbps: number): Outcome {
    const [low, high] = orderedPair(a, b);
    const span = geographicSpanId(areaOf(low), areaOf(high));
    const pkgId = this.bindings.get(`${cenId}|${span}`);
    if (!pkgId) return { status: 409, code: 'InvalidOperation.BwpForGeoSpanNotAssociated' };
    if (this.connections.has(`${cenId}|${low}_${high}`)) {
      return { status: 409, code: 'InvalidOperation.RegionConnectionExists' };
    }
    const p = this.packages.get(pkgId)!;
    if (p.businessStatus === 'Expired') return { status: 409, code: 'InvalidOperation.BwpBusinessStatus' };
    if (this.allocated(pkgId) + mbps > p.bandwidthMbps) {
      return { status: 409, code: 'InvalidOperation.BwpBandwidthExceeded' };
    }
    this.connections.set(`${cenId}|${low}_${high}`, { bandwidthMbps: mbps, packageId: pkgId });
    return { status: 201 };
  }

  updateConnection(cenId: string, a: RegionId, b: RegionId, mbps: number): Outcome {
    const [low, high] = orderedPair(a, b);
    const c = this.connections.get(`${cenId}|${low}_${high}`);
    if (!c) return { status: 404, code: 'NotFound.RegionConnection' };
    const p = this.packages.get(c.packageId)!;
    const delta = mbps - c.bandwidthMbps;
    if (delta > 0) {
      if (p.businessStatus === 'Expired') return { status: 409, code: 'InvalidOperation.BwpBusinessStatus' };
      if (this.allocated(p.id) + delta > p.bandwidthMbps) {
        return { status: 409, code: 'InvalidOperation.BwpBandwidthExceeded' };
      }
    }
    c.bandwidthMbps = mbps;
    return { status: 200 };
  }

  deleteConnection(cenId: string, a: RegionId, b: RegionId): Outcome {
    const [low, high] = orderedPair(a, b);
    if (!this.connections.delete(`${cenId}|${low}_${high}`))
      return { status: 404, code: 'NotFound.RegionConnection' };
    return { status: 204 };
  }

  /** Approval of a deletion ticket (rule 9). */
  approveDeletion(id: string): Outcome {
    const p = this.packages.get(id);
    if (!p) return { status: 404, code: 'NotFound.BandwidthPackage' };
    if (this.connectionCount(id) > 0)
      return { status: 409, code: 'InvalidOperation.CenBandwidthLimitsNotZero' };
    if (p.cenId) return { status: 409, code: 'InvalidOperation.BwpInstanceStatus' };
    this.packages.delete(id);
    this.gone.set(id, p.orders);
    return { status: 200 };
  }

  /** The scheduled job at time `now` (rule 8). Returns the counts it should report. */
  expire(now: string) {
    this.clock = now;
    const counts = { expired: 0, autoRenewed: 0, released: 0 };
    for (const p of [...this.packages.values()]) {
      if (p.businessStatus === 'Normal' && p.expiresAt <= now) {
        if (p.autoRenew) {
          while (p.expiresAt <= now) {
            p.expiresAt = addMonths(p.expiresAt, p.autoRenewPeriod);
            p.orders.push('AutoRenewal');
          }
          counts.autoRenewed++;
        } else {
          p.businessStatus = 'Expired';
          p.expiredAt = now;
          counts.expired++;
        }
      } else if (p.businessStatus === 'Expired' && addDays(p.expiredAt!, this.graceDays) <= now) {
        for (const [key, c] of this.connections) if (c.packageId === p.id) this.connections.delete(key);
        if (p.cenId) this.bindings.delete(`${p.cenId}|${p.span}`);
        this.packages.delete(p.id);
        this.gone.set(p.id, p.orders);
        counts.released++;
      }
    }
    return counts;
  }
}
