import type { RuntimeErrorCode } from '../errors.js';
import type { JsonSchema } from '../descriptors.js';
import { validationProblem } from '../http.js';
import type { Validators } from '../validation.js';
import { XmlCodec, type Prefixes, type Shape } from './codec.js';
import type { QNameDescriptor, SoapMessageDescriptor, SoapPartDescriptor } from './descriptors.js';
import { inlineMultiRefs } from './encoded.js';
import { envelopeNs, type ParsedEnvelope } from './envelope.js';
import { QNameTable, XmlError, attribute, type XmlElement } from './xml.js';
import { XML_KEYWORD } from '../../model/xml-facts.js';

/** A message's body and header values as handlers and clients see them. */
export interface SoapValues {
  body: unknown;
  headers: Record<string, unknown>;
}

/** A header or body part the envelope could not be read into: the sender's fault. */
export class SoapInputError extends Error {
  constructor(
    message: string,
    readonly code: 'Sender' | 'MustUnderstand' = 'Sender',
    /** The runtime error it is answered as (errors.ts). */
    readonly runtime: RuntimeErrorCode = code === 'MustUnderstand' ? 'must-understand' : 'request-invalid',
  ) {
    super(message);
    this.name = 'SoapInputError';
  }
}

interface CompiledPart {
  part: SoapPartDescriptor;
  key: string;
  shape: Shape;
  nillable: boolean;
  validate: ((v: unknown) => boolean) & { errors?: unknown };
}

/** One WSDL message compiled once: decodes, validates and encodes its body and headers. */
export class MessageCodec {
  private readonly body: CompiledPart[];
  private readonly headers: CompiledPart[];
  private readonly bodyByName = new QNameTable<CompiledPart>();
  private readonly headerByName = new QNameTable<CompiledPart>();
  private readonly wrapperKey?: string;
  private readonly validateBody?: ReturnType<Validators['compile']>;

  constructor(
    readonly message: SoapMessageDescriptor,
    readonly style: 'document' | 'rpc',
    private readonly codec: XmlCodec,
    validators: Validators,
  ) {
    const compile = (part: SoapPartDescriptor): CompiledPart => ({
      part,
      key: part.element.namespace + '|' + part.element.name,
      shape: codec.shape(part.schema),
      nillable: part.nillable || !!(part.schema[XML_KEYWORD] as { nillable?: boolean } | undefined)?.nillable,
      validate: validators.compile(part.schema),
    });
    this.body = message.body.map(compile);
    this.headers = message.headers.map(compile);
    for (const p of this.body) if (!this.bodyByName.get(p.part.element.namespace, p.part.element.name)) this.bodyByName.set(p.part.element.namespace, p.part.element.name, p);
    for (const p of this.headers) if (!this.headerByName.get(p.part.element.namespace, p.part.element.name)) this.headerByName.set(p.part.element.namespace, p.part.element.name, p);
    if (message.wrapper) this.wrapperKey = message.wrapper.namespace + '|' + message.wrapper.name;
    this.validateBody = message.schema ? validators.compile(message.schema as JsonSchema) : undefined;
  }

  /** The element that identifies the message in a Body: the rpc wrapper or the first document part. */
  get dispatchName(): QNameDescriptor | undefined {
    return this.message.wrapper ?? this.body[0]?.part.element;
  }

  /** `dispatchName` as a `ns|name` key. */
  get dispatchKey(): string | undefined {
    return this.wrapperKey ?? this.body[0]?.key;
  }

  /** Reads and validates the body and header parts of a parsed envelope. */
  read(env: ParsedEnvelope): SoapValues {
    const headers: Record<string, unknown> = {};
    if (env.header) {
      const soapNs = envelopeNs(env.version);
      for (const h of env.header.children) {
        const part = this.headerByName.get(h.ns, h.name);
        if (!part) {
          const mu = attribute(h, soapNs, 'mustUnderstand');
          if (mu === '1' || mu === 'true') throw new SoapInputError(`header ${describe(h)} is not understood`, 'MustUnderstand');
          continue;
        }
        const value = this.decodePart(h, part);
        if (!part.validate(value)) throw invalid(`header ${part.part.name}`, part.validate.errors);
        headers[part.part.name] = value;
      }
    }
    const body = this.readBody(this.message.encoding ? this.decodeRefs(env.body) : env.body);
    if (this.validateBody && !this.validateBody(body)) throw invalid('body', this.validateBody.errors);
    return { body, headers };
  }

