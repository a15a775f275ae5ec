import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // One local stack (DynamoDB Local + serverless-offline on free loopback ports) for the run.
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/env.ts'],
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 3,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    sequence: { concurrent: false },
  },
});
