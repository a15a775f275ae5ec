/** The demo API keys (SPEC §5) and their quotas (rule 12). Plain data: the local stack imports it without the database client. */
export const DEMO_KEYS = [
  { apiKey: 'local-tenant-a', accountId: 'tenant-a', role: 'tenant' },
  { apiKey: 'local-tenant-b', accountId: 'tenant-b', role: 'tenant' },
  { apiKey: 'local-operator', accountId: 'operator', role: 'operator' },
] as const;

/** Each quota of the demo accounts, so that test suites and load tests on one database are not held back. */
export const DEMO_QUOTA = 10_000;