  private readBody(bodyEl: XmlElement): unknown {
    let children = bodyEl.children;
    const wrapper = this.message.wrapper;
    if (wrapper) {
      const w = children[0];
      if (!w || w.name !== wrapper.name || w.ns !== wrapper.namespace || children.length > 1) throw new SoapInputError(`the Body must hold one ${wrapper.name} element`);
      children = w.children;
    } else if (this.body.length === 1) {
      // One document part (the usual case): the Body holds its element and nothing else.
      const only = this.body[0];
      let value: unknown;
      let seen = false;
      for (const el of children) {
        if (this.bodyByName.get(el.ns, el.name) !== only) throw new SoapInputError(`unexpected element ${describe(el)} in the Body`);
        if (seen) throw new SoapInputError(`element ${describe(el)} appears twice in the Body`);
        value = this.decodePart(el, only);
        seen = true;
      }
      if (!seen) throw new SoapInputError(`the Body must hold a ${only.part.element.name} element`);
      return value;
    }
    const found = new Map<string, unknown>();
    for (const el of children) {
      const part = this.bodyByName.get(el.ns, el.name);
      if (!part) throw new SoapInputError(`unexpected element ${describe(el)} in the Body`);
      if (found.has(part.part.name)) throw new SoapInputError(`element ${describe(el)} appears twice in the Body`);
      found.set(part.part.name, this.decodePart(el, part));
    }
    if (!wrapper && this.body.length === 0) return undefined;
    return Object.fromEntries(found);
  }

  /** rpc/encoded: the Body with its multi-ref values in place (encoded.ts). */
  private decodeRefs(body: XmlElement): XmlElement {
    try {
      return inlineMultiRefs(body, this.message.encoding!);
    } catch (e) {
      if (e instanceof XmlError) throw new SoapInputError(e.message);
      throw e;
    }
  }

  private decodePart(el: XmlElement, part: CompiledPart): unknown {
    try {
      return this.codec.decode(el, part.shape, part.nillable);
    } catch (e) {
      if (e instanceof XmlError) throw new SoapInputError(e.message);
      throw e;
    }
  }

  /** The XML of the Body's content. */
  writeBody(value: unknown, px: Prefixes): string {
    const one = !this.wrapperKey && this.body.length === 1;
    let out = '';
    for (const p of this.body) {
      const v = one ? value : (value as Record<string, unknown> | undefined)?.[p.part.name];
      out += this.codec.encode(v, p.shape, tag(p.part, px), p.nillable, px, this.message.encoding);
    }
    if (this.wrapperKey) {
      const w = tag({ element: this.message.wrapper! } as SoapPartDescriptor, px);
      // `soap` is the envelope's prefix (envelope.ts buildEnvelope).
      const style = this.message.encoding ? ` soap:encodingStyle="${this.message.encoding}"` : '';
      return out ? `<${w}${style}>${out}</${w}>` : `<${w}${style}/>`;
    }
    return out;
  }

  /** The XML of the header parts present in `values`. */
  writeHeaders(values: Record<string, unknown> | undefined, px: Prefixes): string {
    if (!values) return '';
    let out = '';
    for (const p of this.headers) {
      const v = values[p.part.name];
      if (v !== undefined) out += this.codec.encode(v, p.shape, tag(p.part, px), p.nillable, px);
    }
    return out;
  }

  /** Checks a value against the body schema, for what this side sends. */
  checkBody(value: unknown, where: string): void {
    if (this.validateBody && !this.validateBody(value)) throw invalid(where, this.validateBody.errors);
  }
}

function tag(part: Pick<SoapPartDescriptor, 'element'>, px: Prefixes): string {
  return part.element.namespace ? `${px.prefix(part.element.namespace)}:${part.element.name}` : part.element.name;
}

function describe(el: XmlElement): string {
  return el.ns ? `{${el.ns}}${el.name}` : el.name;
}

function invalid(where: string, errors: unknown): SoapInputError {
  const p = validationProblem(where, (errors ?? []) as Parameters<typeof validationProblem>[1]);
  return new SoapInputError(p.problem.detail ?? `${where} is invalid`);
}
