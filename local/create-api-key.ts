/**
 * `npm run create-api-key -- --account acme --role tenant [--key <key>] [--name <label>]`
 * Stores a key (only its SHA-256) for an account and prints it. Without --key a random 256-bit
 * key is generated. Talks to DYNAMODB_ENDPOINT (local) or to AWS with the usual credentials.
 */
import { parseArgs } from 'node:util';
import { createApiKey, type Role } from '../lib/auth';

const USAGE =
  'usage: npm run create-api-key -- --account <id> [--role tenant|operator] [--key <key>] [--name <label>]\n' +
  '  (local: DYNAMODB_ENDPOINT=http://localhost:8000; AWS: TABLE_NAME=cen-bandwidth-<stage> and credentials)';

function args() {
  try {
    return parseArgs({
      options: {
        account: { type: 'string' },
        role: { type: 'string', default: 'tenant' },
        key: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    process.exit(2);
  }
}

async function main() {
  const values = args();
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.account || (values.role !== 'tenant' && values.role !== 'operator')) {
    console.error(USAGE);
    process.exit(2);
  }
  const apiKey = await createApiKey({
    accountId: values.account,
    role: values.role as Role,
    apiKey: values.key,
    name: values.name,
  });
  console.log(apiKey);
}

main().catch((error) => {
  console.error(`create-api-key failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
