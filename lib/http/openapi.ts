/**
 * The OpenAPI 3.1 description of the API, generated from the route registry and the zod schemas
 * that the handlers validate with (`z.toJSONSchema`, JSON Schema 2020-12, the dialect of OpenAPI
 * 3.1): the document cannot drift from what the code accepts and returns.
 *
 * Every schema exported by lib/schemas.ts becomes a component under its export name (query
 * schemas excepted: they are expanded into parameters). Request bodies are described as the
 * client sends them (zod's input side: defaults make a field optional), responses as the server
 * returns them (the output side).
 */
import { z } from 'zod';
import { version } from '../../package.json';
import { type Code, catalogued, ERROR_CODES, invalidParameterCode, statusOf } from '../errors';
import { IDEMPOTENCY_KEY } from '../idempotency';
import * as schemas from '../schemas';
import { pipelineErrors } from './api';
import { type Route, type RouteName, routes } from './routes';

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

const COMPONENT = '#/components/schemas/';

/** The HTTP status of an error code, from the catalogue (lib/errors.ts). */
export function statusOfCode(code: string): number {
  const status = statusOf(code);
  if (status === undefined) throw new Error(`openapi: no HTTP status known for error code ${code}`);
  return status;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Invalid parameter',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found, or owned by another account',
  409: 'Conflict with the current state of a resource',
  413: 'Request too large',
  422: 'Idempotency-Key reused with a different request',
  503: 'Service unavailable (nothing was written)',
};

/** The error codes a route can answer: those the pipeline adds (lib/http/api.ts), and its own. */
export function errorCodes(route: Route): Code[] {
  return [...new Set([...pipelineErrors(route), ...route.errors])];
}

const json = (schema: Json) => ({ 'application/json': { schema } });
const requestIdHeader = { 'x-request-id': { $ref: '#/components/headers/RequestId' } };

/** The named schemas: every zod schema lib/schemas.ts exports, except the query strings. */
const registry = z.registry<{ id: string }>();
for (const [name, value] of Object.entries(schemas)) {
  if (value instanceof z.ZodType && !name.endsWith('Query')) registry.add(value, { id: name });
}

class Builder {
  readonly components: Record<string, Json> = {};
  readonly responses: Record<string, Json> = {};

  /** A zod schema as JSON Schema; the named schemas inside it become components (`$ref`). */
  schema(zodSchema: z.ZodType, io: Io): Json {
    const {
      $schema: _,
      $defs,
      ...root
    } = z.toJSONSchema(zodSchema, {
      metadata: registry,
      io,
      unrepresentable: 'any',
      override: ({ jsonSchema }) => {
        // `.int()` bounds an integer to the safe range: true, but noise in every integer field.
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      },
    }) as Json & { $defs?: Record<string, Json> };
    for (const [id, def] of Object.entries($defs ?? {})) this.addComponent(id, relink(def) as Json);
    return relink(root) as Json;
  }

  /** An error response; one with a single code is shared between routes as a component. */
  errorResponse(status: number, codes: Code[]): Json {
    // `InvalidParameter` may carry the field it is about: `InvalidParameter.<Field>`.
    const code =
      status === 400
        ? { type: 'string', pattern: '^InvalidParameter(\\..+)?$' }
        : { type: 'string', enum: codes };
    const response = {
      description: [
        `${STATUS_TEXT[status]}.`,
        ...codes.map((c) => `- \`${c}\`: ${ERROR_CODES[catalogued(c)].description}.`),
      ].join('\n'),
      headers: requestIdHeader,
      content: json({ allOf: [{ $ref: `${COMPONENT}ErrorResource` }, { properties: { code } }] }),
    };
    if (codes.length > 1) return response;
    const name = codes[0]!.replaceAll('.', '');
    this.responses[name] = response;
    return { $ref: `#/components/responses/${name}` };
  }

  private addComponent(id: string, def: Json) {
    const known = this.components[id];
    if (known && JSON.stringify(known) !== JSON.stringify(def)) {
      throw new Error(`openapi: schema ${id} differs between requests and responses; name each side`);
    }
    this.components[id] = def;
  }
}

