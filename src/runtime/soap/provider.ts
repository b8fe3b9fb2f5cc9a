import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError } from '../problem.js';
import { acceptPush, startPushRuntime, type ProviderOptions, type PushContext, type PushHandler, type PushRuntime } from '../provider.js';
import type { PushJob } from '../worker.js';
import { MemoryPullTaskStore, type PullContext, type PullTask, type PullTaskStore } from '../pull.js';
import { checkReplyTo } from '../reply-to.js';
import { Validators } from '../validation.js';
import { XmlCodec } from './codec.js';
import { attemptSoapCallback } from './delivery.js';
import { isSoapPull, isSoapPush, type SoapOperationDescriptor, type SoapPullDescriptor, type SoapPushDescriptor, type SoapServiceDefinition, type WsdlDocuments } from './descriptors.js';
import {
  PrefixMap,
  SoapFaultError,
  SoapVersionError,
  SoapVersionMismatchError,
  buildEnvelope,
  faultBody,
  parseEnvelope,
  contentTypeOf,
  versionOfContentType,
  versionMismatchEnvelope,
  type FaultCode,
  type SoapVersion,
} from './envelope.js';
import { MessageCodec, SoapInputError, type SoapValues } from './message.js';
import { QNameTable, XmlError, decodeXml, escapeAttr, type XmlElement } from './xml.js';
import { charsetOf } from '../charset.js';
import { inputLimits } from '../limits.js';
import { setErrorFormat } from '../server.js';

/** What every SOAP handler gets besides the request. */
export interface SoapContext {
  log: FastifyBaseLogger;
  /** The raw Fastify request, for what the WSDL does not describe (auth, tracing). */
  raw: FastifyRequest;
}

/** A SOAP response as a blocking handler returns it: the output body and any output header parts. */
export interface SoapReply<Body, Headers> {
  body: Body;
  headers?: Headers;
}

/** A BLOCK_SOAP operation's handler. Throw a SoapFaultError to answer with a declared fault. */
export type SoapHandler<Req, Res> = (request: Req, ctx: SoapContext) => Res | Promise<Res>;

/** A one-way operation's handler: it runs after the `202` is sent. */
export type OneWayHandler<Req> = (request: Req, ctx: SoapContext) => void | Promise<void>;

/**
 * Options of a SOAP provider. Accepted push requests are stored and delivered exactly as the
 * REST provider's (`store`, `retentionMs`, `delivery`, `retry`, `replyTo`...: see ProviderOptions).
 */
export interface SoapProviderOptions
  extends Pick<ProviderOptions, 'store' | 'retentionMs' | 'delivery' | 'clock' | 'shutdownTimeoutMs' | 'retry' | 'outbound' | 'replyTo' | 'onDelivery' | 'limits' | 'validateResponses'> {
  /** Supplies the CorrelationID of an accepted push request (default: a random UUID). */
  correlationId?: (operationId: string, request: SoapValues) => string | Promise<string>;
  /** Public base URL (scheme, host, port) written in the `soap:address` of `?wsdl` (default: from the request's Host). */
  publicUrl?: string;
  /** Largest accepted envelope in bytes (default: the server's bodyLimit). */
  bodyLimit?: number;
  /** Where NONBLOCK_PULL_SOAP tasks live (default: in memory). */
  pullStore?: PullTaskStore;
}

/**
 * A NONBLOCK_PULL_SOAP request operation's handler: `acknowledge` builds the ACK body (answered
 * with the CorrelationID); `process` computes the result after the ACK is sent; `status` builds
 * the body of the status operation's answer. The status and result operations need no handler.
 */
export interface SoapPullHandler<Req, Ack, Status, Result> {
  acknowledge(request: Req, ctx: PullContext): Ack | Promise<Ack>;
  process(request: Req, ctx: PullContext): Result | Promise<Result>;
  status(task: PullTask): Status | Promise<Status>;
}

