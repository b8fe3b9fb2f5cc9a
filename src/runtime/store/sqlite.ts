import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ADDED_COLUMNS, schema, SqlStore, type Row } from './sql.js';
import { THREAD_SOURCE, type FromThread, type Job, type Outcome, type ToThread } from './sqlite-thread.js';

/** How long a statement may wait for a write lock another connection holds (default 1 s): then it fails, and a request is answered 503. */
export const DEFAULT_SQLITE_BUSY_MS = 1000;

type Result = { rows: Row[]; changes: number };
type Queued = { sql: string; params: unknown[]; since: number; resolve: (r: Result) => void; reject: (e: Error) => void };

const errorFrom = (e: { message: string; code?: string }): Error => Object.assign(new Error(e.message), e.code ? { code: e.code } : {});

/**
 * The embedded store: one SQLite file, WAL mode, no set-up. The connection lives in a thread of
 * its own: the statements issued while a batch commits are queued and sent together as the next
 * batch, one transaction (group commit), so the disk sync of one batch never stops the event loop
 * from reading and answering requests, and a busier server shares each sync among more requests.
 * Several processes may open the same file: writers are serialised by SQLite, and one that finds
 * the file locked waits without blocking: its batch is sent again on a timer, for up to `busyMs`,
 * then the statement fails. Reads need no lock (WAL). For instances on several machines use PostgreSQL.
 */
export class SqliteStore extends SqlStore {
  readonly description: string;
  protected readonly dialect = 'sqlite';
  private readonly queue: Queued[] = [];
  /** The batch the thread is running. */
  private inFlight?: Queued[];
  private scheduled = false;
  /** Set while the queue waits for a lock another connection holds. */
  private retry?: NodeJS.Timeout;
  private retryDelay = 0;
  private closed = false;
  private idle?: () => void;
  /** The number of each statement text the thread has been sent (it prepares each once). */
  private readonly statements = new Map<string, number>();

  private constructor(
    private readonly thread: Worker,
    file: string,
    private readonly busyMs: number,
  ) {
    super();
    this.description = `sqlite:${file}`;
    thread.on('message', (m: FromThread) => {
      if (m.type === 'done') this.done(m.outcomes);
    });
    thread.on('exit', () => {
      this.closed = true;
      this.settle(new Error('the SQLite store is closed'));
    });
    thread.on('error', (e) => {
      this.closed = true;
      this.settle(e);
    });
    // The thread keeps the process alive only while it runs a batch (as a synchronous call would).
    thread.unref();
  }

  /** Opens (creating when needed) the database file; `:memory:` gives a private in-memory database. */
  static async open(file: string, options: { busyMs?: number } = {}): Promise<SqliteStore> {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    const path = file === ':memory:' ? file : resolve(file);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // Plain JavaScript: none of the process's flags (a TypeScript loader under tsx, say) is needed in the thread.
    const thread = new Worker(THREAD_SOURCE, { eval: true, execArgv: [], workerData: { module, path, schema: schema('INTEGER'), added: ADDED_COLUMNS } });
    const opened = await new Promise<FromThread>((resolve, reject) => {
      thread.once('message', resolve);
      thread.once('error', reject);
    });
    if (opened.type !== 'opened') {
      await thread.terminate();
      const e = errorFrom(opened.type === 'failed' ? opened.error : { message: 'the SQLite thread did not open the database' });
      // A native module, built for the Node.js version it was installed with; the raw error names ABI numbers (a later attempt in the process: "did not self-register").
      if (/NODE_MODULE_VERSION|bindings|did not self-register/i.test(e.message)) {
        throw new Error(`the SQLite store needs better-sqlite3, whose native part does not load under this Node.js (${process.version}); run \`npm rebuild better-sqlite3\``, { cause: e });
      }
      throw e;
    }
    return new SqliteStore(thread, path, options.busyMs ?? DEFAULT_SQLITE_BUSY_MS);
  }

  /**
   * Statements are queued and sent together, at the end of the event-loop turn or once the batch
   * the thread is running commits, in one transaction: the requests accepted meanwhile share one
   * disk sync (group commit) instead of one each.
   */
  protected run(sql: string, params: unknown[]): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ sql, params, since: Date.now(), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.retry || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    this.retry = undefined;
    if (this.inFlight || this.queue.length === 0) return;
    if (this.closed) return this.abandon(this.queue.splice(0));
    const batch = this.queue.splice(0);
    this.inFlight = batch;
    this.thread.ref();
    this.post({ type: 'batch', jobs: batch.map((q) => this.job(q)) });
  }

  private job(q: Queued): Job {
    const id = this.statements.get(q.sql);
    if (id !== undefined) return { id, params: q.params };
    this.statements.set(q.sql, this.statements.size);
    return { id: this.statements.size - 1, sql: q.sql, params: q.params };
  }

  private post(m: ToThread): void {
    this.thread.postMessage(m);
  }

  private done(outcomes: Outcome[]): void {
    const batch = this.inFlight ?? [];
    this.inFlight = undefined;
    this.thread.unref();
    const locked: Queued[] = [];
    batch.forEach((q, i) => {
      const o = outcomes[i];
      if ('busy' in o) locked.push(q);
      else if ('error' in o) q.reject(errorFrom(o.error));
      else q.resolve(o);
    });
    if (locked.length) this.wait(locked);
    else if (batch.length) this.retryDelay = 0;
    if (this.idle) return this.idle();
    this.schedule();
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
    if (this.queue.length === 0 || this.retry || this.idle) return;
    this.retryDelay = Math.min(50, Math.max(1, this.retryDelay * 2));
    this.retry = setTimeout(() => this.send(), this.retryDelay);
  }

  private abandon(batch: Queued[]): void {
    for (const q of batch) q.reject(new Error('the SQLite store is closed'));
  }

  /** The thread is gone: what it ran and what waits fail. */
  private settle(e: Error): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    for (const q of [...(this.inFlight ?? []), ...this.queue.splice(0)]) q.reject(e);
    this.inFlight = undefined;
    this.idle?.();
  }

  /** Waits for the batch the thread is running, if any. */
  private drained(): Promise<void> {
    if (!this.inFlight) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idle = () => {
        this.idle = undefined;
        resolve();
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // What is queued runs once more; what still waits for a lock then fails now rather than after `busyMs`.
    clearTimeout(this.retry);
    this.retry = undefined;
    await this.drained();
    if (!this.closed && this.queue.length) {
      clearTimeout(this.retry);
      this.retry = undefined;
      this.send();
      await this.drained();
    }
    clearTimeout(this.retry);
    this.retry = undefined;
    this.closed = true;
    this.abandon(this.queue.splice(0));
    this.thread.ref();
    const exited = new Promise((resolve) => this.thread.once('exit', resolve));
    this.post({ type: 'close' });
    await exited;
  }
}
