/**
 * Compares two JSON Schemas of one message, keyword by keyword, and says what each difference does
 * to the set of valid messages. The one home of schema comparison: the change report
 * (old version → new version) and lint's cross-spec check (what one side sends → what the other
 * side accepts) both read it.
 */
import { isDeepStrictEqual } from 'node:util';
import { refKey, type JsonSchema } from '../model/agreement.js';

/**
 * What a difference does to the messages the schema accepts:
 * - `narrows`: some message valid before is not any more (a sender may now be refused);
 * - `widens`: some message valid now was not before (a receiver may now get what it does not know);
 * - `both`: both at once (a type replaced by another);
 * - `removes`: a property is no longer described (a receiver that read it gets nothing);
 * - `renames`: a property is now under another name (whoever writes or reads it must follow);
 * - `adds`: an optional property is described that was not (nobody has to do anything).
 */
export type Effect = 'narrows' | 'widens' | 'both' | 'removes' | 'renames' | 'adds';

export interface SchemaChange {
  /** e.g. `body.a.a2`, `MType.items[]`: the place in the message (or named schema). */
  path: string;
  code: string;
  /** Says what changed, without the path. */
  message: string;
  effect: Effect;
  /** The two values compared, where a caller may want to look closer (the `x-xml` mappings). */
  values?: { old: unknown; new: unknown };
}

/** The named schemas a side's `#/$defs/<key>` references point at. */
export type Defs = (key: string) => JsonSchema | undefined;

export interface CompareOptions {
  /**
   * Called when both sides reference a named schema, instead of descending into them: the change
   * report compares each pair of named schemas once, whatever uses it. Without it the walk descends.
   */
  onRefs?: (oldKey: string, newKey: string, path: string) => void;
}

/** Effects that make what one side sends unacceptable to the other: lint's compatibility check. */
export const INCOMPATIBLE: ReadonlySet<Effect> = new Set(['narrows', 'both', 'renames']);

const UPPER = ['maxLength', 'maxItems', 'maximum', 'exclusiveMaximum', 'maxProperties', 'maxContains'] as const;
const LOWER = ['minLength', 'minItems', 'minimum', 'exclusiveMinimum', 'minProperties', 'minContains'] as const;
/** Beyond this depth a schema is not followed further (hand-written schemas are far shallower). */
const MAX_DEPTH = 64;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown) => JSON.stringify(v);

/** The differences between `old` and `new`, with what each does to the valid messages. */
export function compareSchemas(old: JsonSchema | undefined, now: JsonSchema | undefined, defs: { old: Defs; new: Defs }, path: string, options: CompareOptions = {}): SchemaChange[] {
  const walker = new Walker(defs, options);
  walker.walk(old ?? {}, now ?? {}, path, 0);
  return walker.changes;
}

/** The schema without the XML name its `x-xml` repeats (the property's own name): what a renamed property keeps. */
function unnamed(schema: unknown): Obj {
  if (!isObj(schema)) return {};
  const xml = schema['x-xml'];
  if (!isObj(xml) || !('name' in xml)) return schema;
  const { name: _, ...rest } = xml;
  return { ...schema, 'x-xml': rest };
}

