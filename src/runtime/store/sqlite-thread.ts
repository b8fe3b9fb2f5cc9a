/**
 * The program of the thread that owns a SqliteStore's connection (sqlite.ts). It runs in a worker
 * thread from its source text, so it uses nothing from any module, only `require` and its
 * `workerData`; it lives in a file of its own so that tools that rewrite the store's code (the
 * mutation runs) leave this text alone.
 */
import type { Row } from './sql.js';

/** What the thread answers for one statement of a batch: its result, its error, or that the file was locked. */
export type Outcome = { rows: Row[]; changes: number } | { error: { message: string; code?: string } } | { busy: true };
/** A statement to run: its number, its text the first time, its parameters (`@p1`, `@p2`, …). */
export type Job = { id: number; sql?: string; params: unknown[] };
export type ToThread = { type: 'batch'; jobs: Job[] } | { type: 'close' };
export type FromThread = { type: 'opened' } | { type: 'failed'; error: { message: string; code?: string } } | { type: 'done'; outcomes: Outcome[] } | { type: 'closed' };

/**
 * The thread that owns the connection (its source is this function's text: it runs in a worker
 * thread, so it uses nothing from this module, only `require` and its `workerData`). It opens the
 * file, creates the tables, and runs each batch it gets in one transaction, answering one outcome
 * per statement. A commit syncs to disk (synchronous=FULL) in this thread, not the main one.
 */
export function sqliteThread(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parentPort, workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const { module, path, schema, added } = workerData as { module: string; path: string; schema: string[]; added: [string, string, string][] };
  type Db = import('better-sqlite3').Database;
  type Stmt = import('better-sqlite3').Statement;
  let db: Db | undefined;
  // Each statement's text comes once, with its number; afterwards the number alone names it.
  const texts = new Map<number, string>();
  // Prepared with anonymous `?` placeholders, bound from an array: binding `@p1`… by name costs
  // better-sqlite3 a lookup per parameter (a third of an insert's time). `order` lists, for each
  // `?` in turn, which parameter it was.
  const statements = new Map<number, { stmt: Stmt; order: number[] }>();
  const post = (m: unknown) => parentPort!.postMessage(m);
  const errorOf = (e: unknown) => ({ message: String((e as Error)?.message ?? e), ...(typeof (e as { code?: unknown })?.code === 'string' ? { code: (e as { code: string }).code } : {}) });
  const isBusy = (e: unknown) => /^SQLITE_BUSY/.test(String((e as { code?: unknown })?.code ?? ''));
  const prepared = (q: Job): { stmt: Stmt; order: number[] } => {
    let p = statements.get(q.id);
    if (!p) {
      const order: number[] = [];
      const text = texts.get(q.id)!.replace(/@p(\d+)/g, (_, n: string) => {
        order.push(Number(n) - 1);
        return '?';
      });
      p = { stmt: db!.prepare(text), order };
      statements.set(q.id, p);
    }
    return p;
  };
  const statement = (q: Job): Stmt => prepared(q).stmt;
  const exec = (q: Job): Outcome => {
    const { stmt, order } = prepared(q);
    const args = new Array<unknown>(order.length);
    for (let i = 0; i < order.length; i++) args[i] = q.params[order[i]];
    if (stmt.reader) {
      const rows = stmt.all(args) as Row[];
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: stmt.run(args).changes };
  };
  const batch = (jobs: Job[]): Outcome[] => {
    // Kept whatever happens to this batch: a batch sent again (the file was locked) names them by number only.
    for (const q of jobs) if (q.sql !== undefined) texts.set(q.id, q.sql);
    // A batch of reads runs in a deferred transaction: under WAL it needs no lock, so reads go on while another process writes.
    const transaction = db!.transaction(() => jobs.map(exec));
    try {
      return jobs.every((q) => statement(q).readonly) ? transaction() : transaction.immediate();
    } catch (e) {
      if (isBusy(e)) return jobs.map(() => ({ busy: true }) as const);
      // One statement failed and the batch was rolled back: run each alone, so only it fails.
      return jobs.map((q) => {
        try {
          return exec(q);
        } catch (err) {
          return isBusy(err) ? ({ busy: true } as const) : { error: errorOf(err) };
        }
      });
    }
  };
  parentPort!.on('message', (m: ToThread) => {
    if (m.type === 'close') {
      db?.close();
      post({ type: 'closed' });
      parentPort!.close();
      return;
    }
    post({ type: 'done', outcomes: batch(m.jobs) });
  });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Database = require(module) as typeof import('better-sqlite3');
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before the 202 leaves; NORMAL could lose the last ones on power loss.
    db.pragma('synchronous = FULL');
    // Opening waits for the lock (nothing is served yet); afterwards a locked file is waited for on timers, by the main thread.
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      for (const statement of schema) db!.exec(statement);
      for (const [table, column, type] of added) {
        const columns = db!.pragma(`table_info(${table})`) as { name: string }[];
        if (!columns.some((c) => c.name === column)) db!.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
      }
    }).immediate();
    db.pragma('busy_timeout = 0');
    post({ type: 'opened' });
  } catch (e) {
    post({ type: 'failed', error: errorOf(e) });
  }
}

/** The thread's program: the function above, called (`__name`: what a bundler keeping function names may have put in its text). */
export const THREAD_SOURCE = `var __name = (f) => f;\n(${sqliteThread.toString()})();`;
