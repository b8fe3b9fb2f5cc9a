/**
 * `GET ?wsdl`: the WSDL and every document it imports or includes, at any depth and across
 * folders, each served under its key (`?xsd=<key>`, the document's path relative to the main
 * WSDL's folder). A key is only looked up among the documents the generator embedded, so it never
 * reaches the file system, whatever `../` it holds. Every relative location in every served
 * document is rewritten to the absolute URL of the document it names, so a client that crawls
 * the WSDL meets no 404.
 */
import { posix } from 'node:path';
import type { WsdlDocuments } from './descriptors.js';
import { escapeAttr } from './xml.js';
import { WELL_KNOWN_KEY_PREFIX, WELL_KNOWN_SCHEMAS } from '../../model/well-known.js';

const ADDRESS = /(<(?:[\w.-]+:)?address\b[^>]*?\blocation\s*=\s*)(["'])([^"']*)\2/g;
const LOCATION = /(\b(?:location|schemaLocation)\s*=\s*)(["'])([^"']*)\2/g;
/** An `xs:import` (or `wsdl:import`) tag: a well-known namespace imported with no location gets the served copy's. */
const IMPORT = /<(?:[\w.-]+:)?import\b[^>]*>/g;
const NAMESPACE = /\bnamespace\s*=\s*(["'])([^"']*)\1/;

/**
 * The document a `?wsdl` request asks for, rewritten: `?wsdl` alone is the main WSDL,
 * `?xsd=<key>` (or `?wsdl=<key>`, as earlier versions linked) another one; undefined when there
 * is no such document. `base` is where the endpoints are (origin + prefix), `self` this URL.
 */
export function serveWsdl(docs: WsdlDocuments, query: Record<string, unknown>, base: string, self: string): string | undefined {
  const asked = [query.xsd, query.wsdl].find((v): v is string => typeof v === 'string' && v !== '');
  if (asked === undefined) return rewriteWsdl(docs.main, '', base, self, docs);
  if (!Object.hasOwn(docs.files, asked)) return undefined;
  return rewriteWsdl(docs.files[asked], asked, base, self, docs);
}

/**
 * One document (`key`: `''` for the main WSDL) with each port's `soap:address` pointing at the
 * live endpoint (`base` + the address's path, where the routes are) and each relative import
 * or include location resolved against the document's own folder and pointed at `self?xsd=<key>`.
 */
export function rewriteWsdl(text: string, key: string, base: string, self: string, docs: WsdlDocuments): string {
  const out = text.replace(ADDRESS, (_, head: string, q: string, loc: string) => `${head}${q}${escapeAttr(base + addressPath(loc))}${q}`);
  const served = (target: string) => escapeAttr(`${self}?xsd=${encodeURIComponent(target)}`);
  const withCopies = out.replace(IMPORT, (tag) => {
    if (/\b(?:location|schemaLocation)\s*=/.test(tag)) return tag;
    const target = wellKnownKey(NAMESPACE.exec(tag)?.[2], undefined, docs);
    return target === undefined ? tag : tag.replace(/\s*(\/?>)$/, ` schemaLocation="${served(target)}"$1`);
  });
  return withCopies.replace(LOCATION, (all, head: string, q: string, loc: string) => {
    const target = documentKey(key, loc) ?? '';
    if (Object.hasOwn(docs.files, target)) return `${head}${q}${served(target)}${q}`;
    // A well-known schema's published address: the copy the loader read instead (src/model/well-known.ts).
    const copy = wellKnownKey(undefined, loc, docs);
    return copy === undefined ? all : `${head}${q}${served(copy)}${q}`;
  });
}

/** The key of the served copy of a well-known schema, by its namespace or one of its published locations. */
function wellKnownKey(namespace: string | undefined, location: string | undefined, docs: WsdlDocuments): string | undefined {
  const known = WELL_KNOWN_SCHEMAS.find((s) => s.namespace === namespace || (location !== undefined && s.locations.includes(location)));
  const key = known && WELL_KNOWN_KEY_PREFIX + known.file;
  return key !== undefined && Object.hasOwn(docs.files, key) ? key : undefined;
}

/**
 * The key of the document a relative `location` in document `from` names: resolved against
 * `from`'s folder, as the loader read it (the same POSIX relative form the keys are in).
 */
export function documentKey(from: string, location: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(location) || location.startsWith('/') || location.startsWith('#')) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(location.split(/[?#]/)[0]);
  } catch {
    return undefined;
  }
  return posix.normalize(posix.join(posix.dirname(from || '.'), path.replace(/\\/g, '/')));
}

/** The path of a `soap:address` location, as the loader takes it for the route. */
function addressPath(location: string): string {
  try {
    return new URL(location).pathname;
  } catch {
    return '/';
  }
}
