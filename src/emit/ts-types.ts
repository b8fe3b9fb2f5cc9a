import type { JsonSchema } from '../model/agreement.js';
import { refKey } from '../model/agreement.js';

/**
 * A TypeScript type, as a tree: printed by printTypeAlias (type-print.ts), which lays it out the
 * way prettier would. Spec text is held raw (property names, descriptions, literal values) and
 * only printed through names.ts and the literal printers there.
 */
export type TsType =
  | { kind: 'keyword'; name: 'string' | 'number' | 'boolean' | 'null' | 'undefined' | 'unknown' | 'never' }
  | { kind: 'literal'; value: string | number | boolean }
  /** A named type: a schema's type name, or a generic such as `Record<string, never>`. */
  | { kind: 'ref'; name: string; args?: TsType[] }
  /** `Type['key']`. */
  | { kind: 'indexed'; object: TsType; key: string }
  | { kind: 'union'; members: TsType[] }
  | { kind: 'intersection'; members: TsType[] }
  | { kind: 'array'; element: TsType }
  | { kind: 'tuple'; elements: TsType[]; rest?: TsType }
  /** `expanded`: one member per line even when it would fit on one (schemas, parameter lists). */
  | { kind: 'object'; members: TsMember[]; expanded: boolean };

export interface TsMember {
  /** The property's name as the spec spells it; undefined for the index signature `[key: string]`. */
  name?: string;
  optional: boolean;
  /** The spec's description, printed as a doc comment. */
  doc?: string;
  type: TsType;
}

export const keyword = (name: Extract<TsType, { kind: 'keyword' }>['name']): TsType => ({ kind: 'keyword', name });
export const literalType = (value: string | number | boolean): TsType => ({ kind: 'literal', value });
export const ref = (name: string, args?: TsType[]): TsType => ({ kind: 'ref', name, ...(args ? { args } : {}) });
export const indexed = (object: TsType, key: string): TsType => ({ kind: 'indexed', object, key });
export const arrayOf = (element: TsType): TsType => ({ kind: 'array', element });
export const objectType = (members: TsMember[], expanded = true): TsType => ({ kind: 'object', members, expanded });
export const property = (name: string, type: TsType, optional = false, doc?: string): TsMember => ({ name, optional, type, ...(doc ? { doc } : {}) });
/** `[key: string]: type`. */
export const indexSignature = (type: TsType): TsMember => ({ optional: false, type });

export const UNKNOWN = keyword('unknown');
export const NEVER = keyword('never');
export const UNDEFINED = keyword('undefined');
/** An object that admits no property. */
export const EMPTY_RECORD = ref('Record', [keyword('string'), NEVER]);

/**
 * The union of distinct types (`never` when there is none). A member that is a union itself stays
 * one, in parentheses, as its schema nests it.
 */
export function union(types: TsType[]): TsType {
  const unique: TsType[] = [];
  // Literals (long enums) are told apart by value at once; other members by comparing them.
  const literals = new Set<unknown>();
  for (const t of types) {
    if (t.kind === 'literal' ? literals.has(t.value) : unique.some((u) => sameType(u, t))) continue;
    if (t.kind === 'literal') literals.add(t.value);
    unique.push(t);
  }
  if (unique.length === 0) return NEVER;
  return unique.length === 1 ? unique[0] : { kind: 'union', members: unique };
}

/** `types` as one union: members that are unions give their members (`A | B` or `undefined` is `A | B | undefined`). */
export function flatUnion(types: TsType[]): TsType {
  return union(types.flatMap((t) => (t.kind === 'union' ? t.members : [t])));
}

export function intersection(types: TsType[]): TsType {
  return types.length === 1 ? types[0] : { kind: 'intersection', members: types };
}

