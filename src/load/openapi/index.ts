import { readFile, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type {
  Callback,
  HttpMethod,
  Interface,
  JsonSchema,
  MediaContent,
  DeclaredWebhook,
  Operation,
  Parameter,
  ParameterLocation,
  RequestBody,
  Response,
  ResponseHeader,
  SecurityScheme,
} from '../../model/agreement.js';
import { UNCLASSIFIED } from '../../model/agreement.js';
import { parseRuntimeExpression } from '../../model/expression.js';
import { camelCase } from '../../model/names.js';
import type { SchemaRegistry } from '../../model/schemas.js';
import { SpecError, parsePointer, pointerOf, pointerToken } from '../errors.js';
import { SourceText } from '../source-map.js';
import { Documents, type Place } from './documents.js';
import { isUnderExtension, withOpaqueExtensions } from './extensions.js';
import { SchemaConverter } from './schema.js';

/** RFC 9110 token: what a header name may be made of. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const METHODS: HttpMethod[] = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Loads an OpenAPI 3.0 or 3.1 document (YAML or JSON, `$ref`s across files) into an Interface.
 * Every problem with the input is a SpecError naming the file and the location.
 */
export async function loadOpenApi(file: string, registry: SchemaRegistry): Promise<Interface> {
  const path = resolvePath(file);
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new SpecError('file not found', path);
  if (!info.isFile()) throw new SpecError('not a file', path);
  const text = SourceText.of(path, await readFile(path, 'utf8'));
  const [syntax] = text.errors;
  if (syntax) throw new SpecError(`invalid YAML/JSON: ${syntax.message}`, path, undefined, syntax.line, syntax.column);

  const raw = text.value;
  if (!isObj(raw)) throw new SpecError('not an OpenAPI document: the top level is not an object', path, '');
  const version = raw.openapi;
  if (typeof version !== 'string') {
    const what = typeof raw.swagger === 'string' ? 'Swagger 2.0 is not supported, convert it to OpenAPI 3' : 'missing "openapi" version field';
    throw new SpecError(what, path, '', 1, 1);
  }
  if (!/^3\.[01]\.\d+/.test(version)) throw at(text, `unsupported OpenAPI version ${JSON.stringify(version)} (3.0.x and 3.1.x are supported)`, '/openapi');

  // swagger-parser sees the document without the `$ref`s under extensions; the reader reads `raw`.
  const forParser = withOpaqueExtensions(raw);
  // OpenAPI 3.1 allows a document of components alone; swagger-parser wants paths or webhooks.
  if (version.startsWith('3.1') && forParser.paths === undefined && forParser.webhooks === undefined) forParser.paths = {};
  const parser = new SwaggerParser();
  // Resolving reads the other files a spec refers to, for the reader; the validator resolves again
  // for itself. A spec of one file has nothing to read: its missing pointers are the validator's errors.
  if (hasExternalRef(forParser)) {
    try {
      // The options argument is not optional here: given (path, document) alone, swagger-parser takes the document for options.
      await parser.resolve(path, forParser as never, {});
    } catch (e) {
      throw refError(e, text, raw);
    }
  }
  const docs = new Documents(text, (file) => (file === path ? raw : loaded(parser, file)));
  const validator = new SwaggerParser();
  try {
    // Validation dereferences the document it is given in place: `forParser` is already a copy, read by nothing after.
    await validator.validate(path, forParser as never, {});
  } catch (e) {
    // swagger-parser overflows the stack on a $ref that leads back to itself (`A: {$ref: B}`, `B: {$ref: A}`).
    if (e instanceof RangeError) throw circularRef(raw, path, docs) ?? new SpecError(`circular $ref (${e.message})`, path);
    // Schema errors point into the dereferenced document swagger-parser validated.
    const details = (e as { details?: AjvError[] }).details;
    const blocking = details?.length ? blockingErrors(details, validator.api) : undefined;
    if (!blocking || blocking.length) throw validationError(e, blocking, text, raw, docs);
  }
  const iface = new OpenApiReader(raw, path, docs, registry, version.startsWith('3.0')).read(version);
  // Outputs that carry the spec (GovWay imports the document) take it from here, not from the disk.
  iface.documents = { main: text.text, files: {} };
  return iface;
}

/** Whether a `$ref` anywhere in the document leads out of it (to another file or a URL). */
function hasExternalRef(document: unknown): boolean {
  const stack = [document];
  while (stack.length) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (Array.isArray(node)) stack.push(...node);
    else {
      const ref = (node as Obj).$ref;
      if (typeof ref === 'string' && !ref.startsWith('#')) return true;
      for (const key in node) stack.push((node as Obj)[key]);
    }
  }
  return false;
}

