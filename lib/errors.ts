/**
 * The one error hierarchy of the service, and the one catalogue of its error codes. Every error a
 * client can see is an `ApiError` with a code of `ERROR_CODES` and the status the catalogue gives
 * it; anything else becomes a 500 that leaks nothing.
 *
 * Each route lists the codes its operation can answer (`errors` in lib/http/routes.ts, typed
 * `ErrorCode[]`); the pipeline adds its own (`pipelineErrors` in lib/http/api.ts); the OpenAPI
 * document takes status and description from here. test/unit/error-codes.test.ts reads the
 * handlers and checks that each route lists exactly the codes its operation can throw.
 */
export const ERROR_CODES = {
  InvalidParameter: {
    status: 400,
    description:
      'a malformed, missing, ill-typed, unknown or out-of-range field, or malformed JSON; `InvalidParameter.<Field>` names the field',
  },
  Unauthorized: { status: 401, description: 'a missing or unknown API key' },
  Forbidden: { status: 403, description: 'a tenant calling an operator action' },
  'Forbidden.Release': {
    status: 403,
    description: 'a subscription package is never deleted directly: open a DeleteBandwidthPackage ticket',
  },
  'NotFound.Cen': { status: 404, description: 'no such CEN instance in this account' },
  'NotFound.BandwidthPackage': {
    status: 404,
    description: 'no such bandwidth package in this account (also: orders of a package it never owned)',
  },
  'NotFound.Network': { status: 404, description: 'no such network attached to this CEN' },
  'NotFound.RegionConnection': { status: 404, description: 'no such region connection on this CEN' },
  'NotFound.Ticket': { status: 404, description: 'no such ticket visible to the caller' },
  'NotFound.Route': { status: 404, description: 'no such method and path' },
  'InvalidOperation.BwpBandwidthExceeded': {
    status: 409,
    description:
      'the sum rule would break: a new or larger connection, or a downgrade below the allocated sum',
  },
  'InvalidOperation.BwpForGeoSpanAlreadyAssociated': {
    status: 409,
    description: 'the CEN already has a package bound for that geographic span',
  },
  'InvalidOperation.BwpForGeoSpanNotAssociated': {
    status: 409,
    description: 'no package bound to the CEN covers the areas of the pair (or not the one given)',
  },
  'InvalidOperation.RegionConnectionExists': {
    status: 409,
    description: 'the pair already has a connection on this CEN',
  },
  'InvalidOperation.BwpBusinessStatus': {
    status: 409,
    description: 'the package is expired; renew it first',
  },
  'InvalidOperation.BwpInstanceStatus': {
    status: 409,
    description: 'the package is bound (or not bound to that CEN) where the operation needs otherwise',
  },
  'InvalidOperation.CenBandwidthLimitsNotZero': {
    status: 409,
    description: 'the package still has region connections; delete them first',
  },
  'InvalidOperation.ChildInstanceAlreadyAttached': {
    status: 409,
    description: 'the network is already attached to a CEN',
  },
  'InvalidOperation.CenInUse': { status: 409, description: 'the CEN still has networks or bound packages' },
  'InvalidOperation.TicketStatus': { status: 409, description: 'only an Open ticket can be resolved' },
  'InvalidOperation.TicketExists': {
    status: 409,
    description: 'the package already has an Open deletion ticket',
  },
  'InvalidOperation.RenewalLimitExceeded': {
    status: 409,
    description: 'the renewal would put expiresAt more than 60 months after the request',
  },
  'OperationFailed.CrossBorderDowngradeNotSupported': {
    status: 409,
    description: 'a cross-border package can only be upgraded',
  },
  'OperationFailed.OperationIsProcessing': {
    status: 409,
    description: 'a request with this Idempotency-Key is still running; retry it a moment later',
  },
  'QuotaExceeded.Cen': { status: 409, description: "the account's quota of CEN instances is reached" },
  'QuotaExceeded.BandwidthPackage': {
    status: 409,
    description: "the account's quota of bandwidth packages is reached",
  },
  'QuotaExceeded.Network': {
    status: 409,
    description: "the account's quota of attached networks is reached",
  },
  RequestTooLarge: { status: 413, description: 'the request body is larger than 16 KiB' },
  'IdempotenceParam.NotMatch': {
    status: 422,
    description: 'the Idempotency-Key was used with a different request in the last 24 hours',
  },
  'Throttling.User': { status: 429, description: 'too many requests (locally, only as an injected fault)' },
  ServiceUnavailable: {
    status: 503,
    description:
      'the database cannot be reached, or a value kept changing past the retry budget, or a write lost a race it could not resolve; nothing was written, retry',
  },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
/** A code as answered: one of the catalogue, or `InvalidParameter.<Field>` (the field named). */
export type Code = ErrorCode | `InvalidParameter.${string}`;
/** The catalogue's codes of one HTTP status. */
export type CodeOf<S extends number> = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C]['status'] extends S ? C : never;
}[ErrorCode];
type StatusOf<C extends Code> = C extends ErrorCode ? (typeof ERROR_CODES)[C]['status'] : 400;

/** The status of a code as answered, or undefined for a code the catalogue does not know. */
export function statusOf(code: string): number | undefined {
  if (/^InvalidParameter\../.test(code)) return 400;
  return Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode].status : undefined;
}

/** A code as listed per route: `InvalidParameter.<Field>` is the family `InvalidParameter`. */
export const catalogued = (code: Code): ErrorCode =>
  code.startsWith('InvalidParameter.') ? 'InvalidParameter' : (code as ErrorCode);

export class ApiError<C extends Code = Code> extends Error {
  constructor(
    readonly statusCode: StatusOf<C>,
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(requestId: string): { code: string; message: string; requestId: string } {
    return { code: this.code, message: this.message, requestId };
  }
}

/** The code of a bad parameter: `InvalidParameter.<Field>` names the field when there is one. */
export const invalidParameterCode = (field?: string): Code =>
  field ? `InvalidParameter.${field.charAt(0).toUpperCase()}${field.slice(1)}` : 'InvalidParameter';

export const invalidParameter = (field: string | undefined, message: string) =>
  new ApiError(400, invalidParameterCode(field), message);

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'A valid x-api-key header is required.');
export const forbidden = (message = 'This action is reserved to operators.') =>
  new ApiError(403, 'Forbidden', message);

/** What `notFound` names: the `NotFound.<Resource>` codes of the catalogue. */
export type Resource = { [C in ErrorCode]: C extends `NotFound.${infer R}` ? R : never }[ErrorCode];
export const notFound = (resource: Resource, id: string) =>
  new ApiError(404, `NotFound.${resource}`, `${resource} ${JSON.stringify(id)} does not exist.`);

export const conflict = (code: CodeOf<409>, message: string) => new ApiError(409, code, message);

/**
 * A retryable 503. `unreachable` says the database could not be reached at all (as opposed to a
 * busy item whose retries ran out): the expiry job stops on the first, and skips one package on
 * the second (SPEC §4).
 */
export class ServiceUnavailable extends ApiError<'ServiceUnavailable'> {
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
