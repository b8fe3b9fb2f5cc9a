import { FINISHED, type ClaimQuery, type CorrelationRecord, type NewTask, type Store, type TaskFilter, type TaskPatch, type TaskRecord, type TaskState } from './types.js';

/**
 * What the SQLite and PostgreSQL stores share: the row shape and its mapping. Payloads are kept
 * as JSON text (not jsonb) so that what the handler returned is what the consumer gets, byte
 * for byte in key order; times are epoch milliseconds.
 */

export const enc = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const dec = (text: unknown): unknown => (text === null || text === undefined ? undefined : JSON.parse(String(text)));
/** pg returns BIGINT as text; SQLite as number. */
const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));

export type Row = Record<string, unknown>;

export function rowToTask(r: Row): TaskRecord {
  const t: TaskRecord = {
    id: String(r.id),
    kind: String(r.kind),
    operation: String(r.operation),
    state: r.state as TaskState,
    request: dec(r.request),
    runs: Number(r.runs),
    attempts: Number(r.attempts),
    dueAt: Number(r.due_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    expiresAt: Number(r.expires_at),
  };
  const optional: Partial<TaskRecord> = {
    result: dec(r.result),
    replyTo: r.reply_to === null ? undefined : (r.reply_to as string | undefined),
    target: r.target === null ? undefined : (r.target as string | undefined),
    meta: dec(r.meta),
    reference: r.reference === null ? undefined : (r.reference as string | undefined),
    leaseOwner: r.lease_owner === null ? undefined : (r.lease_owner as string | undefined),
    leaseUntil: num(r.lease_until),
    lastStatus: num(r.last_status),
    lastResponse: dec(r.last_response),
    lastError: r.last_error === null ? undefined : (r.last_error as string | undefined),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (t as unknown as Record<string, unknown>)[k] = v;
  return t;
}

export function rowToCorrelation(r: Row): CorrelationRecord {
  const c: CorrelationRecord = {
    id: String(r.id),
    operation: String(r.operation),
    state: r.state as CorrelationRecord['state'],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
  if (r.result !== null && r.result !== undefined) c.result = dec(r.result);
  if (r.ack !== null && r.ack !== undefined) c.ack = dec(r.ack);
  if (r.lease_owner !== null && r.lease_owner !== undefined) c.leaseOwner = String(r.lease_owner);
  if (r.lease_until !== null && r.lease_until !== undefined) c.leaseUntil = Number(r.lease_until);
  return c;
}

/** The columns a new task's row sets, in the order of {@link newTaskRow}. */
export const NEW_TASK_COLUMNS = 'id, kind, operation, state, request, reply_to, target, meta, reference, due_at, created_at, updated_at, expires_at, lease_owner, lease_until, runs';

/** A new task's row: pending; leased already when the accepting worker takes it (`lease`, its run counted). */
export function newTaskRow(t: NewTask): unknown[] {
  return [
    t.id,
    t.kind,
    t.operation,
    'pending',
    enc(t.request),
    t.replyTo ?? null,
    t.target ?? null,
    enc(t.meta),
    t.reference ?? null,
    t.now,
    t.now,
    t.now,
    t.expiresAt,
    t.lease?.owner ?? null,
    t.lease?.until ?? null,
    t.lease ? 1 : 0,
  ];
}

/** The columns a patch sets, with their encoded values (a fixed list: no caller text reaches the SQL). */
export function patchColumns(patch: TaskPatch, now: number): [string, unknown][] {
  const cols: [string, unknown][] = [];
  if (patch.state !== undefined) cols.push(['state', patch.state]);
  if (patch.result !== undefined) cols.push(['result', enc(patch.result)]);
  if (patch.attempts !== undefined) cols.push(['attempts', patch.attempts]);
  if (patch.runs !== undefined) cols.push(['runs', patch.runs]);
  if (patch.dueAt !== undefined) cols.push(['due_at', patch.dueAt]);
  if (patch.lastStatus !== undefined) cols.push(['last_status', patch.lastStatus]);
  if (patch.lastResponse !== undefined) cols.push(['last_response', enc(patch.lastResponse)]);
  if (patch.lastError !== undefined) cols.push(['last_error', patch.lastError]);
  if (patch.release) cols.push(['lease_owner', null], ['lease_until', null]);
  else if (patch.leaseUntil !== undefined) cols.push(['lease_until', patch.leaseUntil]);
  cols.push(['updated_at', now]);
  return cols;
}

/** The PostgreSQL notification channel a new task is announced on (its payload: the task's kind). */
export const TASKS_CHANNEL = 'accordo_tasks';

/** The table definitions; `big` is the 64-bit integer type of the dialect. */
export function schema(big: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS accordo_tasks (
      id TEXT PRIMARY KEY,
      kind TEXT NOT NULL,
      operation TEXT NOT NULL,
      state TEXT NOT NULL,
      request TEXT,
      result TEXT,
      reply_to TEXT,
      target TEXT,
      meta TEXT,
      runs INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      due_at ${big} NOT NULL,
      lease_owner TEXT,
      lease_until ${big},
      last_status INTEGER,
      last_response TEXT,
      last_error TEXT,
      created_at ${big} NOT NULL,
      updated_at ${big} NOT NULL,
      expires_at ${big} NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS accordo_tasks_due ON accordo_tasks (kind, state, due_at)`,
    `CREATE INDEX IF NOT EXISTS accordo_tasks_created ON accordo_tasks (created_at)`,
    `CREATE TABLE IF NOT EXISTS accordo_correlations (
      id TEXT PRIMARY KEY,
      operation TEXT NOT NULL,
      state TEXT NOT NULL,
      result TEXT,
      ack TEXT,
      lease_owner TEXT,
      lease_until ${big},
      created_at ${big} NOT NULL,
      updated_at ${big} NOT NULL
    )`,
    `CREATE TABLE IF NOT EXISTS accordo_nonces (
      id TEXT PRIMARY KEY,
      expires_at ${big} NOT NULL
    )`,
    // A consumer's push requests on their way (their CorrelationID still unknown), shared by its instances.
    `CREATE TABLE IF NOT EXISTS accordo_sends (
      id TEXT PRIMARY KEY,
      started_at ${big} NOT NULL,
      until ${big} NOT NULL
    )`,
    `CREATE INDEX IF NOT EXISTS accordo_sends_until ON accordo_sends (until)`,
  ];
}

/** Columns added since the first schema, as `[table, column, type]`: each store adds those its tables lack. */
export const ADDED_COLUMNS: readonly [string, string, string][] = [
  ['accordo_tasks', 'target', 'TEXT'],
  ['accordo_tasks', 'reference', 'TEXT'],
];

/** Collects query parameters and writes the dialect's placeholders. */
export class Params {
  readonly values: unknown[] = [];
  constructor(private readonly dialect: 'sqlite' | 'postgres') {}

  add(value: unknown): string {
    this.values.push(value);
    return this.dialect === 'sqlite' ? `@p${this.values.length}` : `$${this.values.length}`;
  }

  /** `column IN (values)` with one parameter whatever the list's length. */
  in(column: string, values: readonly string[]): string {
    if (this.dialect === 'sqlite') return `${column} IN (SELECT value FROM json_each(${this.add(JSON.stringify(values))}))`;
    return `${column} = ANY(${this.add(values)}::text[])`;
  }
}

/** The WHERE conditions of a list or purge filter. */
export function filterConditions(f: TaskFilter & { id?: string }, p: Params): string[] {
  const where: string[] = [];
  if (f.id !== undefined) where.push(`id = ${p.add(f.id)}`);
  if (f.kind !== undefined) where.push(`kind = ${p.add(f.kind)}`);
  if (f.states !== undefined) where.push(p.in('state', f.states));
  if (f.operation !== undefined) where.push(`operation = ${p.add(f.operation)}`);
  if (f.reference !== undefined) where.push(`reference = ${p.add(f.reference)}`);
  if (f.updatedBefore !== undefined) where.push(`updated_at < ${p.add(f.updatedBefore)}`);
  return where;
}

/**
 * The store on an SQL database: SQLite and PostgreSQL run the same statements. Every change is
 * one statement (UPDATE … RETURNING), so it is atomic without explicit transactions; claiming
 * locks with `FOR UPDATE SKIP LOCKED` where the dialect has it (SQLite serialises writers anyway).
 */
export abstract class SqlStore implements Store {
  abstract readonly description: string;
  protected abstract readonly dialect: 'sqlite' | 'postgres';
  /** Runs a statement; returns its rows (RETURNING) and how many rows it changed. */
  protected abstract run(sql: string, params: unknown[]): Promise<{ rows: Row[]; changes: number }>;
  abstract close(): Promise<void>;

  private params(): Params {
    return new Params(this.dialect);
  }

  async createTask(t: NewTask): Promise<boolean> {
    const row = newTaskRow(t);
    // Built once: a text made afresh per call is hashed again by every lookup of its prepared statement (issue 19).
    if (this.insertTaskSql === undefined) {
      const p = this.params();
      this.insertTaskSql = `INSERT INTO accordo_tasks (${NEW_TASK_COLUMNS})
       VALUES (${row.map((v) => p.add(v)).join(', ')}) ON CONFLICT (id) DO NOTHING`;
    }
    // PostgreSQL writes the tasks of one turn together, and notifies the workers of every instance (PostgresStore.createTask).
    const { changes } = await this.run(this.insertTaskSql, row);
    return changes === 1;
  }

  private insertTaskSql?: string;

  async claimTasks(q: ClaimQuery): Promise<TaskRecord[]> {
    const p = this.params();
    const set = `lease_owner = ${p.add(q.owner)}, lease_until = ${p.add(q.now + q.leaseMs)}, runs = runs + (CASE WHEN state = 'pending' THEN 1 ELSE 0 END), updated_at = ${p.add(q.now)}`;
    const now = p.add(q.now);
    const lock = this.dialect === 'postgres' ? 'FOR UPDATE SKIP LOCKED' : '';
    // One state as an equality: the (kind, state, due_at) index then yields rows in due order and
    // the LIMIT stops the scan, instead of sorting every due row of a backlog on each claim.
    const { rows } = await this.run(
      `UPDATE accordo_tasks SET ${set}
       WHERE id IN (SELECT id FROM accordo_tasks
         WHERE kind = ${p.add(q.kind)} ${q.id !== undefined ? `AND id = ${p.add(q.id)}` : ''} AND ${p.in('operation', q.operations)} AND ${q.states.length === 1 ? `state = ${p.add(q.states[0])}` : p.in('state', q.states)}
           ${q.skipTargets?.length ? `AND (target IS NULL OR NOT ${p.in('target', q.skipTargets)})` : ''}
           AND due_at <= ${now} AND expires_at > ${now} AND (lease_until IS NULL OR lease_until <= ${now})
         ORDER BY due_at LIMIT ${p.add(q.limit)} ${lock})
       RETURNING *`,
      p.values,
    );
    return rows.map(rowToTask).sort((a, b) => a.dueAt - b.dueAt);
  }

  async updateTask(id: string, owner: string, patch: TaskPatch, now: number): Promise<boolean> {
    const p = this.params();
    const set = patchColumns(patch, now).map(([col, v]) => `${col} = ${p.add(v)}`);
    const { changes } = await this.run(`UPDATE accordo_tasks SET ${set.join(', ')} WHERE id = ${p.add(id)} AND lease_owner = ${p.add(owner)}`, p.values);
    return changes === 1;
  }

  async expireTasks(now: number, kind?: string): Promise<TaskRecord[]> {
    const p = this.params();
    const at = p.add(now);
    const { rows } = await this.run(
      `UPDATE accordo_tasks SET state = 'expired', lease_owner = NULL, lease_until = NULL, updated_at = ${at}
       WHERE state IN ('pending', 'ready') AND expires_at <= ${at} AND (lease_until IS NULL OR lease_until <= ${at})${kind !== undefined ? ` AND kind = ${p.add(kind)}` : ''}
       RETURNING *`,
      p.values,
    );
    return rows.map(rowToTask);
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    const p = this.params();
    const { rows } = await this.run(`SELECT * FROM accordo_tasks WHERE id = ${p.add(id)}`, p.values);
    return rows[0] ? rowToTask(rows[0]) : undefined;
  }

  async listTasks(filter: TaskFilter = {}): Promise<TaskRecord[]> {
    const p = this.params();
    const where = filterConditions(filter, p);
    const { rows } = await this.run(
      `SELECT * FROM accordo_tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ${p.add(filter.limit ?? 100)}`,
      p.values,
    );
    return rows.map(rowToTask);
  }

  async retryTask(id: string, now: number, retentionMs: number): Promise<TaskRecord | undefined> {
    const p = this.params();
    const at = p.add(now);
    const { rows } = await this.run(
      `UPDATE accordo_tasks SET state = (CASE WHEN result IS NULL THEN 'pending' ELSE 'ready' END), attempts = 0, due_at = ${at},
         expires_at = ${p.add(now + retentionMs)}, lease_owner = NULL, lease_until = NULL, updated_at = ${at}
       WHERE id = ${p.add(id)} AND state IN ('dead', 'expired')
       RETURNING *`,
      p.values,
    );
    return rows[0] ? rowToTask(rows[0]) : undefined;
  }

  async purgeTasks(filter: TaskFilter & { id?: string }, now: number): Promise<number> {
    const p = this.params();
    const where = filterConditions({ ...filter, states: filter.states ?? [...FINISHED] }, p);
    where.push(`(lease_until IS NULL OR lease_until <= ${p.add(now)})`);
    // The newest first, as TaskFilter says and the memory store does (and as a list shows them).
    const limit = filter.limit !== undefined ? ` ORDER BY created_at DESC, id DESC LIMIT ${p.add(filter.limit)}` : '';
    const { changes } = await this.run(`DELETE FROM accordo_tasks WHERE id IN (SELECT id FROM accordo_tasks WHERE ${where.join(' AND ')}${limit})`, p.values);
    return changes;
  }

  async addCorrelation(id: string, operation: string, now: number): Promise<void> {
    const p = this.params();
    const at = p.add(now);
    await this.run(
      `INSERT INTO accordo_correlations (id, operation, state, created_at, updated_at) VALUES (${p.add(id)}, ${p.add(operation)}, 'waiting', ${at}, ${at})
       ON CONFLICT (id) DO NOTHING`,
      p.values,
    );
  }

  async getCorrelation(id: string): Promise<CorrelationRecord | undefined> {
    const p = this.params();
    const { rows } = await this.run(`SELECT * FROM accordo_correlations WHERE id = ${p.add(id)}`, p.values);
    return rows[0] ? rowToCorrelation(rows[0]) : undefined;
  }

  async claimCorrelation(id: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const p = this.params();
    const at = p.add(now);
    const { changes } = await this.run(
      `UPDATE accordo_correlations SET state = 'handling', lease_owner = ${p.add(owner)}, lease_until = ${p.add(now + leaseMs)}, updated_at = ${at}
       WHERE id = ${p.add(id)} AND (state = 'waiting' OR (state = 'handling' AND lease_until <= ${at}))`,
      p.values,
    );
    return changes === 1;
  }

  async completeCorrelation(id: string, owner: string, result: unknown, ack: unknown, now: number): Promise<boolean> {
    const p = this.params();
    const { changes } = await this.run(
      `UPDATE accordo_correlations SET state = 'done', result = ${p.add(enc(result))}, ack = ${p.add(enc(ack))},
         lease_owner = NULL, lease_until = NULL, updated_at = ${p.add(now)}
       WHERE id = ${p.add(id)} AND state = 'handling' AND lease_owner = ${p.add(owner)}`,
      p.values,
    );
    return changes === 1;
  }

  async releaseCorrelation(id: string, owner: string, now: number): Promise<void> {
    const p = this.params();
    await this.run(
      `UPDATE accordo_correlations SET state = 'waiting', lease_owner = NULL, lease_until = NULL, updated_at = ${p.add(now)}
       WHERE id = ${p.add(id)} AND state = 'handling' AND lease_owner = ${p.add(owner)}`,
      p.values,
    );
  }

  async beginSend(id: string, now: number, until: number): Promise<void> {
    const p = this.params();
    await this.run(`INSERT INTO accordo_sends (id, started_at, until) VALUES (${p.add(id)}, ${p.add(now)}, ${p.add(until)})`, p.values);
    // Sends of a consumer that died are never ended: they lapse at their `until`, and are dropped here.
    const q = this.params();
    await this.run(`DELETE FROM accordo_sends WHERE until <= ${q.add(now)}`, q.values);
  }

  async endSend(id: string): Promise<void> {
    const p = this.params();
    await this.run(`DELETE FROM accordo_sends WHERE id = ${p.add(id)}`, p.values);
  }

  async sendsInFlight(now: number): Promise<number> {
    const q = this.params();
    const { rows } = await this.run(`SELECT COUNT(*) AS n FROM accordo_sends WHERE until > ${q.add(now)}`, q.values);
    return Number(rows[0]?.n ?? 0);
  }

  async purgeCorrelations(updatedBefore: number): Promise<number> {
    const p = this.params();
    const { changes } = await this.run(`DELETE FROM accordo_correlations WHERE updated_at < ${p.add(updatedBefore)} AND state <> 'handling'`, p.values);
    return changes;
  }

  async recordNonce(id: string, expiresAt: number, now: number): Promise<boolean> {
    const p = this.params();
    // One statement: of two instances racing on the same value, exactly one inserts (or takes over an expired record).
    const { changes } = await this.run(
      `INSERT INTO accordo_nonces (id, expires_at) VALUES (${p.add(id)}, ${p.add(expiresAt)})
       ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at WHERE accordo_nonces.expires_at <= ${p.add(now)}`,
      p.values,
    );
    return changes === 1;
  }

  async purgeNonces(now: number): Promise<number> {
    const p = this.params();
    const { changes } = await this.run(`DELETE FROM accordo_nonces WHERE expires_at <= ${p.add(now)}`, p.values);
    return changes;
  }
}
