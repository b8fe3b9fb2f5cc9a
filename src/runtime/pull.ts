import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OperationDescriptor, SecurityDescriptor } from './descriptors.js';
import { acceptPull, findPullTask, type PullHandler, type PullTaskStore } from './engines/pull.js';
import type { TaskRuntime } from './engines/tasks.js';
import { declaredResponse, requestParser, routePath, sendJson, type IncomingRequest } from './http.js';
import { callOperation, send, UnexpectedResponseError, type OutgoingRequest } from './outbound.js';
import { ProblemError, RuntimeProblemError } from './problem.js';
import { verifiedSecurity } from './security/inbound.js';
import type { SecuredRoute } from './security/routes.js';
import type { Validators } from './validation.js';

// The pull engine's types, under the names generated REST code has always used.
export { MemoryPullTaskStore, StorePullTaskStore, type PullContext, type PullHandler, type PullTask, type PullTaskStore, type TaskState } from './engines/pull.js';

/**
 * NONBLOCK_PULL_REST: `POST` → `202` + ACK + `Location: <status URL>`; `GET <status URL>` →
 * `200` while the task runs, `303 See Other` + `Location: <result URL>` once it is done;
 * `GET <result URL>` → `200` + result.
 */
export interface PullDescriptor extends OperationDescriptor {
  pull: {
    /** The status check: the spec's operation, or the default `<request path>/{id_task}`. */
    status: OperationDescriptor;
    /** The result fetch: the spec's operation, or the default `<status path>/result`. */
    result: OperationDescriptor;
    /** The path parameter of the status and result paths that holds the task id. */
    taskParam: string;
  };
}

export interface PullProviderOptions {
  /** Supplies the task id of an accepted request (default: a random UUID). */
  taskId?: (operationId: string, request: IncomingRequest) => string | Promise<string>;
  /** @deprecated Pull tasks live in the provider's `store`; a StorePullTaskStore given here lends its store. */
  store?: PullTaskStore;
  /** Public base URL of the provider: makes `Location` absolute (default: an absolute path). */
  publicUrl?: string;
  /** Seconds the client is told to wait between status checks (`Retry-After` on 200), if set. */
  retryAfterSeconds?: number;
}

function fill(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(values[name] ?? '')));
}

/** NONBLOCK_PULL_REST: the pull engine's three steps as routes (task id in the status and result URLs). */
export function registerPull(
  app: FastifyInstance,
  op: PullDescriptor,
  handler: PullHandler<IncomingRequest, unknown, unknown, unknown>,
  validators: Validators,
  options: PullProviderOptions,
  tasks: TaskRuntime,
  /** The checks of each route's declared security (request, status, result). */
  secured: SecuredRoute = () => ({}),
): void {
  const { status, result, taskParam } = op.pull;
  const base = (options.publicUrl ?? '').replace(/\/+$/, '') + app.prefix;
  const parse = requestParser(validators, op);
  const accepted = declaredResponse(op.responses, 202);
  const statusOk = declaredResponse(status.responses, 200);
  const seeOther = declaredResponse(status.responses, 303);
  const resultOk = declaredResponse(result.responses, 200);
  const taskOf = async (req: FastifyRequest, which: OperationDescriptor) => {
    const params = req.params as Record<string, string>;
    const index = routePath(which.path).names.indexOf(taskParam);
    const id = params[`p${index}`];
    const task = id === undefined ? undefined : await findPullTask(tasks, op.id, id);
    if (!task) throw new RuntimeProblemError('task-not-found', `unknown task ${JSON.stringify(id ?? '')}`);
    return task;
  };

  app.route({
    ...secured(op.security),
    method: op.method,
    url: routePath(op.path).url,
    handler: async (req: FastifyRequest, reply: FastifyReply) => {
      const request = parse(req);
      const urls = (id: string) => {
        const values = { ...request.path, [taskParam]: id };
        return { statusUrl: base + fill(status.path, values), resultUrl: base + fill(result.path, values) };
      };
      const { ack, statusUrl } = await acceptPull(tasks, op.id, request, handler, req.log, { taskId: options.taskId, urls, security: verifiedSecurity(req) });
      return sendJson(reply, 202, ack, { Location: statusUrl }, accepted?.mediaTypes[0]);
    },
  });

  app.route({
    ...secured(status.security),
    method: 'GET',
    url: routePath(status.path).url,
    handler: async (req, reply) => {
      const task = await taskOf(req, status);
      const security = verifiedSecurity(req);
      const body = await handler.status(task, { log: req.log, ...(security ? { security } : {}) });
      if (task.state === 'done') {
        return sendJson(reply, 303, body, { Location: task.resultUrl, 'Content-Location': task.statusUrl }, seeOther?.mediaTypes[0] ?? statusOk?.mediaTypes[0]);
      }
      const headers: Record<string, string> = options.retryAfterSeconds && task.state === 'running' ? { 'Retry-After': String(options.retryAfterSeconds) } : {};
      return sendJson(reply, 200, body, headers, statusOk?.mediaTypes[0]);
    },
  });

  app.route({
    ...secured(result.security),
    method: 'GET',
    url: routePath(result.path).url,
    handler: async (req, reply) => {
      const task = await taskOf(req, result);
      if (task.state === 'failed') throw new ProblemError(422, `task ${JSON.stringify(task.id)} failed: ${task.failure}`);
      if (task.state !== 'done') throw new RuntimeProblemError('task-not-ready', `the result of task ${JSON.stringify(task.id)} is not ready`);
      return sendJson(reply, 200, task.result, {}, resultOk?.mediaTypes[0]);
    },
  });
}

