/** The demo API keys (SPEC §5). Plain data: the local stack imports it without the database client. */
export const DEMO_KEYS = [
  { apiKey: 'local-tenant-a', accountId: 'tenant-a', role: 'tenant' },
  { apiKey: 'local-tenant-b', accountId: 'tenant-b', role: 'tenant' },
  { apiKey: 'local-operator', accountId: 'operator', role: 'operator' },
] as const;
