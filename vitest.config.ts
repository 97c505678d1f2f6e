import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native code and worker thread pools do not mix; each test file gets its own process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
