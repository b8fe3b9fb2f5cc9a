import { FINISHED, newTaskRecord, type ClaimQuery, type CorrelationRecord, type NewTask, type Store, type TaskFilter, type TaskPatch, type TaskRecord } from './types.js';

/** Values go through JSON as in the database stores, so tests see the same copies and losses. */
const copy = <T>(value: T): T => (value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T));

/**
 * A store in process memory: for tests and development. Same semantics as the database stores;
 * nothing survives a restart.
 */
export class MemoryStore implements Store {
  readonly description = 'memory';
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly correlations = new Map<string, CorrelationRecord>();
  private readonly sends = new Map<string, number>();

  async createTask(t: NewTask): Promise<boolean> {
    if (this.tasks.has(t.id)) return false;
    // Copies, as the database stores keep what was written, not the caller's objects.
    this.tasks.set(t.id, newTaskRecord({ ...t, request: copy(t.request), meta: copy(t.meta) }));
    return true;
  }

  async claimTasks(q: ClaimQuery): Promise<TaskRecord[]> {
    const due = [...this.tasks.values()]
      .filter(
        (t) =>
          t.kind === q.kind &&
          (q.id === undefined || t.id === q.id) &&
          q.operations.includes(t.operation) &&
          q.states.includes(t.state) &&
          !(t.target !== undefined && q.skipTargets?.includes(t.target)) &&
          t.dueAt <= q.now &&
          t.expiresAt > q.now &&
          (t.leaseUntil === undefined || t.leaseUntil <= q.now),
      )
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, q.limit);
    for (const t of due) {
      t.leaseOwner = q.owner;
      t.leaseUntil = q.now + q.leaseMs;
      if (t.state === 'pending') t.runs++;
      t.updatedAt = q.now;
    }
    return due.map(copy);
  }

  async updateTask(id: string, owner: string, patch: TaskPatch, now: number): Promise<boolean> {
    const t = this.tasks.get(id);
    if (!t || t.leaseOwner !== owner) return false;
    if (patch.state !== undefined) t.state = patch.state;
    if (patch.result !== undefined) t.result = copy(patch.result);
    if (patch.attempts !== undefined) t.attempts = patch.attempts;
    if (patch.runs !== undefined) t.runs = patch.runs;
    if (patch.dueAt !== undefined) t.dueAt = patch.dueAt;
    if (patch.lastStatus !== undefined) t.lastStatus = patch.lastStatus ?? undefined;
    if (patch.lastResponse !== undefined) t.lastResponse = copy(patch.lastResponse);
    if (patch.lastError !== undefined) t.lastError = patch.lastError ?? undefined;
    if (patch.leaseUntil !== undefined) t.leaseUntil = patch.leaseUntil;
    if (patch.release) {
      delete t.leaseOwner;
      delete t.leaseUntil;
    }
    t.updatedAt = now;
    return true;
  }

  async expireTasks(now: number, kind?: string): Promise<TaskRecord[]> {
    const expired: TaskRecord[] = [];
    for (const t of this.tasks.values()) {
      if ((kind === undefined || t.kind === kind) && (t.state === 'pending' || t.state === 'ready') && t.expiresAt <= now && (t.leaseUntil === undefined || t.leaseUntil <= now)) {
        t.state = 'expired';
        delete t.leaseOwner;
        delete t.leaseUntil;
        t.updatedAt = now;
        expired.push(copy(t));
      }
    }
    return expired;
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    return copy(this.tasks.get(id));
  }

  async listTasks(filter: TaskFilter = {}): Promise<TaskRecord[]> {
    return this.matching(filter)
      .slice(0, filter.limit ?? 100)
      .map(copy);
  }

  async retryTask(id: string, now: number, retentionMs: number): Promise<TaskRecord | undefined> {
    const t = this.tasks.get(id);
    if (!t || (t.state !== 'dead' && t.state !== 'expired')) return undefined;
    t.state = t.result !== undefined ? 'ready' : 'pending';
    t.attempts = 0;
    t.dueAt = now;
    t.expiresAt = now + retentionMs;
    delete t.leaseOwner;
    delete t.leaseUntil;
    t.updatedAt = now;
    return copy(t);
  }

  async purgeTasks(filter: TaskFilter & { id?: string }, now: number): Promise<number> {
    const states = filter.states ?? [...FINISHED];
    // Leased tasks are left out before the limit is applied, as the SQL stores do.
    const victims = this.matching({ ...filter, states })
      .filter((t) => (filter.id === undefined || t.id === filter.id) && (t.leaseUntil === undefined || t.leaseUntil <= now))
      .slice(0, filter.limit ?? Infinity);
    for (const t of victims) this.tasks.delete(t.id);
    return victims.length;
  }

  /** The tasks a filter matches, newest first (its limit is the caller's to apply). */
  private matching(f: TaskFilter): TaskRecord[] {
    return [...this.tasks.values()]
      .filter(
        (t) =>
          (f.kind === undefined || t.kind === f.kind) &&
          (f.states === undefined || f.states.includes(t.state)) &&
          (f.operation === undefined || t.operation === f.operation) &&
          (f.reference === undefined || t.reference === f.reference) &&
          (f.updatedBefore === undefined || t.updatedAt < f.updatedBefore),
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }

  async addCorrelation(id: string, operation: string, now: number): Promise<void> {
    if (!this.correlations.has(id)) this.correlations.set(id, { id, operation, state: 'waiting', createdAt: now, updatedAt: now });
  }

  async getCorrelation(id: string): Promise<CorrelationRecord | undefined> {
    return copy(this.correlations.get(id));
  }

  async claimCorrelation(id: string, owner: string, now: number, leaseMs: number): Promise<boolean> {
    const c = this.correlations.get(id);
    if (!c || !(c.state === 'waiting' || (c.state === 'handling' && (c.leaseUntil ?? 0) <= now))) return false;
    Object.assign(c, { state: 'handling', leaseOwner: owner, leaseUntil: now + leaseMs, updatedAt: now });
    return true;
  }

  async completeCorrelation(id: string, owner: string, result: unknown, ack: unknown, now: number): Promise<boolean> {
    const c = this.correlations.get(id);
    if (!c || c.state !== 'handling' || c.leaseOwner !== owner) return false;
    Object.assign(c, { state: 'done', result: copy(result), ack: copy(ack), updatedAt: now });
    delete c.leaseOwner;
    delete c.leaseUntil;
    return true;
  }

  async releaseCorrelation(id: string, owner: string, now: number): Promise<void> {
    const c = this.correlations.get(id);
    if (!c || c.state !== 'handling' || c.leaseOwner !== owner) return;
    Object.assign(c, { state: 'waiting', updatedAt: now });
    delete c.leaseOwner;
    delete c.leaseUntil;
  }

  async purgeCorrelations(updatedBefore: number): Promise<number> {
    let n = 0;
    for (const c of [...this.correlations.values()]) {
      if (c.updatedAt < updatedBefore && c.state !== 'handling') {
        this.correlations.delete(c.id);
        n++;
      }
    }
    return n;
  }

  private readonly nonces = new Map<string, number>();

  async recordNonce(id: string, expiresAt: number, now: number): Promise<boolean> {
    const until = this.nonces.get(id);
    if (until !== undefined && until > now) return false;
    this.nonces.set(id, expiresAt);
    return true;
  }

  async purgeNonces(now: number): Promise<number> {
    let n = 0;
    for (const [id, until] of this.nonces) if (until <= now) (this.nonces.delete(id), n++);
    return n;
  }

  async beginSend(id: string, _now: number, until: number): Promise<void> {
    this.sends.set(id, until);
  }

  async endSend(id: string): Promise<void> {
    this.sends.delete(id);
  }

  async sendsInFlight(now: number): Promise<number> {
    let n = 0;
    for (const [id, until] of this.sends) {
      if (until > now) n++;
      else this.sends.delete(id);
    }
    return n;
  }

  async close(): Promise<void> {}
}
