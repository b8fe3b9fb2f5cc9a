import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:corpus`: the tests over the development corpus (../shared/fixtures), kept out of
// `npm test` so that a clone alone passes. See test/support/corpus.ts. (Spread, not mergeConfig:
// that would append to the base's include and exclude lists.)
export default defineConfig({
  ...base,
  test: { ...base.test, include: ['test/corpus/**/*.test.ts'], exclude: ['**/node_modules/**'] },
});
