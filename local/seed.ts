/** Seeds the demo API keys and quotas (idempotent; lib/demo.ts). Run by the stack with its environment. */
import { seedDemo } from '../lib/demo';

seedDemo().catch((error) => {
  console.error(error);
  process.exit(1);
});
