// StrykerJS: `npm run mutate` (scripts/mutate.sh) runs it once per part of src/, each with its
// own --mutate glob and report. Not part of CI: a full run takes hours on two cores.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.config.ts' },
  // Each mutant runs only the tests that reached it in the dry run: the suite waits on kernel
  // timers, so running all of it per mutant would take days.
  coverageAnalysis: 'perTest',
  // One mutant at a time: the tests measure kernel timeouts on a shared machine, and a second
  // run beside them only adds noise (a timing test failing for load would count as a kill).
  concurrency: 1,
  // A mutant that makes a bounded wait run to its bound is a timeout (counted as detected),
  // not a hang: the suite's own waits are seconds, so allow them.
  timeoutMS: 15_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['.cache', '.asan', 'prebuilds', 'reports', 'bench/results.json', '*.tgz'],
  // The default part; scripts/mutate.sh passes one part at a time.
  mutate: ['src/**/*.ts', '!src/cli/**', '!src/**/*.d.ts', '!src/index.ts'],
};
