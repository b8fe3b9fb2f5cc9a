import { readFile } from 'node:fs/promises';
import { dirname, posix, relative as relativePath, resolve as resolvePath, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpecDocuments } from '../../model/agreement.js';
import { WELL_KNOWN_KEY_PREFIX, type WellKnownSchema, wellKnownSchema } from '../../model/well-known.js';
import { SpecError } from '../errors.js';
import { type QName, type XmlElement, childrenOf, decodeXml, parseXml, qkey, resolveQName } from './xml.js';

export const WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/';
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';

/** One `xs:schema` element and the facts its declarations inherit. */
export interface SchemaDoc {
  el: XmlElement;
  /** The target namespace its components get (the includer's, for a chameleon include). */
  tns: string;
  /** A schema without targetNamespace included into one with a namespace: unprefixed references mean the includer's. */
  chameleon: boolean;
  elementQualified: boolean;
  attributeQualified: boolean;
}

/** A top-level component (WSDL or XSD) and the document it comes from. */
export interface Component {
  el: XmlElement;
  /** For XSD components, their schema document. */
  schema?: SchemaDoc;
  /** For WSDL components, the definitions' target namespace. */
  tns: string;
}

export type XsdKind = 'type' | 'element' | 'group' | 'attributeGroup' | 'attribute';
export type WsdlKind = 'message' | 'portType' | 'binding' | 'service';

/**
 * Every document reachable from the entry WSDL through `wsdl:import`, `xs:import` and `xs:include`,
 * each read and parsed once, with its top-level components indexed by QName.
 */
export class WsdlSet {
  /** `wsdl:definitions` elements, the entry first. */
  readonly definitions: XmlElement[] = [];
  readonly schemas: SchemaDoc[] = [];
  private readonly parsed = new Map<string, XmlElement>();
  /** The text of every document read, by absolute path, in the order they were read (the entry first). */
  readonly texts = new Map<string, string>();
  /** Schema elements already indexed, with the namespaces they were indexed in (a chameleon file can be included into several). */
  private readonly schemaSeen = new Map<XmlElement, Set<string>>();
  private readonly wsdlSeen = new Set<string>();
  private readonly xsd = new Map<string, Component>();
  private readonly wsdl = new Map<string, Component>();
  /** Namespaces imported from remote locations we do not fetch, for a better "not found" message. */
  readonly remote = new Map<string, string>();
  /** The documents' keys that are not their path from the entry: the well-known copies. */
  private readonly keys = new Map<string, string>();

  static async load(file: string): Promise<WsdlSet> {
    const set = new WsdlSet();
    const root = await set.read(file);
    if (root.ns !== WSDL_NS || root.local !== 'definitions') {
      const what = root.local === 'definitions' ? `<${root.name}> in namespace "${root.ns}" (WSDL 2.0 is not supported)` : `<${root.name}>`;
      throw new SpecError(`not a WSDL 1.1 document: the root element is ${what}`, file, undefined, root.line);
    }
    await set.addDefinitions(root, file);
    return set;
  }