// ---- consumer side ------------------------------------------------------------------------

export interface PullAccepted<Ack> {
  /** Absolute status URL (the 202's `Location`, resolved against the request URL). */
  statusUrl: string;
  ack: Ack;
}

/** A status check's answer, or a 429/503 telling the client to come back later. */
export type PullCheck<Status> = PullStatus<Status> | { state: 'unavailable'; retryAfterMs?: number };

export type PullStatus<Status> = { state: 'running'; body: Status; retryAfterMs?: number } | { state: 'done'; body: Status; resultUrl: string };

export interface PollOptions {
  /** Give up after this many ms (default 5 minutes) with a PullTimeoutError. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** First wait between status checks (default 250 ms), growing by half each time up to `maxDelayMs` (default 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Per-request timeout (default 30 s). */
  requestTimeoutMs?: number;
}

export class PullTimeoutError extends Error {
  constructor(
    /** The status URL (REST) or the CorrelationID (SOAP) of the task. */
    readonly statusUrl: string,
    readonly timeoutMs: number,
  ) {
    super(`the task ${statusUrl} was not done within ${timeoutMs} ms`);
    this.name = 'PullTimeoutError';
  }
}

interface PullClientOptions {
  baseUrl: string;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Step 1-2: submits the request; expects `202` + `Location`. */
export async function submitPull(op: OperationDescriptor, req: OutgoingRequest, options: PullClientOptions): Promise<PullAccepted<unknown>> {
  const res = await callOperation(options.baseUrl, op, { ...req, headers: { ...options.headers, ...req.headers } }, options);
  const location = res.headers.get('location');
  if (res.status !== 202) throw new UnexpectedResponseError(op.id, res.status, res.body);
  if (!location) throw new UnexpectedResponseError(op.id, res.status, { detail: '202 without Location' });
  return { statusUrl: new URL(location, options.baseUrl.replace(/\/?$/, '/')).toString(), ack: res.body };
}

/** Step 3-4: one status check. 303 is not followed here: its `Location` is returned. */
export async function checkPull(statusUrl: string, options: PullClientOptions, profile?: SecurityDescriptor): Promise<PullCheck<unknown>> {
  const res = await send('GET', statusUrl, { ...options.headers }, undefined, options, profile);
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  if (res.status === 200) return { state: 'running', body: res.body, retryAfterMs };
  if (res.status === 303) {
    const location = res.headers.get('location');
    if (!location) throw new UnexpectedResponseError('status', 303, { detail: '303 without Location' });
    return { state: 'done', body: res.body, resultUrl: new URL(location, statusUrl).toString() };
  }
  if (res.status === 503 || res.status === 429) return { state: 'unavailable', retryAfterMs };
  throw new UnexpectedResponseError('status', res.status, res.body);
}

/** Step 5-6: fetches the result. */
export async function fetchPullResult(resultUrl: string, options: PullClientOptions, profile?: SecurityDescriptor): Promise<unknown> {
  const res = await send('GET', resultUrl, { ...options.headers }, undefined, options, profile);
  if (res.status !== 200) throw new UnexpectedResponseError('result', res.status, res.body);
  return res.body;
}

/** Polls a status URL until the task is done (honouring `Retry-After`), then fetches the result. */
export async function awaitPull(
  statusUrl: string,
  options: PullClientOptions,
  poll: PollOptions = {},
  /** The status and result steps' declared security (the operation's `pull`). */
  steps?: { status: { security?: SecurityDescriptor }; result: { security?: SecurityDescriptor } },
): Promise<unknown> {
  const timeoutMs = poll.timeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  let delay = poll.initialDelayMs ?? 250;
  const maxDelay = poll.maxDelayMs ?? 10_000;
  for (;;) {
    poll.signal?.throwIfAborted();
    const status = await checkPull(statusUrl, { ...options, timeoutMs: poll.requestTimeoutMs ?? options.timeoutMs }, steps?.status.security);
    if (status.state === 'done') return fetchPullResult(status.resultUrl, options, steps?.result.security);
    const wait = status.retryAfterMs ?? delay;
    delay = Math.min(maxDelay, Math.ceil(delay * 1.5));
    if (Date.now() + wait > deadline) throw new PullTimeoutError(statusUrl, timeoutMs);
    await sleep(wait, poll.signal);
  }
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
