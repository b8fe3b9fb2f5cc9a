import { PATTERN_EXTENSION, isPattern, type Operation, type Pattern, type PatternDecision } from '../model/agreement.js';
import { addressCarrier, describeCarrier, isReplyToHeader } from './callbacks.js';
import { CORRELATION_ID, REPLY_TO, hasHeaderParameter, responseHasHeader, responseOf } from './carriers.js';

type OperationShape = Omit<Operation, 'pattern'>;

/**
 * Derives the ModI pattern of one REST operation from the shape of its spec, and lists the facts
 * that decided it. An entry of the config file (`override`), or `x-modi-pattern` on the
 * operation, overrides the shape. Roles that need the other operations of the interface (the
 * PULL status and result) are settled by `classifyInterface`.
 */
export function detectRestPattern(op: OperationShape, override?: Pattern): PatternDecision {
  if (override) return withRole(op, { pattern: override, decidedBy: 'config', facts: [`accordo.config.yaml sets ${override}`] });
  const ext = op.extensions[PATTERN_EXTENSION];
  if (isPattern(ext)) return withRole(op, { pattern: ext, decidedBy: 'extension', facts: [`${PATTERN_EXTENSION}: ${ext}`] });
  const decision = restShape(op);
  // An unknown value is ignored for detection (lint reports it); say so where the user looks.
  if (ext !== undefined) decision.facts.push(`${PATTERN_EXTENSION}: ${JSON.stringify(ext)} is not a pattern name, ignored`);
  return decision;
}

function restShape(op: OperationShape): PatternDecision {
  const push: string[] = [];
  if (hasHeaderParameter(op, REPLY_TO)) push.push(`header parameter ${REPLY_TO}`);
  for (const cb of op.callbacks) push.push(`callback "${cb.name}" is sent to the URL in ${describeCarrier(addressCarrier(cb.expression))}`);
  const accepted = responseOf(op, '202');
  // Callbacks addressed otherwise than by X-ReplyTo, on a request that answers for itself (201 + body, not 202): a subscription.
  if (op.callbacks.length > 0 && !accepted && !hasHeaderParameter(op, REPLY_TO) && !op.callbacks.some((cb) => isReplyToHeader(cb.expression))) {
    const answer = op.responses.find((r) => r.status.startsWith('2'));
    push.push(answer ? `${answer.status} response: the request's own answer, no 202` : 'no 202 response');
    return { pattern: 'SUBSCRIPTION_REST', decidedBy: 'shape', facts: push, role: 'request' };
  }
  if (push.length > 0) {
    if (responseHasHeader(op, '202', CORRELATION_ID)) push.push(`202 response with header ${CORRELATION_ID}`);
    else if (accepted) push.push('202 response');
    return { pattern: 'NONBLOCK_PUSH_REST', decidedBy: 'shape', facts: push, role: 'request' };
  }
  if (op.method === 'post' && hasHeaderParameter(op, CORRELATION_ID)) {
    return {
      pattern: 'NONBLOCK_PUSH_REST',
      decidedBy: 'shape',
      facts: ['POST', `header parameter ${CORRELATION_ID} and no ${REPLY_TO}: receives the result of a push (step 3)`],
      role: 'callback',
    };
  }
  if (op.method !== 'get' && op.method !== 'head' && responseHasHeader(op, '202', 'Location')) {
    return {
      pattern: 'NONBLOCK_PULL_REST',
      decidedBy: 'shape',
      facts: [op.method.toUpperCase(), '202 response with header Location (status URL)'],
      role: 'request',
    };
  }
  if (op.method === 'get' && responseHasHeader(op, '303', 'Location')) {
    const facts = ['GET', '303 response with header Location (result URL)'];
    if (responseOf(op, '200')) facts.push('200 response (still running)');
    return { pattern: 'NONBLOCK_PULL_REST', decidedBy: 'shape', facts, role: 'status' };
  }
  return {
    pattern: 'BLOCK_REST',
    decidedBy: 'shape',
    facts: [`no ${REPLY_TO}, callbacks, ${CORRELATION_ID} parameter, 202 + Location or 303 + Location: a blocking request/response`],
  };
}

