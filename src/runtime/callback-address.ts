/**
 * Resolves a callback URL from the request the provider accepted, by the parts of the callback's
 * OpenAPI runtime expression (`{$request.body#/sink}`, `{$request.query.cb}/data`,
 * `{$request.header.X-Cb}`, `{$request.path.id}`, `$url`, `$method`).
 */
import type { FastifyRequest } from 'fastify';
import type { AddressPart } from './descriptors.js';
import type { IncomingRequest } from './http.js';
import type { OutgoingRequest } from './outbound.js';

/** A value at a JSON pointer (RFC 6901) of a parsed body; `undefined` when there is none. */
export function valueAt(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let node = document;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(token)) node = node[Number(token)];
    else if (node && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, token)) node = (node as Record<string, unknown>)[token];
    else return undefined;
  }
  return node;
}

/**
 * The callback URL a request gives, or `undefined` when a value the expression reads is absent
 * (the subscriber asked for no callback: CAMARA's `sink` is optional). A value that is not a
 * string or a number is absent too: an object is no address.
 */
export function resolveAddress(parts: AddressPart[], request: IncomingRequest, raw: Pick<FastifyRequest, 'headers' | 'query' | 'method' | 'protocol' | 'host' | 'url'>): string | undefined {
  let url = '';
  for (const part of parts) {
    let value: unknown;
    switch (part.kind) {
      case 'literal':
        value = part.text;
        break;
      case 'header':
        value = raw.headers[part.name.toLowerCase()];
        break;
      case 'query':
        value = (raw.query as Record<string, unknown> | undefined)?.[part.name];
        break;
      case 'path':
        value = request.path[part.name];
        break;
      case 'body':
        value = valueAt(request.body, part.pointer);
        break;
      case 'url':
        value = `${raw.protocol}://${raw.host}${raw.url}`;
        break;
      case 'method':
        value = raw.method;
        break;
    }
    if (typeof value === 'number') value = String(value);
    if (typeof value !== 'string' || value === '') return undefined;
    url += value;
  }
  return url;
}

/**
 * Puts a callback URL where a one-part expression reads it (a body field, a query, path or header
 * parameter) in a request about to be sent, unless the caller put one there already. A template
 * (`{$request.query.cb}/data`) cannot be inverted: the caller's request must carry its parts.
 */
export function placeAddress(parts: AddressPart[], req: OutgoingRequest, url: string): OutgoingRequest {
  const [only] = parts;
  if (parts.length !== 1) return req;
  switch (only.kind) {
    case 'header':
      return { ...req, headers: { [only.name]: url, ...req.headers } };
    case 'query':
      return { ...req, query: { [only.name]: url, ...req.query } };
    case 'path':
      return { ...req, path: { [only.name]: url, ...req.path } };
    case 'body': {
      if (valueAt(req.body, only.pointer) !== undefined) return req;
      const tokens = only.pointer
        .split('/')
        .slice(1)
        .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
      if (tokens.length === 0) return req;
      const body: Record<string, unknown> = req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? structuredClone(req.body as Record<string, unknown>) : {};
      let node = body;
      for (const token of tokens.slice(0, -1)) {
        const next = node[token];
        node = node[token] = next && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
      }
      node[tokens[tokens.length - 1]] = url;
      return { ...req, body };
    }
    default:
      return req;
  }
}
