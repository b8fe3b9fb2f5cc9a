import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import type { IncomingRequest } from '../http.js';
import { ProblemError } from '../problem.js';
import type { PullTask, PullTaskStore } from '../pull.js';
import type { Store } from './types.js';

const DEFAULT_RETENTION_MS = 5 * 24 * 60 * 60 * 1000;

/**
 * Pull task state on a {@link Store}: tasks survive restarts and can be read by any instance on
 * the same database, and a task whose process died before it finished turns `failed` (expired)
 * after the retention period instead of staying `running` for ever. Store states map to pull
 * states: `pending` → running, `ready` → done, `dead`/`expired` → failed.
 */
export class StorePullTaskStore implements PullTaskStore {
  private readonly owner = `pull:${randomUUID()}`;
  private readonly clock: Clock;
  private readonly retentionMs: number;

  constructor(
    private readonly store: Store,
    options: { retentionMs?: number; clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  }

  async create(task: PullTask & { request: IncomingRequest }): Promise<void> {
    const now = this.clock.now();
    const meta = { statusUrl: task.statusUrl, resultUrl: task.resultUrl };
    const created = await this.store.createTask({ id: task.id, kind: 'pull', operation: task.operation, request: task.request, meta, now, expiresAt: now + this.retentionMs });
    if (!created) throw new ProblemError(409, `a task with id ${JSON.stringify(task.id)} exists already`);
    // This process runs the task: it holds it for the retention period (a dead process's task expires).
    await this.store.claimTasks({ kind: 'pull', id: task.id, operations: [task.operation], states: ['pending'], owner: this.owner, now, leaseMs: this.retentionMs, limit: 1 });
  }

  async get(id: string): Promise<(PullTask & { result?: unknown }) | undefined> {
    const t = await this.store.getTask(id);
    if (!t || t.kind !== 'pull') return undefined;
    const { statusUrl, resultUrl } = (t.meta ?? {}) as { statusUrl: string; resultUrl: string };
    const base = { id: t.id, operation: t.operation, statusUrl, resultUrl };
    // A task whose process died stays pending: past its retention it is reported failed.
    if (t.state === 'pending' && t.expiresAt > this.clock.now()) return { ...base, state: 'running' };
    if (t.state === 'ready' || t.state === 'delivered') return { ...base, state: 'done', result: t.result };
    return { ...base, state: 'failed', failure: t.state === 'expired' || t.state === 'pending' ? 'the task did not finish within the retention period' : (t.lastError ?? 'the request could not be processed') };
  }

  async finish(id: string, outcome: { result: unknown } | { failure: string }): Promise<void> {
    const patch = 'result' in outcome ? { state: 'ready' as const, result: outcome.result ?? null } : { state: 'dead' as const, lastError: outcome.failure };
    await this.store.updateTask(id, this.owner, { ...patch, release: true }, this.clock.now());
  }
}
