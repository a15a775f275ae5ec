/**
 * Each route lists exactly the error codes its operation can answer: no code thrown that the
 * route does not list (or the pipeline add), no code listed that nothing throws.
 *
 * "Can throw" is read from the source with the TypeScript parser, not by running anything: from
 * functions/<route>.ts, every top-level function or constant of lib/ that the code names is
 * followed (through imports), transitively, and every error it builds with a helper of
 * lib/errors.ts gives a code (`conflict('X', …)` is X, `notFound('Cen', …)` is NotFound.Cen, …).
 * It over-approximates on purpose: naming a helper counts every code the helper can throw, on
 * every branch. It does not follow calls through object properties (`effect.lost()`, a hook):
 * the one such call that throws, the idempotency record lost to a repeat, is the pipeline's 409
 * below. Codes the pipeline adds by the shape of the route (lib/http/api.ts,
 * `pipelineErrors`: 400, 401, 503, and 403/404/413/409/422 by role, path ids, body and method)
 * need not be listed; the pipeline itself, lib/errors.ts and the local emulator's faults
 * (lib/emulator: not part of the deployed API) are not walked. `InvalidParameter.<Field>` counts
 * as the family `InvalidParameter`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type QuotaKind, quotaCode } from '../../lib/accounts';
import * as errors from '../../lib/errors';
import { ApiError, catalogued, conflict, ERROR_CODES, type ErrorCode, notFound } from '../../lib/errors';
import { pipelineErrors } from '../../lib/http/api';
import { type Route, type RouteName, routes } from '../../lib/http/routes';

const ROOT = resolve(__dirname, '../..');

/** Not walked: the error builders (read at their calls), the pipeline, the local emulator. */
const NOT_WALKED = ['lib/errors.ts', 'lib/http/api.ts', 'lib/emulator/'];

/** The code each builder of lib/errors.ts gives, from the arguments of its call. */
const BUILDERS: Record<string, (args: readonly ts.Expression[]) => string | undefined> = {
  conflict: (args) => text(args[0]),
  notFound: (args) => prefixed('NotFound.', text(args[0])),
  invalidParameter: () => 'InvalidParameter',
  forbidden: () => 'Forbidden',
  unauthorized: () => 'Unauthorized',
  serviceUnavailable: () => 'ServiceUnavailable',
  ServiceUnavailable: () => 'ServiceUnavailable',
  ApiError: (args) => text(args[1]),
};

/**
 * Helpers whose code an argument chooses (a quota's kind): the code is read from that argument at
 * each call, and the helper's own body, where the code is a variable, is not walked.
 */
const CHOSEN_BY_ARGUMENT: Record<string, { arg: number; code: (value: string) => string }> = {
  'lib/accounts.ts#withQuota': { arg: 1, code: (kind) => quotaCode(kind as QuotaKind) },
  'lib/accounts.ts#quotaExceeded': { arg: 0, code: (kind) => quotaCode(kind as QuotaKind) },
};

const text = (node: ts.Expression | undefined) =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;
const prefixed = (prefix: string, value: string | undefined) => value && prefix + value;

interface Module {
  file: string;
  source: ts.SourceFile;
  /** Top-level functions, constants and classes, by name. */
  declared: Map<string, ts.Node>;
  /** Imported (or re-exported) names: the module and the name there. */
  imported: Map<string, { file: string; name: string }>;
  /** `import * as x`: the module. */
  namespaces: Map<string, string>;
}

const modules = new Map<string, Module>();

function load(file: string): Module {
  const known = modules.get(file);
  if (known) return known;
  const source = ts.createSourceFile(
    file,
    readFileSync(join(ROOT, file), 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const m: Module = { file, source, declared: new Map(), imported: new Map(), namespaces: new Map() };
  for (const statement of source.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      m.declared.set(statement.name.text, statement);
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) m.declared.set(d.name.text, d);
      }
    } else if (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) {
      const from = localModule(file, statement.moduleSpecifier);
      if (!from) continue;
      const bindings = ts.isImportDeclaration(statement)
        ? statement.importClause?.namedBindings
        : statement.exportClause;
      if (bindings && ts.isNamespaceImport(bindings)) m.namespaces.set(bindings.name.text, from);
      else if (bindings && (ts.isNamedImports(bindings) || ts.isNamedExports(bindings))) {
        for (const e of bindings.elements) {
          m.imported.set(e.name.text, { file: from, name: (e.propertyName ?? e.name).text });
        }
      }
    }
  }
  modules.set(file, m);
  return m;
}

/** The repository path of a relative import, or undefined for a package or a non-code file. */
function localModule(file: string, specifier: ts.Expression | undefined): string | undefined {
  const spec = text(specifier);
  if (!spec?.startsWith('.')) return undefined;
  const base = relative(ROOT, resolve(ROOT, dirname(file), spec));
  return [`${base}.ts`, join(base, 'index.ts')].find((f) => existsSync(join(ROOT, f)));
}

/** Where a name used in a module is declared, following imports and re-exports. */
function declaration(file: string, name: string): { file: string; name: string; node: ts.Node } | undefined {
  const m = load(file);
  const node = m.declared.get(name);
  if (node) return { file, name, node };
  const from = m.imported.get(name);
  return from && declaration(from.file, from.name);
}

interface Found {
  codes: Set<string>;
  /** Errors built with a code the analysis cannot read: each must be made readable. */
  unreadable: string[];
}

/**
 * What each declaration reached from the current handler can throw. A fresh map per handler: in a
 * cycle the inner call sees the outer one's codes so far only, but all of them reach the handler.
 */
