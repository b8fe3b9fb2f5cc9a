// Where better-sqlite3's native part does not load (built for another Node.js: .ci/run's Node 22
// pass runs the e2e files with the module built for Node 20), opening a sqlite: store says what to
// do, not only the loader's error, at the first attempt in a process and at every later one. Under
// the Node.js the module was built for (npm test) it loads, and there is nothing to see: skipped.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { openStore } from '../src/runtime/store/index.js';

// Asked of another process: loading the module here would be this process's first attempt, which the test makes itself.
const loads = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { stdio: 'ignore' }).status === 0;

it.runIf(!loads)('under a Node.js better-sqlite3 was not built for, refuses a sqlite: store saying to rebuild it, at the first attempt and the next', async () => {
  const attempt = () =>
    openStore('sqlite::memory:').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
  const hint = `the SQLite store needs better-sqlite3, whose native part does not load under this Node.js (${process.version}); run \`npm rebuild better-sqlite3\``;
  const first = await attempt();
  expect(first?.message).toBe(hint);
  expect((first?.cause as Error | undefined)?.message).toMatch(/NODE_MODULE_VERSION/);
  // The process has tried once: the loader now only says the module "did not self-register".
  const next = await attempt();
  expect(next?.message).toBe(hint);
  expect((next?.cause as Error | undefined)?.message).toMatch(/did not self-register/);
});
