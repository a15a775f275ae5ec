/**
 * The CloudFormation template that `serverless package` produces, offline and with no AWS
 * credentials: the table, the runtime, the schedule, and one least-privilege role per function.
 * The service is packaged from a copy of the tree, so that packaging (which deletes its esbuild
 * work folder when done) never touches the bundle a running local stack serves from.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Route, routes, staticRoutes } from '../../lib/http/routes';
import { buildWeb } from '../../local/build-web';
import { ROOT } from '../../local/stack';
import {
  actions,
  type FunctionDef,
  grant,
  grants,
  httpRoute,
  httpRoutes,
  indexArn,
  readService,
  type Statement,
  tableArn,
} from '../support/service';

type Json = Record<string, any>;
type Resource = { Type: string; Properties: Json; DependsOn?: unknown; DeletionPolicy?: string };

const service = readService();
const functions = Object.entries(service.functions);
let resources: Record<string, Resource>;
let templateText: string;
let packagedFiles: string[];
let artifact: Buffer;
const isStatic = (name: string) => Object.hasOwn(staticRoutes, name);

const lambdaId = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
function roleOf(fnName: string): { id: string; statements: Statement[] } {
  const fn = resources[lambdaId(fnName)];
  if (!fn) throw new Error(`no Lambda function ${lambdaId(fnName)} in the template`);
  const id = fn.Properties.Role['Fn::GetAtt'][0] as string;
  const role = resources[id]!;
  return { id, statements: role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) };
}

const table = tableArn;
const index = indexArn;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cen-package-'));
  const tree = join(dir, 'service');
  // local/ holds the emulator plugin that serverless.yml lists (it adds nothing when packaging).
  for (const entry of ['serverless.yml', 'package.json', 'tsconfig.json', 'functions', 'lib', 'local']) {
    cpSync(join(ROOT, entry), join(tree, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'dir');
  await buildWeb(join(tree, 'dist', 'web')); // as `npm run package` does first
  // The environment of a clean shell: nothing of the test stack (endpoint, table, keys) may leak
  // into the template through `${env:...}`.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, SLS_TELEMETRY_DISABLED: '1' };
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'osls', 'bin', 'serverless.js'),
      'package',
      '--stage',
      'prod',
      '--package',
      join(dir, 'out'),
    ],
    { cwd: tree, env, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
  );
  templateText = readFileSync(join(dir, 'out', 'cloudformation-template-update-stack.json'), 'utf8');
  resources = JSON.parse(templateText).Resources;
  const zips = readdirSync(join(dir, 'out')).filter((f) => f.endsWith('.zip'));
  packagedFiles = zips.flatMap((zip) => zipEntries(readFileSync(join(dir, 'out', zip))));
  artifact = readFileSync(join(dir, 'out', 'cen-bandwidth.zip'));
}, 320_000);

/** The file names in a zip: its central directory's entries (signature PK\x01\x02). */
function zipEntries(zip: Buffer): string[] {
  const names: string[] = [];
  for (let at = zip.indexOf(CENTRAL); at >= 0; at = zip.indexOf(CENTRAL, at + 46)) {
    const length = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + length));
  }
  return names;
}
const CENTRAL = Buffer.from([0x50, 0x4b, 0x01, 0x02]);

