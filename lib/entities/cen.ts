/**
 * The stored CEN partition: the CEN item and its span bindings, and the rules that are conditions
 * on them (rule 2: one package per span per CEN; rule 10: a CEN in use cannot be deleted), each
 * one named builder.
 */
import { z } from 'zod';
import { TABLE, type TransactItem } from '../db/client';
import { and, conditionOf, expr, updateOf } from '../db/expression';
import { keys } from '../db/keys';
import { CenResource, NetworkResource } from '../schemas';

export const StoredCen = CenResource.extend({
  PK: z.string(),
  SK: z.literal('CEN'),
  entity: z.literal('Cen'),
  accountId: z.string(),
  /** Rule 10 guards deletion on these (moved with attach/detach and bind/unbind). */
  networkCount: z.number(),
  packageCount: z.number(),
});
export type StoredCen = z.infer<typeof StoredCen>;

/** A network attached to a CEN (one item per network id: attached to at most one CEN). */
export const StoredNetwork = NetworkResource.extend({
  PK: z.string(),
  SK: z.literal('NET'),
  entity: z.literal('Network'),
  accountId: z.string(),
});

export const StoredBinding = z.object({
  PK: z.string(),
  SK: z.string(),
  entity: z.literal('Binding'),
  accountId: z.string(),
  cenId: z.string(),
  geographicSpanId: z.string(),
  bandwidthPackageId: z.string(),
});
export type StoredBinding = z.infer<typeof StoredBinding>;

/** The CEN exists (a write to an absent key would create a stray item). */
export const cenExists = () => expr('attribute_exists(PK)');

/** Rule 10: a CEN with no attached network and no bound package. */
export const cenUnused = () => expr('networkCount = :zero AND packageCount = :zero', { ':zero': 0 });

/** Rule 2: the span of this CEN has no bound package yet (the binding item exists while bound). */
export const spanFree = () => expr('attribute_not_exists(PK)');

/** Rule 2, the other way: the span is bound to this package (unbind, release). */
export const spanBoundTo = (packageId: string) => expr('bandwidthPackageId = :id', { ':id': packageId });

/** Bind: the binding item (rule 2), and the CEN counting the package (rule 10). */
export function bindItems(accountId: string, packageId: string, spanId: string, cenId: string) {
  return {
    binding: {
      Put: {
        TableName: TABLE,
        Item: {
          ...keys.binding(accountId, cenId, spanId),
          entity: 'Binding',
          accountId,
          cenId,
          geographicSpanId: spanId,
          bandwidthPackageId: packageId,
        } satisfies StoredBinding,
        ...conditionOf(spanFree()),
      },
    },
    cen: countPackages(accountId, cenId, 1),
  } satisfies Record<string, TransactItem>;
}

/** Unbind (or release): the binding item goes, and the CEN counts one package fewer. */
export function unbindItems(accountId: string, packageId: string, spanId: string, cenId: string) {
  const bound = spanBoundTo(packageId);
  return {
    binding: {
      Delete: {
        TableName: TABLE,
        Key: keys.binding(accountId, cenId, spanId),
        ...conditionOf(bound),
      },
    },
    cen: countPackages(accountId, cenId, -1),
  } satisfies Record<string, TransactItem>;
}

/**
 * Move one of the CEN's child counters (rule 10 guards deletion on them), in the transaction that
 * attaches or detaches a network, or binds or unbinds a package; the CEN must exist.
 */
const countChildren =
  (counter: 'packageCount' | 'networkCount') =>
  (accountId: string, cenId: string, by: 1 | -1): TransactItem => ({
    Update: updateOf(
      TABLE,
      keys.cen(accountId, cenId),
      { add: [expr(`${counter} :by`, { ':by': by })] },
      cenExists(),
    ),
  });

export const countPackages = countChildren('packageCount');
export const countNetworks = countChildren('networkCount');

/** Rule 10: delete the CEN only when unused. */
export const deleteCenItem = (accountId: string, cenId: string): TransactItem => {
  const condition = and(cenExists(), cenUnused());
  return {
    Delete: {
      TableName: TABLE,
      Key: keys.cen(accountId, cenId),
      ...conditionOf(condition),
    },
  };
};
