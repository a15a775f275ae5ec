import { monotonicFactory } from 'ulid';

/** Ids are prefixed, lower-case ULIDs: unique without coordination, and sorted by creation time. */
const ulid = monotonicFactory();

export const newId = {
  cen: () => `cen-${ulid().toLowerCase()}`,
  bandwidthPackage: () => `cenbwp-${ulid().toLowerCase()}`,
  order: () => `order-${ulid().toLowerCase()}`,
  ticket: () => `ticket-${ulid().toLowerCase()}`,
};

const ULID = '[0-9a-hjkmnp-tv-z]{26}';
export const ID_PATTERNS = {
  cen: new RegExp(`^cen-${ULID}$`),
  bandwidthPackage: new RegExp(`^cenbwp-${ULID}$`),
  ticket: new RegExp(`^ticket-${ULID}$`),
};