interface Compiled {
  op: SoapOperationDescriptor;
  input: MessageCodec;
  output?: MessageCodec;
  faults: Map<string, MessageCodec>;
  /** Answers the request; a SoapFaultError it meets is answered as a Fault (see `answerFault`). */
  run: (values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

const SOAP_TYPES = ['text/xml', 'application/soap+xml'];

/**
 * Reads SOAP bodies as text in the encoding they declare (see `decodeXml`), and only those (other
 * media types get 415): the envelope parser does the rest.
 */
export function installSoapParsers(app: FastifyInstance, bodyLimit?: number): void {
  app.removeAllContentTypeParsers();
  for (const type of SOAP_TYPES) {
    if (!app.hasContentTypeParser(type)) {
      app.addContentTypeParser(type, { parseAs: 'buffer', ...(bodyLimit ? { bodyLimit } : {}) }, (req, body, done) => {
        try {
          done(null, decodeXml(body as Buffer, charsetOf(req.headers['content-type'])));
        } catch (e) {
          done(e as Error, undefined);
        }
      });
    }
  }
}

/**
 * The SOAP versions an endpoint speaks: those of the bindings of its operations. An operation also
 * served at another port's path may arrive there in either version (its descriptor does not say
 * that port's version), so such an endpoint takes both.
 */
export function endpointVersions(path: string, ops: { version: SoapVersion; path: string }[]): SoapVersion[] {
  if (ops.some((op) => op.path !== path)) return ['1.1', '1.2'];
  return [...new Set(ops.map((op) => op.version))].sort();
}

/** Refuses an envelope of a version the endpoint does not speak (answered with a VersionMismatch fault). */
export function checkEnvelopeVersion(version: SoapVersion, supported: SoapVersion[]): void {
  if (!supported.includes(version)) throw new SoapVersionMismatchError(version, supported);
}

/**
 * Registers the SOAP endpoints of a WSDL agreement: one POST route per port path, dispatching
 * by the Body's element (or rpc wrapper) and the action; `GET ?wsdl` serves the WSDL.
 */
export async function registerSoapProvider(app: FastifyInstance, def: SoapServiceDefinition, handlers: object, options: SoapProviderOptions = {}): Promise<void> {
  const validators = new Validators(def.defs);
  const codec = new XmlCodec(def.defs);
  const pending = new Set<Promise<unknown>>();
  const limits = inputLimits(options.limits);
  const checkResponses = options.validateResponses ?? process.env.NODE_ENV !== 'production';
  installSoapParsers(app, options.bodyLimit);
  const defaultVersion = def.operations[0]?.version ?? '1.1';
  installFaultHandler(app, defaultVersion);
  app.addHook('onClose', async () => {
    await Promise.allSettled([...pending]);
  });
  const track = (job: Promise<unknown>) => {
    pending.add(job);
    void job.finally(() => pending.delete(job));
  };

  const endpoints = new Map<string, Compiled[]>();
  const pullStore = options.pullStore ?? new MemoryPullTaskStore();
  // Status and result operations of a pull are served with their request operation's handler.
  const pullSteps = new Map<string, { request: SoapPullDescriptor; step: 'status' | 'result' }>();
  for (const op of def.operations) {
    if (isSoapPull(op)) for (const step of ['status', 'result'] as const) pullSteps.set(op.pull[step].handler, { request: op, step });
  }
  // Push requests go through the same store and worker as REST ones: stored before the ACK,
  // processed once, their callbacks (SOAP envelopes) retried by the same rules.
  const callbackCodecs = new Map<string, { input: MessageCodec; output?: MessageCodec }>();
  const jobs = new Map<string, PushJob>();
  for (const op of def.operations) {
    if (!isSoapPush(op)) continue;
    const handler = (handlers as Record<string, PushHandler<SoapValues, unknown, unknown> | undefined>)[op.handler];
    if (!handler) continue; // reported below
    const cb = { input: new MessageCodec(op.callback.input, op.callback.style, codec, validators), output: op.callback.output ? new MessageCodec(op.callback.output, op.callback.style, codec, validators) : undefined };
    callbackCodecs.set(op.id, cb);
    jobs.set(op.id, {
      process: (request, ctx) => handler.process(request as unknown as SoapValues, ctx),
      checkResult: (result) => cb.input.checkBody(result, 'callback body'),
      attempt: (d, attemptOptions, log) => attemptSoapCallback({ ...d, callback: op.callback, input: cb.input, output: cb.output }, attemptOptions, log),
    });
  }
  const push = jobs.size
    ? await startPushRuntime(app, jobs, validators, {
        store: options.store,
        retentionMs: options.retentionMs,
        delivery: options.delivery,
        clock: options.clock,
        shutdownTimeoutMs: options.shutdownTimeoutMs,
        retry: options.retry,
        outbound: options.outbound,
        replyTo: options.replyTo,
        onDelivery: options.onDelivery,
      })
    : undefined;

  for (const op of def.operations) {
    const pullStep = pullSteps.get(op.handler);
    const handler = pullStep ? (handlers as Record<string, unknown>)[pullStep.request.handler] : (handlers as Record<string, unknown>)[op.handler];
    if (!handler) throw new Error(`no handler for operation ${op.id} (expected handlers.${op.handler})`);
    const message = (m: SoapOperationDescriptor['input']) => new MessageCodec(m, op.style, codec, validators);
    const c: Compiled = {
      op,
      input: message(op.input),
      output: op.output ? message(op.output) : undefined,
      faults: new Map(op.faults.map((f) => [f.name, message({ body: [f.part], headers: [] })])),
      run: undefined!,
    };
    c.run = pullStep
      ? pullStepRun(c, pullStep.request, pullStep.step, handler as SoapPullHandler<SoapValues, unknown, unknown, unknown>, pullStore)
      : isSoapPull(op)
        ? pullRun(c, op, handler as SoapPullHandler<SoapValues, unknown, unknown, unknown>, options, pullStore, track)
        : isSoapPush(op)
      ? pushRun(c, op, handler as PushHandler<SoapValues, unknown, unknown>, push!, options, checkResponses)
      : op.output
        ? blockingRun(c, handler as SoapHandler<SoapValues, SoapReply<unknown, Record<string, unknown>>>, checkResponses)
        : oneWayRun(handler as OneWayHandler<SoapValues>, track);
    for (const path of new Set([op.path, ...(op.alsoAt ?? [])])) endpoints.set(path, [...(endpoints.get(path) ?? []), c]);
  }

  for (const [path, ops] of endpoints) {
    const dispatch = dispatcher(ops);
    const versions = endpointVersions(path, ops.map((c) => c.op));
    // Not an async function: reading the envelope is synchronous (its errors reach the fault
    // handler as thrown), and the operation's promise is handed to Fastify as it is.
    app.post(path, (req, reply) => {
      const { version: declared, action: typeAction } = versionOfContentType(req.headers['content-type']);
      const env = parseEnvelope(typeof req.body === 'string' ? req.body : '', limits);
      checkEnvelopeVersion(env.version, versions);
      if (env.version !== declared) throw new SoapInputError(`a SOAP ${env.version} envelope needs Content-Type ${env.version === '1.1' ? 'text/xml' : 'application/soap+xml'}`);
      const action = env.version === '1.1' ? unquote(req.headers.soapaction) : typeAction;
      const c = dispatch(env.body.children[0], action);
      return c.run(c.input.read(env), env.version, req, reply);
    });
    if (def.wsdl) {
      const wsdl = def.wsdl;
      app.get(path, async (req, reply) => {
        const query = req.query as Record<string, unknown>;
        if (!('wsdl' in query)) return sendFault(reply.header('allow', 'POST, GET'), defaultVersion, 405, 'Sender', 'send SOAP requests with POST, or GET ?wsdl for the WSDL');
        const origin = (options.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
        const name = typeof query.wsdl === 'string' && query.wsdl ? query.wsdl : undefined;
        const text = name === undefined ? wsdl.main : wsdl.files[name];
        if (text === undefined) return sendFault(reply, defaultVersion, 404, 'Sender', `no document ${JSON.stringify(name)}`);
        return reply.type('text/xml; charset=utf-8').send(rewriteWsdl(text, origin + app.prefix, origin + req.url.split('?')[0], wsdl));
      });
    }
  }
}

/** Finds the operation of a Body: by its first element, then by action when several share it. */
function dispatcher(ops: Compiled[]) {
  const byName = new QNameTable<Compiled[]>();
  const noBody: Compiled[] = [];
  for (const c of ops) {
    const name = c.input.dispatchName;
    if (!name) noBody.push(c);
    else byName.set(name.namespace, name.name, [...(byName.get(name.namespace, name.name) ?? []), c]);
  }
  return (first: XmlElement | undefined, action: string | undefined): Compiled => {
    const candidates = (first ? byName.get(first.ns, first.name) : noBody) ?? [];
    if (candidates.length === 1) return candidates[0];
    const byAction = (candidates.length ? candidates : ops).filter((c) => action !== undefined && c.op.soapAction === action);
    if (byAction.length === 1) return byAction[0];
    if (!first) throw new SoapInputError('the Body is empty');
    throw new SoapInputError(`no operation of this endpoint takes ${first.ns ? `{${first.ns}}` : ''}${first.name}${action ? ` with action ${JSON.stringify(action)}` : ''}`);
  };
}

function blockingRun(c: Compiled, handler: SoapHandler<SoapValues, SoapReply<unknown, Record<string, unknown>>>, checkResponse: boolean) {
  const output = c.output!;
  return async (values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => {
    let res: SoapReply<unknown, Record<string, unknown>>;
    try {
      res = await handler(values, { log: req.log, raw: req });
    } catch (e) {
      return answerFault(c, e, version, req, reply);
    }
    if (checkResponse && brokenResponse(c, c.op.handler, res?.body, req)) return sendFault(reply, version, 500, 'Receiver', 'the request could not be processed');
    const px = new PrefixMap();
    const header = output.writeHeaders(res?.headers, px);
    const body = output.writeBody(res?.body, px);
    sendEnvelope(reply, version, 200, buildEnvelope(version, header, body, px));
  };
}

/**
 * Whether a handler's body breaks the output message; if so the log names the handler and what is
 * wrong (the sender gets a Server fault that says no more).
 */
function brokenResponse(c: Compiled, handler: string, body: unknown, req: FastifyRequest): boolean {
  try {
    c.output!.checkBody(body, 'response body');
    return false;
  } catch (e) {
    req.log.error({ handler, operation: c.op.id }, `handler ${handler} returned a response the WSDL does not declare: ${(e as Error).message}`);
    return true;
  }
}

function oneWayRun(handler: OneWayHandler<SoapValues>, track: (job: Promise<unknown>) => void) {
  return async (values: SoapValues, _version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => {
    // One-way: the sender gets 202 at once; the handler runs after.
    await reply.code(202).send();
    track(
      (async () => {
        try {
          await handler(values, { log: req.log, raw: req });
        } catch (e) {
          req.log.error({ err: e }, 'one-way handler failed');
        }
      })(),
    );
  };
}

function pushRun(c: Compiled, op: SoapPushDescriptor, handler: PushHandler<SoapValues, unknown, unknown>, push: PushRuntime, options: SoapProviderOptions, checkResponse: boolean) {
  return async (values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => {
    try {
      await accept(values, version, req, reply);
    } catch (e) {
      answerFault(c, e, version, req, reply);
    }
  };
  async function accept(values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) {
    const replyTo = values.headers[op.replyToPart];
    if (typeof replyTo !== 'string' || replyTo.length === 0) throw new SoapInputError(`missing ${op.replyToPart} SOAP header`);
    try {
      await checkReplyTo(replyTo, op.replyToPart, options.replyTo);
    } catch (e) {
      throw new SoapInputError((e as ProblemError).problem?.detail ?? `unusable ${op.replyToPart}`);
    }
    const correlationId = options.correlationId ? await options.correlationId(op.id, values) : randomUUID();
    const ctx: PushContext = { correlationId, replyTo, log: req.log.child({ correlationId }) };
    const ack = await handler.acknowledge(values, ctx);
    if (checkResponse && brokenResponse(c, `${op.handler}.acknowledge`, ack, req)) return sendFault(reply, version, 500, 'Receiver', 'the request could not be processed');
    // The ACK is a promise to deliver: it is sent only once the request is stored.
    const refused = await acceptPush(push, op.id, correlationId, values, replyTo, ctx.log);
    if (refused === 'unavailable') throw new SoapFaultError('Receiver', 'the request could not be taken in charge; try again later');
    if (refused === 'duplicate') throw new SoapInputError(`a request with CorrelationID ${JSON.stringify(correlationId)} was already accepted`);
    const px = new PrefixMap();
    const header = c.output!.writeHeaders({ [op.correlationPart]: correlationId }, px);
    const body = c.output!.writeBody(ack, px);
    sendEnvelope(reply, version, 200, buildEnvelope(version, header, body, px));
  }
}

function pullRun(
  c: Compiled,
  op: SoapPullDescriptor,
  handler: SoapPullHandler<SoapValues, unknown, unknown, unknown>,
  options: SoapProviderOptions,
  store: PullTaskStore,
  track: (job: Promise<unknown>) => void,
) {
  return async (values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => {
    try {
      await accept(values, version, req, reply);
    } catch (e) {
      answerFault(c, e, version, req, reply);
    }
  };
  async function accept(values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) {
    const id = options.correlationId ? await options.correlationId(op.id, values) : randomUUID();
    const ctx: PullContext = { taskId: id, log: req.log.child({ correlationId: id }) };
    const ack = await handler.acknowledge(values, ctx);
    // SOAP pull has no status URLs: the CorrelationID is the handle.
    await store.create({ id, operation: op.id, state: 'running', statusUrl: '', resultUrl: '', request: { path: {}, query: {}, headers: values.headers, body: values.body } });
    const px = new PrefixMap();
    const header = c.output!.writeHeaders({ [op.correlationPart]: id }, px);
    sendEnvelope(reply, version, 200, buildEnvelope(version, header, c.output!.writeBody(ack, px), px));
    track(
      (async () => {
        try {
          await store.finish(id, { result: await handler.process(values, ctx) });
        } catch (e) {
          ctx.log.error({ err: e }, 'pull processing failed');
          await store.finish(id, { failure: e instanceof SoapFaultError ? e.reason : 'the request could not be processed' });
        }
      })(),
    );
  }
}

function pullStepRun(c: Compiled, op: SoapPullDescriptor, step: 'status' | 'result', handler: SoapPullHandler<SoapValues, unknown, unknown, unknown>, store: PullTaskStore) {
  const part = op.pull[step].correlationPart;
  return async (values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => {
    try {
      await answer(values, version, reply);
    } catch (e) {
      answerFault(c, e, version, req, reply);
    }
  };
  async function answer(values: SoapValues, version: SoapVersion, reply: FastifyReply) {
    const id = values.headers[part];
    if (typeof id !== 'string' || id.length === 0) throw new SoapInputError(`missing ${part} SOAP header`);
    const task = await store.get(id);
    if (!task || task.operation !== op.id) throw new SoapInputError(`unknown CorrelationID ${JSON.stringify(id)}`);
    let body: unknown;
    if (step === 'status') body = await handler.status(task);
    else if (task.state === 'failed') throw new SoapFaultError('Receiver', `the request ${JSON.stringify(id)} failed: ${task.failure}`);
    else if (task.state !== 'done') throw new SoapFaultError('Sender', `the result of ${JSON.stringify(id)} is not ready`);
    else body = task.result;
    const px = new PrefixMap();
    sendEnvelope(reply, version, 200, buildEnvelope(version, '', c.output!.writeBody(body, px), px));
  }
}

/** A SoapFaultError is answered as a Fault with its declared detail; anything else goes on to the fault handler. */
function answerFault(c: Compiled, e: unknown, version: SoapVersion, req: FastifyRequest, reply: FastifyReply): void {
  if (!(e instanceof SoapFaultError)) throw e;
  sendFault(reply, version, 500, e.code, e.reason, faultDetail(c, e, req.log));
}

function faultDetail(c: Compiled, e: SoapFaultError, log: FastifyBaseLogger): string {
  if (!e.detail) return '';
  const fault = c.faults.get(e.detail.fault);
  if (!fault) {
    log.error({ fault: e.detail.fault }, `${c.op.id} has no declared fault of this name; detail not sent`);
    return '';
  }
  // The detail's prefixes are declared on its own element: the Fault is built separately.
  const px = new PrefixMap();
  const xml = fault.writeBody(e.detail.value, px);
  const decl = px.declarations();
  return decl ? xml.replace(/^<([^\s/>]+)/, `<$1${decl}`) : xml;
}

export function sendEnvelope(reply: FastifyReply, version: SoapVersion, status: number, xml: string): FastifyReply {
  return reply.code(status).header('content-type', contentTypeOf(version)).send(xml);
}

export function sendFault(reply: FastifyReply, version: SoapVersion, status: number, code: FaultCode, reason: string, detail = ''): FastifyReply {
  return sendEnvelope(reply, version, status, buildEnvelope(version, '', faultBody(version, code, reason, detail), new PrefixMap()));
}

/**
 * Errors of SOAP routes become Faults (BLOCK_SOAP processing rules): input the sender got wrong is
 * HTTP 500 + Sender (Client), a wrong media type 415, an oversized body 413; anything else is a
 * Receiver (Server) fault that reveals nothing internal.
 */
export function installFaultHandler(app: FastifyInstance, defaultVersion: SoapVersion): void {
  // What the server answers outside the routes (malformed HTTP, 404, 405...) is a Fault too.
  setErrorFormat(app, {
    write: (status, detail, contentType) => {
      const version = versionOfContentType(contentType).version ?? defaultVersion;
      return { contentType: contentTypeOf(version), body: buildEnvelope(version, '', faultBody(version, status >= 500 ? 'Receiver' : 'Sender', detail), new PrefixMap()) };
    },
  });
  app.setErrorHandler((error, req, reply) => {
    const version = versionOfContentType(req.headers['content-type']).version ?? defaultVersion;
    if (error instanceof SoapVersionMismatchError) return sendEnvelope(reply, '1.1', 500, versionMismatchEnvelope(error));
    if (error instanceof SoapVersionError) return sendFault(reply, version, 500, 'VersionMismatch', error.message);
    if (error instanceof SoapInputError) return sendFault(reply, version, 500, error.code, error.message);
    if (error instanceof XmlError) return sendFault(reply, version, 500, 'Sender', error.message);
    if (error instanceof ProblemError) return sendFault(reply, version, error.problem.status >= 500 ? error.problem.status : 500, error.problem.status >= 500 ? 'Receiver' : 'Sender', error.problem.detail ?? error.problem.title);
    const code = (error as FastifyError).code;
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendFault(reply, version, 415, 'Sender', `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; expected text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)`);
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFault(reply, version, 413, 'Sender', 'request body too large');
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return sendFault(reply, version, status, 'Sender', 'the request could not be read');
    req.log.error({ err: error }, 'request failed');
    return sendFault(reply, version, 500, 'Receiver', 'the request could not be processed');
  });
}

function unquote(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

const ADDRESS = /(<(?:[\w.-]+:)?address\b[^>]*?\blocation\s*=\s*)(["'])([^"']*)\2/g;
const LOCATION = /(\b(?:location|schemaLocation)\s*=\s*)(["'])([^"']*)\2/g;

/**
 * The WSDL with each port's `soap:address` pointing at the live endpoint (`base` + the address's
 * path, where the routes are) and its imports at `<self>?wsdl=<file>`.
 */
export function rewriteWsdl(text: string, base: string, self: string, docs: WsdlDocuments): string {
  let out = text.replace(ADDRESS, (_, head: string, q: string, loc: string) => `${head}${q}${escapeAttr(base + addressPath(loc))}${q}`);
  if (Object.keys(docs.files).length) {
    out = out.replace(LOCATION, (all, head: string, q: string, loc: string) => (loc in docs.files ? `${head}${q}${escapeAttr(`${self}?wsdl=${encodeURIComponent(loc)}`)}${q}` : all));
  }
  return out;
}

/** The path of a `soap:address` location, as the loader takes it for the route. */
function addressPath(location: string): string {
  try {
    return new URL(location).pathname;
  } catch {
    return '/';
  }
}
