/**
 * Vendor extensions (`x-*` keys) are opaque to Accordo: what is under them belongs to other tools
 * (documentation topics, code-sample links, gateway hints), so nothing there is resolved or
 * validated. A `$ref` under `x-topics` may name a Markdown file that only a docs site has.
 *
 * Not every `x-` key is an extension: a schema property, a header, a component or a security
 * scheme may be *named* `x-api-key`. Where a key is an extension depends on where it stands, so
 * this module walks the document by the OpenAPI object it is in.
 */

/**
 * What a JSON value is, as far as extensions go. `object`: an OpenAPI or Schema Object, whose
 * `x-` keys are extensions; `names`: a map from names the author chose (`x-` keys there are
 * names); `components`: the Components Object, whose own `x-` keys are extensions and whose
 * other keys are name maps; `literal`: example or default data, never walked.
 */
type Shape = 'object' | 'names' | 'components' | 'literal';

/**
 * Keys whose value, in an OpenAPI or Schema Object, maps author-chosen names to objects: schema
 * keywords (`properties`...), and the maps of OpenAPI 3.0/3.1 (`callbacks`, `content`, `headers`,
 * `links`, `examples`, `encoding`, Link `parameters`, server `variables`, OAuth `scopes`,
 * discriminator `mapping`, `webhooks`, and `security`, a list of requirement maps).
 */
const NAME_MAPS = new Set([
  'properties',
  'patternProperties',
  'dependentSchemas',
  'dependentRequired',
  '$defs',
  'definitions',
  'callbacks',
  'content',
  'headers',
  'links',
  'examples',
  'encoding',
  'parameters',
  'variables',
  'scopes',
  'mapping',
  'webhooks',
  'security',
]);
/** Keys whose value is data, not OpenAPI: an extension-looking key there is data too. */
const LITERALS = new Set(['example', 'default', 'const', 'enum', 'value']);

const isExtensionKey = (key: string) => key.startsWith('x-');

/** The shape of the value under `key` of a value of shape `shape`, or `extension`. */
function childShape(shape: Shape, key: string, value: unknown): Shape | 'extension' {
  if (shape === 'literal') return 'literal';
  if (shape === 'names') return 'object';
  if (isExtensionKey(key)) return 'extension';
  if (shape === 'components') return 'names';
  if (key === 'components') return 'components';
  if (LITERALS.has(key)) return 'literal';
  if (!NAME_MAPS.has(key)) return 'object';
  // `parameters` and `examples` are also lists of objects (an operation's, a 3.1 schema's); `security` is a list of maps.
  return Array.isArray(value) && key !== 'security' ? 'object' : 'names';
}

type Json = Record<string, unknown> | unknown[];
const isJson = (v: unknown): v is Json => !!v && typeof v === 'object';

/**
 * A copy of an OpenAPI document for swagger-parser to resolve and validate: every `$ref` under an
 * extension is removed (so it is neither followed nor fetched), and the rest is the document
 * unchanged, so a `$ref` that points into an extension (`#/x-shared/Money`) still finds it.
 */
export function withOpaqueExtensions<T>(document: T): T {
  return copy(document, 'object') as T;
}

function copy(value: unknown, shape: Shape | 'extension'): unknown {
  if (!isJson(value)) return value;
  if (Array.isArray(value)) return value.map((item) => copy(item, shape));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (shape === 'extension' && key === '$ref') continue;
    out[key] = copy(child, shape === 'extension' ? 'extension' : childShape(shape, key, child));
  }
  return out;
}

/**
 * Whether a JSON pointer's path (as tokens) passes through an extension of `document`, the
 * document the pointer is into (for swagger-parser's validation errors, the dereferenced one).
 */
export function isUnderExtension(document: unknown, tokens: string[]): boolean {
  let shape: Shape = 'object';
  let node = document;
  for (const token of tokens) {
    if (!isJson(node)) return false;
    const child = (node as Record<string, unknown>)[token];
    // A list's items have the list's shape.
    if (!Array.isArray(node)) {
      const next = childShape(shape, token, child);
      if (next === 'extension') return true;
      shape = next;
    }
    node = child;
  }
  return false;
}
