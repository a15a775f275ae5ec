/**
 * The demo state that `npm start` seeds and `POST /_local/reset` restores (SPEC §2.3 rule 12, §5,
 * §8.2): three API keys, their three AccessKey pairs and, for their accounts, quotas of 10,000 each, so that test suites and load tests sharing one local database
 * are not held back by the defaults. Idempotent, and free of side effects at import, so the local
 * stack's seeding script and a Lambda that restores the demo state can both call `seedDemo()`.
 */
import { QUOTA_KINDS, type QuotaKind, setQuotas } from './accounts';
import { seedDemoAccessKeys } from './alibaba/accessKeys';
import { createApiKey } from './auth';
import { DEMO_KEYS, DEMO_QUOTA } from './demo-keys';

export { DEMO_KEYS, DEMO_QUOTA };

export async function seedDemo(): Promise<void> {
  const quotas = Object.fromEntries(QUOTA_KINDS.map((kind) => [kind, DEMO_QUOTA])) as Record<
    QuotaKind,
    number
  >;
  for (const key of DEMO_KEYS) {
    await createApiKey({ ...key, name: 'demo' });
    await setQuotas(key.accountId, quotas);
  }
  // The same accounts' AccessKey pairs, for Alibaba's own clients (SPEC §8.2).
  await seedDemoAccessKeys();
}