/** The role an operation declared to follow `pattern` has on its own; PULL GETs are refined by `classifyInterface`. */
function withRole(op: OperationShape, decision: PatternDecision): PatternDecision {
  switch (decision.pattern) {
    case 'NONBLOCK_PUSH_REST':
      decision.role = !hasHeaderParameter(op, REPLY_TO) && op.callbacks.length === 0 && hasHeaderParameter(op, CORRELATION_ID) ? 'callback' : 'request';
      break;
    case 'NONBLOCK_PULL_REST':
      decision.role = op.method !== 'get' ? 'request' : responseOf(op, '303') ? 'status' : 'result';
      break;
    case 'SUBSCRIPTION_REST':
      decision.role = op.callbacks.length > 0 ? 'request' : 'callback';
      break;
  }
  return decision;
}

const trimSlash = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);
const segmentsOf = (path: string) => trimSlash(path).split('/').filter(Boolean);
const paramName = (segment: string) => /^\{([^}]+)\}$/.exec(segment)?.[1];
const RESULT_SEGMENT = /^(results?|risultat[oi]|esito|response|output)$/i;

/** `path` is `base` plus exactly one path parameter (trailing slashes ignored): the task id. */
function taskParamAfter(base: string, path: string): string | undefined {
  const b = segmentsOf(base);
  const p = segmentsOf(path);
  if (p.length !== b.length + 1 || b.some((s, i) => s !== p[i])) return undefined;
  return paramName(p[p.length - 1]);
}

const isPull = (op: Operation) => op.pattern.pattern === 'NONBLOCK_PULL_REST';
/** A GET that detection left as BLOCK_REST, or declared PULL by the user: may be a status or result of a group. */
const groupable = (op: Operation) => op.method === 'get' && ((op.pattern.pattern === 'BLOCK_REST' && op.pattern.decidedBy === 'shape') || (isPull(op) && op.pattern.decidedBy !== 'shape'));

/**
 * Settles what needs the whole interface: the operations of a NONBLOCK_PULL_REST group (the
 * request, its status check and its result fetch, in either path layout of the guideline's
 * examples: `/tasks/queue` + `/tasks/queue/{id}` + `/tasks/result/{id}`, or
 * `/resources/{id}/M` + `.../M/{id_task}` + `.../M/{id_task}/result`), and the callbacks
 * declared by operations, which follow their operation's pattern. Called by the loader once
 * all operations are read; mutates and returns `ops`.
 */
export function classifyInterface(ops: Operation[]): Operation[] {
  for (const op of ops) {
    for (const cb of op.callbacks) {
      for (const cbOp of cb.operations) {
        const fact = `callback "${cb.name}" of operation ${op.id} (${op.pattern.pattern}, decided by ${op.pattern.decidedBy})`;
        cbOp.pattern =
          cbOp.pattern.decidedBy === 'shape'
            ? { pattern: op.pattern.pattern, decidedBy: op.pattern.decidedBy, facts: [fact], role: 'callback', correlatedWith: op.id }
            : { ...cbOp.pattern, role: 'callback', correlatedWith: op.id };
      }
    }
  }

  const grouped = new Set<Operation>();
  const requests = ops.filter((op) => isPull(op) && op.pattern.role === 'request');
  const statuses = new Map<Operation, { request?: Operation; task?: string }>();

  for (const request of requests) {
    grouped.add(request);
    // GET <request path>/{task}: the status check when it has the shape (303), or the user declared it PULL.
    const looksLikeStatus = (op: Operation) => (isPull(op) && op.pattern.role === 'status') || (groupable(op) && (!!responseOf(op, '303') || op.pattern.decidedBy !== 'shape'));
    const status = ops.find((op) => !grouped.has(op) && taskParamAfter(request.path, op.path) && op.method === 'get' && looksLikeStatus(op));
    if (!status) continue;
    const task = taskParamAfter(request.path, status.path);
    setRole(status, 'status', request.id, [`GET on the path of PULL request ${request.id} plus the task id {${task}}`]);
    grouped.add(status);
    statuses.set(status, { request, task });
  }
  // Status checks whose path does not extend a request's: pair the only unpaired ones.
  const loneStatuses = ops.filter((op) => isPull(op) && op.pattern.role === 'status' && !grouped.has(op));
  const loneRequests = requests.filter((r) => ![...statuses.values()].some((s) => s.request === r));
  for (const status of loneStatuses) {
    grouped.add(status);
    const request = loneStatuses.length === 1 && loneRequests.length === 1 ? loneRequests[0] : undefined;
    if (request) setRole(status, 'status', request.id, [`the only status check and the only PULL request ${request.id} of the interface`]);
    statuses.set(status, { request, task: lastParam(status.path) });
  }

  for (const [status, { request, task }] of statuses) {
    const result = findResult(ops, status, task, grouped);
    if (!result) continue;
    grouped.add(result.op);
    setRole(result.op, 'result', (request ?? status).id, [result.fact]);
  }

  // Operations the user declared PULL that fit no group keep the role their own shape gives.
  return ops;
}