class Walker {
  readonly changes: SchemaChange[] = [];
  /** Pairs of named schemas already descended into (without onRefs): each once, and recursion ends. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly defs: { old: Defs; new: Defs },
    private readonly options: CompareOptions,
  ) {}

  private add(path: string, code: string, message: string, effect: Effect, values?: SchemaChange['values']): void {
    this.changes.push({ path, code, message, effect, ...(values ? { values } : {}) });
  }

  walk(oldRaw: JsonSchema, newRaw: JsonSchema, path: string, depth: number): void {
    if (depth > MAX_DEPTH) return;
    const [ok, nk] = [refKey(oldRaw), refKey(newRaw)];
    if (ok && nk) {
      if (this.options.onRefs) return this.options.onRefs(ok, nk, path);
      const pair = `${ok}\0${nk}`;
      if (this.seen.has(pair)) return;
      this.seen.add(pair);
    }
    const o = this.normal(oldRaw, this.defs.old, depth);
    const n = this.normal(newRaw, this.defs.new, depth);

    if (o.nullable !== n.nullable) this.add(path, n.nullable ? 'became-nullable' : 'no-longer-nullable', n.nullable ? 'may now be null' : 'may no longer be null', n.nullable ? 'widens' : 'narrows');
    if (this.types(o.schema, n.schema, path)) return;
    const [os, ns] = [o.schema, n.schema];

    if (os.format !== ns.format) {
      const effect = os.format === undefined ? 'narrows' : ns.format === undefined ? 'widens' : 'both';
      this.add(path, 'format-changed', `format ${os.format ?? '(none)'} → ${ns.format ?? '(none)'}`, effect);
    }
    this.values(os, ns, path);
    this.bounds(os, ns, path);
    for (const kw of ['pattern', 'multipleOf'] as const) {
      if (isDeepStrictEqual(os[kw], ns[kw])) continue;
      const effect = os[kw] === undefined ? 'narrows' : ns[kw] === undefined ? 'widens' : 'both';
      this.add(path, `${kw === 'pattern' ? 'pattern' : 'multiple-of'}-changed`, `${kw} ${os[kw] === undefined ? '(none)' : show(os[kw])} → ${ns[kw] === undefined ? '(none)' : show(ns[kw])}`, effect);
    }
    // XSD facts (src/load/wsdl/README.md): an element's place in its sequence, attribute or element...
    const [ox, nx] = [unnamed(os)['x-xml'], unnamed(ns)['x-xml']];
    if (isObj(ox) && isObj(nx) && !isDeepStrictEqual(ox, nx)) this.add(path, 'xml-mapping-changed', `XML mapping ${show(ox)} → ${show(nx)}`, 'both', { old: ox, new: nx });
    if (!!os.uniqueItems !== !!ns.uniqueItems)
      this.add(path, 'unique-items-changed', ns.uniqueItems ? 'items must now be unique' : 'items need no longer be unique', ns.uniqueItems ? 'narrows' : 'widens');
    this.object(os, ns, path, depth);
    if (isObj(os.items) && isObj(ns.items)) this.walk(os.items, ns.items, `${path}[]`, depth + 1);
    else if (isObj(os.items) !== isObj(ns.items) && (os.type === 'array' || ns.type === 'array'))
      this.add(`${path}[]`, 'items-changed', ns.items ? 'items now have a schema' : 'items no longer have a schema', ns.items ? 'narrows' : 'widens');
    for (const kw of ['oneOf', 'anyOf'] as const) this.alternatives(os, ns, kw, path, depth);
  }

  /**
   * The schema as compared: references followed, `allOf` merged into one object schema, and a
   * `null` alternative (OpenAPI 3.0 `nullable`) taken out as a flag.
   */
  private normal(schema: JsonSchema, defs: Defs, depth: number): { schema: Obj; nullable: boolean } {
    let s: Obj = this.deref(schema, defs);
    let nullable = Array.isArray(s.type) && s.type.includes('null');
    if (nullable) {
      const types = (s.type as string[]).filter((t) => t !== 'null');
      s = { ...s, type: types.length === 1 ? types[0] : types };
      if (Array.isArray(s.enum)) s.enum = s.enum.filter((v) => v !== null);
    }
    const alternatives = s.anyOf ?? s.oneOf;
    if (Array.isArray(alternatives) && alternatives.some((a) => isObj(a) && a.type === 'null')) {
      const rest = alternatives.filter((a) => !(isObj(a) && a.type === 'null'));
      const kw = s.anyOf ? 'anyOf' : 'oneOf';
      const { [kw]: _, ...others } = s;
      s = rest.length === 1 ? { ...others, ...this.deref(rest[0] as JsonSchema, defs) } : { ...others, [kw]: rest };
      nullable = true;
    }
    return { schema: this.merged(s, defs, depth), nullable };
  }

  private deref(schema: JsonSchema, defs: Defs): Obj {
    let s: Obj = schema;
    for (let hops = 0; hops < MAX_DEPTH; hops++) {
      const key = refKey(s);
      if (!key) return s;
      const { $ref: _, ...siblings } = s;
      s = { ...(defs(key) ?? {}), ...siblings };
    }
    return s;
  }

