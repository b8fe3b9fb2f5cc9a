import type { Client, Pool } from 'pg';
import { ADDED_COLUMNS, NEW_TASK_COLUMNS, newTaskRow, patchColumns, schema, SqlStore, TASKS_CHANNEL, type Row } from './sql.js';
import type { NewTask, TaskPatch } from './types.js';

type PendingTask = { task: NewTask; resolve: (added: boolean) => void; reject: (e: unknown) => void };
type PendingUpdate = { id: string; owner: string; columns: string[]; values: unknown[]; resolve: (changed: boolean) => void; reject: (e: unknown) => void };

/** The PostgreSQL type of each column a patch sets (as in `schema`), for the arrays an update unnests. */
const PATCH_TYPES: Record<string, string> = {
  state: 'text',
  result: 'text',
  attempts: 'integer',
  runs: 'integer',
  due_at: 'bigint',
  last_status: 'integer',
  last_response: 'text',
  last_error: 'text',
  lease_owner: 'text',
  lease_until: 'bigint',
  updated_at: 'bigint',
};

/**
 * The tasks accepted in one event-loop turn, written by one statement: one round trip and one
 * commit for all of them, and one notification per kind (PostgreSQL folds identical ones) for
 * those written unleased: a leased one is its accepting worker's, no other instance can claim it.
 */
const INSERT_TASKS = `WITH added AS (
    INSERT INTO accordo_tasks (${NEW_TASK_COLUMNS})
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::bigint[], $16::integer[])
    ON CONFLICT (id) DO NOTHING
    RETURNING id, kind, lease_owner)
  SELECT id, (CASE WHEN lease_owner IS NULL THEN pg_notify('${TASKS_CHANNEL}', kind) END) FROM added`;

/** Statement texts prepared at most (each connection keeps those it ran). */
const MAX_PREPARED = 200;
/** SQLSTATE of "cached plan must not change result type". */
const FEATURE_NOT_SUPPORTED = '0A000';

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
  private readonly insertNextTurn = oncePerTurn(() => void this.insertTasks(this.pendingTasks.splice(0)));
  private readonly pendingUpdates: PendingUpdate[] = [];
  private readonly updateNextTurn = oncePerTurn(() => {
    for (const batch of byShape(this.pendingUpdates.splice(0))) void this.updateTasks(batch);
  });
  /** The name each statement text is prepared under; a new generation when the schema changed under them. */
  private readonly statementNames = new Map<string, string>();
  private generation = 0;

  private constructor(
    private readonly pool: Pool,
    private readonly url: string,
  ) {
    super();
    this.description = redact(url);
  }

  static async open(url: string, options: { poolSize?: number } = {}): Promise<PostgresStore> {
    const { default: pg } = await import('pg');
    // Prepared statements (see run) are planned for each call's values, never with a generic plan:
    // one made while the table was small (a fresh database) would scan it whole once it has grown.
    const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10, options: '-c plan_cache_mode=force_custom_plan' });
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
      this.insertNextTurn();
    });
  }

  private async insertTasks(batch: PendingTask[]): Promise<void> {
    const columns: unknown[][] = [];
    for (const { task } of batch) newTaskRow(task).forEach((v, i) => (columns[i] ??= []).push(v));
    const added = await this.returnedIds(INSERT_TASKS, columns, batch);
    // An id twice in one batch: the first is the one written, the other is refused as a duplicate.
    if (added) for (const p of batch) p.resolve(added.delete(p.task.id));
  }

  /**
   * Queued like createTask: the updates of one event-loop turn that set the same columns are one
   * statement (UPDATE … FROM unnest(…)), each row still changed only while its owner holds the
   * lease. A busy worker writes its callbacks' outcomes with one round trip and one commit per turn.
   */
  updateTask(id: string, owner: string, patch: TaskPatch, now: number): Promise<boolean> {
    const set = patchColumns(patch, now);
    return new Promise((resolve, reject) => {
      this.pendingUpdates.push({ id, owner, columns: set.map(([column]) => column), values: set.map(([, value]) => value), resolve, reject });
      this.updateNextTurn();
    });
  }

  /** One statement for updates that set the same columns, each of a different task (see byShape). */
  private async updateTasks(updates: PendingUpdate[]): Promise<void> {
    const { columns } = updates[0];
    const arrays: unknown[][] = [updates.map((u) => u.id), updates.map((u) => u.owner), ...columns.map((_, i) => updates.map((u) => u.values[i]))];
    const sql = `UPDATE accordo_tasks AS t SET ${columns.map((c) => `${c} = v.${c}`).join(', ')}
      FROM unnest($1::text[], $2::text[]${columns.map((c, i) => `, $${i + 3}::${PATCH_TYPES[c]}[]`).join('')}) AS v(id, owner${columns.map((c) => `, ${c}`).join('')})
      WHERE t.id = v.id AND t.lease_owner = v.owner
      RETURNING t.id`;
    const changed = await this.returnedIds(sql, arrays, updates);
    if (changed) for (const u of updates) u.resolve(changed.has(u.id));
  }

  /** The ids a batched statement returned; `undefined` when it failed, every waiting write then rejected with its error. */
  private async returnedIds(sql: string, params: unknown[], waiting: { reject: (e: unknown) => void }[]): Promise<Set<string> | undefined> {
    try {
      return new Set((await this.run(sql, params)).rows.map((r) => String(r.id)));
    } catch (e) {
      for (const w of waiting) w.reject(e);
      return undefined;
    }
  }

  /**
   * Statements are prepared once per connection under a name of their own: PostgreSQL then parses
   * and analyses each text once instead of per call (a sixth of its work under load). The texts
   * are few (the SQL is built from fixed parts); past MAX_PREPARED the rest run unnamed.
   */
  protected async run(sql: string, params: unknown[]): Promise<{ rows: Row[]; changes: number }> {
    let res;
    try {
      res = await this.pool.query({ name: this.statementName(sql), text: sql, values: params });
    } catch (e) {
      // Another instance added a column (ADDED_COLUMNS): a prepared `RETURNING *` refuses to change
      // its result type. New names prepare the statements again; this one is run again once.
      if ((e as { code?: string }).code !== FEATURE_NOT_SUPPORTED) throw e;
      this.statementNames.clear();
      this.generation++;
      res = await this.pool.query({ name: this.statementName(sql), text: sql, values: params });
    }
    return { rows: res.rows as Row[], changes: res.rowCount ?? 0 };
  }

  private statementName(sql: string): string | undefined {
    let name = this.statementNames.get(sql);
    if (name === undefined && this.statementNames.size < MAX_PREPARED) this.statementNames.set(sql, (name = `accordo_${this.generation}_${this.statementNames.size}`));
    return name;
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

/** Calls `flush` in the next turn, once however many times it was asked for in this one. */
function oncePerTurn(flush: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flush();
    });
  };
}

/** A turn's updates grouped by the columns they set; a task updated twice goes into a later group, never into one statement with itself. */
function byShape(updates: PendingUpdate[]): PendingUpdate[][] {
  const groups: { shape: string; ids: Set<string>; updates: PendingUpdate[] }[] = [];
  for (const u of updates) {
    const shape = u.columns.join(',');
    let group = groups.find((g) => g.shape === shape && !g.ids.has(u.id));
    if (!group) groups.push((group = { shape, ids: new Set(), updates: [] }));
    group.ids.add(u.id);
    group.updates.push(u);
  }
  return groups.map((g) => g.updates);
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
