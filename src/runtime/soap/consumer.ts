import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { CallbackContext, CallbackHandler, CallbackOptions, PushAccepted } from '../consumer.js';
import type { CorrelationRegistry } from '../correlation.js';
import { send, UnexpectedResponseError, type OutboundOptions } from '../outbound.js';
import { PullTimeoutError } from '../pull.js';
import { Validators } from '../validation.js';
import { XmlCodec } from './codec.js';
import { isSoapPull, isSoapPush, type SoapOperationDescriptor, type SoapServiceDefinition } from './descriptors.js';
import { PrefixMap, SoapFaultError, buildEnvelope, parseEnvelope, readFault, soapHeaders, type ParsedEnvelope } from './envelope.js';
import { MessageCodec, SoapInputError, type SoapValues } from './message.js';
import { checkEnvelopeVersion, endpointVersions, installFaultHandler, installSoapParsers, sendEnvelope, sendFault } from './provider.js';
import { serveWsdl } from './wsdl.js';
import { newMessageId, takeAddressing, writeAddressing, type AddressingHeaders } from './addressing.js';
import { inputLimits } from '../limits.js';
import { receiveInBox } from '../message-box.js';
import { XmlError } from './xml.js';

export interface SoapClientOptions extends OutboundOptions {
  /** The provider's endpoint URL (default: each operation's `soap:address`). */
  endpoint?: string;
  /** HTTP headers sent with every request (e.g. `Authorization`). */
  headers?: Record<string, string>;
}

/** How a pull client waits: `isDone` reads completion from the status operation's answer. */
export interface SoapPollOptions {
  isDone: (status: unknown) => boolean;
  /** Give up after this many ms (default 5 minutes) with a PullTimeoutError. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** First wait between status requests (default 250 ms), growing by half each time up to `maxDelayMs` (default 10 s). */
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/** What a client passes to an operation: the body value and the header parts it sets. */
export interface SoapInput {
  body?: unknown;
  headers?: Record<string, unknown>;
}

interface ClientOperation {
  op: SoapOperationDescriptor;
  input: MessageCodec;
  output?: MessageCodec;
  faults: { key: string; name: string; codec: MessageCodec }[];
}

/** The runtime of a typed SOAP client: envelopes, faults and the push pattern's headers. */
export class SoapClient {
  private readonly ops = new Map<string, ClientOperation>();

  constructor(
    def: SoapServiceDefinition,
    private readonly options: SoapClientOptions = {},
  ) {
    const validators = new Validators(def.defs);
    const codec = new XmlCodec(def.defs);
    for (const op of def.operations) {
      const message = (m: SoapOperationDescriptor['input']) => new MessageCodec(m, op.style, codec, validators);
      this.ops.set(op.handler, {
        op,
        input: message(op.input),
        output: op.output ? message(op.output) : undefined,
        faults: op.faults.map((f) => ({ key: f.part.element.namespace + '|' + f.part.element.name, name: f.name, codec: message({ body: [f.part], headers: [] }) })),
      });
    }
  }

  /** A request/response call: the output's body and headers, or a SoapFaultError carrying the declared detail. */
  async call(handler: string, input: SoapInput): Promise<SoapValues> {
    const c = this.operation(handler);
    const res = await this.exchange(c, input);
    if (!c.output) return { body: undefined, headers: {} };
    if (res.status !== 200 || !res.env) throw new UnexpectedResponseError(c.op.id, res.status, { detail: 'no SOAP response' });
    try {
      return c.output.read(res.env);
    } catch (e) {
      if (e instanceof SoapInputError) throw new UnexpectedResponseError(c.op.id, res.status, { detail: `invalid response: ${e.message}` });
      throw e;
    }
  }

