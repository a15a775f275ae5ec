import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '../../local/stack';
import { invoke } from '../support/invoke';

// Each handler module reads its configuration once, at import; re-import them against a port
// where nothing listens, as a Lambda would see a database it cannot reach.
describe('when DynamoDB cannot be reached', () => {
  const saved = process.env.DYNAMODB_ENDPOINT;
  beforeAll(async () => {
    process.env.DYNAMODB_ENDPOINT = `http://127.0.0.1:${await freePort()}`;
    vi.resetModules();
  });
  afterAll(() => {
    process.env.DYNAMODB_ENDPOINT = saved;
    vi.resetModules();
  });

  it('answers a retryable 503 ServiceUnavailable, with the error format and nothing internal', async () => {
    const { handler } = await import('../../functions/createCen');
    const res = await invoke(handler, {
      apiKey: 'local-tenant-a',
      method: 'POST',
      path: '/cens',
      body: { name: 'x' },
    });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      code: 'ServiceUnavailable',
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/i);
  });

  it('answers 503, not 401, when it cannot check the API key', async () => {
    const { handler } = await import('../../functions/getCen');
    const res = await invoke(handler, {
      apiKey: 'some-key',
      params: { cenId: 'cen-01m832b5jm8ftchane8hrtg7ah' },
    });
    expect(res.status).toBe(503);
  });
});
