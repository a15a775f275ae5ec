import { createWriteStream, mkdtempSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, type Stack, startStack } from '../../local/stack';

declare module 'vitest' {
  export interface ProvidedContext {
    apiUrl: string;
    lambdaUrl: string;
    dbUrl: string;
    tableName: string;
    functionPrefix: string;
    /** Everything the stack printed (request logs included), for the log-hygiene checks. */
    stackLog: string;
  }
}

let stack: Stack | undefined;
let logStream: WriteStream | undefined;

export async function setup(project: TestProject) {
  const stackLog = join(mkdtempSync(join(tmpdir(), 'cen-stack-')), 'stack.log');
  logStream = createWriteStream(stackLog);
  stack = await startStack({
    apiPort: await freePort(),
    lambdaPort: await freePort(),
    dbPort: await freePort(),
    stage: 'test',
    env: { LOG_LEVEL: 'info', GRACE_PERIOD_DAYS: '15' },
    output: (line) => {
      logStream?.write(`${line}\n`);
      if (process.env.STACK_LOG) console.log(line);
    },
  });
  project.provide('stackLog', stackLog);
  project.provide('apiUrl', stack.apiUrl);
  project.provide('lambdaUrl', stack.lambdaUrl);
  project.provide('dbUrl', stack.dbUrl);
  project.provide('tableName', stack.tableName);
  project.provide('functionPrefix', `cen-bandwidth-${stack.stage}-`);
}

export async function teardown() {
  await stack?.stop();
  logStream?.end();
}
