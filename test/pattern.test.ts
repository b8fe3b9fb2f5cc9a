import { describe, expect, it } from 'vitest';
import type { Callback, HttpMethod, Operation, Pattern } from '../src/model/agreement.js';
import { parseRuntimeExpression } from '../src/model/expression.js';
import { classifyCallbackInterface, classifyInterface, detectRestPattern } from '../src/classify/rest.js';

/** A REST operation as the loader builds it: `responses` maps status → response header names. */
function op(id: string, method: HttpMethod, path: string, spec: { responses?: Record<string, string[]>; headers?: string[]; callbacks?: string[]; ext?: string; override?: Pattern } = {}): Operation {
  const shape = {
    id,
    idDerived: false,
    method,
    path,
    parameters: (spec.headers ?? []).map((name) => ({ name, in: 'header' as const, required: true, schema: { type: 'string' } })),
    responses: Object.entries(spec.responses ?? { '200': [] }).map(([status, headers]) => ({
      status,
      headers: headers.map((name) => ({ name, required: true, schema: { type: 'string' } })),
      contents: [],
    })),
    callbacks: (spec.callbacks ?? []).map((expr): Callback => {
      const expression = parseRuntimeExpression(expr);
      if ('error' in expression) throw new Error(expression.error);
      const cbOp = op(`${id}Callback`, 'post', expr);
      return { name: 'cb', expression, operations: [cbOp] };
    }),
    extensions: spec.ext ? { 'x-modi-pattern': spec.ext } : {},
    location: { file: '/spec.yaml', pointer: `/paths/${path}/${method}` },
  };
  return { ...shape, pattern: detectRestPattern(shape, spec.override) };
}

const decisions = (ops: Operation[]) => Object.fromEntries(classifyInterface(ops).map((o) => [o.id, [o.pattern.pattern, o.pattern.role, o.pattern.correlatedWith].filter(Boolean).join(':')]));

describe('detectRestPattern', () => {
  it('PUSH request from X-ReplyTo alone, or from callbacks alone', () => {
    expect(op('a', 'post', '/a', { headers: ['x-replyto'], responses: { '202': [] } }).pattern).toMatchObject({
      pattern: 'NONBLOCK_PUSH_REST',
      role: 'request',
      facts: ['header parameter X-ReplyTo', '202 response'],
    });
    expect(op('b', 'post', '/b', { callbacks: ['{$request.header#/X-ReplyTo}'] }).pattern).toMatchObject({
      pattern: 'NONBLOCK_PUSH_REST',
      role: 'request',
      facts: ['callback "cb" is sent to the URL in request header X-ReplyTo'],
    });
    expect(op('c', 'post', '/c', { callbacks: ['{$request.body#/url}'], responses: { '202': ['X-Correlation-ID'] } }).pattern).toMatchObject({
      pattern: 'NONBLOCK_PUSH_REST',
      role: 'request',
      facts: ['callback "cb" is sent to the URL in request body field /url', '202 response with header X-Correlation-ID'],
    });
  });

  it('SUBSCRIPTION_REST: callbacks addressed otherwise than by X-ReplyTo, on a request that answers for itself (no 202)', () => {
    expect(op('s', 'post', '/s', { callbacks: ['{$request.body#/url}'] }).pattern).toMatchObject({
      pattern: 'SUBSCRIPTION_REST',
      role: 'request',
      facts: ['callback "cb" is sent to the URL in request body field /url', "200 response: the request's own answer, no 202"],
    });
    expect(op('t', 'post', '/t', { callbacks: ['{$request.query.cb}/data'] }).pattern.facts[0]).toBe('callback "cb" is sent to the URL in the template {$request.query.cb}/data');
  });

  it('a POST taking X-Correlation-ID (and no X-ReplyTo) receives push results; a GET taking it is a plain call', () => {
    expect(op('r', 'post', '/MResponse', { headers: ['X-Correlation-ID'] }).pattern).toMatchObject({ pattern: 'NONBLOCK_PUSH_REST', role: 'callback' });
    expect(op('g', 'get', '/things', { headers: ['X-Correlation-ID'] }).pattern.pattern).toBe('BLOCK_REST');
  });

  it('PULL request is any non-GET with 202 + Location; a 202 without Location is a plain call', () => {
    expect(op('p', 'put', '/jobs', { responses: { '202': ['location'] } }).pattern).toMatchObject({
      pattern: 'NONBLOCK_PULL_REST',
      role: 'request',
      facts: ['PUT', '202 response with header Location (status URL)'],
    });
    expect(op('q', 'post', '/jobs', { responses: { '202': [] } }).pattern.pattern).toBe('BLOCK_REST');
  });

  it('declared patterns get the role their shape gives', () => {
    expect(op('s', 'get', '/s', { ext: 'NONBLOCK_PULL_REST', responses: { '200': [], '303': [] } }).pattern).toMatchObject({
      role: 'status',
      decidedBy: 'extension',
    });
    expect(op('r', 'get', '/r', { override: 'NONBLOCK_PULL_REST' }).pattern).toMatchObject({ role: 'result', decidedBy: 'config' });
    expect(op('o', 'post', '/o', { ext: 'ONEWAY' }).pattern).toEqual({ pattern: 'ONEWAY', decidedBy: 'extension', facts: ['x-modi-pattern: ONEWAY'] });
  });
});

