import type { FastifyBaseLogger } from 'fastify';
import { backoff, isTemporary, type DeliveryOutcome, type RetryPolicy } from '../delivery.js';
import { send, type OutboundOptions } from '../outbound.js';
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
 * Sends a SOAP callback (step 3) with `X-Correlation-ID` in its header and reads the ACK (step 4),
 * with the REST delivery's retry rules: temporary failures (network, 429, 502-504) are retried
 * with backoff; a Fault (500) or any other status is final.
 */
export async function deliverSoapCallback(
  d: SoapCallbackDelivery,
  log: FastifyBaseLogger,
  policy: RetryPolicy,
  outbound: OutboundOptions = {},
): Promise<DeliveryOutcome> {
  const px = new PrefixMap();
  const headerXml = d.input.writeHeaders({ [d.callback.correlationPart]: d.correlationId }, px);
  const bodyXml = d.input.writeBody(d.body, px);
  const payload = buildEnvelope(d.callback.version, headerXml, bodyXml, px);
  for (let attempt = 1; ; attempt++) {
    let status: number | undefined;
    let retryAfter: string | null = null;
    let lastBody: unknown;
    let reason: string;
    try {
      const res = await send('POST', d.url, soapHeaders(d.callback.version, d.callback.soapAction), payload, { ...outbound, timeoutMs: policy.timeoutMs });
      status = res.status;
      lastBody = res.body;
      retryAfter = res.headers.get('retry-after');
      if (status >= 200 && status < 300) return { state: 'delivered', status, attempts: attempt, ack: readAck(d, res.body, log) };
      reason = `HTTP ${status}`;
      if (status === 500 && typeof res.body === 'string') {
        const fault = safeFault(res.body);
        if (fault) reason = `SOAP Fault ${fault.code}: ${fault.reason}`;
      }
    } catch (e) {
      reason = (e as Error).name === 'TimeoutError' ? 'timeout' : `network error: ${(e as Error).message}`;
    }
    if (!isTemporary(status) || attempt >= policy.maxAttempts) return { state: 'dead', status, attempts: attempt, reason, lastBody };
    const wait = backoff(policy, attempt, retryAfter);
    log.info({ correlationId: d.correlationId, attempt, reason, retryInMs: wait }, 'callback delivery failed, retrying');
    await new Promise((r) => setTimeout(r, wait));
  }
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
