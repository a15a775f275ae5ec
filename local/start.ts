/**
 * `npm start`: the whole service on this machine. DynamoDB Local (in memory, or in a folder with
 * --db-path), the table, the demo keys, and every endpoint and the schedule through
 * serverless-offline. Ctrl-C stops every child process.
 */

import { parseArgs } from 'node:util';
import { DEMO_ACCESS_KEYS } from '../lib/alibaba/accessKeys';
import { DEMO_KEYS, javaVersion, type Stack, startStack } from './stack';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.API_PORT ?? '3000' },
    'lambda-port': { type: 'string', default: process.env.LAMBDA_PORT ?? '3002' },
    'dynamodb-port': { type: 'string', default: process.env.DYNAMODB_PORT ?? '8000' },
    'db-path': { type: 'string' },
    stage: { type: 'string', default: 'dev' },
    'hot-reload': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm start -- [--port 3000] [--lambda-port 3002] [--dynamodb-port 8000]
                 [--db-path .dynamodb] [--stage dev] [--hot-reload] [--quiet]`);
  process.exit(0);
}

async function main() {
  const java = javaVersion();
  if (!java) {
    console.error(
      'DynamoDB Local needs Java 17 or newer, and `java` was not found.\n' +
        'Install it, e.g. on Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y openjdk-17-jre-headless',
    );
    process.exit(1);
  }
  const started = Date.now();
  let stack: Stack | undefined;
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    await stack?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  stack = await startStack({
    apiPort: Number(values.port),
    lambdaPort: Number(values['lambda-port']),
    dbPort: Number(values['dynamodb-port']),
    stage: values.stage,
    dbPath: values['db-path'],
    hotReload: values['hot-reload'],
    output: values.quiet ? undefined : (line) => console.log(line),
  });
  const fn = `cen-bandwidth-${stack.stage}-expireSubscriptions`;
  console.log(`
CEN Bandwidth Service is up (${((Date.now() - started) / 1000).toFixed(1)} s; ${java})
  API              ${stack.apiUrl.replace('127.0.0.1', 'localhost')}
  Console          ${stack.apiUrl.replace('127.0.0.1', 'localhost')}/console/   (API reference: /docs/)
  Lambda invoke    ${stack.lambdaUrl.replace('127.0.0.1', 'localhost')}/2015-03-31/functions/${fn}/invocations
  Local controls   ${stack.apiUrl.replace('127.0.0.1', 'localhost')}/_local/health  (clock, faults, reset, snapshot: docs/local.md)
  DynamoDB Local   ${stack.dbUrl.replace('127.0.0.1', 'localhost')}  (table ${stack.tableName}, ${values['db-path'] ? `data in ${values['db-path']}` : 'in memory'})
  Mode             ${values['hot-reload'] ? 'worker threads, hot reload' : 'in-process (fast; restart to pick up code changes)'}

Demo API keys (x-api-key):
${DEMO_KEYS.map((k) => `  ${k.apiKey.padEnd(16)} account ${k.accountId.padEnd(9)} role ${k.role}`).join('\n')}

  curl -H 'x-api-key: local-tenant-a' ${stack.apiUrl.replace('127.0.0.1', 'localhost')}/areas

Demo AccessKey pairs (Alibaba's CEN API at /, docs/alibaba-api.md):
${DEMO_ACCESS_KEYS.map((k) => `  ${k.accessKeyId.padEnd(20)} ${k.accessKeySecret.padEnd(22)} account ${k.accountId}`).join('\n')}

Ctrl-C stops everything.`);
}

main().catch(async (error) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
