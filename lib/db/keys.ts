/**
 * The key design of the single table. Every item has generic `PK`/`SK` (and, where it is listed,
 * `GSI1PK`/`GSI1SK`, `GSI2PK`/`GSI2SK`, or `DuePK`/`DueSK`) and an `entity` attribute.
 *
 * Tenant isolation is part of the keys: every tenant-owned item's partition key starts with
 * `ACCT#<accountId>#`, and the account always comes from the authenticated API key, never from
 * the request. Another account's resource therefore cannot be named, read or written: it is
 * indistinguishable from an absent one. (Tickets are the one global entity, because operators
 * act on every account's tickets; they carry `accountId` and are checked against it.)
 *
 * A CEN's partition holds the CEN item, its span bindings and its region connections, so that
 * the rules that span them read one partition strongly consistently. A package's partition holds
 * the package and its orders, so that orders outlive the package. See docs/data-model.md.
 */

import { instant } from '../time';

export type Key = { PK: string; SK: string };

const acct = (accountId: string) => `ACCT#${accountId}`;

export const keys = {
  apiKey: (hash: string): Key => ({ PK: `APIKEY#${hash}`, SK: 'APIKEY' }),

  /** Rule 12: the account's usage counters and its own quotas, if set (lib/accounts.ts). */
  account: (accountId: string): Key => ({ PK: acct(accountId), SK: 'ACCOUNT' }),

  cen: (accountId: string, cenId: string): Key => ({ PK: `${acct(accountId)}#CEN#${cenId}`, SK: 'CEN' }),
  /** GSI1: the account's CENs, in creation order. */
  censOfAccount: (accountId: string) => `${acct(accountId)}#CENS`,

  network: (accountId: string, networkId: string): Key => ({
    PK: `${acct(accountId)}#NET#${networkId}`,
    SK: 'NET',
  }),
  /** GSI1: the networks attached to a CEN. */
  networksOfCen: (accountId: string, cenId: string) => `${acct(accountId)}#CEN#${cenId}#NETS`,

  /** Rule 2: at most one package per geographic span per CEN; the item exists while one is bound. */
  binding: (accountId: string, cenId: string, spanId: string): Key => ({
    PK: `${acct(accountId)}#CEN#${cenId}`,
    SK: `SPAN#${spanId}`,
  }),

  /** Rule 3: at most one connection per unordered region pair per CEN (regions in sorted order). */
  connection: (accountId: string, cenId: string, regionLow: string, regionHigh: string): Key => ({
    PK: `${acct(accountId)}#CEN#${cenId}`,
    SK: `CONN#${regionLow}#${regionHigh}`,
  }),
  connectionPrefix: 'CONN#',

  bandwidthPackage: (accountId: string, packageId: string): Key => ({
    PK: `${acct(accountId)}#BWP#${packageId}`,
    SK: 'BWP',
  }),
  /** GSI1: the account's packages. */
  packagesOfAccount: (accountId: string) => `${acct(accountId)}#BWPS`,
  /** GSI2: the packages bound to a CEN (present only while bound). */
  packagesOfCen: (accountId: string, cenId: string) => `${acct(accountId)}#CEN#${cenId}#BWPS`,

  order: (accountId: string, packageId: string, orderId: string): Key => ({
    PK: `${acct(accountId)}#BWP#${packageId}`,
    SK: `ORDER#${orderId}`,
  }),
  orderPrefix: 'ORDER#',

  ticket: (ticketId: string): Key => ({ PK: `TICKET#${ticketId}`, SK: 'TICKET' }),
  /** GSI1: one account's tickets. */
  ticketsOfAccount: (accountId: string) => `${acct(accountId)}#TICKETS`,
  /** GSI2: every ticket, for operators. */
  allTickets: 'TICKETS',

  idempotency: (accountId: string, keyHash: string): Key => ({
    PK: `${acct(accountId)}#IDEM#${keyHash}`,
    SK: 'IDEM',
  }),

  /** An AccessKey of the Alibaba RPC door (SPEC §8.2), by its AccessKeyId. */
  accessKey: (accessKeyId: string): Key => ({ PK: `ACCESSKEY#${accessKeyId}`, SK: 'ACCESSKEY' }),
  /** A SignatureNonce seen from an AccessKeyId (SPEC §8.1); the item lapses with the window. */
  nonce: (accessKeyId: string, nonceHash: string): Key => ({
    PK: `NONCE#${accessKeyId}#${nonceHash}`,
    SK: 'NONCE',
  }),

  /**
   * DueIndex (sparse): a package is in it while a transition is due some day. `DuePK` spreads
   * packages over a few shards so that no index partition runs hot; `DueSK` starts with the kind
   * of transition and the instant it falls due, so the job reads exactly the due ones with a range
   * condition. `E#<expiresAt>` for a Normal package (expiry or auto-renewal), `R#<expiredAt>` for
   * an Expired one (release, once the grace period, which stays configurable, has passed).
   *
   * The instant is written as zero-padded epoch milliseconds, not as the ISO string: DynamoDB
   * compares sort keys as strings, and only a fixed-width number makes that comparison the order
   * of instants for every year (ISO strings of years past 9999 are `+010042-…`, which sorts first).
   */
  dueShard: (shard: number) => `DUE#${shard}`,
  dueExpiry: (expiresAt: string, packageId: string) => `E#${dueInstant(expiresAt)}#${packageId}`,
  dueRelease: (expiredAt: string, packageId: string) => `R#${dueInstant(expiredAt)}#${packageId}`,
};

/** An instant as 16 zero-padded digits of epoch milliseconds (every valid JavaScript date fits). */
function dueInstant(iso: string): string {
  return String(Math.max(0, instant(iso))).padStart(16, '0');
}

/** A stable shard for an id (FNV-1a), so a package stays in one shard all its life. */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
