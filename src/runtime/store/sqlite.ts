import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ADDED_COLUMNS, schema, SqlStore, type Row } from './sql.js';

/**
 * The embedded store: one SQLite file, WAL mode, no set-up. Several processes may open the same
 * file (writers are serialised by SQLite; they wait up to 5 s for each other). For instances on
 * several machines use PostgreSQL.
 */
export class SqliteStore extends SqlStore {
  readonly description: string;
  protected readonly dialect = 'sqlite';
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly queue: { sql: string; params: unknown[]; resolve: (r: { rows: Row[]; changes: number }) => void; reject: (e: Error) => void }[] = [];

  private constructor(
    private readonly db: BetterSqlite3.Database,
    file: string,
  ) {
    super();
    this.description = `sqlite:${file}`;
  }

  /** Opens (creating when needed) the database file; `:memory:` gives a private in-memory database. */
  static async open(file: string): Promise<SqliteStore> {
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
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      for (const statement of schema('INTEGER')) db.exec(statement);
      for (const [table, column, type] of ADDED_COLUMNS) {
        const columns = db.pragma(`table_info(${table})`) as { name: string }[];
        if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
      }
    }).immediate();
    return new SqliteStore(db, path);
  }

  /**
   * Statements are queued and run together, once per event-loop turn, in one transaction: the
   * requests accepted meanwhile share one disk sync (group commit) instead of one each.
   */
  protected run(sql: string, params: unknown[]): Promise<{ rows: Row[]; changes: number }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ sql, params, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    let results: { rows: Row[]; changes: number }[];
    try {
      results = this.db.transaction(() => batch.map((q) => this.exec(q.sql, q.params))).immediate();
    } catch {
      // One statement failed and the batch was rolled back: run each alone, so only it fails.
      for (const q of batch) {
        try {
          q.resolve(this.exec(q.sql, q.params));
        } catch (e) {
          q.reject(e as Error);
        }
      }
      return;
    }
    batch.forEach((q, i) => q.resolve(results[i]));
  }

  private exec(sql: string, params: unknown[]): { rows: Row[]; changes: number } {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    const named = Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));
    if (stmt.reader) {
      const rows = stmt.all(named) as Row[];
      return { rows, changes: rows.length };
    }
    return { rows: [], changes: stmt.run(named).changes };
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }
}
