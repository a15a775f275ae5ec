/**
 * `npm run create-access-key -- --account acme [--role tenant|operator]`
 * Creates an AccessKey pair for the Alibaba RPC door (SPEC §8.2) and prints
 * `{accessKeyId, accessKeySecret, accountId, role, createdAt}` once: no API returns the secret
 * again. Talks to DYNAMODB_ENDPOINT (local) or to AWS with the usual credentials.
 */
import { createAccessKey } from '../lib/alibaba/accessKeys';
import { accountArgs } from './cli';

const USAGE =
  'usage: npm run create-access-key -- --account <id> [--role tenant|operator]\n' +
  '  (local: DYNAMODB_ENDPOINT=http://localhost:8000; AWS: TABLE_NAME=cen-bandwidth-<stage>,\n' +
  '   ACCESS_KEY_ENCRYPTION_KEY as the functions have it, and credentials)';

async function main() {
  const { account, role } = accountArgs(USAGE);
  console.log(JSON.stringify(await createAccessKey({ accountId: account, role }), null, 2));
}

main().catch((error) => {
  console.error(`create-access-key failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
