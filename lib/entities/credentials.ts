/**
 * The stored credentials: an API key (its hash is the key; lib/auth.ts) and an AccessKey of the
 * Alibaba RPC door (its secret sealed; lib/alibaba/accessKeys.ts), parsed where they are read.
 */
import { z } from 'zod';

const Role = z.enum(['tenant', 'operator']);

/** What authentication reads of an API key item (a projection). */
export const StoredApiKey = z.object({ accountId: z.string(), role: Role });

export const StoredAccessKey = z.object({
  entity: z.literal('AccessKey'),
  accessKeyId: z.string(),
  accountId: z.string(),
  role: Role,
  sealedSecret: z.string(),
  createdAt: z.string(),
});
