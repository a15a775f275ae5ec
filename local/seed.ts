/** Seeds the demo API keys (idempotent). Run by the stack with its environment. */
import { seedDemo } from './demo';

seedDemo().catch((error) => {
  console.error(error);
  process.exit(1);
});
