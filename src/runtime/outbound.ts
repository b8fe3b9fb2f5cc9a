import { setMaxListeners } from 'node:events';
import { runtimeCodeOfProblem, type RuntimeErrorCode } from './errors.js';
import { getGlobalDispatcher, type Dispatcher } from 'undici';
import type { OperationDescriptor, SecurityDescriptor } from './descriptors.js';
import { isJsonMediaType } from './http.js';
import type { OutboundSecurity } from './security/outbound.js';

/** What a caller passes to an operation: values by location, and the body. */
export interface OutgoingRequest {
  path?: Record<string, unknown>;
  query?: Record<string, unknown>;
  headers?: Record<string, unknown>;
  body?: unknown;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
  /** Set when the answer's body was larger than `maxBodyBytes`: it was not read past that, and `body` is undefined. */
  oversize?: true;
}

export interface OutboundOptions {
  /** Per-request timeout in milliseconds (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** A fetch implementation to send through instead of a dispatcher (tests record requests with one). */
  fetch?: typeof fetch;
  /**
   * The undici dispatcher requests go through (default: undici's global one, which the global
   * `fetch` uses too, so a `setGlobalDispatcher` proxy applies). Its `request` skips fetch's web
   * streams and per-request objects, the largest cost of sending under load. The callback worker
   * passes its own, which dials only checked addresses and keeps connections alive per origin.
   */
  dispatcher?: Dispatcher;
  /** Vouchers and signatures for the operations that declare a security profile (docs/security.md). */
  security?: OutboundSecurity;
  /** Read at most this many bytes of an answer's body (default: all); the rest is discarded, see `HttpResult.oversize`. */
  maxBodyBytes?: number;
}

/** Fills the path template and query string of an operation under a base URL. */
export function operationUrl(baseUrl: string, op: Pick<OperationDescriptor, 'path'>, req: OutgoingRequest): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = req.path?.[name];
    if (v === undefined || v === null) throw new TypeError(`missing path parameter ${name}`);
    return encodeURIComponent(String(v));
  });
  const url = new URL(baseUrl.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(req.query ?? {})) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, String(item));
  }
  return url.toString();
}

/**
 * Sends one HTTP request and reads the answer; redirects are returned, never followed. With a
 * security `profile` the message carries what it declares, computed over the exact bytes sent;
 * a 401 drops the cached voucher and the message is sent once more with a new one.
 */
export async function send(method: string, url: string, headers: Record<string, string>, body: unknown, options: OutboundOptions = {}, profile?: SecurityDescriptor): Promise<HttpResult> {
  const mediaType = headers['content-type'] ?? 'application/json';
  const payload = body === undefined ? undefined : isJsonMediaType(mediaType) ? JSON.stringify(body) : String(body);
  if (payload !== undefined) headers = { 'content-type': mediaType, ...headers };
  const { signal, done } = attemptSignal(options.timeoutMs ?? 30_000, options.signal);
  try {
    return await sendOnce(method, url, headers, payload, options, signal, profile);
  } finally {
    done();
  }
}

/**
 * The signal of one request: aborted by `outer` or, after `ms`, with a `TimeoutError` (as
 * `AbortSignal.timeout` does). A timer and a listener, both dropped by `done`: AbortSignal.any and
 * AbortSignal.timeout keep weak references that cost the garbage collector more than the request.
 */
function attemptSignal(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
  timer.unref();
  const onOuter = () => controller.abort(outer!.reason);
  if (outer?.aborted) onOuter();
  else if (outer) {
    // A shared signal (the worker's shutdown, a client's) has a listener per request in flight, each removed when its request ends: not a leak.
    setMaxListeners(0, outer);
    outer.addEventListener('abort', onOuter, { once: true });
  }
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
}

