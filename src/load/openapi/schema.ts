import type { JsonSchema } from '../../model/agreement.js';
import { schemaRef } from '../../model/agreement.js';
import type { SchemaRegistry } from '../../model/schemas.js';
import { parsePointer, pointerToken } from '../errors.js';

/** Keywords carried over unchanged (annotations and assertions that mean the same in 3.0, 3.1 and JSON Schema). */
const PLAIN = new Set([
  'title', 'description', 'default', 'examples', 'deprecated', 'readOnly', 'writeOnly', 'format', '$comment',
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'minimum', 'maxLength', 'minLength', 'pattern', 'maxItems',
  'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties', 'minProperties', 'required',
  'dependentRequired', 'contentEncoding', 'contentMediaType',
]);
/** Keywords whose value is one subschema. */
const ONE = new Set(['not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems']);
/** Keywords whose value is a list of subschemas. */
const LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value is a map of subschemas. */
const MAP = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions']);

/**
 * Converts OpenAPI 3.0 / 3.1 Schema Objects of one bundled document into JSON Schema 2020-12,
 * registering every `$ref` target as a named schema of the agreement.
 */
export class SchemaConverter {
  constructor(
    private readonly doc: unknown,
    private readonly registry: SchemaRegistry,
    private readonly openapi30: boolean,
    private readonly location: (pointer: string) => { file: string; pointer: string; line?: number; column?: number },
  ) {}

  convert(schema: unknown, pointer: string): JsonSchema {
    if (typeof schema === 'boolean') return schema ? {} : { not: {} };
    if (!schema || typeof schema !== 'object') return {};
    const src = schema as Record<string, unknown>;

    if (typeof src.$ref === 'string') {
      const ref = this.named(src.$ref);
      if (this.openapi30) return ref; // 3.0: siblings of $ref are ignored
      const rest = Object.fromEntries(Object.entries(src).filter(([k]) => k !== '$ref'));
      const extra = this.convert(rest, pointer);
      const annotations = ['description', 'title', 'summary'];
      return Object.keys(extra).every((k) => annotations.includes(k)) ? { ...ref } : { allOf: [ref, extra] };
    }

    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(src)) {
      const at = `${pointer}/${pointerToken(k)}`;
      if (PLAIN.has(k)) out[k] = v;
      else if (ONE.has(k)) out[k] = this.convert(v, at);
      else if (LIST.has(k) && Array.isArray(v)) out[k] = v.map((s, i) => this.convert(s, `${at}/${i}`));
      else if (MAP.has(k) && v && typeof v === 'object') {
        const key = k === 'definitions' ? '$defs' : k;
        out[key] = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, this.convert(s, `${at}/${pointerToken(n)}`)]));
      } else if (k === 'items') {
        if (Array.isArray(v)) out.prefixItems = v.map((s, i) => this.convert(s, `${at}/${i}`));
        else out.items = this.convert(v, at);
      } else if (k === 'additionalProperties') {
        out.additionalProperties = typeof v === 'boolean' ? v : this.convert(v, at);
      } else if (k === 'example' && !('examples' in src)) out.examples = [v];
      // Dropped: nullable and boolean exclusive bounds (handled below), discriminator, xml,
      // externalDocs, x-* extensions, $schema/$id/$anchor (they would re-base $refs).
    }

    if (this.openapi30) {
      for (const [bound, limit] of [['exclusiveMaximum', 'maximum'], ['exclusiveMinimum', 'minimum']] as const) {
        if (src[bound] === true && typeof src[limit] === 'number') {
          out[bound] = src[limit];
          delete out[limit];
        }
      }
      if (src.nullable === true) return nullable(out);
    } else {
      for (const bound of ['exclusiveMaximum', 'exclusiveMinimum']) if (typeof src[bound] === 'number') out[bound] = src[bound];
    }
    return out;
  }

  /** The `$ref` to the named schema for a local pointer, converting the target the first time. */
  private named(ref: string): JsonSchema {
    if (!ref.startsWith('#')) return {}; // bundling leaves only local refs
    const tokens = parsePointer(ref);
    const component = tokens.length === 3 && tokens[0] === 'components' && tokens[1] === 'schemas';
    const specName = component ? tokens[2] : tokens[tokens.length - 1] ?? 'Schema';
    const origin = ref.slice(1);
    const { key, fresh } = this.registry.reserve(origin, specName);
    if (!fresh) return schemaRef(key);
    const target = resolvePointer(this.doc, tokens);
    const converted = this.convert(target, origin);
    const description = typeof (target as { description?: unknown })?.description === 'string' ? (target as { description: string }).description : undefined;
    return schemaRef(this.registry.define(key, specName, converted, this.location(origin), description));
  }
}

function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string') {
    const out: JsonSchema = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...schema.enum, null];
    return out;
  }
  return { anyOf: [schema, { type: 'null' }] };
}

export function resolvePointer(doc: unknown, tokens: string[]): unknown {
  let node = doc;
  for (const t of tokens) {
    if (node && typeof node === 'object') node = (node as Record<string, unknown>)[t];
    else return undefined;
  }
  return node;
}