  /** Step 1-2 of a push: sends with the `X-ReplyTo` header part, expects the ACK and `X-Correlation-ID`, records the id. */
  async push(handler: string, input: SoapInput, replyTo: string, registry: CorrelationRegistry): Promise<PushAccepted<unknown>> {
    const c = this.operation(handler);
    if (!isSoapPush(c.op)) throw new TypeError(`${c.op.id} is not a push operation`);
    // Recorded before the request leaves, for every instance sharing the registry (see sendPush).
    const done = await registry.beginSend(this.options.timeoutMs);
    try {
      if (c.op.addressing) return await this.pushAddressed(c, input, replyTo, registry);
      const values = await this.call(handler, { ...input, headers: { ...input.headers, [c.op.replyToPart]: replyTo } });
      const correlationId = values.headers[c.op.correlationPart];
      if (typeof correlationId !== 'string' || !correlationId) throw new UnexpectedResponseError(c.op.id, 200, { detail: `ACK without the ${c.op.correlationPart} SOAP header` });
      await registry.expect(correlationId, c.op.id);
      return { correlationId, ack: values.body };
    } finally {
      await done();
    }
  }

  /**
   * NONBLOCK_PULL_SOAP from the consumer's side: submits, asks the status operation (with the
   * CorrelationID header) until `isDone` says the answer reports completion, then calls the result
   * operation. The guideline leaves the completion to the status body, hence the predicate.
   */
  async awaitPull(handler: string, input: SoapInput, poll: SoapPollOptions): Promise<unknown> {
    const c = this.operation(handler);
    if (!isSoapPull(c.op)) throw new TypeError(`${c.op.id} is not a pull request operation`);
    const { pull } = c.op;
    const accepted = await this.call(handler, input);
    const id = accepted.headers[c.op.correlationPart];
    if (typeof id !== 'string' || !id) throw new UnexpectedResponseError(c.op.id, 200, { detail: `ACK without the ${c.op.correlationPart} SOAP header` });
    const timeoutMs = poll.timeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    let delay = poll.initialDelayMs ?? 250;
    for (;;) {
      poll.signal?.throwIfAborted();
      const status = await this.call(pull.status.handler, { body: {}, headers: { [pull.status.correlationPart]: id } });
      if (poll.isDone(status.body)) return (await this.call(pull.result.handler, { body: {}, headers: { [pull.result.correlationPart]: id } })).body;
      if (Date.now() + delay > deadline) throw new PullTimeoutError(id, timeoutMs);
      await sleep(delay, undefined, { signal: poll.signal });
      delay = Math.min(poll.maxDelayMs ?? 10_000, Math.ceil(delay * 1.5));
    }
  }

  /** A push whose carriers are WS-Addressing: our MessageID is the correlation id, the ACK must relate to it. */
  private async pushAddressed(c: ClientOperation, input: SoapInput, replyTo: string, registry: CorrelationRegistry): Promise<PushAccepted<unknown>> {
    const messageId = newMessageId();
    const to = this.options.endpoint ?? c.op.address;
    const res = await this.exchange(c, input, { to, action: c.op.addressing!.input, messageId, replyTo });
    if (res.status !== 200 || !res.env || !c.output) throw new UnexpectedResponseError(c.op.id, res.status, { detail: 'no SOAP response' });
    const { env, headers } = takeAddressing(res.env);
    if (headers.relatesTo !== undefined && headers.relatesTo !== messageId)
      throw new UnexpectedResponseError(c.op.id, 200, { detail: `ACK relates to ${JSON.stringify(headers.relatesTo)}, not to our wsa:MessageID` });
    let body: unknown;
    try {
      body = c.output.read(env).body;
    } catch (e) {
      if (e instanceof SoapInputError) throw new UnexpectedResponseError(c.op.id, res.status, { detail: `invalid response: ${e.message}` });
      throw e;
    }
    await registry.expect(messageId, c.op.id);
    return { correlationId: messageId, ack: body };
  }

  private operation(handler: string): ClientOperation {
    const c = this.ops.get(handler);
    if (!c) throw new TypeError(`no operation ${handler}`);
    return c;
  }

