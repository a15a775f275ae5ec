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

export const serviceUnavailable = (message = 'The service is temporarily unavailable; retry the request.') =>
  new ApiError(503, 'ServiceUnavailable', message);

function pascal(field: string): string {
  return field.charAt(0).toUpperCase() + field.slice(1);
}
