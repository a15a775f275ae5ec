import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the pure tests alone, in seconds, with no DynamoDB Local and no
 * serverless-offline (`npm test` runs them too, with everything else).
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // lib/config reads these at import: a local endpoint that nothing answers (no test here may
    // reach it) and a quiet log.
    env: { DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', LOG_LEVEL: 'warn' },
  },
});
