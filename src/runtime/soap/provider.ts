import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problemFault, soapFailure, soapPushJob } from '../codecs/soap.js';
import type { BlockingHandler } from '../engines/blocking.js';
import { PendingWork, runOneWay, type OneWayHandler, type RequestContext } from '../engines/oneway.js';
import { acceptPull, findPullTask, pullJob, storeOfPullOption, type PullHandler, type PullTaskStore } from '../engines/pull.js';
import { acceptPush, type PushAcceptOptions, type PushHandler } from '../engines/push.js';
import { startTaskRuntime, type TaskOptions, type TaskRuntime } from '../engines/tasks.js';
import { RUNTIME_ERRORS, isRuntimeErrorCode, type RuntimeErrorCode } from '../errors.js';
import { ProblemError, runtimeCodeOf } from '../problem.js';
import { Validators } from '../validation.js';
import type { TaskJob } from '../worker.js';
import { XmlCodec } from './codec.js';
import { isSoapPull, isSoapPush, type SoapOperationDescriptor, type SoapPullDescriptor, type SoapPushDescriptor, type SoapServiceDefinition } from './descriptors.js';
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
import { serveWsdl } from './wsdl.js';
import { newMessageId, pushAddressing, receiveAddressing, writeAddressing } from './addressing.js';
import { QNameTable, XmlError, decodeXml, type XmlElement } from './xml.js';
import { charsetOf } from '../charset.js';
import { inputLimits } from '../limits.js';
import type { ProviderOptions } from '../provider.js';
import { setErrorFormat } from '../server.js';

/** What every SOAP handler gets besides the request: the same as a REST handler. */
export type SoapContext = RequestContext;

/** A SOAP response as a blocking handler returns it: the output body and any output header parts. */
export interface SoapReply<Body, Headers> {
  body: Body;
  headers?: Headers;
}

/** A BLOCK_SOAP operation's handler (the blocking engine's). Throw a SoapFaultError to answer with a declared fault. */
export type SoapHandler<Req, Res> = BlockingHandler<Req, Res>;

/**
 * A NONBLOCK_PULL_SOAP request operation's handler: the pull engine's, the same as REST's
 * (`acknowledge` builds the ACK answered with the CorrelationID, `process` the result, `status`
 * the status operation's body). The status and result operations need no handler.
 */
export type SoapPullHandler<Req, Ack, Status, Result> = PullHandler<Req, Ack, Status, Result>;

export type { OneWayHandler } from '../engines/oneway.js';

/**
 * Options of a SOAP provider. Accepted push requests and pull tasks are stored and worked off
 * exactly as the REST provider's (`store`, `retentionMs`, `delivery`, `retry`, `replyTo`...: see
 * TaskOptions); input limits and response validation are the REST provider's too (`limits`,
 * `validateResponses`: see ProviderOptions).
 */
