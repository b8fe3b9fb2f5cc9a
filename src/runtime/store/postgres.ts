import type { Client, Pool } from 'pg';
import { ADDED_COLUMNS, schema, SqlStore, TASKS_CHANNEL, type Row } from './sql.js';

/**
 * The shared store: several provider instances on one PostgreSQL database share the work.
 * Claiming is `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`: instances never wait for
 * each other's rows and never take the same one, and a lease (not a held transaction) covers the
 * work, so a crashed instance's tasks return once the lease lapses.
 */
export class PostgresStore extends SqlStore {
  readonly description: string;
  protected readonly dialect = 'postgres';

  private constructor(
    private readonly pool: Pool,
    private readonly url: string,
  ) {
    super();
    this.description = redact(url);
  }

  static async open(url: string, options: { poolSize?: number } = {}): Promise<PostgresStore> {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
    // A broken idle connection is dropped by the pool and the next query opens a new one; without
    // a listener the 'error' event would end the process.
    pool.on('error', () => {});
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Instances starting together must not race on CREATE TABLE IF NOT EXISTS.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('accordo_schema'))`);
      for (const statement of schema('BIGINT')) await client.query(statement);
      for (const [table, column, type] of ADDED_COLUMNS) await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${type}`);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      await pool.end();
      throw e;
    } finally {
      client.release();
    }
    return new PostgresStore(pool, url);
  }

  protected async run(sql: string, params: unknown[]): Promise<{ rows: Row[]; changes: number }> {
    const res = await this.pool.query(sql, params);
    return { rows: res.rows as Row[], changes: res.rowCount ?? 0 };
  }

  /**
   * LISTENs on a connection of its own (a pooled one would be handed to other queries). If that
   * connection breaks, nothing more is heard and the workers find new tasks at their poll.
   */
  async watchTasks(onAdded: (kind: string) => void): Promise<() => Promise<void>> {
    const { default: pg } = await import('pg');
    const client: Client = new pg.Client({ connectionString: this.url });
    client.on('error', () => {});
    client.on('notification', (n) => {
      if (n.channel === TASKS_CHANNEL) onAdded(n.payload ?? '');
    });
    await client.connect();
    try {
      await client.query(`LISTEN ${TASKS_CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    return () => client.end().catch(() => {});
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