/** A file swagger-parser read; undefined for one it did not (reached only through an extension): the reader reports it as unresolvable. */
function loaded(parser: SwaggerParser, file: string): unknown {
  try {
    return parser.$refs.get(file);
  } catch {
    return undefined;
  }
}

function at(text: SourceText, message: string, pointer: string): SpecError {
  const pos = text.position(pointer);
  return new SpecError(message, text.file, pointer, pos?.line, pos?.column);
}

/** Errors from bundling: a missing file or pointer behind a `$ref`, or a referenced file that does not parse. */
function refError(e: unknown, text: SourceText, raw: unknown): SpecError {
  const err = e as { name?: string; message?: string; targetRef?: string; source?: string; code?: string };
  const message = (err.message ?? String(e)).split('\n')[0];
  const source = err.source ? resolvePath(err.source) : undefined;
  if (err.name === 'MissingPointerError' || err.name === 'ResolverError' || err.name === 'InvalidPointerError') {
    // Find the $ref in the root document that leads there, to point at it.
    const wanted = (ref: string) =>
      (err.targetRef && (ref === err.targetRef || err.targetRef.endsWith(ref))) || (source && source !== text.file && resolvePath(text.file, '..', ref.split('#')[0]) === source);
    const where = findRef(raw, [], (ref) => !!wanted(ref));
    const what = err.name === 'ResolverError' ? `cannot resolve $ref: ${message.replace(/^Error opening file /, 'cannot open ')}` : `unresolvable $ref: ${message}`;
    if (where) return at(text, what, where);
    return new SpecError(what, source && err.name !== 'ResolverError' ? source : text.file);
  }
  if (err.name === 'ParserError' && source) return new SpecError(`invalid YAML/JSON: ${message.replace(/^Error parsing [^:]+: /, '')}`, source);
  return new SpecError(message, text.file);
}

/** The error of the first `$ref` of the root document whose chain of `$ref`s comes back to itself. */
function circularRef(raw: unknown, file: string, docs: Documents): SpecError | undefined {
  let error: SpecError | undefined;
  findRef(raw, [], (ref) => {
    try {
      docs.deref({ $ref: ref }, { file, pointer: '' });
      return false;
    } catch (e) {
      error = e instanceof SpecError && e.message.startsWith('circular') ? e : undefined;
      return !!error;
    }
  });
  return error;
}

function findRef(node: unknown, path: string[], match: (ref: string) => boolean): string | undefined {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const r = findRef(node[i], [...path, String(i)], match);
      if (r !== undefined) return r;
    }
  } else if (isObj(node)) {
    if (typeof node.$ref === 'string' && match(node.$ref)) return pointerOf([...path, '$ref']);
    for (const [k, v] of Object.entries(node)) {
      const r = findRef(v, [...path, k], match);
      if (r !== undefined) return r;
    }
  }
  return undefined;
}

/** A schema validation error, as Ajv reports it through swagger-parser. */
interface AjvError {
  instancePath: string;
  keyword?: string;
  message?: string;
  params?: Obj;
}

/** Keywords that fail because an error deeper down made a branch fail: noise next to that error. */
const COMBINATORS = ['oneOf', 'anyOf', 'not', 'if'];

/**
 * The schema errors that stop loading: all but those that break nothing Accordo reads, and the
 * combinator failures they cause above them.
 * - Component names outside `[a-zA-Z0-9._-]` (spaces, quotes, unicode): real specs have them, and
 *   names.ts makes any name safe.
 * - Anything under an extension: extensions are opaque (the 3.1 schema checks an `x-` key of a
 *   Callback Object as a Path Item).
 * - Two misspellings of the OpenAPI 3.1 schema swagger-parser bundles (2021-04-15): it refuses a
 *   Server Variable's `description` (it spells it `descriptions`) and a Link's `server` (`body`).
 */
