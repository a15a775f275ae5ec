/**
 * Errors of the RPC door and the mapping of the domain's REST errors onto Alibaba's codes
 * (SPEC §8.5). The body is `{RequestId, HostId, Code, Message, Recommend}`, all strings.
 */
import { ApiError } from '../errors';

export class RpcError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly recommend = '',
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export const missing = (name: string) =>
  new RpcError(400, `Missing${name}`, `${name} is mandatory for this action.`);

export const invalid = (name: string | undefined, message: string) =>
  new RpcError(400, name ? `InvalidParameter.${name}` : 'InvalidParameter', message);

/** Alibaba documents no one not-found code: these are what its Terraform provider reads as "gone". */
const NOT_FOUND: Record<string, string> = {
  'NotFound.Cen': 'ParameterCenInstanceId',
  'NotFound.BandwidthPackage': 'ParameterBwpInstanceId',
  'NotFound.Network': 'ParameterInstanceId',
  'NotFound.RegionConnection': 'ParameterInstanceId',
};

/** Refusals Alibaba answers with 400 whatever their REST status; the one exception is 409. */
const KEEP_409 = new Set(['InvalidOperation.BwpForGeoSpanAlreadyAssociated']);

export function fromApiError(error: ApiError): RpcError {
  const notFound = NOT_FOUND[error.code];
  if (notFound) return new RpcError(404, notFound, error.message);
  if (error.code.startsWith('InvalidParameter')) return new RpcError(400, 'InvalidParameter', error.message);
  if (KEEP_409.has(error.code)) return new RpcError(409, error.code, error.message);
  if (error.statusCode === 409 || error.statusCode === 422 || error.statusCode === 429) {
    return new RpcError(400, error.code, error.message);
  }
  // 403 Forbidden.Release, 413 RequestTooLarge, 503 ServiceUnavailable keep code and status.
  return new RpcError(error.statusCode, error.code, error.message);
}

export function toRpcError(error: unknown): RpcError | undefined {
  if (error instanceof RpcError) return error;
  if (error instanceof ApiError) return fromApiError(error);
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new RpcError(503, 'ServiceUnavailable', 'The request timed out; retry it.');
  }
  return undefined;
}
