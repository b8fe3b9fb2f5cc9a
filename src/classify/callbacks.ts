/**
 * Where a callback's address and credential travel in the request that asks for it: the one place
 * that reads a callback's runtime expression (`{$request.body#/sink}`, `{$request.query.cb}/data`,
 * `{$request.header#/X-ReplyTo}`) as a carrier, and that recognises a declared callback
 * credential (CAMARA's `sinkCredential`).
 */
import { refKey, type Agreement, type JsonSchema, type Operation, type RuntimeExpression, type RuntimeExpressionPart } from '../model/agreement.js';
import { headerParameter, namesCarrier, REPLY_TO } from './carriers.js';
import { bearerScheme } from './security.js';

/** The request property that carries a credential for the callback (CAMARA Commonalities, "sinkCredential"). */
export const SINK_CREDENTIAL = 'sinkCredential';

/**
 * Where a value travels in a request: an HTTP header, a query-string or path parameter, a field of
 * the JSON body (a JSON pointer), a template mixing literal text and those (`{$request.query.cb}/data`),
 * or a SOAP header part.
 */
export type AddressCarrier =
  { in: 'header'; name: string } | { in: 'query'; name: string } | { in: 'path'; name: string } | { in: 'body'; pointer: string } | { in: 'template'; expression: RuntimeExpression };

/** The carrier a callback URL expression names: one expression alone is that carrier, anything else a template. */
export function addressCarrier(expression: RuntimeExpression): AddressCarrier {
  const [only] = expression.parts;
  if (expression.parts.length === 1) {
    if (only.kind === 'header' || only.kind === 'query' || only.kind === 'path') return { in: only.kind, name: only.name };
    if (only.kind === 'body') return { in: 'body', pointer: only.pointer };
  }
  return { in: 'template', expression };
}

/** A carrier in words, for inspect's facts and lint's messages. */
export function describeCarrier(carrier: AddressCarrier): string {
  switch (carrier.in) {
    case 'header':
      return `request header ${carrier.name}`;
    case 'query':
      return `query parameter ${carrier.name}`;
    case 'path':
      return `path parameter ${carrier.name}`;
    case 'body':
      return `request body field ${carrier.pointer || '(the whole body)'}`;
    case 'template':
      return `the template ${carrier.expression.raw}`;
  }
}

/** Whether a callback's URL is the ModI X-ReplyTo header (the push pattern's carrier). */
export function isReplyToHeader(expression: RuntimeExpression): boolean {
  const carrier = addressCarrier(expression);
  return carrier.in === 'header' && namesCarrier(carrier.name, REPLY_TO, 'rest');
}

/** A credential the consumer gives for its callback, and how the provider presents it. */
export interface CredentialCarrier {
  /** The request body field that holds it (`/sinkCredential`). */
  pointer: string;
  /**
   * The security scheme of the callback operation that says how it is presented (an HTTP bearer
   * token, CAMARA's `ACCESSTOKEN`); absent when the callback declares none: nowhere to send it.
   */
  scheme?: string;
}

/** The credential a request declares for its callbacks, with the callback's scheme to present it by. */
export function credentialCarrier(request: Operation, callback: Operation, agreement: Agreement): CredentialCarrier | undefined {
  const pointer = `/${SINK_CREDENTIAL}`;
  if (schemaHas(requestBodySchema(request), pointer, agreement) !== 'yes') return undefined;
  // The callback is declared in the provider's spec: its requirements name that spec's schemes.
  const bearer = bearerScheme(callback, agreement.provider);
  return { pointer, ...(bearer ? { scheme: bearer } : {}) };
}

export function requestBodySchema(op: Operation): JsonSchema | undefined {
  const contents = op.requestBody?.contents ?? [];
  return (contents.find((c) => /json/i.test(c.mediaType)) ?? contents[0])?.schema;
}

/**
 * Each value of the request an expression reads that the request does not declare: a header,
 * query or path parameter it has not, or a body field its schema lacks. `$url` and `$method` are
 * always there; a body schema that does not list its properties may have any field.
 */
export function undeclaredParts(op: Operation, expression: RuntimeExpression, agreement: Agreement): { part: RuntimeExpressionPart; why: string }[] {
  const missing: { part: RuntimeExpressionPart; why: string }[] = [];
  for (const part of expression.parts) {
    if (part.kind === 'header') {
      // The ModI X-ReplyTo has its own rule (push-rest/reply-to-header).
      if (!headerParameter(op, part.name) && !namesCarrier(part.name, REPLY_TO, 'rest')) missing.push({ part, why: `${op.id} declares no header parameter ${part.name}` });
    } else if (part.kind === 'query' || part.kind === 'path') {
      if (!op.parameters.some((p) => p.in === part.kind && p.name === part.name)) missing.push({ part, why: `${op.id} declares no ${part.kind} parameter ${part.name}` });
    } else if (part.kind === 'body') {
      const schema = requestBodySchema(op);
      if (!op.requestBody) missing.push({ part, why: `${op.id} declares no request body` });
      else if (schemaHas(schema, part.pointer, agreement) === 'no') missing.push({ part, why: `the request body schema of ${op.id} has no field ${part.pointer}` });
    }
  }
  return missing;
}

/**
 * Whether a JSON pointer names a value the schema declares: `yes`, `no` (the object lists its
 * properties and none of its branches has this one), or `open` (nothing says: no `properties`).
 * Follows `$ref`s to the agreement's schemas and any branch of `allOf`/`anyOf`/`oneOf`.
 */
export function schemaHas(schema: JsonSchema | undefined, pointer: string, agreement: Agreement): 'yes' | 'no' | 'open' {
  const tokens = pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
  const seen = new Set<JsonSchema>();
  const walk = (s: JsonSchema | undefined, i: number): 'yes' | 'no' | 'open' => {
    if (!s || typeof s !== 'object') return 'open';
    if (i === tokens.length) return 'yes';
    if (seen.has(s)) return 'open';
    seen.add(s);
    try {
      const key = refKey(s);
      if (key) return walk(agreement.schemas.get(key)?.schema, i);
      const outcomes: ('yes' | 'no' | 'open')[] = [];
      for (const branch of ['allOf', 'anyOf', 'oneOf'] as const) {
        const list = s[branch];
        if (Array.isArray(list)) for (const b of list) outcomes.push(walk(b as JsonSchema, i));
      }
      const props = s.properties as Record<string, JsonSchema> | undefined;
      const token = tokens[i];
      if (props && typeof props === 'object') outcomes.push(Object.hasOwn(props, token) ? walk(props[token], i + 1) : 'no');
      if (s.items && typeof s.items === 'object' && /^\d+$/.test(token)) outcomes.push(walk(s.items as JsonSchema, i + 1));
      if (outcomes.includes('yes')) return 'yes';
      if (outcomes.includes('open') || outcomes.length === 0) return 'open';
      return 'no';
    } finally {
      seen.delete(s);
    }
  };
  return walk(schema, 0);
}
