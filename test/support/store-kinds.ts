/**
 * The three stores a store test runs its rows on: memory, SQLite (a fresh file each) and
 * PostgreSQL (a fresh database each, when installed; the row is disabled otherwise).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStore, openStore, type Store } from '../../src/runtime/store/index.js';
import { startPostgres } from './postgres.js';

export type StoreKind = [name: string, enabled: boolean, open: () => Promise<Store>];

export async function storeKinds(prefix: string): Promise<{ kinds: StoreKind[]; dir: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `accordo-${prefix}-`));
  const pg = await startPostgres();
  let n = 0;
  return {
    dir,
    kinds: [
      ['memory', true, async () => new MemoryStore()],
      ['sqlite', true, () => openStore(`sqlite:${join(dir, `${prefix}${++n}.db`)}`)],
      ['postgres', pg !== undefined, async () => openStore(await pg!.createDatabase(`${prefix}${++n}`))],
    ],
    async stop() {
      await pg?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