async function sendOnce(
  method: string,
  url: string,
  headers: Record<string, string>,
  payload: string | undefined,
  options: OutboundOptions,
  signal: AbortSignal,
  profile?: SecurityDescriptor,
): Promise<HttpResult> {
  const secure = profile && options.security;
  const secured = async () => (secure ? { ...headers, ...(await secure.headersFor({ method, url, contentType: headers['content-type'], body: payload }, profile)) } : headers);
  if (!options.fetch) return dispatch(options.dispatcher ?? getGlobalDispatcher(), method, url, secured, payload, signal, options.maxBodyBytes, secure ? () => secure.renew() : undefined);
  const attempt = async () => options.fetch!(url, { method, headers: await secured(), body: payload, redirect: 'manual', signal });
  let response = await attempt();
  if (response.status === 401 && secure && secure.renew()) {
    await response.body?.cancel();
    response = await attempt();
  }
  const text = options.maxBodyBytes === undefined ? await response.text() : await boundedText(response, options.maxBodyBytes);
  return answer(response.status, response.headers, text);
}

function answer(status: number, headers: Headers, text: string | undefined): HttpResult {
  if (text === undefined) return { status, headers, body: undefined, oversize: true };
  const type = headers.get('content-type') ?? '';
  let parsed: unknown = text.length ? text : undefined;
  if (text.length && isJsonMediaType(type)) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status, headers, body: parsed };
}

/** `send` through an undici dispatcher's `request`: redirects are returned (a dispatcher does not follow them), the body read up to `limit` bytes. */
async function dispatch(
  dispatcher: Dispatcher,
  method: string,
  url: string,
  headersOf: () => Promise<Record<string, string>>,
  payload: string | undefined,
  signal: AbortSignal,
  limit: number | undefined,
  renew: (() => boolean) | undefined,
): Promise<HttpResult> {
  const { origin, pathname, search } = new URL(url);
  const attempt = async () => dispatcher.request({ origin, path: pathname + search, method: method as Dispatcher.HttpMethod, headers: await headersOf(), body: payload, signal });
  let response = await attempt();
  if (response.statusCode === 401 && renew?.()) {
    await response.body.dump();
    response = await attempt();
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const declared = Number(headers.get('content-length'));
  if (limit !== undefined && Number.isFinite(declared) && declared > limit) {
    response.body.destroy();
    return answer(response.statusCode, headers, undefined);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (limit !== undefined && size > limit) {
      // The rest is not read and the connection not reused: the peer cannot make this side hold more.
      response.body.destroy();
      return answer(response.statusCode, headers, undefined);
    }
    chunks.push(chunk);
  }
  return answer(response.statusCode, headers, Buffer.concat(chunks).toString('utf8'));
}

/**
 * The body of a response as text, or `undefined` when it is longer than `limit` bytes: reading
 * stops there and the rest is discarded (the connection is not reused), so a peer cannot make
 * this side hold more than `limit` bytes of its answer.
 */
async function boundedText(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Calls one operation of a descriptor. */
export function callOperation(baseUrl: string, op: OperationDescriptor, req: OutgoingRequest, options: OutboundOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined && v !== null) headers[k.toLowerCase()] = String(v);
  if (req.body !== undefined) headers['content-type'] = op.body?.mediaTypes[0] ?? 'application/json';
  return send(op.method, operationUrl(baseUrl, op, req), headers, req.body, options, op.security);
}

/** Thrown by clients when the other side answers with a status the pattern does not expect. */
export class UnexpectedResponseError extends Error {
  /**
   * The runtime error code when an Accordo runtime refused the request (its problem `type` names
   * one, docs/errors.md): the infrastructure refused, the service did not answer. `undefined` for
   * the service's own errors.
   */
  readonly code: RuntimeErrorCode | undefined;
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const detail = body && typeof body === 'object' && 'detail' in body ? `: ${String((body as { detail: unknown }).detail)}` : '';
    super(`${operation}: unexpected HTTP ${status}${detail}`);
    this.name = 'UnexpectedResponseError';
    this.code = runtimeCodeOfProblem(body);
  }
}