function lastParam(path: string): string | undefined {
  const segs = segmentsOf(path);
  return paramName(segs[segs.length - 1] ?? '');
}

function findResult(ops: Operation[], status: Operation, task: string | undefined, grouped: Set<Operation>): { op: Operation; fact: string } | undefined {
  const statusSegs = segmentsOf(status.path);
  let best: { op: Operation; fact: string; score: number }[] = [];
  for (const op of ops) {
    if (op === status || grouped.has(op) || !groupable(op)) continue;
    const segs = segmentsOf(op.path);
    const extendsStatus = segs.length > statusSegs.length && statusSegs.every((s, i) => s === segs[i]);
    const carriesTask = task !== undefined && segs.some((s) => paramName(s) === task);
    if (!extendsStatus && !carriesTask) continue;
    const named = segs.find((s) => RESULT_SEGMENT.test(s));
    const score = (extendsStatus ? 2 : 0) + (named ? 1 : 0);
    if (score === 0) continue;
    const fact = extendsStatus
      ? `GET under the path of status check ${status.id}${named ? ` (segment "${named}")` : ''}`
      : `GET carrying the task id {${task}} of status check ${status.id}, segment "${named}"`;
    if (best.length === 0 || score > best[0].score) best = [{ op, fact, score }];
    else if (score === best[0].score) best.push({ op, fact, score });
  }
  // Two equally good candidates: guessing would wire the wrong handler, so declare none.
  return best.length === 1 ? best[0] : undefined;
}

function setRole(op: Operation, role: 'status' | 'result', correlatedWith: string, facts: string[]): void {
  let own = op.pattern.decidedBy === 'shape' && isPull(op) ? op.pattern.facts.filter((f) => f !== 'GET') : [];
  if (op.pattern.decidedBy === 'shape' && own.length === 0) {
    // Was BLOCK_REST on its own: say which responses fit the role.
    own = role === 'status' ? ['200', '303'].filter((s) => responseOf(op, s)).map((s) => `${s} response`) : responseOf(op, '200') ? ['200 response (the result)'] : [];
  }
  op.pattern =
    op.pattern.decidedBy === 'shape'
      ? { pattern: 'NONBLOCK_PULL_REST', decidedBy: 'shape', facts: [...facts, ...own], role, correlatedWith }
      : { ...op.pattern, facts: [...op.pattern.facts, ...facts], role, correlatedWith };
}

/**
 * The operations of a REST callback spec (the consumer's side, e.g. client.yaml) are where the
 * consumer receives push results: NONBLOCK_PUSH_REST callbacks, unless the user declared a pattern.
 * For the caller that loads the callback spec; mutates and returns `ops`.
 */
export function classifyCallbackInterface(ops: Operation[]): Operation[] {
  const fact = 'operation of the callback spec: the consumer receives push results here (step 3)';
  for (const op of ops) {
    if (op.pattern.decidedBy !== 'shape') continue;
    const own = op.pattern.role === 'callback' ? op.pattern.facts : [];
    op.pattern = { pattern: 'NONBLOCK_PUSH_REST', decidedBy: 'shape', facts: [fact, ...own], role: 'callback' };
  }
  return ops;
}
