/** Seeds the demo API keys (idempotent). Run by the stack with its environment. */
import { createApiKey, type Role } from '../lib/auth';
import { DEMO_KEYS } from './stack';

async function main() {
  for (const key of DEMO_KEYS) await createApiKey({ ...key, role: key.role as Role, name: 'demo' });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
