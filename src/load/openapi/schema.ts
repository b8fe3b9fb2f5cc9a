import { basename, extname } from 'node:path';
import type { JsonSchema } from '../../model/agreement.js';
import { schemaRef } from '../../model/agreement.js';
import type { SchemaRegistry } from '../../model/schemas.js';
import { parsePointer, pointerToken } from '../errors.js';
import type { Documents, Place } from './documents.js';

/** Keywords carried over unchanged (annotations and assertions that mean the same in 3.0, 3.1 and JSON Schema). */
const PLAIN = new Set([
  'title',
  'description',
  'default',
  'examples',
  'deprecated',
  'readOnly',
  'writeOnly',
  'format',
  '$comment',
  'type',
  'enum',
  'const',
  'multipleOf',
  'maximum',
  'minimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxContains',
  'minContains',
  'maxProperties',
  'minProperties',
  'required',
  'dependentRequired',
  'contentEncoding',
  'contentMediaType',
]);
/** Keywords whose value is one subschema. */
const ONE = new Set(['not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems']);
/** Keywords whose value is a list of subschemas. */
const LIST = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
/** Keywords whose value is a map of subschemas. */
const MAP = new Set(['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions']);

/**
 * Converts OpenAPI 3.0 / 3.1 Schema Objects into JSON Schema 2020-12, registering every `$ref`
 * target (in any of the spec's files) as a named schema of the agreement.
 */
export class SchemaConverter {
  constructor(
    private readonly docs: Documents,
    private readonly registry: SchemaRegistry,
    private readonly openapi30: boolean,
  ) {}

  convert(schema: unknown, at: Place): JsonSchema {
    if (typeof schema === 'boolean') return schema ? {} : { not: {} };
    if (!schema || typeof schema !== 'object') return {};
    const src = schema as Record<string, unknown>;

    if (typeof src.$ref === 'string') {
      const ref = this.named(src.$ref, at);
      if (this.openapi30) return ref; // 3.0: siblings of $ref are ignored
      const rest = Object.fromEntries(Object.entries(src).filter(([k]) => k !== '$ref'));
      const extra = this.convert(rest, at);
      const annotations = ['description', 'title', 'summary'];
      return Object.keys(extra).every((k) => annotations.includes(k)) ? { ...ref } : { allOf: [ref, extra] };
    }

    const out: JsonSchema = {};
    const under = (...tokens: (string | number)[]): Place => ({ file: at.file, pointer: at.pointer + tokens.map((t) => `/${pointerToken(t)}`).join('') });
    for (const [k, v] of Object.entries(src)) {
      if (PLAIN.has(k)) out[k] = v;
      else if (ONE.has(k)) out[k] = this.convert(v, under(k));
      else if (LIST.has(k) && Array.isArray(v)) out[k] = v.map((s, i) => this.convert(s, under(k, i)));
      else if (MAP.has(k) && v && typeof v === 'object') {
        const key = k === 'definitions' ? '$defs' : k;
        out[key] = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, this.convert(s, under(k, n))]));
      } else if (k === 'items') {
        if (Array.isArray(v)) out.prefixItems = v.map((s, i) => this.convert(s, under(k, i)));
        else out.items = this.convert(v, under(k));
      } else if (k === 'additionalProperties') {
        out.additionalProperties = typeof v === 'boolean' ? v : this.convert(v, under(k));
      } else if (k === 'example' && !('examples' in src)) out.examples = [v];
      // Dropped: nullable and boolean exclusive bounds (handled below), discriminator, xml,
      // externalDocs, x-* extensions, $schema/$id/$anchor (they would re-base $refs).
    }

    if (this.openapi30) {
      for (const [bound, limit] of [
        ['exclusiveMaximum', 'maximum'],
        ['exclusiveMinimum', 'minimum'],
      ] as const) {
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

  /** The `$ref` to the named schema a reference points at, converting the target the first time. */
  private named(ref: string, from: Place): JsonSchema {
    const target = this.docs.target(ref, from);
    const tokens = parsePointer(target.pointer);
    const component = tokens.length === 3 && tokens[0] === 'components' && tokens[1] === 'schemas';
    // A whole file (`$ref: ./tenant.yaml`) is named after the file.
    const specName = component ? tokens[2] : (tokens.at(-1) ?? basename(target.file, extname(target.file)));
    const { key, fresh } = this.registry.reserve(`${target.file}#${target.pointer}`, specName);
    if (!fresh) return schemaRef(key);
    const value = this.docs.valueAt(target);
    // Follows the whole chain only to refuse a circular or dangling one; the target itself is converted, so an
    // alias (`JobBase: {$ref: JobCompact}`) stays a named schema of its own that refers to the next name.
    if (this.docs.deref(value, target).value === undefined) throw this.docs.error(`unresolvable $ref ${JSON.stringify(ref)}`, from);
    const converted = this.convert(value, target);
    const description = typeof (value as { description?: unknown })?.description === 'string' ? (value as { description: string }).description : undefined;
    return schemaRef(this.registry.define(key, specName, converted, this.docs.location(target), description));
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
