import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from './clock.js';
import { RuntimeProblemError } from './problem.js';
import { FINISHED, TASK_STATES, type Store, type TaskRecord, type TaskState } from './store/types.js';

/**
 * The operator's view of push deliveries: list, inspect, retry and purge. These functions are
 * what the `accordo deliveries` CLI and the admin routes call.
 */

export const DEFAULT_RETENTION_MS = 5 * 24 * 60 * 60 * 1000;

export interface DeliveryFilter {
  states?: TaskState[];
  operation?: string;
  /** Only deliveries last changed before this time (epoch ms). */
  updatedBefore?: number;
  limit?: number;
}

export function listDeliveries(store: Store, filter: DeliveryFilter = {}): Promise<TaskRecord[]> {
  return store.listTasks({ ...filter, kind: 'push' });
}

export async function inspectDelivery(store: Store, id: string): Promise<TaskRecord | undefined> {
  const t = await store.getTask(id);
  return t?.kind === 'push' ? t : undefined;
}

/**
 * Puts a dead or expired delivery back to work: the callback is sent again (or the handler run
 * again when it had failed) and kept for another retention period. `undefined` when there is no
 * such delivery or it is not dead or expired.
 */
export async function retryDelivery(store: Store, id: string, options: { now?: number; retentionMs?: number } = {}): Promise<TaskRecord | undefined> {
  if (!(await inspectDelivery(store, id))) return undefined;
  return store.retryTask(id, options.now ?? Date.now(), options.retentionMs ?? DEFAULT_RETENTION_MS);
}

/**
 * Deletes finished deliveries (by default all of `delivered`, `dead`, `expired`); returns how
 * many. Unfinished ones are accepted work and are never purged.
 */
export function purgeDeliveries(store: Store, filter: DeliveryFilter & { id?: string } = {}, now = Date.now()): Promise<number> {
  const unfinished = filter.states?.find((s) => !FINISHED.includes(s));
  if (unfinished) throw new RangeError(`${unfinished} deliveries are unfinished work and cannot be purged`);
  return store.purgeTasks({ ...filter, kind: 'push', states: filter.states ?? [...FINISHED] }, now);
}

export interface AdminOptions {
  /** The bearer token every admin request must carry (at least 16 characters). */
  token: string;
  /** Where the routes are mounted (default `/_accordo`). */
  prefix?: string;
}

/** A delivery as the admin routes show it: times as ISO strings; the list leaves out the payloads. */
function view(t: TaskRecord, full: boolean): Record<string, unknown> {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  const { request, result, lastResponse, ...rest } = t;
  return {
    ...rest,
    dueAt: iso(t.dueAt),
    leaseUntil: iso(t.leaseUntil),
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
    expiresAt: iso(t.expiresAt),
    ...(full ? { request, result, lastResponse } : {}),
  };
}

function parseFilter(query: Record<string, unknown>): DeliveryFilter {
  const filter: DeliveryFilter = {};
  if (query.state !== undefined) {
    const states = String(query.state).split(',');
    const wrong = states.find((s) => !TASK_STATES.includes(s as TaskState));
    if (wrong !== undefined) throw new RuntimeProblemError('request-invalid', `unknown state ${JSON.stringify(wrong)}; expected ${TASK_STATES.join(', ')}`);
    filter.states = states as TaskState[];
  }
  if (query.operation !== undefined) filter.operation = String(query.operation);
  if (query.limit !== undefined) {
    const limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RuntimeProblemError('request-invalid', 'limit must be an integer from 1 to 1000');
    filter.limit = limit;
  }
  if (query.before !== undefined) {
    const before = Date.parse(String(query.before));
    if (!Number.isFinite(before)) throw new RuntimeProblemError('request-invalid', 'before must be a date-time such as 2025-01-31T00:00:00Z');
    filter.updatedBefore = before;
  }
  return filter;
}

/** Refuses admin settings without a usable token (before anything is opened). */
export function checkAdminOptions(options: AdminOptions): void {
  if (typeof options.token !== 'string' || options.token.length < 16) throw new Error('admin routes need a token of at least 16 characters');
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The admin routes, protected by a bearer token:
 * `GET {prefix}/deliveries?state=&operation=&limit=`, `GET {prefix}/deliveries/:id`,
 * `POST {prefix}/deliveries/:id/retry`, `DELETE {prefix}/deliveries/:id`,
 * `DELETE {prefix}/deliveries?state=&operation=&before=`.
 */
export async function registerDeliveryAdmin(app: FastifyInstance, store: Store, options: AdminOptions & { clock?: Clock; retentionMs?: number; onRetry?: () => void }): Promise<void> {
  checkAdminOptions(options);
  const expected = digest(`Bearer ${options.token}`);
  const clock = options.clock ?? systemClock;
  await app.register(
    async (admin) => {
      admin.addHook('onRequest', async (req, reply) => {
        const given = digest(String(req.headers.authorization ?? ''));
        if (!timingSafeEqual(given, expected)) {
          reply.header('www-authenticate', 'Bearer realm="accordo-admin"');
          throw new RuntimeProblemError('admin-unauthorized', 'a valid admin bearer token is required');
        }
      });
      admin.get('/deliveries', async (req) => {
        const items = await listDeliveries(store, parseFilter(req.query as Record<string, unknown>));
        return { items: items.map((t) => view(t, false)) };
      });
      admin.get<{ Params: { id: string } }>('/deliveries/:id', async (req) => {
        const t = await inspectDelivery(store, req.params.id);
        if (!t) throw new RuntimeProblemError('delivery-not-found', `no delivery ${JSON.stringify(req.params.id)}`);
        return view(t, true);
      });
      admin.post<{ Params: { id: string } }>('/deliveries/:id/retry', async (req) => {
        const t = await retryDelivery(store, req.params.id, { now: clock.now(), retentionMs: options.retentionMs });
        if (!t) {
          if (!(await inspectDelivery(store, req.params.id))) throw new RuntimeProblemError('delivery-not-found', `no delivery ${JSON.stringify(req.params.id)}`);
          throw new RuntimeProblemError('delivery-conflict', 'only dead or expired deliveries can be retried');
        }
        options.onRetry?.();
        return view(t, false);
      });
      admin.delete<{ Params: { id: string } }>('/deliveries/:id', async (req, reply) => {
        if (!(await inspectDelivery(store, req.params.id))) throw new RuntimeProblemError('delivery-not-found', `no delivery ${JSON.stringify(req.params.id)}`);
        if ((await purgeDeliveries(store, { id: req.params.id }, clock.now())) === 0)
          throw new RuntimeProblemError('delivery-conflict', 'only finished deliveries (delivered, dead, expired) can be purged');
        return reply.code(204).send();
      });
      admin.delete('/deliveries', async (req) => {
        const filter = parseFilter(req.query as Record<string, unknown>);
        if (filter.states?.some((s) => !FINISHED.includes(s))) throw new RuntimeProblemError('request-invalid', 'only delivered, dead and expired deliveries can be purged');
        return { purged: await purgeDeliveries(store, filter, clock.now()) };
      });
    },
    { prefix: options.prefix ?? '/_accordo' },
  );
}