function blockingErrors(details: AjvError[], validated: unknown): AjvError[] {
  const unevaluated = (d: AjvError, property: string, parent: string) =>
    d.keyword === 'unevaluatedProperties' && d.params?.unevaluatedProperty === property && parsePointer(d.instancePath).at(-2) === parent;
  const harmless = (d: AjvError) =>
    (/^\/components\/[^/]+$/.test(d.instancePath) && ['pattern', 'propertyNames', 'additionalProperties'].includes(d.keyword ?? '')) ||
    isUnderExtension(validated, parsePointer(d.instancePath)) ||
    unevaluated(d, 'description', 'variables') ||
    unevaluated(d, 'server', 'links');
  const ignored = details.filter(harmless);
  const within = (d: AjvError, outer: AjvError) => d.instancePath === outer.instancePath || d.instancePath.startsWith(outer.instancePath + '/');
  const caused = (d: AjvError) =>
    COMBINATORS.includes(d.keyword ?? '') && ignored.some((i) => within(i, d)) && !details.some((c) => !COMBINATORS.includes(c.keyword ?? '') && !harmless(c) && within(c, d));
  return details.filter((d) => !harmless(d) && !caused(d));
}

/**
 * Where a pointer into the dereferenced document (what the validator saw) was written: `$ref`s
 * followed across files, so an invalid value is reported at its own line, not at a `$ref` to it.
 */
function sourcePlace(docs: Documents, raw: unknown, file: string, pointer: string): Place {
  let value = raw;
  let place: Place = { file, pointer: '' };
  try {
    for (const token of parsePointer(pointer)) {
      ({ value, at: place } = docs.deref(value, place));
      if (!value || typeof value !== 'object') return place;
      value = (value as Obj)[token];
      place = { file: place.file, pointer: `${place.pointer}/${pointerToken(token)}` };
    }
  } catch {
    return { file, pointer };
  }
  return place;
}