/** zod writes references as `#/$defs/<id>`; in the document they live in components. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === '$ref' && typeof v === 'string' ? [k, v.replace('#/$defs/', COMPONENT)] : [k, relink(v)],
    ),
  );
}

const TAGS: Record<string, string> = {
  areas: 'Catalogue',
  regions: 'Catalogue',
  cens: 'CEN instances',
  'bandwidth-packages': 'Bandwidth packages',
  tickets: 'Tickets',
  accounts: 'Accounts',
  quotas: 'Accounts',
  'openapi.json': 'API description',
};

function operation(b: Builder, name: RouteName, route: Route): Json {
  const pathParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  const declared = Object.keys(route.params);
  if (pathParams.join() !== declared.join()) {
    throw new Error(`openapi: ${name}: path ${route.path} and params [${declared}] disagree`);
  }
  const parameters: Json[] = pathParams.map((param) => {
    const declaredParam = route.params[param]!;
    return {
      name: param,
      in: 'path',
      required: true,
      description:
        'field' in declaredParam
          ? `A malformed one is 400 ${invalidParameterCode(declaredParam.field)}.`
          : `A malformed id names nothing: 404 NotFound.${declaredParam.resource}.`,
      schema: { type: 'string', pattern: declaredParam.pattern.source },
    };
  });
  const query = b.schema(route.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
  for (const [param, schema] of Object.entries(query.properties ?? {})) {
    parameters.push({ name: param, in: 'query', required: query.required?.includes(param) ?? false, schema });
  }
  const mutates = route.method === 'POST' || route.method === 'PATCH';
  if (mutates) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });

  const responses: Record<string, Json> = {};
  if (route.status === 204) {
    responses['204'] = { description: 'Done', headers: requestIdHeader };
  } else {
    const schema = route.response ? b.schema(route.response, 'output') : { type: 'object' };
    responses[String(route.status)] = {
      description: 'Success',
      headers: requestIdHeader,
      content: json(schema),
    };
  }
  const byStatus = new Map<number, Code[]>();
  for (const code of errorCodes(route)) {
    const status = statusOfCode(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    responses[String(status)] = b.errorResponse(status, codes);
  }

  const segment = route.path.split('/')[1] ?? '';
  return {
    operationId: name,
    summary: route.summary,
    ...(route.role === 'operator' ? { description: 'Operators only; a tenant key gets 403 Forbidden.' } : {}),
    tags: [TAGS[segment] ?? segment],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: json(b.schema(route.body, 'input')) } } : {}),
    responses,
  };
}

function build(): Json {
  const b = new Builder();
  const paths: Record<string, Record<string, Json>> = {};
  for (const [name, route] of Object.entries(routes) as [RouteName, Route][]) {
    if (route.path === '*') continue; // the catch-all 404 of unknown routes is no operation
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(b, name, route);
  }
  // Resources no route names directly (the error body is referenced by hand) still belong here.
  b.schema(schemas.ErrorResource, 'output');
  return {
    openapi: '3.1.1',
    info: {
      title: 'CEN Bandwidth Service',
      version,
      description:
        'Control plane for Cloud Enterprise Network bandwidth packages: buy packages for a pair of ' +
        'areas, bind them to CEN instances, and allocate cross-region bandwidth from them. Every ' +
        'request carries an API key in `x-api-key`; lists take `limit` and `nextToken`; errors are ' +
        '`{code, message, requestId}`. POST and PATCH accept an `Idempotency-Key` header.',
    },
    security: [{ apiKey: [] }],
    tags: [...new Set(Object.values(TAGS))].map((tag) => ({ name: tag })),
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'A repeat with the same key and body within 24 hours returns the first response and ' +
            'changes nothing; the same key with another body is 422; a repeat while the first ' +
            'runs is 409 OperationFailed.OperationIsProcessing.',
          schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
        },
      },
      responses: sorted(b.responses),
      headers: {
        RequestId: {
          description: 'The request id, also in error bodies and logs',
          schema: { type: 'string' },
        },
      },
      schemas: sorted(b.components),
    },
  };
}

const sorted = (record: Record<string, Json>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

let document: Json | undefined;

/** The document (built once per container). */
export function openApiDocument(): Json {
  document ??= build();
  return document;
}
