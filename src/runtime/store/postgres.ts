import type { Client, Pool } from 'pg';
import { ADDED_COLUMNS, enc, schema, SqlStore, TASKS_CHANNEL, type Row } from './sql.js';
import type { NewTask } from './types.js';

type PendingTask = { task: NewTask; resolve: (added: boolean) => void; reject: (e: unknown) => void };

/**
 * The tasks accepted in one event-loop turn, written by one statement: one round trip and one
 * commit for all of them, and one notification per kind (PostgreSQL folds identical ones).
 */
const INSERT_TASKS = `WITH added AS (
    INSERT INTO accordo_tasks (id, kind, operation, state, request, reply_to, target, meta, reference, due_at, created_at, updated_at, expires_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[])
    ON CONFLICT (id) DO NOTHING
    RETURNING id, kind)
  SELECT id, pg_notify('${TASKS_CHANNEL}', kind) FROM added`;

/**
 * The shared store: several provider instances on one PostgreSQL database share the work.
 * Claiming is `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`: instances never wait for
 * each other's rows and never take the same one, and a lease (not a held transaction) covers the
 * work, so a crashed instance's tasks return once the lease lapses.
 */
export class PostgresStore extends SqlStore {
  readonly description: string;
  protected readonly dialect = 'postgres';
  private readonly pendingTasks: PendingTask[] = [];
  private insertScheduled = false;

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
      // Given back before the pool ends: end() waits for every client it lent (it hung here forever).
      client.release();
      await pool.end();
      throw e;
    }
    client.release();
    return new PostgresStore(pool, url);
  }

  /**
   * Queued and written with the others of the same event-loop turn (group commit): a busy
   * provider pays one round trip and one commit per turn instead of one per request.
   */
  createTask(task: NewTask): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pendingTasks.push({ task, resolve, reject });
      if (this.insertScheduled) return;
      this.insertScheduled = true;
      setImmediate(() => {
        this.insertScheduled = false;
        void this.insertTasks(this.pendingTasks.splice(0));
      });
    });
  }

  private async insertTasks(batch: PendingTask[]): Promise<void> {
    const columns: unknown[][] = Array.from({ length: 13 }, () => []);
    for (const { task: t } of batch) {
      const row = [t.id, t.kind, t.operation, 'pending', enc(t.request), t.replyTo ?? null, t.target ?? null, enc(t.meta), t.reference ?? null, t.now, t.now, t.now, t.expiresAt];
      row.forEach((v, i) => columns[i].push(v));
    }
    let added: Set<string>;
    try {
      added = new Set((await this.run(INSERT_TASKS, columns)).rows.map((r) => String(r.id)));
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    // An id twice in one batch: the first is the one written, the other is refused as a duplicate.
    for (const p of batch) p.resolve(added.delete(p.task.id));
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
