import type { JsonSchema } from '../descriptors.js';
import { validationProblem } from '../http.js';
import type { Validators } from '../validation.js';
import { XmlCodec, type Prefixes, type Shape } from './codec.js';
import type { SoapMessageDescriptor, SoapPartDescriptor } from './descriptors.js';
import { envelopeNs, type ParsedEnvelope } from './envelope.js';
import { XmlError, type XmlElement } from './xml.js';
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
    if (message.wrapper) this.wrapperKey = message.wrapper.namespace + '|' + message.wrapper.name;
    this.validateBody = message.schema ? validators.compile(message.schema as JsonSchema) : undefined;
  }

  /** The element that identifies the message in a Body: the rpc wrapper or the first document part. */
  get dispatchKey(): string | undefined {
    return this.wrapperKey ?? this.body[0]?.key;
  }

  /** Reads and validates the body and header parts of a parsed envelope. */
  read(env: ParsedEnvelope): SoapValues {
    const headers: Record<string, unknown> = {};
    const soapNs = envelopeNs(env.version);
    for (const h of env.header?.children ?? []) {
      const key = h.ns + '|' + h.name;
      const part = this.headers.find((p) => p.key === key);
      if (!part) {
        const mu = h.attrs.find((a) => a.name === 'mustUnderstand' && a.ns === soapNs);
        if (mu && (mu.value === '1' || mu.value === 'true')) throw new SoapInputError(`header ${describe(h)} is not understood`, 'MustUnderstand');
        continue;
      }
      const value = this.decodePart(h, part);
      if (!part.validate(value)) throw invalid(`header ${part.part.name}`, part.validate.errors);
      headers[part.part.name] = value;
    }
    const body = this.readBody(env.body);
    if (this.validateBody && !this.validateBody(body)) throw invalid('body', this.validateBody.errors);
    return { body, headers };
  }

  private readBody(bodyEl: XmlElement): unknown {
    let children = bodyEl.children;
    if (this.wrapperKey) {
      const w = children[0];
      if (!w || w.ns + '|' + w.name !== this.wrapperKey || children.length > 1) throw new SoapInputError(`the Body must hold one ${this.message.wrapper!.name} element`);
      children = w.children;
    }
    const found = new Map<string, unknown>();
    for (const el of children) {
      const key = el.ns + '|' + el.name;
      const part = this.body.find((p) => p.key === key);
      if (!part) throw new SoapInputError(`unexpected element ${describe(el)} in the Body`);
      if (found.has(part.part.name)) throw new SoapInputError(`element ${describe(el)} appears twice in the Body`);
      found.set(part.part.name, this.decodePart(el, part));
    }
    if (!this.wrapperKey && this.body.length === 1) {
      if (!found.has(this.body[0].part.name)) throw new SoapInputError(`the Body must hold a ${this.body[0].part.element.name} element`);
      return found.get(this.body[0].part.name);
    }
    if (!this.wrapperKey && this.body.length === 0) return undefined;
    return Object.fromEntries(found);
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
      out += this.codec.encode(v, p.shape, tag(p.part, px), p.nillable, px);
    }
    if (this.wrapperKey) {
      const w = tag({ element: this.message.wrapper! } as SoapPartDescriptor, px);
      return out ? `<${w}>${out}</${w}>` : `<${w}/>`;
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
