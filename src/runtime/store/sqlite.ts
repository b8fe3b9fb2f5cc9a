import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { schema, SqlStore, type Row } from './sql.js';

/**
 * The embedded store: one SQLite file, WAL mode, no set-up. Several processes may open the same
 * file (writers are serialised by SQLite; they wait up to 5 s for each other). For instances on
 * several machines use PostgreSQL.
 */
export class SqliteStore extends SqlStore {
  readonly description: string;
  protected readonly dialect = 'sqlite';
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

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
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk before the 202 leaves; NORMAL could lose the last ones on power loss.
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.transaction(() => {
      for (const statement of schema('INTEGER')) db.exec(statement);
    }).immediate();
    return new SqliteStore(db, path);
  }

  protected async run(sql: string, params: unknown[]): Promise<{ rows: Row[]; changes: number }> {
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
    if (this.db.open) this.db.close();
  }
}