/** Whether two types are written the same. Compared member by member: different ones differ early. */
function sameType(a: TsType, b: TsType): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  const same = (x: TsType[] = [], y: TsType[] = []) => x.length === y.length && x.every((t, i) => sameType(t, y[i]));
  switch (a.kind) {
    case 'keyword':
      return a.name === (b as typeof a).name;
    case 'literal':
      return a.value === (b as typeof a).value;
    case 'ref':
      return a.name === (b as typeof a).name && same(a.args, (b as typeof a).args);
    case 'indexed':
      return a.key === (b as typeof a).key && sameType(a.object, (b as typeof a).object);
    case 'union':
    case 'intersection':
      return same(a.members, (b as typeof a).members);
    case 'array':
      return sameType(a.element, (b as typeof a).element);
    case 'tuple': {
      const other = b as typeof a;
      return same(a.elements, other.elements) && same(a.rest && [a.rest], other.rest && [other.rest]);
    }
    case 'object': {
      const other = (b as typeof a).members;
      return (
        a.expanded === (b as typeof a).expanded &&
        a.members.length === other.length &&
        a.members.every((m, i) => m.name === other[i].name && m.optional === other[i].optional && m.doc === other[i].doc && sameType(m.type, other[i].type))
      );
    }
  }
}

/**
 * The TypeScript type of a JSON Schema. `$ref`s print as the named schema's key, which is its
 * type name.
 */
export function tsType(schema: JsonSchema | boolean | undefined): TsType {
  if (schema === undefined || schema === true) return UNKNOWN;
  if (schema === false) return NEVER;
  const key = refKey(schema);
  if (key) {
    // Vendor keywords (`x-xml` next to a `$ref`) describe the wire form, not the value's type.
    const rest = Object.keys(schema).filter((k) => !['$ref', 'description', 'title'].includes(k) && !k.startsWith('x-'));
    if (!rest.length) return ref(key);
    const more = tsType(Object.fromEntries(rest.map((k) => [k, schema[k]])));
    return intersection([ref(key), ...(more.kind === 'intersection' ? more.members : [more])]);
  }
  if (isNever(schema)) return NEVER;

  const parts: TsType[] = [];
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
  if (Array.isArray(schema.allOf) && schema.allOf.length) parts.push(intersection(schema.allOf.map((s) => tsType(s as JsonSchema))));
  if (parts.length === 0) return UNKNOWN;
  return intersection(parts);
}

function isConstraintOnly(schema: unknown): boolean {
  return !!schema && typeof schema === 'object' && Object.keys(schema).every((k) => k === 'required' || k === 'not');
}

function isNever(schema: JsonSchema): boolean {
  const not = schema.not;
  return !!not && typeof not === 'object' && Object.keys(not).length === 0 && Object.keys(schema).length === 1;
}

function literal(value: unknown): TsType {
  if (value === null) return keyword('null');
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? literalType(value) : UNKNOWN;
}

function typeOf(schema: JsonSchema): TsType | undefined {
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

function primitive(type: string, schema: JsonSchema): TsType {
  switch (type) {
    case 'string':
    case 'boolean':
    case 'null':
      return keyword(type);
    case 'integer':
    case 'number':
      return keyword('number');
    case 'array':
      return arrayType(schema);
    case 'object':
      return schemaObject(schema);
    default:
      return UNKNOWN;
  }
}

function arrayType(schema: JsonSchema): TsType {
  if (Array.isArray(schema.prefixItems)) {
    const elements = schema.prefixItems.map((s) => tsType(s as JsonSchema));
    return { kind: 'tuple', elements, ...(schema.items === false ? {} : { rest: arrayOf(tsType(schema.items as JsonSchema)) }) };
  }
  return arrayOf(tsType(schema.items as JsonSchema | undefined));
}

function schemaObject(schema: JsonSchema): TsType {
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const members: TsMember[] = Object.entries(props).map(([name, prop]) => {
    const doc = typeof prop?.description === 'string' && prop.description.trim() ? prop.description : undefined;
    return property(name, tsType(prop), !required.has(name), doc);
  });
  const extra = schema.additionalProperties;
  if (extra !== undefined && extra !== false) {
    // An index signature must admit every declared property's type too.
    const value = members.length ? UNKNOWN : tsType(extra === true ? undefined : (extra as JsonSchema));
    members.push(indexSignature(value));
  } else if (schema.patternProperties) {
    members.push(indexSignature(UNKNOWN));
  }
  if (members.length === 0) return extra === false ? EMPTY_RECORD : ref('Record', [keyword('string'), UNKNOWN]);
  return objectType(members);
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
  const type = Array.isArray(schema.type) ? schema.type[0] : (schema.type ?? inferTypes(schema)[0]);
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
