import { MemoryStore } from './memory.js';
import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './types.js';

export * from './types.js';
export { MemoryStore } from './memory.js';
export { SqliteStore } from './sqlite.js';
export { PostgresStore } from './postgres.js';

/** The store used when none is configured: a SQLite file in the working directory. */
export const DEFAULT_STORE = 'sqlite:./accordo.db';

/**
 * Opens the store a setting names:
 * - `sqlite:<file>` (e.g. `sqlite:./accordo.db`, `sqlite:/var/lib/app/accordo.db`): embedded, one host;
 * - `postgres://…` or `postgresql://…`: shared by several instances;
 * - `memory:`: in process memory, lost on exit (tests, development).
 */
export async function openStore(setting: string): Promise<Store> {
  const s = setting.trim();
  if (s === 'memory:' || s === 'memory') return new MemoryStore();
  if (/^postgres(ql)?:\/\//i.test(s)) return PostgresStore.open(s);
  if (/^sqlite:/i.test(s)) {
    // sqlite:./x.db, sqlite:/abs/x.db and sqlite:///abs/x.db all name a file.
    const file = s.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!file) throw new Error(`store setting ${JSON.stringify(setting)} names no file (e.g. sqlite:./accordo.db)`);
    return SqliteStore.open(file);
  }
  throw new Error(`unknown store ${JSON.stringify(setting)}: expected sqlite:<file>, a postgres:// URL or memory:`);
}