  /**
   * The documents as the model carries them: the entry's text, and every other document's keyed
   * by its path relative to the entry's folder (POSIX separators, `../` when outside it), sorted.
   */
  documents(entry: string): SpecDocuments {
    const root = dirname(entry);
    const files = [...this.texts].filter(([path]) => path !== entry).map(([path, text]) => [this.keys.get(path) ?? relativePath(root, path).split(sep).join(posix.sep), text] as const);
    return { main: this.texts.get(entry) ?? '', files: Object.fromEntries(files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
  }

  xsdComponent(kind: XsdKind, q: QName): Component | undefined {
    return this.xsd.get(kind + qkey(q));
  }

  wsdlComponent(kind: WsdlKind, q: QName): Component | undefined {
    return this.wsdl.get(kind + qkey(q));
  }

  wsdlComponents(kind: WsdlKind): Component[] {
    return [...this.wsdl.entries()].filter(([k]) => k.startsWith(kind + '{')).map(([, c]) => c);
  }

  private async read(path: string, from?: XmlElement, attr?: string): Promise<XmlElement> {
    const known = this.parsed.get(path);
    if (known) return known;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
      if (!from) throw new SpecError(why, path);
      throw new SpecError(`cannot read ${attr}="${from.attrs[attr!]}" (${path}): ${why}`, from.doc.file, undefined, from.line);
    }
    const text = decodeXml(bytes);
    const root = parseXml(path, text).root;
    this.parsed.set(path, root);
    this.texts.set(path, text);
    return root;
  }

  /** Resolves a `location`/`schemaLocation` against the referring file; remote URLs are not fetched. */
  private locate(from: XmlElement, attr: string): string | undefined {
    const loc = from.attrs[attr]?.trim();
    if (!loc) return undefined;
    if (/^[a-z][a-z0-9+.-]+:/i.test(loc) && !/^[a-z]:[\\/]/i.test(loc)) {
      if (loc.startsWith('file:')) return fileURLToPath(loc);
      return undefined;
    }
    return resolvePath(dirname(from.doc.file), decodeURIComponent(loc));
  }

  private async addDefinitions(root: XmlElement, path: string): Promise<void> {
    if (this.wsdlSeen.has(path)) return;
    this.wsdlSeen.add(path);
    this.definitions.push(root);
    const tns = root.attrs.targetNamespace ?? '';
    for (const child of root.children) {
      if (child.ns !== WSDL_NS) continue;
      if (child.local === 'import') await this.wsdlImport(child);
      else if (child.local === 'types') {
        for (const schema of childrenOf(child, XSD_NS, 'schema')) await this.addSchema(schema, schema.attrs.targetNamespace ?? '', false);
      } else if (['message', 'portType', 'binding', 'service'].includes(child.local) && child.attrs.name !== undefined) {
        this.wsdl.set(child.local + qkey({ namespace: tns, name: child.attrs.name }), { el: child, tns });
      }
    }
  }

  private async wsdlImport(imp: XmlElement): Promise<void> {
    const known = wellKnownSchema(imp.attrs.namespace, imp.attrs.location);
    if (known) return this.addWellKnown(known, imp, 'location');
    const path = this.locate(imp, 'location');
    if (!path) {
      if (imp.attrs.location && imp.attrs.namespace) this.remote.set(imp.attrs.namespace, imp.attrs.location);
      return;
    }
    const root = await this.read(path, imp, 'location');
    if (root.ns === WSDL_NS && root.local === 'definitions') await this.addDefinitions(root, path);
    else if (root.ns === XSD_NS && root.local === 'schema') await this.addSchema(root, root.attrs.targetNamespace ?? '', false);
    else throw new SpecError(`wsdl:import location="${imp.attrs.location}" is neither a WSDL nor an XML Schema (root <${root.name}>)`, imp.doc.file, undefined, imp.line);
  }

  private async addSchema(el: XmlElement, tns: string, chameleon: boolean): Promise<void> {
    const seen = this.schemaSeen.get(el) ?? new Set<string>();
    if (seen.has(tns)) return;
    seen.add(tns);
    this.schemaSeen.set(el, seen);
    const schema: SchemaDoc = {
      el,
      tns,
      chameleon,
      elementQualified: el.attrs.elementFormDefault === 'qualified',
      attributeQualified: el.attrs.attributeFormDefault === 'qualified',
    };
    this.schemas.push(schema);
    for (const child of el.children) {
      if (child.ns !== XSD_NS) continue;
      switch (child.local) {
        case 'import': {
          const known = wellKnownSchema(child.attrs.namespace, child.attrs.schemaLocation);
          if (known) {
            await this.addWellKnown(known, child, 'schemaLocation');
            break;
          }
          const path = this.locate(child, 'schemaLocation');
          if (!path) {
            if (child.attrs.schemaLocation && child.attrs.namespace) this.remote.set(child.attrs.namespace, child.attrs.schemaLocation);
            break;
          }
          const root = await this.read(path, child, 'schemaLocation');
          this.expectSchema(root, child);
          await this.addSchema(root, root.attrs.targetNamespace ?? '', false);
          break;
        }
        case 'include': {
          const path = this.locate(child, 'schemaLocation');
          if (!path) {
            throw new SpecError(`xs:include needs a local schemaLocation (got "${child.attrs.schemaLocation ?? ''}")`, child.doc.file, undefined, child.line);
          }
          const root = await this.read(path, child, 'schemaLocation');
          this.expectSchema(root, child);
          const own = root.attrs.targetNamespace;
          if (own !== undefined && own !== tns) {
            throw new SpecError(`xs:include of a schema with targetNamespace "${own}" into "${tns}"`, child.doc.file, undefined, child.line);
          }
          await this.addSchema(root, tns, own === undefined && tns !== '');
          break;
        }
        case 'redefine':
          throw new SpecError('xs:redefine is not supported', child.doc.file, undefined, child.line);
        default:
          this.index(child, schema);
      }
    }
  }

  /** A well-known namespace (src/model/well-known.ts): the copy the package carries, never the network. */
  private async addWellKnown(known: WellKnownSchema, from: XmlElement, attr: string): Promise<void> {
    // From src/load/wsdl and from dist/load/wsdl alike, the copies are in the package's src/load/wsdl/well-known.
    const path = fileURLToPath(new URL(`../../../src/load/wsdl/well-known/${known.file}`, import.meta.url));
    const root = await this.read(path, from, attr);
    this.keys.set(path, WELL_KNOWN_KEY_PREFIX + known.file);
    await this.addSchema(root, known.namespace, false);
  }

  private expectSchema(root: XmlElement, ref: XmlElement): void {
    if (root.ns !== XSD_NS || root.local !== 'schema') {
      throw new SpecError(`xs:${ref.local} schemaLocation="${ref.attrs.schemaLocation}" is not an XML Schema (root <${root.name}>)`, ref.doc.file, undefined, ref.line);
    }
  }

  private index(el: XmlElement, schema: SchemaDoc): void {
    if (el.ns !== XSD_NS || el.attrs.name === undefined) return;
    const kind: XsdKind | undefined = el.local === 'complexType' || el.local === 'simpleType' ? 'type' : (['element', 'group', 'attributeGroup', 'attribute'] as const).find((k) => k === el.local);
    if (!kind) return;
    this.xsd.set(kind + qkey({ namespace: schema.tns, name: el.attrs.name }), { el, schema, tns: schema.tns });
  }
}

/** Resolves a QName attribute inside a schema document, honouring chameleon includes. */
export function schemaQName(el: XmlElement, value: string, schema: SchemaDoc): QName {
  const q = resolveQName(el, value);
  return schema.chameleon && q.namespace === '' ? { namespace: schema.tns, name: q.name } : q;
}
