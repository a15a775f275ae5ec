/**
 * `nextToken` is the DynamoDB start key of the next page, base64url-encoded. A token is only
 * accepted for the query that produced it: its partition key must be the one being queried, so a
 * forged token cannot walk another account's items (and cannot reach DynamoDB as a 500).
 */
import { invalidParameter } from '../errors';

export type StartKey = Record<string, string>;

export function encodeToken(key: StartKey | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeToken(
  token: string | undefined,
  expected: { attr: string; value: string; keys: string[] },
) {
  if (token === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidParameter('nextToken', 'nextToken is not a token this API issued.');
  }
  const ok =
    key !== null &&
    typeof key === 'object' &&
    !Array.isArray(key) &&
    Object.keys(key).length === expected.keys.length &&
    expected.keys.every((k) => typeof (key as StartKey)[k] === 'string') &&
    (key as StartKey)[expected.attr] === expected.value;
  if (!ok) throw invalidParameter('nextToken', 'nextToken is not a token this API issued for this list.');
  return key as StartKey;
}
