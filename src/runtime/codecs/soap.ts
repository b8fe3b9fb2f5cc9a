/**
 * The SOAP binding's part in the push and pull engines: its callbacks are envelopes with the
 * CorrelationID in a header part (or `wsa:RelatesTo`, soap/addressing.ts), its errors Faults (SoapFaultError).
 */
import type { FastifyBaseLogger } from 'fastify';
import { classifyAnswer, unanswered, type AttemptOptions, type AttemptResult } from '../delivery.js';
import { send } from '../outbound.js';
import { ProblemError, runtimeCodeOf } from '../problem.js';
import type { SoapOperationDescriptor, SoapPushDescriptor } from '../soap/descriptors.js';
import { PrefixMap, SoapFaultError, buildEnvelope, parseEnvelope, readFault, soapHeaders } from '../soap/envelope.js';
import type { MessageCodec } from '../soap/message.js';
import { newMessageId, writeAddressing } from '../soap/addressing.js';
import type { PushJob } from '../worker.js';

export interface SoapCallbackDelivery {
  url: string;
  correlationId: string;
  callback: SoapOperationDescriptor & { correlationPart: string };
  input: MessageCodec;
  output?: MessageCodec;
  body: unknown;
}

/** The push job of a SOAP operation: its callback is the callback operation's input envelope. */
export function soapPushJob(op: SoapPushDescriptor, process: PushJob['process'], input: MessageCodec, output: MessageCodec | undefined): PushJob {
  return {
    kind: 'push',
    process,
    checkResult: (result) => input.checkBody(result, 'callback body'),
    attempt: (d, options, log) => attemptSoapCallback({ ...d, callback: op.callback, input, output }, options, log),
  };
}

/** What a failed pull handler leaves on its task: a SoapFaultError's reason, never internals. */
export function soapFailure(error: unknown): string {
  return error instanceof SoapFaultError ? error.reason : 'the request could not be processed';
}

/** An engine's refusal (a ProblemError) as a Fault: the sender's mistakes (4xx) are Sender faults, the provider's (5xx) Receiver ones; a runtime refusal keeps its code. */
export function problemFault(e: ProblemError): SoapFaultError {
  return new SoapFaultError(e.problem.status >= 500 ? 'Receiver' : 'Sender', e.problem.detail ?? e.problem.title, undefined, runtimeCodeOf(e));
}

/**
 * Sends a SOAP callback once (step 3), with `X-Correlation-ID` in its header, and reads the ACK
 * (step 4). The answer is classified by delivery.ts like a JSON callback's, a Fault by its code
 * (Receiver/Server temporary, Sender/Client permanent). Redirects are not followed.
 */
export async function attemptSoapCallback(d: SoapCallbackDelivery, options: AttemptOptions, log: FastifyBaseLogger): Promise<AttemptResult> {
  const px = new PrefixMap();
  const headerXml = d.callback.addressing
    ? writeAddressing({ to: d.url, action: d.callback.addressing.input, messageId: newMessageId(), relatesTo: d.correlationId }, px)
    : d.input.writeHeaders({ [d.callback.correlationPart]: d.correlationId }, px);
  const bodyXml = d.input.writeBody(d.body, px);
  const payload = buildEnvelope(d.callback.version, headerXml, bodyXml, px);
  let res;
  try {
    res = await send('POST', d.url, soapHeaders(d.callback.version, d.callback.addressing?.input ?? d.callback.soapAction), payload, {
      ...options.outbound,
      timeoutMs: options.timeoutMs,
      maxBodyBytes: options.maxAnswerBytes,
    });
  } catch (e) {
    return unanswered(e, options);
  }
  const { status, body } = res;
  // A Fault decides by its code whatever the status: some SOAP 1.1 stacks answer their Faults with 200.
  const fault = typeof body === 'string' && body.length ? safeFault(body) : undefined;
  if (status >= 200 && status < 300 && !res.oversize && !fault) return { kind: 'delivered', status, ack: readAck(d, body, log) };
  return classifyAnswer({ status, body, retryAfter: res.headers.get('retry-after'), fault, oversize: res.oversize });
}

function readAck(d: SoapCallbackDelivery, body: unknown, log: FastifyBaseLogger): unknown {
  if (typeof body !== 'string' || !body.length || !d.output) return undefined;
  try {
    return d.output.read(parseEnvelope(body)).body;
  } catch (e) {
    log.warn({ correlationId: d.correlationId, reason: (e as Error).message }, 'callback acknowledged with an ACK that does not match its schema');
    return undefined;
  }
}

function safeFault(text: string) {
  try {
    return readFault(parseEnvelope(text));
  } catch {
    return undefined;
  }
}
