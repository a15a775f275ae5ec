/**
 * The common-parameter checks of SPEC §8.1, in its order (the first failing one answers):
 * missing → unsupported/malformed → unknown AccessKeyId → signature → timestamp window (wall
 * clock) → nonce (a conditional write) → version → action. Nothing before the nonce writes; the
 * nonce is recorded behind a write fence (nonces.ts), and answers before anything after it.
 */
import type { Principal } from '../auth';
import { findAccessKey } from './accessKeys';
import { invalid, missing, RpcError } from './errors';
import { type Nonce, WINDOW_MS } from './nonces';
import type { Params } from './params';
import { sign, signaturesMatch, stringToSign } from './signature';

export const API_VERSION = '2017-09-12';

const REQUIRED = [
  'Action',
  'Version',
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'Timestamp',
] as const;

/** Common parameters: never an action's own (ClientToken fingerprints leave them out). */
export const COMMON = new Set<string>([
  ...REQUIRED,
  'Format',
  'SignatureType',
  'RegionId',
  'OwnerId',
  'OwnerAccount',
  'ResourceOwnerId',
  'ResourceOwnerAccount',
  'SecurityToken',
]);

const NONCE = /^[\x20-\x7e]{1,128}$/;
const ACCESS_KEY_ID = /^[\x21-\x7e]{1,128}$/;

/** `YYYY-MM-DDThh:mm:ssZ`, a real UTC instant; its epoch milliseconds, or undefined. */
export function parseTimestamp(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(text)) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || new Date(ms).toISOString() !== `${text.slice(0, 19)}.000Z`) return undefined;
  return ms;
}

export interface Verified {
  principal: Principal;
  action: string;
  /** The nonce to record, behind the action's write fence (nonces.ts `fenced`). */
  nonce: Nonce;
}

export async function verify(method: string, params: Params): Promise<Verified> {
  for (const name of REQUIRED) if (!params[name]) throw missing(name);

  if (params.SignatureMethod !== 'HMAC-SHA1') {
    throw invalid(undefined, `SignatureMethod ${params.SignatureMethod} is not supported; use HMAC-SHA1.`);
  }
  if (params.SignatureVersion !== '1.0') {
    throw invalid(undefined, `SignatureVersion ${params.SignatureVersion} is not supported; use 1.0.`);
  }
  if (params.Format !== undefined && params.Format.toUpperCase() !== 'JSON') {
    throw invalid(undefined, `Format ${params.Format} is not supported; JSON is the only format.`);
  }
  if (params.SignatureType)
    throw invalid(undefined, `SignatureType ${params.SignatureType} is not supported.`);
  if (params.SecurityToken !== undefined) {
    throw invalid(undefined, 'SecurityToken (STS) is not supported; sign with an AccessKey pair.');
  }
  if (!NONCE.test(params.SignatureNonce!)) {
    throw invalid(undefined, 'SignatureNonce must be 1-128 printable ASCII characters.');
  }
  const timestamp = parseTimestamp(params.Timestamp!);
  if (timestamp === undefined) {
    throw new RpcError(
      400,
      'InvalidTimeStamp.Format',
      `Timestamp ${params.Timestamp} is not YYYY-MM-DDThh:mm:ssZ in UTC.`,
    );
  }

  // An id no pair can have is not looked up (nor can it make a key DynamoDB refuses).
  const key = ACCESS_KEY_ID.test(params.AccessKeyId!) ? await findAccessKey(params.AccessKeyId!) : undefined;
  if (!key) throw new RpcError(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.');

  const expected = sign(method, params, key.accessKeySecret);
  // Base64 has no space: a `+` sent unencoded in a query string arrives as one.
  if (!signaturesMatch(params.Signature!.replace(/ /g, '+'), expected)) {
    throw new RpcError(
      400,
      'SignatureDoesNotMatch',
      `Specified signature is not matched with our calculation. server string to sign is:${stringToSign(method, params)}`,
      'Sign every parameter but Signature with HMAC-SHA1 and AccessKeySecret + "&" (signature version 1.0).',
    );
  }

  // The wall clock, never the simulated clock of the local controls: signatures age in real time.
  if (Math.abs(Date.now() - timestamp) > WINDOW_MS) {
    throw new RpcError(
      400,
      'InvalidTimeStamp.Expired',
      `Timestamp ${params.Timestamp} is more than 15 minutes away from the server time ${new Date().toISOString()}.`,
      'Check the clock of the client.',
    );
  }
  // From here on the nonce check answers first: fenced() records it before anything is answered.
  const nonce = { accessKeyId: key.accessKeyId, nonce: params.SignatureNonce!, timestampMs: timestamp };
  return { principal: { accountId: key.accountId, role: key.role }, action: params.Action!, nonce };
}

/** The checks after the nonce's: the version, then the action. */
export function checkVersion(params: Params): void {
  if (params.Version !== API_VERSION) {
    throw new RpcError(
      400,
      'InvalidVersion',
      `Specified parameter Version ${params.Version} is not valid; use ${API_VERSION}.`,
    );
  }
}
