import type { JsonSchema } from '../model/agreement.js';
import { refKey } from '../model/agreement.js';
import { docComment, propertyKey } from '../model/names.js';

/**
 * Prints the TypeScript type of a JSON Schema. `$ref`s print as the named schema's key, which is
 * its type name. Everything that comes from the spec is printed as a JSON literal, a checked
 * identifier (`propertyKey`) or comment text (`commentText`): nothing else reaches the output.
 */
export function tsType(schema: JsonSchema | boolean | undefined): string {
  if (schema === undefined || schema === true) return 'unknown';
  if (schema === false) return 'never';
  const key = refKey(schema);
  if (key) {
    // Vendor keywords (`x-xml` next to a `$ref`) describe the wire form, not the value's type.
    const rest = Object.keys(schema).filter((k) => !['$ref', 'description', 'title'].includes(k) && !k.startsWith('x-'));
    return rest.length ? `${key} & ${tsType(Object.fromEntries(rest.map((k) => [k, schema[k]])))}` : key;
  }
  if (isNever(schema)) return 'never';

  const parts: string[] = [];
  if ('const' in schema) parts.push(literal(schema.const));
  else if (Array.isArray(schema.enum)) parts.push(union(schema.enum.map(literal)));
  else {
    const base = typeOf(schema);
    if (base) parts.push(base);
  }
  for (const k of ['oneOf', 'anyOf'] as const) {
    const list = schema[k];
    // Branches that only require or forbid properties (an XSD choice) constrain values, they add no type.
    if (Array.isArray(list) && list.length && !list.every(isConstraintOnly)) parts.push(union(list.map((s) => tsType(s as JsonSchema))));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) parts.push(schema.allOf.map((s) => wrap(tsType(s as JsonSchema))).join(' & '));
  if (parts.length === 0) return 'unknown';
  return parts.length === 1 ? parts[0] : parts.map(wrap).join(' & ');
}

function isConstraintOnly(schema: unknown): boolean {
  return !!schema && typeof schema === 'object' && Object.keys(schema).every((k) => k === 'required' || k === 'not');
}

function isNever(schema: JsonSchema): boolean {
  const not = schema.not;
  return !!not && typeof not === 'object' && Object.keys(not).length === 0 && Object.keys(schema).length === 1;
}

function literal(value: unknown): string {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value) ? JSON.stringify(value) : 'unknown';
}

function union(types: string[]): string {
  const unique = [...new Set(types)];
  return unique.length ? unique.map(wrap).join(' | ') : 'never';
}

function wrap(t: string): string {
  return /^[\w$.<>"']+(\[\])?$/.test(t) || /^\{[\s\S]*\}$/.test(t) || /^\[[\s\S]*\]$/.test(t) ? t : `(${t})`;
}

function typeOf(schema: JsonSchema): string | undefined {
  const declared = schema.type;
  const types = Array.isArray(declared) ? (declared as string[]) : typeof declared === 'string' ? [declared] : inferTypes(schema);
  if (types.length === 0) return undefined;
  return union(types.map((t) => primitive(t, schema)));
}

/** Without `type`, structural keywords still say what the value is. */
function inferTypes(schema: JsonSchema): string[] {
  if (schema.properties || schema.additionalProperties !== undefined || schema.patternProperties) return ['object'];
  if (schema.items || schema.prefixItems) return ['array'];
  return [];
}

function primitive(type: string, schema: JsonSchema): string {
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return arrayType(schema);
    case 'object':
      return objectType(schema);
    default:
      return 'unknown';
  }
}

function arrayType(schema: JsonSchema): string {
  if (Array.isArray(schema.prefixItems)) {
    const head = schema.prefixItems.map((s) => tsType(s as JsonSchema));
    const rest = schema.items === false ? [] : [`...${wrap(tsType(schema.items as JsonSchema))}[]`];
    return `[${[...head, ...rest].join(', ')}]`;
  }
  return `${wrap(tsType(schema.items as JsonSchema | undefined))}[]`;
}

function objectType(schema: JsonSchema): string {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const lines: string[] = [];
  for (const [name, prop] of Object.entries(props)) {
    const doc = typeof prop?.description === 'string' && prop.description.trim() ? `${docComment(prop.description)}\n` : '';
    lines.push(`${doc}${propertyKey(name)}${required.has(name) ? '' : '?'}: ${tsType(prop)};`);
  }
  const extra = schema.additionalProperties;
  const names = Object.keys(props);
  if (extra !== undefined && extra !== false) {
    // An index signature must admit every declared property's type too.
    const value = names.length ? 'unknown' : tsType(extra === true ? undefined : (extra as JsonSchema));
    lines.push(`[key: string]: ${value};`);
  } else if (schema.patternProperties) {
    lines.push('[key: string]: unknown;');
  }
  if (lines.length === 0) return extra === false ? 'Record<string, never>' : 'Record<string, unknown>';
  return `{\n${lines.join('\n')}\n}`;
}

/**
 * A value of the schema's type, for scaffolds (an ACK body to start from). Undefined when no
 * simple value is certain to type-check.
 */
export function sampleValue(schema: JsonSchema | undefined, defs: Map<string, { schema: JsonSchema }>, depth = 0): unknown {
  if (!schema || depth > 6) return undefined;
  const key = refKey(schema);
  if (key) return sampleValue(defs.get(key)?.schema, defs, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.default !== undefined && typeof schema.default !== 'object') return schema.default;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type ?? inferTypes(schema)[0];
  switch (type) {
    case 'string':
      return 'ACK';
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return [];
    case 'object': {
      if (schema.allOf || schema.oneOf || schema.anyOf) return undefined;
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
        const v = sampleValue(prop, defs, depth + 1);
        if (v === undefined) return undefined;
        out[name] = v;
      }
      return out;
    }
  }
  return undefined;
}
