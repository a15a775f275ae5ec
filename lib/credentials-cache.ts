/**
 * The per-container cache of credential lookups (API keys, AccessKeys): a hit for
 * API_KEY_CACHE_SECONDS, a miss for 2 s, so the hot path of a busy function reads nothing to
 * authenticate, and a revoked or new credential takes effect within that time.
 */
import { config } from './config';

const NEGATIVE_CACHE_MS = 2_000;
const MAX_ENTRIES = 10_000;

export function credentialsCache<V>() {
  const entries = new Map<string, { value: V | null; until: number }>();
  return async (id: string, load: () => Promise<V | null>): Promise<V | null> => {
    const now = Date.now();
    const hit = entries.get(id);
    if (hit && hit.until > now) return hit.value;
    const value = await load();
    if (entries.size > MAX_ENTRIES) entries.clear();
    entries.set(id, { value, until: now + (value ? config.apiKeyCacheSeconds * 1000 : NEGATIVE_CACHE_MS) });
    return value;
  };
}