/** Schema validation errors: report the most specific one, with its pointer and the line of the value. */
function validationError(e: unknown, details: AjvError[] | undefined, text: SourceText, raw: unknown, docs: Documents): SpecError {
  const at = (_text: SourceText, message: string, pointer: string) => docs.error(message, sourcePlace(docs, raw, text.file, pointer));
  if (!details?.length) {
    if (['MissingPointerError', 'ResolverError', 'InvalidPointerError', 'ParserError'].includes((e as Error).name)) return refError(e, text, raw);
    const message = ((e as Error).message ?? String(e)).split('\n')[0];
    const m = /(#\/\S+)/.exec((e as Error).message ?? '');
    return m ? at(text, `invalid OpenAPI: ${message}`, m[1].slice(1)) : refError(e, text, raw);
  }
  // Combinator failures (oneOf/anyOf/$ref alternatives) are noise next to the concrete error.
  const concrete = details.filter((d) => !COMBINATORS.includes(d.keyword ?? '') && !(d.keyword === 'required' && d.params?.missingProperty === '$ref'));
  const pool = concrete.length ? concrete : details;
  const deepest = Math.max(...pool.map((d) => d.instancePath.length));
  const best = pool.filter((d) => d.instancePath.length === deepest);
  const pointer = decodeURIComponent(best[0].instancePath);
  const extra = (d: AjvError) => d.params?.additionalProperty ?? d.params?.unevaluatedProperty;
  const messages = [...new Set(best.map((d) => (d.message ?? 'is invalid') + (extra(d) ? `: "${String(extra(d))}"` : '')))];
  const name = pointer ? pointer.split('/').pop()!.replace(/~1/g, '/').replace(/~0/g, '~') : 'document';
  return at(text, `invalid OpenAPI: ${name} ${messages.join('; ')}`, pointer);
}

class OpenApiReader {
  private readonly schemas: SchemaConverter;

  constructor(
    private readonly doc: Obj,
    private readonly file: string,
    private readonly docs: Documents,
    registry: SchemaRegistry,
    openapi30: boolean,
  ) {
    this.schemas = new SchemaConverter(docs, registry, openapi30);
  }

  /** Follows `$ref`s (across files) to the object and its place. */
  private deref(value: unknown, at: Place): { value: Obj; at: Place } {
    const found = this.docs.deref(value, at);
    if (found.value === undefined) throw this.docs.error('unresolvable $ref', at);
    return { value: isObj(found.value) ? found.value : {}, at: found.at };
  }

  read(version: string): Interface {
    const info = isObj(this.doc.info) ? this.doc.info : {};
    const operations: Operation[] = [];
    const paths = isObj(this.doc.paths) ? this.doc.paths : {};
    const schemes = this.securitySchemes();
    for (const [path, item] of Object.entries(paths)) {
      operations.push(...this.pathItem(path, this.deref(item, { file: this.file, pointer: `/paths/${pointerToken(path)}` }), undefined));
    }
    const webhooks = this.webhooks();
    return {
      title: typeof info.title === 'string' ? info.title : '',
      version: typeof info.version === 'string' ? info.version : String(info.version ?? ''),
      description: typeof info.description === 'string' ? info.description : undefined,
      source: { file: this.file, format: 'openapi', version },
      basePath: basePathOf(this.doc.servers),
      ...(Object.keys(schemes).length ? { securitySchemes: schemes } : {}),
      operations,
      ...(webhooks.length ? { webhooks } : {}),
    };
  }

  /** OpenAPI 3.1 `webhooks`: each webhook's methods and where they are declared. */
  private webhooks(): DeclaredWebhook[] {
    const webhooks = isObj(this.doc.webhooks) ? this.doc.webhooks : {};
    const out: DeclaredWebhook[] = [];
    for (const [name, item] of Object.entries(webhooks)) {
      const found = this.deref(item, { file: this.file, pointer: `/webhooks/${pointerToken(name)}` });
      // Each method is an operation read as a callback's is: the consumer serves it, so the document's security is not its.
      const ops = this.pathItem(name, found, { id: name, callback: 'webhook' });
      for (const op of ops) out.push({ name, method: op.method, location: op.location, op });
    }
    return out;
  }

  /** `components.securitySchemes`: type, http scheme, apiKey location and name. */
  private securitySchemes(): Record<string, SecurityScheme> {
    const components = isObj(this.doc.components) ? this.doc.components : {};
    const raw = isObj(components.securitySchemes) ? components.securitySchemes : {};
    const schemes: Record<string, SecurityScheme> = {};
    for (const [name, value] of Object.entries(raw)) {
      const { value: s, at } = this.deref(value, { file: this.file, pointer: `/components/securitySchemes/${pointerToken(name)}` });
      const str = (k: string) => (typeof s[k] === 'string' ? { [k]: s[k] as string } : {});
      schemes[name] = { type: String(s.type ?? ''), ...str('scheme'), ...str('in'), ...str('name'), location: this.docs.location(at) };
    }
    return schemes;
  }

  private pathItem(path: string, item: { value: Obj; at: Place }, parent: { id: string; callback: string } | undefined): Operation[] {
    const shared = Array.isArray(item.value.parameters) ? item.value.parameters : [];
    const ops: Operation[] = [];
    for (const method of METHODS) {
      const raw = item.value[method];
      if (!isObj(raw)) continue;
      const at = under(item.at, method);
      const given = typeof raw.operationId === 'string' && raw.operationId.length > 0 ? raw.operationId : undefined;
      const id = given ?? (parent ? `${parent.id} ${parent.callback} ${method}` : `${method} ${path}`);
      const own = Array.isArray(raw.parameters) ? raw.parameters : [];
      const shape = {
        id: given ?? camelCase(id, 'operation'),
        idDerived: !given,
        method,
        path,
        summary: typeof raw.summary === 'string' ? raw.summary : undefined,
        description: typeof raw.description === 'string' ? raw.description : undefined,
        parameters: this.parameters([...shared.map((s, i) => ({ s, at: under(item.at, 'parameters', i) })), ...own.map((s, i) => ({ s, at: under(at, 'parameters', i) }))]),
        requestBody: raw.requestBody ? this.requestBody(this.deref(raw.requestBody, under(at, 'requestBody'))) : undefined,
        responses: this.responses(isObj(raw.responses) ? raw.responses : {}, under(at, 'responses')),
        callbacks: [] as Callback[],
        extensions: Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith('x-'))),
        // A callback is the consumer's endpoint: the document's security is the provider's, not its.
        ...securityOf(Array.isArray(raw.security) ? raw.security : parent ? undefined : this.doc.security),
        location: this.docs.location(at),
      };
      shape.callbacks = this.callbacks(isObj(raw.callbacks) ? raw.callbacks : {}, under(at, 'callbacks'), shape.id);
      ops.push({ ...shape, pattern: UNCLASSIFIED });
    }
    return ops;
  }

  /** Path-level then operation-level parameters; an operation parameter replaces a path one of the same name and location. */
  private parameters(list: { s: unknown; at: Place }[]): Parameter[] {
    const byKey = new Map<string, Parameter>();
    for (const { s, at: ref } of list) {
      const { value, at } = this.deref(s, ref);
      const where = value.in as ParameterLocation;
      const name = String(value.name);
      if (where === 'header' && !HTTP_TOKEN.test(name)) throw this.docs.error(`header name ${JSON.stringify(name)} is not a valid HTTP header name`, under(at, 'name'));
      byKey.set(`${where}:${name.toLowerCase()}`, {
        name,
        in: where,
        required: where === 'path' ? true : value.required === true,
        schema: this.schemaOf(value, at),
        description: typeof value.description === 'string' ? value.description : undefined,
      });
    }
    return [...byKey.values()];
  }

  /** The schema of a parameter or header: `schema`, or the first media type of `content`. */
  private schemaOf(value: Obj, at: Place): JsonSchema {
    if (value.schema !== undefined) return this.schemas.convert(value.schema, under(at, 'schema'));
    if (isObj(value.content)) {
      const [media, content] = Object.entries(value.content)[0] ?? [];
      if (media && isObj(content) && content.schema !== undefined) return this.schemas.convert(content.schema, under(at, 'content', media, 'schema'));
    }
    return {};
  }

  private contents(content: unknown, at: Place): MediaContent[] {
    if (!isObj(content)) return [];
    return Object.entries(content).map(([mediaType, media]) => ({
      mediaType,
      schema: isObj(media) && media.schema !== undefined ? this.schemas.convert(media.schema, under(at, mediaType, 'schema')) : undefined,
    }));
  }

  private requestBody({ value, at }: { value: Obj; at: Place }): RequestBody {
    return {
      required: value.required === true,
      contents: this.contents(value.content, under(at, 'content')),
      description: typeof value.description === 'string' ? value.description : undefined,
    };
  }

  private responses(responses: Obj, at: Place): Response[] {
    return Object.entries(responses)
      .filter(([status]) => !status.startsWith('x-'))
      .map(([status, r]) => {
        const { value, at: rAt } = this.deref(r, under(at, status));
        const headers: ResponseHeader[] = Object.entries(isObj(value.headers) ? value.headers : {}).map(([name, h]) => {
          const header = this.deref(h, under(rAt, 'headers', name));
          if (!HTTP_TOKEN.test(name)) throw this.docs.error(`header name ${JSON.stringify(name)} is not a valid HTTP header name`, under(rAt, 'headers', name));
          return {
            name,
            required: header.value.required === true,
            schema: this.schemaOf(header.value, header.at),
            description: typeof header.value.description === 'string' ? header.value.description : undefined,
          };
        });
        return {
          status: status.toUpperCase() === 'DEFAULT' ? 'default' : status.toUpperCase(),
          description: typeof value.description === 'string' ? value.description : undefined,
          headers,
          contents: this.contents(value.content, under(rAt, 'content')),
        };
      });
  }

  private callbacks(callbacks: Obj, at: Place, parentId: string): Callback[] {
    const out: Callback[] = [];
    for (const [name, cb] of Object.entries(callbacks)) {
      const callback = this.deref(cb, under(at, name));
      for (const [expr, item] of Object.entries(callback.value)) {
        if (expr.startsWith('x-')) continue;
        const exprAt = under(callback.at, expr);
        const expression = parseRuntimeExpression(expr);
        if ('error' in expression) throw this.docs.error(expression.error, exprAt);
        out.push({
          name,
          expression,
          operations: this.pathItem(expr, this.deref(item, exprAt), { id: parentId, callback: name }),
          location: this.docs.location(exprAt),
        });
      }
    }
    return out;
  }
}

/** The place of a child of a place. */
/** The `security` requirements as the model keeps them (`{}` entries, "no security needed", kept too). */
function securityOf(raw: unknown): { security?: Record<string, string[]>[] } {
  if (!Array.isArray(raw)) return {};
  const requirements = raw.filter(isObj).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : []])));
  return requirements.length ? { security: requirements } : {};
}

function under(at: Place, ...tokens: (string | number)[]): Place {
  return { file: at.file, pointer: at.pointer + tokens.map((t) => `/${pointerToken(t)}`).join('') };
}

/** The path part of the first server URL (`https://api.ente.example/rest/nome-api/v1` → `/rest/nome-api/v1`). */
function basePathOf(servers: unknown): string {
  const first = Array.isArray(servers) && isObj(servers[0]) ? servers[0] : undefined;
  if (!first || typeof first.url !== 'string') return '';
  const vars = isObj(first.variables) ? first.variables : {};
  const url = first.url.replace(/\{([^}]+)\}/g, (_, v: string) => {
    const d = isObj(vars[v]) ? vars[v].default : undefined;
    return typeof d === 'string' ? d : '';
  });
  try {
    return new URL(url, 'http://base.invalid').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}
