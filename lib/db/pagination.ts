/**
 * `nextToken`s are opaque and tamper-evident (SPEC §3 "Pagination tokens"): the DynamoDB start key
 * of the next page, and an HMAC-SHA256 over it and the list it belongs to — the index, the
 * partition (which holds the account), the sort-key prefix and the filters. A token is accepted
 * only by the list that issued it, unedited: an edited, truncated or forged token, or one from
 * another list, filter or account, is 400 `InvalidParameter.NextToken` before any read, so no
 * crafted start key ever reaches DynamoDB (where a malformed one would be a 500) and no token
 * opens another partition. `limit` is not part of the scope: it may change between pages.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { config } from '../config';
import { invalidParameter } from '../errors';

export type StartKey = Record<string, string>;

/** What a token is bound to: everything that selects the list's items, the account included. */
export type Scope = Record<string, unknown>;

const MAX_TOKEN_CHARS = 2_048;

const mac = (scope: Scope, payload: string) =>
  createHmac('sha256', config.paginationSecret)
    .update(JSON.stringify(scope))
    .update('\n')
    .update(payload)
    .digest();

export function encodeToken(scope: Scope, key: StartKey): string {
  const payload = Buffer.from(JSON.stringify(key)).toString('base64url');
  return `${payload}.${mac(scope, payload).toString('base64url')}`;
}

const refused = () =>
  invalidParameter('nextToken', 'nextToken is not a token this API issued for this list.');

/** The start key of a token this list issued; 400 for anything else. */
export function decodeToken(
  scope: Scope,
  token: string | undefined,
  keyAttrs: string[],
): StartKey | undefined {
  if (token === undefined) return undefined;
  if (token.length > MAX_TOKEN_CHARS) throw refused();
  const [payload, signature, ...rest] = token.split('.');
  if (!payload || !signature || rest.length > 0) throw refused();
  const expected = mac(scope, payload);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw refused();
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw refused();
  }
  // Signed by us, so well-formed; checked anyway, as the last line before DynamoDB.
  const ok =
    key !== null &&
    typeof key === 'object' &&
    !Array.isArray(key) &&
    Object.keys(key).length === keyAttrs.length &&
    keyAttrs.every((k) => typeof (key as StartKey)[k] === 'string');
  if (!ok) throw refused();
  return key as StartKey;
}
