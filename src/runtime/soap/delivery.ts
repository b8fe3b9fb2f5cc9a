import type { FastifyBaseLogger } from 'fastify';
import { isTemporary, type AttemptOptions, type AttemptResult } from '../delivery.js';
import { refusalOf } from '../reply-to.js';
import { send } from '../outbound.js';
import { PrefixMap, buildEnvelope, parseEnvelope, readFault, soapHeaders } from './envelope.js';
import type { SoapOperationDescriptor } from './descriptors.js';
import type { MessageCodec } from './message.js';

export interface SoapCallbackDelivery {
  url: string;
  correlationId: string;
  callback: SoapOperationDescriptor & { correlationPart: string };
  input: MessageCodec;
  output?: MessageCodec;
  body: unknown;
}

/**
 * Sends a SOAP callback once (step 3), with `X-Correlation-ID` in its header, and reads the ACK
 * (step 4), for the push worker, which retries by the REST delivery's rules: network errors,
 * timeouts, 429, 502, 503 and 504 are temporary; a Fault (500) or any other status is final.
 * Redirects are not followed.
 */
export async function attemptSoapCallback(d: SoapCallbackDelivery, options: AttemptOptions, log: FastifyBaseLogger): Promise<AttemptResult> {
  const px = new PrefixMap();
  const headerXml = d.input.writeHeaders({ [d.callback.correlationPart]: d.correlationId }, px);
  const bodyXml = d.input.writeBody(d.body, px);
  const payload = buildEnvelope(d.callback.version, headerXml, bodyXml, px);
  let res;
  try {
    res = await send('POST', d.url, soapHeaders(d.callback.version, d.callback.soapAction), payload, { ...options.outbound, timeoutMs: options.timeoutMs });
  } catch (e) {
    if (options.outbound.signal?.aborted) throw e;
    const refused = refusalOf(e);
    if (refused) return { kind: 'permanent', reason: `callback target refused: ${refused.reason}` };
    return { kind: 'temporary', reason: (e as Error).name === 'TimeoutError' ? 'timeout' : `network error: ${(e as Error).message}` };
  }
  const { status, body } = res;
  if (status >= 200 && status < 300) return { kind: 'delivered', status, ack: readAck(d, body, log) };
  let reason = `HTTP ${status}`;
  if (status === 500 && typeof body === 'string') {
    const fault = safeFault(body);
    if (fault) reason = `SOAP Fault ${fault.code}: ${fault.reason}`;
  }
  if (isTemporary(status)) return { kind: 'temporary', status, body, retryAfter: res.headers.get('retry-after'), reason };
  return { kind: 'permanent', status, body, reason };
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
