// StrykerJS: `npm run mutate` (scripts/mutate.sh) runs it once per part of src/, naming the part
// in SOCKCTL_MUTATE_PART; each part has its own globs and reports. Not part of CI: a full run
// takes hours on two cores.
const PARTS = {
  controls: ['src/controls/**/*.ts', 'src/testing.ts', 'src/vitest.ts'],
  // netns-exec.ts is the program sockctl-netns runs inside the namespace, a process entry point
  // like the CLI: only child processes (from dist/) run it.
  raw: ['src/raw/**/*.ts', '!src/raw/netns-exec.ts'],
  // The scenario runner and its catalog of cases are two parts: together they took about two
  // hours here, more than one sitting; each alone completes and keeps its own incremental file.
  scenario: ['src/scenario/**/*.ts', '!src/scenario/catalog/**'],
  catalog: ['src/scenario/catalog/**/*.ts'],
  faults: ['src/faults/**/*.ts'],
};
const part = process.env.SOCKCTL_MUTATE_PART ?? 'controls';
if (!PARTS[part]) throw new Error(`unknown part ${part}: ${Object.keys(PARTS).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // related: false — vitest's related-file lookup found only the tests that import a mutated
  // file by its own path (most import the package face, src/index.ts): run them all in the dry run.
  vitest: { configFile: 'vitest.config.ts', related: false },
  mutate: PARTS[part],
  // Each mutant runs only the tests that reached it in the dry run: the suite waits on kernel
  // timers, so running all of it per mutant would take days.
  coverageAnalysis: 'perTest',
  // A static mutant (module-level code: the TCP_INFO field table, constants) runs before any
  // test, so no test can be singled out for it and it needs the whole suite (~2 min here); about
  // half of all mutants are static, which made a run of one part take over 4 hours. They are left
  // out (reported as ignored, not counted in the score); scripts/mutation-summary.mjs prints how
  // many per part.
  ignoreStatic: true,
  // Three mutants at once (each in its own runner, one test file at a time): the suite itself
  // runs four files at once on two cores (vitest.config.ts) and its timing checks are built for
  // that load, so three stay within it; one at a time took over an hour a part, most of it
  // waiting on kernel timers. SOCKCTL_MUTATE_CONCURRENCY overrides it (1 on a busier machine).
  concurrency: Number(process.env.SOCKCTL_MUTATE_CONCURRENCY ?? 3),
  // A mutant that makes a bounded wait run to its bound is a timeout (counted as detected),
  // not a hang: the suite's own waits are seconds, so allow them.
  timeoutMS: 15_000,
  timeoutFactor: 2,
  plugins: ['@stryker-mutator/vitest-runner', './scripts/stryker-survivors.mjs'],
  reporters: ['clear-text', 'progress', 'json', 'html', 'survivor-log'],
  jsonReporter: { fileName: `reports/mutation/${part}.json` },
  htmlReporter: { fileName: `reports/mutation/${part}.html` },
  // `npm run mutate` passes --incremental: a later run re-tests only the mutants whose code or
  // covering tests changed since this part's last run.
  incrementalFile: `reports/mutation/${part}.incremental.json`,
  // One sandbox folder per part, so two parts can run at once from one checkout; neither copies
  // the other's.
  tempDirName: `.stryker-tmp-${part}`,
  ignorePatterns: ['.stryker-tmp*', '.cache', '.asan', 'prebuilds', 'reports', 'bench/results.json', '*.tgz'],
};
