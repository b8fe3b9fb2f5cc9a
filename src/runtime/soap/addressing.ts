/**
 * WS-Addressing 1.0 (W3C, SOAP Binding) as the carrier of a push's reply address and correlation
 * id: the request carries `wsa:MessageID` (the correlation id, chosen by the consumer) and
 * `wsa:ReplyTo/wsa:Address` (the callback address); the ACK and the callback carry
 * `wsa:RelatesTo` = that MessageID; every message carries `wsa:Action`, and the ones sent to an
 * address `wsa:To`. The classify stage decides when an operation speaks it (its binding's
 * `wsaw:UsingAddressing` / `wsam:Addressing`, or the config); descriptors say so with `addressing`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ParsedEnvelope, PrefixMap } from './envelope.js';
import { SoapInputError } from './message.js';
import { escapeText, type XmlElement } from './xml.js';

export const WSA_NS = 'http://www.w3.org/2005/08/addressing';
/** `wsa:ReplyTo` values that name no callback endpoint: "answer on this connection" and "do not answer". */
export const WSA_ANONYMOUS = `${WSA_NS}/anonymous`;
export const WSA_NONE = `${WSA_NS}/none`;

/** The WS-Addressing headers of one message. */
export interface AddressingHeaders {
  messageId?: string;
  relatesTo?: string;
  replyTo?: string;
  to?: string;
  action?: string;
}

const textOf = (el: XmlElement | undefined) => el?.text.trim() || undefined;

/**
 * Reads the WS-Addressing headers of an envelope and takes them out of its Header: the runtime
 * understands them (a `mustUnderstand` on them is honoured here), so the message codec, which
 * reads the WSDL's header parts, does not meet them.
 */
export function takeAddressing(env: ParsedEnvelope): { env: ParsedEnvelope; headers: AddressingHeaders } {
  if (!env.header) return { env, headers: {} };
  const headers: AddressingHeaders = {};
  const rest: XmlElement[] = [];
  for (const h of env.header.children) {
    if (h.ns !== WSA_NS) {
      rest.push(h);
      continue;
    }
    if (h.name === 'MessageID') headers.messageId = textOf(h);
    else if (h.name === 'RelatesTo') {
      // Only the reply relationship (no RelationshipType, or wsa:Reply) carries the correlation id.
      const type = h.attrs.find((a) => a.name === 'RelationshipType')?.value;
      if (!type || type === `${WSA_NS}/reply`) headers.relatesTo = textOf(h);
    } else if (h.name === 'ReplyTo') headers.replyTo = textOf(h.children.find((c) => c.ns === WSA_NS && c.name === 'Address')) ?? WSA_ANONYMOUS;
    else if (h.name === 'To') headers.to = textOf(h);
    else if (h.name === 'Action') headers.action = textOf(h);
  }
  return { env: { ...env, header: { ...env.header, children: rest } }, headers };
}

/** The headers of an outgoing message as XML (without the Header element), prefixes declared in `px`. */
export function writeAddressing(headers: AddressingHeaders, px: PrefixMap): string {
  const p = px.prefix(WSA_NS);
  const el = (name: string, value: string | undefined) => (value === undefined ? '' : `<${p}:${name}>${escapeText(value)}</${p}:${name}>`);
  return (
    el('To', headers.to) +
    el('Action', headers.action) +
    el('MessageID', headers.messageId) +
    (headers.replyTo === undefined ? '' : `<${p}:ReplyTo>${el('Address', headers.replyTo)}</${p}:ReplyTo>`) +
    el('RelatesTo', headers.relatesTo)
  );
}

/** A new message id (WS-Addressing asks for an absolute IRI: a UUID URN). */
export const newMessageId = () => `urn:uuid:${randomUUID()}`;

const received = new WeakMap<FastifyRequest, AddressingHeaders>();

/** Takes the WS-Addressing headers out of a request's envelope and keeps them with the request, for its operation to read. */
export function receiveAddressing(req: FastifyRequest, env: ParsedEnvelope): ParsedEnvelope {
  const taken = takeAddressing(env);
  received.set(req, taken.headers);
  return taken.env;
}

/**
 * What a push request carries by WS-Addressing: its MessageID (the correlation id) and its
 * ReplyTo address. A missing MessageID, and a ReplyTo that names no endpoint (absent, anonymous,
 * none: the result goes to a callback, never on this connection), are the sender's faults; the
 * address itself goes through the reply-address guard like any other.
 */
export function pushAddressing(req: FastifyRequest): { messageId: string; replyTo: string | undefined } {
  const headers = received.get(req) ?? {};
  if (!headers.messageId) throw new SoapInputError('missing wsa:MessageID WS-Addressing header: it is the correlation id of the request', 'Sender', 'correlation-missing');
  const replyTo = headers.replyTo === WSA_ANONYMOUS || headers.replyTo === WSA_NONE ? undefined : headers.replyTo;
  return { messageId: headers.messageId, replyTo };
}
