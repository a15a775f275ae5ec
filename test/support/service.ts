/**
 * serverless.yml as data, for the tests that hold it to the route registry and the packaged
 * template. CloudFormation's short-form tags (`!GetAtt`, `!Join`, …) become their long forms, as
 * in the compiled template; YAML anchors and aliases (the IAM groups) are resolved.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CollectionTag, parse, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import { ROOT } from '../../local/stack';

const INTRINSICS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Condition',
  'Ref',
];

const cloudFormationTags = INTRINSICS.flatMap((name): (ScalarTag | CollectionTag)[] => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const collection = (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [key]: value.toJSON() });
  return [
    {
      tag: `!${name}`,
      resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }),
    },
    { tag: `!${name}`, collection: 'seq', resolve: collection },
    { tag: `!${name}`, collection: 'map', resolve: collection },
  ];
});

export type HttpApiEvent = { method: string; path: string } | '*';

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export interface FunctionDef {
  handler: string;
  events?: { httpApi?: HttpApiEvent; schedule?: unknown }[];
  iamRoleStatements?: Statement[];
}

export interface ServiceDef {
  service: string;
  provider: { runtime: string };
  functions: Record<string, FunctionDef>;
}

export function readService(): ServiceDef {
  const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  // The IAM groups are aliased once per function: more aliases than the default guard allows.
  return parse(text, { customTags: cloudFormationTags, maxAliasCount: -1 }) as ServiceDef;
}

/** Every HTTP route of a function (the public pages' function has several). */
export function httpRoutes(fn: FunctionDef): HttpApiEvent[] {
  return (fn.events ?? []).flatMap((e) => (e.httpApi === undefined ? [] : [e.httpApi]));
}

/** An API function's one HTTP route, `'*'` for the catch-all, undefined for a function with no route. */
export function httpRoute(fn: FunctionDef): HttpApiEvent | undefined {
  const events = httpRoutes(fn);
  if (events.length > 1) throw new Error(`${fn.handler}: more than one httpApi event`);
  return events[0];
}

export const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/** Statements as sorted `<action> on <resource>` lines, for one service: comparable across sources. */
export function grants(statements: Statement[], service = 'dynamodb'): string[] {
  return statements
    .flatMap((s) => actions(s).map((action) => grant(action, s.Resource)))
    .filter((line) => line.startsWith(`${service}:`))
    .sort();
}

export const grant = (action: string, resource: unknown) => `${action} on ${JSON.stringify(resource)}`;

/** The table's ARN and its indexes' ARNs, as serverless.yml and the template write them. */
export const tableArn = { 'Fn::GetAtt': ['Table', 'Arn'] };
export const indexArn = (name: string) => ({ 'Fn::Join': ['/', [tableArn, 'index', name]] });
