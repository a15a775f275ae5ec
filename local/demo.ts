/**
 * The demo data of a local stack: the demo API keys that `npm start` seeds and
 * `POST /_local/reset` restores. Importing this module does nothing; `seedDemo()` writes.
 */
import { createApiKey, type Role } from '../lib/auth';
import { DEMO_KEYS } from './demo-keys';

/** Store the demo keys (idempotent). */
export async function seedDemo(): Promise<void> {
  for (const key of DEMO_KEYS) await createApiKey({ ...key, role: key.role as Role, name: 'demo' });
}
