import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ADDED_COLUMNS, schema, SqlStore, type Row } from './sql.js';

/** How long a statement may wait for a write lock another connection holds (default 1 s): then it fails, and a request is answered 503. */
export const DEFAULT_SQLITE_BUSY_MS = 1000;

type Queued = { sql: string; params: unknown[]; since: number; resolve: (r: { rows: Row[]; changes: number }) => void; reject: (e: Error) => void };

const isBusy = (e: unknown) => /^SQLITE_BUSY/.test(String((e as { code?: unknown }).code ?? ''));

/**
 * The embedded store: one SQLite file, WAL mode, no set-up. Several processes may open the same
 * file: writers are serialised by SQLite, and one that finds the file locked waits without
 * blocking the event loop (SQLite's own busy wait would sleep in the main thread, freezing every
 * request): it tries again on a timer, for up to `busyMs`, then fails the statement. Reads need no
 * lock (WAL). For instances on several machines use PostgreSQL.
 */
export class SqliteStore extends SqlStore {
  readonly description: string;
  protected readonly dialect = 'sqlite';
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly queue: Queued[] = [];
  /** Set while the queue waits for a lock another connection holds. */
  private retry?: NodeJS.Timeout;
  private retryDelay = 0;

  private constructor(
    private readonly db: BetterSqlite3.Database,
    file: string,
    private readonly busyMs: number,
  ) {
    super();
    this.description = `sqlite:${file}`;
  }

  /** Opens (creating when needed) the database file; `:memory:` gives a private in-memory database. */
  static async open(file: string, options: { busyMs?: number } = {}): Promise<SqliteStore> {
    const { default: Database } = await import('better-sqlite3');
    const path = file === ':memory:' ? file : resolve(file);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: BetterSqlite3.Database;
    try {
      db = new Database(path);
    } catch (e) {
      // A native module, built for the Node.js version it was installed with; the raw error only names ABI numbers.
      if (/NODE_MODULE_VERSION|bindings/i.test((e as Error).message)) {
        throw new Error(`the SQLite store needs better-sqlite3, whose native part does not load under this Node.js (${process.version}); run \`npm rebuild better-sqlite3\``, { cause: e });
      }
      throw e;
    }
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before the 202 leaves; NORMAL could lose the last ones on power loss.
    db.pragma('synchronous = FULL');
    // Opening waits for the lock synchronously (nothing is served yet); afterwards a locked file is waited for on timers.
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      for (const statement of schema('INTEGER')) db.exec(statement);
      for (const [table, column, type] of ADDED_COLUMNS) {
        const columns = db.pragma(`table_info(${table})`) as { name: string }[];
        if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
      }
    }).immediate();
    db.pragma('busy_timeout = 0');
    return new SqliteStore(db, path, options.busyMs ?? DEFAULT_SQLITE_BUSY_MS);
  }

  /**
   * Statements are queued and run together, once per event-loop turn, in one transaction: the
   * requests accepted meanwhile share one disk sync (group commit) instead of one each.
   */
  protected run(sql: string, params: unknown[]): Promise<{ rows: Row[]; changes: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ sql, params, since: Date.now(), resolve, reject });
      if (this.queue.length === 1 && !this.retry) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    this.retry = undefined;
    const batch = this.queue.splice(0);
    if (batch.length === 0 || !this.db.open) return this.abandon(batch);
    let results: { rows: Row[]; changes: number }[];
    // A batch of reads runs in a deferred transaction: under WAL it needs no lock, so reads go on while another process writes.
    const transaction = this.db.transaction(() => batch.map((q) => this.exec(q.sql, q.params)));
    try {
      const reads = batch.every((q) => this.statement(q.sql).readonly);
      results = reads ? transaction() : transaction.immediate();
    } catch (e) {
      if (isBusy(e)) return this.wait(batch);
      // One statement failed and the batch was rolled back: run each alone, so only it fails.
      const locked: Queued[] = [];
      for (const q of batch) {
        try {
          q.resolve(this.exec(q.sql, q.params));
        } catch (err) {
          if (isBusy(err)) locked.push(q);
          else q.reject(err as Error);
        }
      }
      return locked.length ? this.wait(locked) : undefined;
    }
    this.retryDelay = 0;
    batch.forEach((q, i) => q.resolve(results[i]));
  }

  /** Another connection holds the lock: try again shortly (1 ms, doubling to 50 ms), failing what has waited `busyMs`. */
  private wait(batch: Queued[]): void {
    const now = Date.now();
    const waiting = batch.filter((q) => {
      if (now - q.since < this.busyMs) return true;
      q.reject(new Error(`the SQLite database is locked by another connection (waited ${this.busyMs} ms)`));
      return false;
    });
    this.queue.unshift(...waiting);
    if (this.queue.length === 0 || this.retry) return;
    this.retryDelay = Math.min(50, Math.max(1, this.retryDelay * 2));
    this.retry = setTimeout(() => this.flush(), this.retryDelay);
  }

  private abandon(batch: Queued[]): void {
    for (const q of batch) q.reject(new Error('the SQLite store is closed'));
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  private exec(sql: string, params: unknown[]): { rows: Row[]; changes: number } {
    const stmt = this.statement(sql);
    const named = Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));
    if (stmt.reader) {
      const rows = stmt.all(named) as Row[];
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: stmt.run(named).changes };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.flush();
    // What still waits for a lock when the store closes fails now rather than after `busyMs`.
    clearTimeout(this.retry);
    this.retry = undefined;
    this.abandon(this.queue.splice(0));
    this.db.close();
  }
}
