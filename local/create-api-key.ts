/**
 * `npm run create-api-key -- --account acme --role tenant [--key <key>] [--name <label>]`
 * Stores a key (only its SHA-256) for an account and prints it. Without --key a random 256-bit
 * key is generated. Talks to DYNAMODB_ENDPOINT (local) or to AWS with the usual credentials.
 */
import { createApiKey } from '../lib/auth';
import { accountArgs } from './cli';

const USAGE =
  'usage: npm run create-api-key -- --account <id> [--role tenant|operator] [--key <key>] [--name <label>]\n' +
  '  (local: DYNAMODB_ENDPOINT=http://localhost:8000; AWS: TABLE_NAME=cen-bandwidth-<stage> and credentials)';

async function main() {
  const values = accountArgs(USAGE, ['key', 'name']);
  const apiKey = await createApiKey({
    accountId: values.account,
    role: values.role,
    apiKey: values.key,
    name: values.name,
  });
  console.log(apiKey);
}

main().catch((error) => {
  console.error(`create-api-key failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