export interface SoapProviderOptions extends Omit<TaskOptions, 'admin'>, Pick<ProviderOptions, 'limits' | 'validateResponses'> {
  /** Supplies the CorrelationID of an accepted push request or pull task (default: a random UUID). */
  correlationId?: (operationId: string, request: SoapValues) => string | Promise<string>;
  /** Public base URL (scheme, host, port) written in the `soap:address` of `?wsdl` (default: from the request's Host). */
  publicUrl?: string;
  /** Largest accepted envelope in bytes (default: the server's bodyLimit). */
  bodyLimit?: number;
  /** @deprecated NONBLOCK_PULL_SOAP tasks live in `store` (durable by default); a StorePullTaskStore given here lends its store. */
  pullStore?: PullTaskStore;
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
 * by the Body's element (or rpc wrapper) and the action, each operation run by its pattern's
 * engine; `GET ?wsdl` serves the WSDL and every document it imports.
 */
export async function registerSoapProvider(app: FastifyInstance, def: SoapServiceDefinition, handlers: object, options: SoapProviderOptions = {}): Promise<void> {
  const validators = new Validators(def.defs);
  const codec = new XmlCodec(def.defs);
  const pending = new PendingWork();
  const limits = inputLimits(options.limits);
  const checkResponses = options.validateResponses ?? process.env.NODE_ENV !== 'production';
  installSoapParsers(app, options.bodyLimit);
  const defaultVersion = def.operations[0]?.version ?? '1.1';
  installFaultHandler(app, defaultVersion);
  app.addHook('onClose', () => pending.settle(options.shutdownTimeoutMs ?? 10_000));

  const endpoints = new Map<string, Compiled[]>();
  // Status and result operations of a pull are served with their request operation's handler.
  const pullSteps = new Map<string, { request: SoapPullDescriptor; step: 'status' | 'result' }>();
  for (const op of def.operations) {
    if (isSoapPull(op)) for (const step of ['status', 'result'] as const) pullSteps.set(op.pull[step].handler, { request: op, step });
  }
  // Push requests and pull tasks go through the same store and worker as REST ones: stored before
  // the ACK, processed from the store; push callbacks (SOAP envelopes) retried by the same rules.
  const jobs = new Map<string, TaskJob>();
  for (const op of def.operations) {
    const handler = (handlers as Record<string, unknown>)[op.handler];
    if (!handler) continue; // reported below
    if (isSoapPull(op)) jobs.set(op.id, pullJob(handler as PullHandler<SoapValues, unknown, unknown, unknown>, soapFailure));
    else if (isSoapPush(op)) {
      const push = handler as PushHandler<SoapValues, unknown, unknown>;
      const message = (m: SoapOperationDescriptor['input']) => new MessageCodec(m, op.callback.style, codec, validators);
      jobs.set(
        op.id,
        soapPushJob(op, (request, ctx) => push.process(request as SoapValues, ctx), message(op.callback.input), op.callback.output && message(op.callback.output)),
      );
    }
  }
  const store = options.store ?? storeOfPullOption(options.pullStore);
  const tasks = jobs.size ? await startTaskRuntime(app, jobs, { ...options, store }) : undefined;

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
      ? pullStepRun(c, pullStep.request, pullStep.step, handler as SoapPullHandler<SoapValues, unknown, unknown, unknown>, tasks!)
      : isSoapPull(op)
        ? pullRun(c, op, handler as SoapPullHandler<SoapValues, unknown, unknown, unknown>, options, tasks!)
        : isSoapPush(op)
          ? pushRun(c, op, handler as PushHandler<SoapValues, unknown, unknown>, tasks!, options, checkResponses)
          : op.output
            ? blockingRun(c, handler as SoapHandler<SoapValues, SoapReply<unknown, Record<string, unknown>>>, checkResponses)
            : oneWayRun(handler as OneWayHandler<SoapValues>, pending);
    for (const path of new Set([op.path, ...(op.alsoAt ?? [])])) endpoints.set(path, [...(endpoints.get(path) ?? []), c]);
  }

