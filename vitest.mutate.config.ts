import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * The tests Stryker runs against mutants (`npm run mutate`). scripts/mutate.ts names, per module
 * group, the test files that guard it in MUTATE_TESTS (comma-separated): every test covering a
 * mutant runs for it, and the whole suite's end-to-end files would make one mutant cost a minute
 * on two shared cores. Without MUTATE_TESTS: the suite less the files whose code under test runs
 * in another process (the CLI from dist/, crash children, nginx, zeep), which a mutant living in
 * Stryker's process cannot reach.
 */
const named = process.env.MUTATE_TESTS?.split(',').filter(Boolean);

// Set on a copy of the base: mergeConfig would append to its include list.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    ...(named
      ? { include: named }
      : {
          exclude: [
            ...(base.test?.exclude ?? []),
            'test/cli.test.ts',
            'test/deliveries-cli.test.ts',
            'test/store-crash.test.ts',
            'test/pull-crash.test.ts',
            'test/soap-peers.e2e.test.ts',
            'test/gateway-nginx.e2e.test.ts',
          ],
        }),
  },
});
