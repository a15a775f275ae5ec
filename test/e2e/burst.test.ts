import { describe, expect, it } from 'vitest';
import { newTenant } from '../support/fixtures';
import { api } from '../support/http';

describe('the local stack under a burst', () => {
  it('completes 200 concurrent requests with no timeout, no 5xx and no error disguised as a 200', async () => {
    const t = await newTenant();
    const c = api(t.apiKey);
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 ? c.get('/areas') : c.post('/cens', { name: `burst-${i}` }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(
      replies.filter((_, i) => i % 2).every((r) => r.status === 200 && Array.isArray(r.body.areas)),
    ).toBe(true);
    expect(replies.filter((_, i) => i % 2 === 0).every((r) => r.status === 201 && r.body.cenId)).toBe(true);

    const ids = new Set<string>();
    let nextToken: string | undefined;
    do {
      const page = await c.get('/cens', { query: { limit: 100, ...(nextToken ? { nextToken } : {}) } });
      for (const cen of page.body.items) ids.add(cen.cenId);
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(ids.size).toBe(100);
  });
});
