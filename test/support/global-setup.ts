import type { TestProject } from 'vitest/node';
import { freePort, type Stack, startStack } from '../../local/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    lambdaUrl: string;
    dbUrl: string;
    tableName: string;
    functionPrefix: string;
  }
}

let stack: Stack | undefined;

export async function setup(project: TestProject) {
  stack = await startStack({
    apiPort: await freePort(),
    lambdaPort: await freePort(),
    dbPort: await freePort(),
    stage: 'test',
    env: { LOG_LEVEL: 'warn', GRACE_PERIOD_DAYS: '15' },
    output: process.env.STACK_LOG ? (line) => console.log(line) : undefined,
  });
  project.provide('apiUrl', stack.apiUrl);
  project.provide('lambdaUrl', stack.lambdaUrl);
  project.provide('dbUrl', stack.dbUrl);
  project.provide('tableName', stack.tableName);
  project.provide('functionPrefix', `cen-bandwidth-${stack.stage}-`);
}

export async function teardown() {
  await stack?.stop();
}