  private async exchange(c: ClientOperation, input: SoapInput, addressing?: AddressingHeaders): Promise<{ status: number; env?: ParsedEnvelope }> {
    const px = new PrefixMap();
    const header = (addressing ? writeAddressing(addressing, px) : '') + c.input.writeHeaders(input.headers, px);
    const body = c.input.writeBody(input.body, px);
    const url = this.options.endpoint ?? c.op.address;
    if (!url) throw new TypeError(`${c.op.id}: the WSDL gives no address; set the endpoint option`);
    const res = await send('POST', url, { ...this.options.headers, ...soapHeaders(c.op.version, c.op.soapAction) }, buildEnvelope(c.op.version, header, body, px), this.options);
    const text = typeof res.body === 'string' ? res.body : '';
    if (res.status === 202 || (!text && res.status < 300)) return { status: res.status };
    let env: ParsedEnvelope;
    try {
      env = parseEnvelope(text);
    } catch (e) {
      if (e instanceof XmlError) throw new UnexpectedResponseError(c.op.id, res.status, { detail: `the answer is not a SOAP envelope: ${e.message}` });
      throw e;
    }
    const fault = readFault(env);
    if (fault) {
      let detail: { fault: string; value: unknown } | undefined;
      const first = fault.detail[0];
      const declared = first && c.faults.find((f) => f.key === first.ns + '|' + first.name);
      if (declared) {
        try {
          detail = { fault: declared.name, value: declared.codec.read({ version: env.version, body: { ns: '', name: 'Body', attrs: [], children: [first], text: '' } }).body };
        } catch {
          detail = undefined;
        }
      }
      throw new SoapFaultError(fault.code === 'Sender' ? 'Sender' : 'Receiver', fault.reason, detail, fault.runtimeCode);
    }
    return { status: res.status, env };
  }
}

/** A callback operation of the consumer: the input header part that carries the CorrelationID. */
export type SoapReceiverDescriptor = SoapOperationDescriptor & { correlationPart: string };

export interface SoapCallbackDefinition {
  defs: SoapServiceDefinition['defs'];
  callbacks: SoapReceiverDescriptor[];
  wsdl?: SoapServiceDefinition['wsdl'];
}

/**
 * Registers the consumer's SOAP callback endpoints: validate the callback, check that its
 * `X-Correlation-ID` is one of ours (a Fault naming it otherwise, HTTP 500), run the handler once
 * per CorrelationID and answer 200 with the callback ACK; a repeated callback gets the same ACK.
 */
export async function registerSoapCallbacks(app: FastifyInstance, def: SoapCallbackDefinition, handlers: object, registry: CorrelationRegistry, options: CallbackOptions = {}): Promise<void> {
  const validators = new Validators(def.defs);
  const codec = new XmlCodec(def.defs);
  const limits = inputLimits(options.limits);
  installSoapParsers(app);
  installFaultHandler(app, def.callbacks[0]?.version ?? '1.1');
  const byPath = new Map<string, { op: SoapReceiverDescriptor; input: MessageCodec; output?: MessageCodec; handler?: CallbackHandler<unknown, unknown> }[]>();
  const box = options.messageBox;
  for (const op of def.callbacks) {
    const handler = (handlers as Record<string, unknown>)[op.handler] as CallbackHandler<unknown, unknown> | undefined;
    if (!handler && !box?.holds(op.id)) throw new Error(`no handler for callback ${op.id} (expected handlers.${op.handler}, or a messageBox that holds ${op.id})`);
    const entry = { op, handler, input: new MessageCodec(op.input, op.style, codec, validators), output: op.output ? new MessageCodec(op.output, op.style, codec, validators) : undefined };
    byPath.set(op.path, [...(byPath.get(op.path) ?? []), entry]);
  }
  for (const [path, entries] of byPath) {
    const versions = endpointVersions(
      path,
      entries.map((e) => e.op),
    );
    app.post(path, async (req, reply) => {
      const env = parseEnvelope(typeof req.body === 'string' ? req.body : '', limits);
      checkEnvelopeVersion(env.version, versions);
      const first = env.body.children[0];
      const e = entries.find((x) => x.input.dispatchKey === (first ? first.ns + '|' + first.name : '')) ?? (entries.length === 1 ? entries[0] : undefined);
      if (!e) throw new SoapInputError(`no callback operation takes ${first?.name ?? 'an empty Body'}`);
      // WS-Addressing: the callback relates to our request's MessageID (soap/addressing.ts).
      const addressed = e.op.addressing ? takeAddressing(env) : undefined;
      const values = e.input.read(addressed?.env ?? env);
      const correlationId = addressed ? addressed.headers.relatesTo : values.headers[e.op.correlationPart];
      if (typeof correlationId !== 'string' || correlationId.length === 0)
        throw new SoapInputError(`missing ${addressed ? 'wsa:RelatesTo WS-Addressing' : e.op.correlationPart + ' SOAP'} header`, 'Sender', 'correlation-missing');
      const known = await registry.recognise(correlationId, options.unknownGraceMs);
      if (known === 'unknown') throw new SoapInputError(`unknown CorrelationID ${JSON.stringify(correlationId)}`, 'Sender', 'correlation-unknown');
      if (known === 'later') {
        // It may belong to a request whose ACK is still on its way: a Receiver fault, which the provider retries.
        reply.header('retry-after', '1');
        return sendFault(reply, env.version, 503, 'correlation-pending', `CorrelationID ${JSON.stringify(correlationId)} is not known yet; try again later`);
      }
      const ctx: CallbackContext = { correlationId, log: req.log.child({ correlationId }), raw: req };
      const answer = (ack: unknown) => {
        const px = new PrefixMap();
        return sendEnvelope(reply, env.version, 200, buildEnvelope(env.version, '', e.output ? e.output.writeBody(ack, px) : '', px));
      };
      // A message box operation: stored and acknowledged, once per CorrelationID.
      if (box?.holds(e.op.id)) {
        const stored = await receiveInBox(box, registry, e.op.id, correlationId, values.body);
        if (stored) return answer(stored.ack);
        reply.header('retry-after', '5');
        return sendFault(reply, env.version, 503, 'Receiver', `callback for CorrelationID ${JSON.stringify(correlationId)} is being stored; try again later`);
      }
      // Handled once per CorrelationID (in the registry's store): a repeat gets the same ACK.
      if (!(await registry.claim(correlationId))) {
        const done = await registry.acknowledged(correlationId);
        if (!done) {
          // 503, not a final fault: the first copy is still being handled; the provider retries.
          reply.header('retry-after', '5');
          return sendFault(reply, env.version, 503, 'callback-in-progress', `callback for CorrelationID ${JSON.stringify(correlationId)} is being handled; try again later`);
        }
        ctx.log.info('repeated callback acknowledged again, handler not run');
        return answer(done.ack);
      }
      let ack: unknown;
      try {
        ack = await e.handler!(values.body, ctx);
      } catch (err) {
        await registry.release(correlationId);
        throw err;
      }
      await registry.complete(correlationId, values.body, ack);
      return answer(ack);
    });
    if (def.wsdl) {
      const wsdl = def.wsdl;
      app.get(path, async (req, reply) => {
        const query = req.query as Record<string, unknown>;
        if (!('wsdl' in query) && !('xsd' in query))
          return sendFault(reply.header('allow', 'POST, GET'), def.callbacks[0].version, 405, 'method-not-allowed', 'send SOAP requests with POST, or GET ?wsdl for the WSDL');
        const origin = `${req.protocol}://${req.host}`;
        const served = serveWsdl(wsdl, query, origin + app.prefix, origin + req.url.split('?')[0]);
        if (served === undefined) return sendFault(reply, def.callbacks[0].version, 404, 'not-found', `no document ${JSON.stringify(query.xsd ?? query.wsdl)}`);
        return reply.type('text/xml; charset=utf-8').send(served);
      });
    }
  }
}