describe('classifyInterface: PULL groups', () => {
  const request = () => op('submit', 'post', '/jobs', { responses: { '202': ['Location'] } });
  const status = (path = '/jobs/{id}/') => op('status', 'get', path, { responses: { '200': [], '303': ['Location'] } });

  it('a GET under the status path is preferred to another GET carrying the task id', () => {
    const ops = [request(), status(), op('logs', 'get', '/logs/{id}'), op('result', 'get', '/jobs/{id}/result'), op('output', 'get', '/output/{id}')];
    expect(decisions(ops)).toEqual({
      submit: 'NONBLOCK_PULL_REST:request',
      status: 'NONBLOCK_PULL_REST:status:submit',
      logs: 'BLOCK_REST',
      result: 'NONBLOCK_PULL_REST:result:submit',
      output: 'BLOCK_REST',
    });
  });

  it('two equally good result candidates: none is guessed', () => {
    const ops = [request(), status(), op('r1', 'get', '/result/{id}'), op('r2', 'get', '/results/{id}')];
    expect(decisions(ops)).toMatchObject({ status: 'NONBLOCK_PULL_REST:status:submit', r1: 'BLOCK_REST', r2: 'BLOCK_REST' });
  });

  it('a status check on an unrelated path is paired when it and the request are the only ones', () => {
    const ops = [request(), status('/queue/{task}'), op('fetch', 'get', '/queue/{task}/result')];
    expect(decisions(ops)).toEqual({
      submit: 'NONBLOCK_PULL_REST:request',
      status: 'NONBLOCK_PULL_REST:status:submit',
      fetch: 'NONBLOCK_PULL_REST:result:submit',
    });
    expect(ops[1].pattern.facts[0]).toBe('the only status check and the only PULL request submit of the interface');
  });

  it('a status check with no request: its result points at it', () => {
    expect(decisions([status('/queue/{task}'), op('fetch', 'get', '/queue/{task}/result')])).toEqual({
      status: 'NONBLOCK_PULL_REST:status',
      fetch: 'NONBLOCK_PULL_REST:result:status',
    });
  });

  it("a plain GET on the request's path plus an id stays BLOCK_REST unless it declares 303 or is declared PULL", () => {
    expect(decisions([request(), op('get', 'get', '/jobs/{id}')])).toMatchObject({ get: 'BLOCK_REST' });
    expect(decisions([request(), op('get', 'get', '/jobs/{id}', { responses: { '200': [], '303': [] } })])).toMatchObject({
      get: 'NONBLOCK_PULL_REST:status:submit',
    });
    expect(decisions([request(), op('get', 'get', '/jobs/{id}', { ext: 'NONBLOCK_PULL_REST' })])).toMatchObject({ get: 'NONBLOCK_PULL_REST:status:submit' });
  });

  it('callbacks follow the pattern of the operation declaring them', () => {
    const push = op('push', 'post', '/m', { ext: 'NONBLOCK_PUSH_REST', callbacks: ['{$request.header#/X-ReplyTo}'] });
    classifyInterface([push]);
    expect(push.callbacks[0].operations[0].pattern).toEqual({
      pattern: 'NONBLOCK_PUSH_REST',
      decidedBy: 'extension',
      facts: ['callback "cb" of operation push (NONBLOCK_PUSH_REST, decided by extension)'],
      role: 'callback',
      correlatedWith: 'push',
    });
  });
});

describe('classifyCallbackInterface', () => {
  it("makes the callback spec's operations push callbacks, except where the user declared a pattern", () => {
    const ops = classifyCallbackInterface([op('plain', 'post', '/MResponse'), op('declared', 'post', '/other', { ext: 'BLOCK_REST' })]);
    expect(ops.map((o) => [o.pattern.pattern, o.pattern.role])).toEqual([
      ['NONBLOCK_PUSH_REST', 'callback'],
      ['BLOCK_REST', undefined],
    ]);
  });
});