  /** `allOf` members merged: properties and required united, other keywords from the first that sets them. */
  private merged(s: Obj, defs: Defs, depth: number): Obj {
    if (!Array.isArray(s.allOf) || depth > MAX_DEPTH) return s;
    const { allOf, ...rest } = s;
    const out: Obj = { ...rest };
    const properties: Obj = { ...(isObj(rest.properties) ? rest.properties : {}) };
    const required = new Set<string>(Array.isArray(rest.required) ? (rest.required as string[]) : []);
    for (const member of allOf as JsonSchema[]) {
      const m = this.merged(this.deref(member, defs), defs, depth + 1);
      // A property several members describe must satisfy all of them.
      if (isObj(m.properties)) for (const [k, v] of Object.entries(m.properties)) properties[k] = k in properties ? { allOf: [properties[k], v] } : v;
      if (Array.isArray(m.required)) for (const r of m.required as string[]) required.add(r);
      for (const [k, v] of Object.entries(m)) if (k !== 'properties' && k !== 'required' && !(k in out)) out[k] = v;
    }
    if (Object.keys(properties).length) out.properties = properties;
    if (required.size) out.required = [...required].sort();
    if (!out.type && out.properties) out.type = 'object';
    return out;
  }

  /** Reports a type change; true when the types have nothing in common (nothing below is comparable). */
  private types(o: Obj, n: Obj, path: string): boolean {
    const set = (s: Obj) => (s.type === undefined ? undefined : ([] as string[]).concat(s.type as string | string[]));
    const [ot, nt] = [set(o), set(n)];
    if (!ot && !nt) return false;
    const name = (t: string[] | undefined) => (t ? t.join(' | ') : 'any');
    const message = `type ${name(ot)} → ${name(nt)}`;
    if (!ot) return (this.add(path, 'type-changed', message, 'narrows'), false);
    if (!nt) return (this.add(path, 'type-changed', message, 'widens'), false);
    // An integer is a number: integer → number accepts more.
    const accepts = (types: string[], t: string) => types.includes(t) || (t === 'integer' && types.includes('number'));
    const newInOld = nt.every((t) => accepts(ot, t));
    const oldInNew = ot.every((t) => accepts(nt, t));
    if (newInOld && oldInNew) return false;
    const effect = newInOld ? 'narrows' : oldInNew ? 'widens' : 'both';
    this.add(path, 'type-changed', message, effect);
    return effect === 'both' && !nt.some((t) => ot.includes(t));
  }

  private values(o: Obj, n: Obj, path: string): void {
    const values = (s: Obj) => (Array.isArray(s.enum) ? (s.enum as unknown[]) : 'const' in s ? [s.const] : undefined);
    const [ov, nv] = [values(o), values(n)];
    if (!ov && !nv) return;
    if (!ov) return this.add(path, 'enum-added', `now limited to ${nv!.map(show).join(', ')}`, 'narrows');
    if (!nv) return this.add(path, 'enum-removed', `no longer limited to ${ov.map(show).join(', ')}`, 'widens');
    const has = (list: unknown[], v: unknown) => list.some((x) => isDeepStrictEqual(x, v));
    const added = nv.filter((v) => !has(ov, v));
    const removed = ov.filter((v) => !has(nv, v));
    if (removed.length) this.add(path, 'enum-value-removed', `value${removed.length > 1 ? 's' : ''} ${removed.map(show).join(', ')} removed`, 'narrows');
    if (added.length) this.add(path, 'enum-value-added', `value${added.length > 1 ? 's' : ''} ${added.map(show).join(', ')} added`, 'widens');
  }

  private bounds(o: Obj, n: Obj, path: string): void {
    // A lower bound of 0 on a length or a count bounds nothing.
    const value = (s: Obj, kw: string) => (s[kw] === 0 && /^min(Length|Items|Properties|Contains)$/.test(kw) ? undefined : s[kw]);
    const check = (kw: string, tighter: (was: number, now: number) => boolean) => {
      const [was, now] = [value(o, kw), value(n, kw)];
      if (was === now || (typeof was !== 'number' && was !== undefined) || (typeof now !== 'number' && now !== undefined)) return;
      const narrows = was === undefined ? true : now === undefined ? false : tighter(was as number, now as number);
      this.add(path, narrows ? 'constraint-tightened' : 'constraint-loosened', `${kw} ${was ?? '(none)'} → ${now ?? '(none)'}`, narrows ? 'narrows' : 'widens');
    };
    for (const kw of UPPER) check(kw, (was, now) => now < was);
    for (const kw of LOWER) check(kw, (was, now) => now > was);
  }

