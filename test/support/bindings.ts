/**
 * The binding invariants (rules 2, 5 and 10) checked on the table itself, for the package and
 * ticket tests: after any number of racing binds, unbinds, purchases and approvals, an account's
 * items must agree with each other.
 */
import { keys } from '../../lib/db/keys';
import { accountItems } from './fixtures';

type Item = Record<string, unknown>;

/** Every disagreement between an account's packages, bindings and CEN counters; [] when sound. */
export async function bindingViolations(accountId: string): Promise<string[]> {
  const items = await accountItems(accountId);
  const packages = items.filter((i) => i.entity === 'BandwidthPackage');
  const bindings = items.filter((i) => i.entity === 'Binding');
  const cens = items.filter((i) => i.entity === 'Cen');
  const out: string[] = [];

  // Rule 2: per CEN and span, at most one binding item and at most one package bound.
  const perSpan = new Map<string, { bindings: Item[]; packages: Item[] }>();
  const slot = (cenId: unknown, span: unknown) => {
    const key = `${cenId}|${span}`;
    if (!perSpan.has(key)) perSpan.set(key, { bindings: [], packages: [] });
    return perSpan.get(key)!;
  };
  for (const b of bindings) slot(b.cenId, b.geographicSpanId).bindings.push(b);
  for (const p of packages) if (p.cenId !== null) slot(p.cenId, p.geographicSpanId).packages.push(p);
  for (const [key, s] of perSpan) {
    if (s.bindings.length !== 1) out.push(`${key}: ${s.bindings.length} binding items`);
    if (s.packages.length !== 1) out.push(`${key}: ${s.packages.length} packages bound`);
    const [b, p] = [s.bindings[0], s.packages[0]];
    if (b && p && b.bandwidthPackageId !== p.bandwidthPackageId) {
      out.push(`${key}: binding names ${b.bandwidthPackageId}, bound package is ${p.bandwidthPackageId}`);
    }
  }

  // Rule 5: a package is InUse exactly when it has a CEN, and is then listed under that CEN.
  for (const p of packages) {
    const id = p.bandwidthPackageId;
    if ((p.status === 'InUse') !== (p.cenId !== null))
      out.push(`${id}: status ${p.status}, cenId ${p.cenId}`);
    const gsi2 = p.cenId === null ? undefined : keys.packagesOfCen(accountId, String(p.cenId));
    if (p.GSI2PK !== gsi2) out.push(`${id}: GSI2PK ${p.GSI2PK}, expected ${gsi2}`);
  }

  // Rule 10: each CEN counts exactly the packages bound to it.
  for (const c of cens) {
    const bound = packages.filter((p) => p.cenId === c.cenId).length;
    const bound2 = bindings.filter((b) => b.cenId === c.cenId).length;
    if (c.packageCount !== bound || bound !== bound2) {
      out.push(`${c.cenId}: packageCount ${c.packageCount}, ${bound} packages bound, ${bound2} bindings`);
    }
  }
  for (const b of bindings) {
    if (!cens.some((c) => c.cenId === b.cenId)) out.push(`binding on absent CEN ${b.cenId}`);
  }
  return out;
}
