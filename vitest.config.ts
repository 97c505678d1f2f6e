import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native code and worker thread pools do not mix; each test file gets its own process.
    pool: 'forks',
    // Most of a test's time is spent waiting on kernel timers and loopback round trips, not on
    // the CPU: four files at once on two cores took the suite from ~110 s to ~40 s here, with the
    // ratio-based checks unchanged (vitest's default, cores - 1, ran one file at a time).
    maxWorkers: 4,
    minWorkers: 1,
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