describe('the packaged CloudFormation template', () => {
  it('has the table with its three indexes, point-in-time recovery and TTL on ttl', () => {
    const [[id, t]] = ofType('AWS::DynamoDB::Table') as [[string, Resource]];
    expect(id).toBe('Table');
    expect(t.DeletionPolicy).toBe('Retain');
    expect(t.Properties.TableName).toBe('cen-bandwidth-prod');
    expect(t.Properties.BillingMode).toBe('PAY_PER_REQUEST');
    expect(t.Properties.GlobalSecondaryIndexes.map((i: Json) => i.IndexName)).toEqual([
      'GSI1',
      'GSI2',
      'DueIndex',
    ]);
    expect(t.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(t.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('runs every function on the declared runtime, one AWS supports past 2026', () => {
    expect(['nodejs22.x', 'nodejs24.x']).toContain(service.provider.runtime);
    const lambdas = ofType('AWS::Lambda::Function');
    expect(lambdas).toHaveLength(functions.length);
    for (const [id, fn] of lambdas) expect(fn.Properties.Runtime, id).toBe(service.provider.runtime);
    for (const [id, fn] of lambdas)
      expect(fn.Properties.Environment.Variables.DYNAMODB_ENDPOINT, id).toBe('');
  });

  it('exports handlers the runtime accepts: async, with no callback parameter', async () => {
    // nodejs24.x no longer runs callback-style handlers (event, context, callback).
    for (const [name] of functions) {
      const { handler } = (await import(join(ROOT, 'functions', `${name}.ts`))) as {
        handler: (...args: never) => unknown;
      };
      expect(handler.constructor.name, name).toBe('AsyncFunction');
      expect(handler.length, name).toBeLessThanOrEqual(2);
    }
  });

  it('gives each function a role of its own', () => {
    const roles = functions.map(([name]) => roleOf(name).id);
    expect(new Set(roles).size).toBe(functions.length);
    expect(roles).not.toContain('IamRoleLambdaExecution');
    // The framework's shared role is still generated; it grants nothing on the table.
    const shared = resources.IamRoleLambdaExecution;
    if (shared) {
      const statements = shared.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
      expect(grants(statements)).toEqual([]);
    }
  });

  it('grants each function exactly the DynamoDB actions serverless.yml declares for it', () => {
    for (const [name, fn] of functions) {
      expect(fn.iamRoleStatements, `${name} declares no iamRoleStatements`).toBeDefined();
      expect(grants(roleOf(name).statements), name).toEqual(grants(fn.iamRoleStatements!));
    }
  });

  it('grants nothing broad: no wildcard, no scan, only the table and its named indexes', () => {
    const allowed = [table, index('GSI1'), index('GSI2'), index('DueIndex')].map((r) => JSON.stringify(r));
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      for (const policy of role.Properties.Policies) {
        for (const s of policy.PolicyDocument.Statement as Statement[]) {
          for (const action of actions(s)) {
            expect(action, id).toMatch(/^(logs|dynamodb):[A-Za-z]+$/);
            expect(action, id).not.toMatch(/Scan|Batch|PartiQL|\*/);
            if (action.startsWith('dynamodb:'))
              expect(allowed, `${id} ${action}`).toContain(JSON.stringify(s.Resource));
          }
        }
      }
      expect(role.Properties.ManagedPolicyArns ?? [], id).toEqual([]);
    }
  });

  it('lets every HTTP function authenticate, and every POST and PATCH keep its idempotency record', () => {
    for (const [name, fn] of functions) {
      if (isStatic(name)) continue;
      const event = httpRoute(fn);
      if (event === undefined) continue;
      const granted = grants(roleOf(name).statements);
      const onTable = (action: string) => grant(`dynamodb:${action}`, table);
      expect(granted, name).toContain(onTable('GetItem'));
      // The RPC door (not in the registry) writes on every action: nonces, idempotency, the domain.
      const route = (routes as Record<string, Route>)[name];
      if (!route || route.method === 'POST' || route.method === 'PATCH') {
        expect(granted, name).toEqual(
          expect.arrayContaining(['PutItem', 'UpdateItem', 'DeleteItem'].map(onTable)),
        );
      }
    }
  });

  it('runs each scheduled function from an EventBridge rule at the prod rate', () => {
    const scheduled = functions.filter(([, fn]) => (fn.events ?? []).some((e) => e.schedule !== undefined));
    // expireSubscriptions is the one scheduled job (SPEC §4).
    expect(scheduled.map(([name]) => name)).toEqual(['expireSubscriptions']);
    const due = grants(roleOf('expireSubscriptions').statements);
    expect(due).toContain(grant('dynamodb:Query', index('DueIndex')));
    const rules = ofType('AWS::Events::Rule');
    expect(rules).toHaveLength(scheduled.length);
    for (const [name] of scheduled as [string, FunctionDef][]) {
      const rule = rules.find(([, r]) =>
        r.Properties.Targets.some((t: Json) => t.Arn?.['Fn::GetAtt']?.[0] === lambdaId(name)),
      );
      expect(rule, `no rule runs ${name}`).toBeDefined();
      expect(rule![1].Properties.ScheduleExpression, name).toBe('rate(5 minutes)');
      expect(rule![1].Properties.State ?? 'ENABLED', name).toBe('ENABLED');
    }
  });

  it('routes every HTTP function through the HTTP API, the catch-all as $default', () => {
    const keys = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string);
    const expected = functions.flatMap(([, fn]) =>
      httpRoutes(fn).map((event) =>
        event === '*'
          ? '$default'
          : `${event.method === '*' ? 'ANY' : event.method.toUpperCase()} ${event.path}`,
      ),
    );
    expect(keys.sort()).toEqual(expected.sort());
    expect(keys).toEqual(expect.arrayContaining(['GET /console/{proxy+}', 'GET /docs/{proxy+}']));
  });

  it('serves the public pages from a function with a role of its own that reaches no table', () => {
    for (const name of Object.keys(staticRoutes)) {
      const { id, statements } = roleOf(name);
      expect(id, name).not.toBe('IamRoleLambdaExecution');
      expect(grants(statements), name).toEqual([]);
      // Its logs, and nothing else.
      for (const s of statements) for (const action of actions(s)) expect(action, name).toMatch(/^logs:/);
    }
  });

  it('packages the built console and API reference beside the handlers', () => {
    for (const file of [
      'dist/web/console/index.html',
      'dist/web/docs/index.html',
      'functions/serveConsole.js',
    ]) {
      expect(artifact.includes(Buffer.from(file)), file).toBe(true);
    }
  });

  it('holds none of the local emulator: no /_local route, no function, role or setting of it', () => {
    expect(templateText).not.toMatch(/_local|localControls|LocalControls|LOCAL_EMULATOR/);
    const names = ofType('AWS::Lambda::Function').map(([id]) => id);
    expect(names.sort()).toEqual(functions.map(([name]) => lambdaId(name)).sort());
    expect(packagedFiles.length).toBeGreaterThan(0);
    expect(packagedFiles.filter((f) => /local|emulator-plugin/i.test(f))).toEqual([]);
  });
});
