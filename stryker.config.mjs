// Mutation testing (issue 22): `npm run mutate` runs this per module group (scripts/mutate.ts)
// and writes MUTATION.md. Two cores are shared: one or two test runners at a time.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: true },
  // What is mutated unless --mutate narrows it: the runtime and the lint rules.
  mutate: ['src/runtime/**/*.ts', 'src/lint/rules.ts', '!src/runtime/index.ts', '!src/runtime/**/types.ts'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // Mutants that do not type-check are not run (and do not count).
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  incremental: true,
  incrementalFile: 'mutation/incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.tmp/stryker',
  // Not the sandboxes of other groups running at the same time (scripts/mutate.ts gives each its own).
  ignorePatterns: ['/.tmp'],
  cleanTempDir: true,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  // The tests start servers and a real store: a generous dry run on a loaded machine.
  dryRunTimeoutMinutes: 20,
  thresholds: { high: 90, low: 85, break: null },
};
