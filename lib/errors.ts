/**
 * The one error hierarchy of the service. Every error a client can see is an `ApiError` with the
 * HTTP status and the code of the spec; anything else becomes a 500 that leaks nothing.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(requestId: string): { code: string; message: string; requestId: string } {
    return { code: this.code, message: this.message, requestId };
  }
}

export const invalidParameter = (field: string | undefined, message: string) =>
  new ApiError(400, field ? `InvalidParameter.${pascal(field)}` : 'InvalidParameter', message);

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'A valid x-api-key header is required.');
export const forbidden = (message = 'This action is reserved to operators.') =>
  new ApiError(403, 'Forbidden', message);

export type Resource = 'Cen' | 'BandwidthPackage' | 'Network' | 'RegionConnection' | 'Ticket' | 'Route';
export const notFound = (resource: Resource, id: string) =>
  new ApiError(404, `NotFound.${resource}`, `${resource} ${JSON.stringify(id)} does not exist.`);

export const conflict = (code: string, message: string) => new ApiError(409, code, message);

/**
 * A retryable 503. `unreachable` says the database could not be reached at all (as opposed to a
 * busy item whose retries ran out): the expiry job stops on the first, and skips one package on
 * the second (SPEC §4).
 */
export class ServiceUnavailable extends ApiError {
  constructor(
    message: string,
    readonly unreachable = false,
  ) {
    super(503, 'ServiceUnavailable', message);
  }
}

export const serviceUnavailable = (
  message = 'The service is temporarily unavailable; retry the request.',
  unreachable = false,
) => new ServiceUnavailable(message, unreachable);

function pascal(field: string): string {
  return field.charAt(0).toUpperCase() + field.slice(1);
}