  private object(o: Obj, n: Obj, path: string, depth: number): void {
    const props = (s: Obj) => (isObj(s.properties) ? (s.properties as Record<string, JsonSchema>) : {});
    const required = (s: Obj) => new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    const [op, np, or, nr] = [props(o), props(n), required(o), required(n)];
    const at = (name: string) => `${path}.${name}`;
    let removed = Object.keys(op).filter((k) => !(k in np));
    let added = Object.keys(np).filter((k) => !(k in op));
    // One property gone and one come with the same schema: a rename, as a reader of the spec sees it.
    if (removed.length === 1 && added.length === 1 && isDeepStrictEqual(unnamed(op[removed[0]]), unnamed(np[added[0]]))) {
      this.add(at(removed[0]), 'property-renamed', `renamed to ${added[0]}`, 'renames');
      removed = added = [];
    }
    const closed = (s: Obj) => s.additionalProperties === false;
    for (const name of removed) {
      const was = or.has(name) ? ' (it was required)' : '';
      this.add(at(name), 'property-removed', `property removed${was}${closed(n) ? '; other properties are refused' : ''}`, closed(n) ? 'both' : 'removes');
    }
    for (const name of added) {
      if (nr.has(name)) this.add(at(name), 'property-added', 'required property added', 'narrows');
      else this.add(at(name), 'property-added', 'optional property added', closed(o) ? 'widens' : 'adds');
    }
    for (const name of Object.keys(op)) {
      if (!(name in np)) continue;
      if (!or.has(name) && nr.has(name)) this.add(at(name), 'property-became-required', 'now required', 'narrows');
      if (or.has(name) && !nr.has(name)) this.add(at(name), 'property-became-optional', 'no longer required', 'widens');
      this.walk(op[name], np[name], at(name), depth + 1);
    }
    const [oa, na] = [o.additionalProperties, n.additionalProperties];
    if (closed(o) !== closed(n)) {
      this.add(
        path,
        'additional-properties-changed',
        closed(n) ? 'properties it does not declare are now refused' : 'properties it does not declare are now accepted',
        closed(n) ? 'narrows' : 'widens',
      );
    } else if (isObj(oa) && isObj(na)) this.walk(oa, na, `${path}.*`, depth + 1);
  }

  private alternatives(o: Obj, n: Obj, kw: 'oneOf' | 'anyOf', path: string, depth: number): void {
    const [oa, na] = [o[kw], n[kw]];
    if (!Array.isArray(oa) && !Array.isArray(na)) return;
    if (!Array.isArray(oa) || !Array.isArray(na)) {
      this.add(path, 'alternatives-changed', Array.isArray(na) ? `now one of ${na.length} alternatives` : `no longer ${kw}`, 'both');
      return;
    }
    // Alternatives that reference named schemas are matched by name; the others by position.
    const nameOf = (s: unknown) => (isObj(s) ? refKey(s) : undefined);
    const unmatched = [...na.keys()];
    for (const [i, alt] of oa.entries()) {
      const key = nameOf(alt);
      let j = key ? na.findIndex((b) => nameOf(b) === key) : -1;
      if (j < 0 && !key && i < na.length && !nameOf(na[i])) j = i;
      if (j < 0 || !unmatched.includes(j)) {
        this.add(`${path}<${kw}[${i}]>`, 'alternative-removed', `alternative ${key ?? i + 1} removed`, 'narrows');
        continue;
      }
      unmatched.splice(unmatched.indexOf(j), 1);
      this.walk(alt as JsonSchema, na[j] as JsonSchema, `${path}<${kw}[${j}]>`, depth + 1);
    }
    for (const j of unmatched) this.add(`${path}<${kw}[${j}]>`, 'alternative-added', `alternative ${nameOf(na[j]) ?? j + 1} added`, 'widens');
  }
}
