/** Seeds the demo API keys and AccessKey pairs (idempotent). Run by the stack with its environment. */
import { seedDemoAccessKeys } from '../lib/alibaba/accessKeys';
import { createApiKey, type Role } from '../lib/auth';
import { DEMO_KEYS } from './stack';

async function main() {
  for (const key of DEMO_KEYS) await createApiKey({ ...key, role: key.role as Role, name: 'demo' });
  await seedDemoAccessKeys();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
