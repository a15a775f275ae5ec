/**
 * Alibaba Cloud RPC signature, version 1.0 (HMAC-SHA1), exactly as SPEC §8.1 gives it: every
 * parameter but `Signature`, sorted by key in byte order, each key and value percent-encoded as
 * UTF-8 per RFC 3986, joined as the canonicalized query string; then
 * `METHOD&%2F&percentEncode(CQS)`, signed with `AccessKeySecret + "&"`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 3986: `A-Z a-z 0-9 - _ . ~` stay; every other UTF-8 byte is `%XX`, upper-case hex. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Byte order of the UTF-8 encodings (not UTF-16 code-unit order, which differs above U+FFFF). */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export function canonicalQueryString(params: Record<string, string>): string {
  return Object.keys(params)
    .filter((key) => key !== 'Signature')
    .sort(byBytes)
    .map((key) => `${percentEncode(key)}=${percentEncode(params[key]!)}`)
    .join('&');
}

export function stringToSign(method: string, params: Record<string, string>): string {
  return `${method}&${percentEncode('/')}&${percentEncode(canonicalQueryString(params))}`;
}

export function hmacSha1(text: string, key: string): string {
  return createHmac('sha1', key).update(text, 'utf8').digest('base64');
}

export function sign(method: string, params: Record<string, string>, accessKeySecret: string): string {
  return hmacSha1(stringToSign(method, params), `${accessKeySecret}&`);
}

/** Constant-time comparison of a sent signature with the expected one. */
export function signaturesMatch(sent: string, expected: string): boolean {
  const a = Buffer.from(sent, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // The length of a base64 HMAC-SHA1 is public (28); only equal lengths are compared in time.
  return a.length === b.length && timingSafeEqual(a, b);
}