  for (const [path, ops] of endpoints) {
    const dispatch = dispatcher(ops);
    const versions = endpointVersions(
      path,
      ops.map((c) => c.op),
    );
    const addressing = ops.some((c) => c.op.addressing);
    // Not an async function: reading the envelope is synchronous (its errors reach the fault
    // handler as thrown), and the operation's promise is handed to Fastify as it is.
    app.post(path, (req, reply) => {
      const { version: declared, action: typeAction } = versionOfContentType(req.headers['content-type']);
      const parsed = parseEnvelope(typeof req.body === 'string' ? req.body : '', limits);
      // WS-Addressing headers are the runtime's (soap/addressing.ts), not the WSDL's parts.
      const env = addressing ? receiveAddressing(req, parsed) : parsed;
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
        if (!('wsdl' in query) && !('xsd' in query))
          return sendFault(reply.header('allow', 'POST, GET'), defaultVersion, 405, 'method-not-allowed', 'send SOAP requests with POST, or GET ?wsdl for the WSDL');
        const origin = (options.publicUrl ?? `${req.protocol}://${req.host}`).replace(/\/+$/, '');
        const served = serveWsdl(wsdl, query, origin + app.prefix, origin + req.url.split('?')[0]);
        if (served === undefined) return sendFault(reply, defaultVersion, 404, 'not-found', `no document ${JSON.stringify(query.xsd ?? query.wsdl)}`);
        return reply.type('text/xml; charset=utf-8').send(served);
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

function blockingRun(c: Compiled, handler: SoapHandler<SoapValues, SoapReply<unknown, Record<string, unknown>>>, checkResponses: boolean) {
  const output = c.output!;
  const check = responseCheck(c, checkResponses);
  return async (values: SoapValues, version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => {
    let res: SoapReply<unknown, Record<string, unknown>>;
    try {
      res = await handler(values, { log: req.log, raw: req });
    } catch (e) {
      return answerFault(c, e, version, req, reply);
    }
    const broken = check(res?.body);
    if (broken !== undefined) return void sendBrokenResponse(c, c.op.handler, broken, version, req, reply);
    const px = new PrefixMap();
    const header = output.writeHeaders(res?.headers, px);
    const body = output.writeBody(res?.body, px);
    sendEnvelope(reply, version, 200, buildEnvelope(version, header, body, px));
  };
}

/**
 * A check of what a handler returns against the operation's output message (when response
 * validation is on): says why it breaks the WSDL, or `undefined`.
 */
function responseCheck(c: Compiled, enabled: boolean): (body: unknown) => string | undefined {
  if (!enabled) return () => undefined;
  return (body) => {
    try {
      c.output!.checkBody(body, 'response body');
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };
}

/** Answers a response the handler got wrong: the log names the handler and what is wrong, the sender gets a Server fault that says no more. */
function sendBrokenResponse(c: Compiled, handler: string, why: string, version: SoapVersion, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  req.log.error({ handler, operation: c.op.id }, `handler ${handler} returned a response the WSDL does not declare: ${why}`);
  return sendFault(reply, version, 500, 'response-invalid', 'the request could not be processed');
}

/** ONEWAY: the sender gets 202 at once; the handler runs after. */
function oneWayRun(handler: OneWayHandler<SoapValues>, pending: PendingWork) {
  return (values: SoapValues, _version: SoapVersion, req: FastifyRequest, reply: FastifyReply) => runOneWay(() => reply.code(202).send(), handler, values, req, pending);
}

/**
 * NONBLOCK_PUSH_SOAP: the push engine's ACK as an envelope with the CorrelationID header part; its
 * refusals as Faults. The ACK is checked against the output message before the request is stored:
 * one the WSDL does not declare accepts nothing (a Server fault, the log naming `<handler>.acknowledge`).
 */
function pushRun(c: Compiled, op: SoapPushDescriptor, handler: PushHandler<SoapValues, unknown, unknown>, tasks: TaskRuntime, options: SoapProviderOptions, checkResponses: boolean) {
  const accepting: PushAcceptOptions<SoapValues> = { replyTo: options.replyTo, correlationId: options.correlationId, checkAck: responseCheck(c, checkResponses) };
  const acknowledge = `${op.handler}.acknowledge`;
  return answering(c, async (values, version, req, reply) => {
    // WS-Addressing: the consumer's MessageID is the correlation id, its ReplyTo the callback address.
    const wsa = op.addressing && pushAddressing(req);
    const carrier = wsa
      ? { name: 'wsa:ReplyTo', where: 'WS-Addressing header with a callback address', value: wsa.replyTo }
      : { name: op.replyToPart, where: 'SOAP header', value: values.headers[op.replyToPart] };
    const accepted = await acceptPush(tasks, op.id, values, carrier, handler, req.log, wsa ? { ...accepting, correlationId: () => wsa.messageId } : accepting);
    if (accepted.broken !== undefined) return void sendBrokenResponse(c, acknowledge, accepted.broken, version, req, reply);
    const { correlationId, ack } = accepted;
    const px = new PrefixMap();
    const header = wsa
      ? writeAddressing({ action: op.addressing!.output, messageId: newMessageId(), relatesTo: correlationId }, px)
      : c.output!.writeHeaders({ [op.correlationPart]: correlationId }, px);
    sendEnvelope(reply, version, 200, buildEnvelope(version, header, c.output!.writeBody(ack, px), px));
  });
}

/** NONBLOCK_PULL_SOAP request: the pull engine's ACK as an envelope with the CorrelationID (the task id: SOAP has no status URLs). */
function pullRun(c: Compiled, op: SoapPullDescriptor, handler: SoapPullHandler<SoapValues, unknown, unknown, unknown>, options: SoapProviderOptions, tasks: TaskRuntime) {
  return answering(c, async (values, version, req, reply) => {
    const { taskId, ack } = await acceptPull(tasks, op.id, values, handler, req.log, { taskId: options.correlationId });
    const px = new PrefixMap();
    const header = c.output!.writeHeaders({ [op.correlationPart]: taskId }, px);
    sendEnvelope(reply, version, 200, buildEnvelope(version, header, c.output!.writeBody(ack, px), px));
  });
}

/** NONBLOCK_PULL_SOAP status and result operations: the task named by the CorrelationID header part. */
function pullStepRun(c: Compiled, op: SoapPullDescriptor, step: 'status' | 'result', handler: SoapPullHandler<SoapValues, unknown, unknown, unknown>, tasks: TaskRuntime) {
  const part = op.pull[step].correlationPart;
  return answering(c, async (values, version, _req, reply) => {
    const id = values.headers[part];
    if (typeof id !== 'string' || id.length === 0) throw new SoapInputError(`missing ${part} SOAP header`, 'Sender', 'correlation-missing');
    const task = await findPullTask(tasks, op.id, id);
    if (!task) throw new SoapInputError(`unknown CorrelationID ${JSON.stringify(id)}`, 'Sender', 'task-not-found');
    let body: unknown;
    if (step === 'status') body = await handler.status(task);
    else if (task.state === 'failed') throw new SoapFaultError('Receiver', `the request ${JSON.stringify(id)} failed: ${task.failure}`);
    else if (task.state !== 'done') throw new SoapFaultError('Sender', `the result of ${JSON.stringify(id)} is not ready`);
    else body = task.result;
    const px = new PrefixMap();
    sendEnvelope(reply, version, 200, buildEnvelope(version, '', c.output!.writeBody(body, px), px));
  });
}

/** Runs an operation; a SoapFaultError (or an engine's ProblemError) it meets is answered as a Fault of the operation. */
function answering(c: Compiled, run: Compiled['run']): Compiled['run'] {
  return async (values, version, req, reply) => {
    try {
      await run(values, version, req, reply);
    } catch (e) {
      answerFault(c, e instanceof ProblemError ? problemFault(e) : e, version, req, reply);
    }
  };
}

/** A SoapFaultError is answered as a Fault with its declared detail; anything else goes on to the fault handler. */
function answerFault(c: Compiled, e: unknown, version: SoapVersion, req: FastifyRequest, reply: FastifyReply): void {
  if (!(e instanceof SoapFaultError)) throw e;
  sendFault(reply, version, 500, e.runtimeCode ?? e.code, e.reason, faultDetail(c, e, req.log));
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

/** A Fault: a handler's (by its class) or the runtime's (by its code in errors.ts, which gives the class). */
export function sendFault(reply: FastifyReply, version: SoapVersion, status: number, code: FaultCode | RuntimeErrorCode, reason: string, detail = ''): FastifyReply {
  const fault = isRuntimeErrorCode(code) ? faultBody(version, RUNTIME_ERRORS[code].fault, reason, detail, code) : faultBody(version, code, reason, detail);
  return sendEnvelope(reply, version, status, buildEnvelope(version, '', fault, new PrefixMap()));
}

/**
 * Errors of SOAP routes become Faults (BLOCK_SOAP processing rules): input the sender got wrong is
 * HTTP 500 + Sender (Client), a wrong media type 415, an oversized body 413; anything else is a
 * Receiver (Server) fault that reveals nothing internal.
 */
export function installFaultHandler(app: FastifyInstance, defaultVersion: SoapVersion): void {
  // What the server answers outside the routes (malformed HTTP, 404, 405...) is a Fault too.
  setErrorFormat(app, {
    write: (code, detail, contentType) => {
      const version = versionOfContentType(contentType).version ?? defaultVersion;
      return { contentType: contentTypeOf(version), body: buildEnvelope(version, '', faultBody(version, RUNTIME_ERRORS[code].fault, detail, '', code), new PrefixMap()) };
    },
  });
  app.setErrorHandler((error, req, reply) => {
    const version = versionOfContentType(req.headers['content-type']).version ?? defaultVersion;
    if (error instanceof SoapVersionMismatchError) return sendEnvelope(reply, '1.1', 500, versionMismatchEnvelope(error));
    if (error instanceof SoapVersionError) return sendFault(reply, version, 500, 'version-mismatch', error.message);
    if (error instanceof SoapInputError) return sendFault(reply, version, 500, error.runtime, error.message);
    if (error instanceof XmlError) return sendFault(reply, version, 500, 'request-invalid', error.message);
    if (error instanceof ProblemError)
      return sendFault(
        reply,
        version,
        error.problem.status >= 500 ? error.problem.status : 500,
        runtimeCodeOf(error) ?? (error.problem.status >= 500 ? 'Receiver' : 'Sender'),
        error.problem.detail ?? error.problem.title,
      );
    const code = (error as FastifyError).code;
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendFault(
        reply,
        version,
        415,
        'unsupported-media-type',
        `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; expected text/xml (SOAP 1.1) or application/soap+xml (SOAP 1.2)`,
      );
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendFault(reply, version, 413, 'payload-too-large', 'request body too large');
    const status = (error as FastifyError).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) return sendFault(reply, version, status, 'request-invalid', 'the request could not be read');
    req.log.error({ err: error }, 'request failed');
    return sendFault(reply, version, 500, 'Receiver', 'the request could not be processed');
  });
}

function unquote(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}
