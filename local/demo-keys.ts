/** The demo API keys of a local stack (printed by `npm start`, listed in the README). */
export const DEMO_KEYS = [
  { apiKey: 'local-tenant-a', accountId: 'tenant-a', role: 'tenant' },
  { apiKey: 'local-tenant-b', accountId: 'tenant-b', role: 'tenant' },
  { apiKey: 'local-operator', accountId: 'operator', role: 'operator' },
] as const;