let walked = new Map<string, Found>();

/** Every code a top-level declaration can throw, with what it names, transitively. */
function codesOf(file: string, name: string, node: ts.Node): Found {
  const key = `${file}#${name}`;
  const known = walked.get(key);
  if (known) return known;
  const found: Found = { codes: new Set(), unreadable: [] };
  walked.set(key, found);
  if (!NOT_WALKED.some((prefix) => file.startsWith(prefix)) && !CHOSEN_BY_ARGUMENT[key]) {
    visit(load(file), node, found);
  }
  return found;
}

function visit(m: Module, node: ts.Node, found: Found): void {
  const follow = (target: { file: string; name: string; node: ts.Node } | undefined) => {
    if (!target) return;
    const inner = codesOf(target.file, target.name, target.node);
    for (const code of inner.codes) found.codes.add(code);
    found.unreadable.push(...inner.unreadable);
  };
  if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
    const callee = ts.isIdentifier(node.expression) ? declaration(m.file, node.expression.text) : undefined;
    const args = node.arguments ?? [];
    const where = () => `${m.file}:${m.source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
    if (callee?.file === 'lib/errors.ts' && BUILDERS[callee.name]) {
      const code = BUILDERS[callee.name]!(args);
      if (code) found.codes.add(code);
      else found.unreadable.push(`${where()} ${node.getText().slice(0, 60)}`);
    }
    const chosen = callee && CHOSEN_BY_ARGUMENT[`${callee.file}#${callee.name}`];
    if (chosen) {
      const value = text(args[chosen.arg]);
      if (value) found.codes.add(chosen.code(value));
      else found.unreadable.push(`${where()} ${node.getText().slice(0, 60)}`);
    }
  }
  if (ts.isPropertyAccessExpression(node)) {
    // `x.y` names y only when x is a module (`import * as x`); otherwise only x is a name here.
    const ns = ts.isIdentifier(node.expression) ? m.namespaces.get(node.expression.text) : undefined;
    if (ns) follow(declaration(ns, node.name.text));
    else visit(m, node.expression, found);
    return;
  }
  if (ts.isPropertyAssignment(node))
    visit(m, node.initializer, found); // not the key
  else if (ts.isIdentifier(node)) follow(declaration(m.file, node.text));
  else ts.forEachChild(node, (child) => visit(m, child, found));
}

/** The codes a route's handler can throw, as its route lists them. */
function thrownBy(name: RouteName): Found {
  const file = `functions/${name}.ts`;
  walked = new Map();
  const found = codesOf(file, '(handler file)', load(file).source);
  return {
    codes: new Set([...found.codes].map((c) => catalogued(c as ErrorCode))),
    unreadable: found.unreadable,
  };
}

const entries = Object.entries(routes) as [RouteName, Route][];

describe('the error codes of each route', () => {
  it('reads every builder lib/errors.ts exports', () => {
    const builders = Object.entries(errors).filter(([, value]) => typeof value === 'function');
    const others = ['statusOf', 'catalogued', 'invalidParameterCode'];
    expect(
      builders
        .map(([name]) => name)
        .filter((n) => !others.includes(n))
        .sort(),
    ).toEqual(Object.keys(BUILDERS).sort());
  });

  for (const [name, route] of entries) {
    it(`${name}: lists exactly what its operation can throw`, () => {
      const { codes, unreadable } = thrownBy(name);
      expect(unreadable, 'errors built with a code the analysis cannot read').toEqual([]);
      for (const code of codes) expect(Object.hasOwn(ERROR_CODES, code), code).toBe(true);
      const pipeline = new Set<string>(pipelineErrors(route).map(catalogued));
      const listed = new Set<string>(route.errors);
      expect({
        thrownNotListed: [...codes].filter((c) => !listed.has(c) && !pipeline.has(c)).sort(),
        listedNeverThrown: [...listed].filter((c) => !codes.has(c)).sort(),
      }).toEqual({ thrownNotListed: [], listedNeverThrown: [] });
    });
  }

  it('takes only catalogue codes, each with its status (tsc checks the lines marked)', () => {
    // @ts-expect-error a code the catalogue does not have
    expect(conflict('OperationFaild', 'typo').statusCode).toBe(409);
    // @ts-expect-error a catalogue code of another status than conflict's 409
    conflict('NotFound.Cen', 'wrong status');
    // @ts-expect-error a resource with no NotFound code
    notFound('Teapot', 'x');
    // @ts-expect-error a status the catalogue does not give this code
    new ApiError(409, 'ServiceUnavailable', 'wrong status');
    const route: Pick<Route, 'errors'> = {
      // @ts-expect-error a route may list only catalogue codes
      errors: ['NotFound.Teapot'],
    };
    expect(route.errors).toHaveLength(1);
  });

  it('finds codes through helpers and imports (the analysis is not blind)', () => {
    // deleteCen names conflict(...) and notFound(...) inline; createConnection reaches its codes
    // through helpers of lib/connections.ts; createCen its quota through withQuota's argument.
    expect([...thrownBy('deleteCen').codes]).toEqual(
      expect.arrayContaining(['NotFound.Cen', 'InvalidOperation.CenInUse']),
    );
    expect([...thrownBy('createConnection').codes]).toContain('InvalidOperation.BwpBandwidthExceeded');
    expect([...thrownBy('createCen').codes]).toContain('QuotaExceeded.Cen');
    expect([...thrownBy('createCen').codes]).not.toContain('QuotaExceeded.Network');
  });
});
