/**
 * The agreement model: one format-neutral description of a service agreement.
 *
 * Loaders (OpenAPI today, WSDL next) fill it; emitters (types, provider, consumer, gateway)
 * read only it. Schemas are JSON Schema (draft 2020-12) objects whose `$ref`s point at the
 * agreement's named schemas as `#/$defs/<key>`, so one description drives both the TypeScript
 * types and the runtime validators.
 */

/** Where a piece of the model came from, for error messages and lint findings. */
export interface SourceLocation {
  /** Absolute path (or URL) of the spec file. */
  file: string;
  /** JSON pointer inside that file. */
  pointer: string;
  /** 1-based line and column, when the loader could map the pointer back to the text. */
  line?: number;
  column?: number;
}

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';

/** A JSON Schema 2020-12 object; `$ref` values are `#/$defs/<NamedSchema.key>`. */
export type JsonSchema = { [keyword: string]: unknown };

export interface NamedSchema {
  /** Key under `$defs`: unique in the agreement, stable across runs. */
  key: string;
  /** The name the spec gave it (components/schemas key, XSD type name...). */
  specName: string;
  schema: JsonSchema;
  description?: string;
  location?: SourceLocation;
}

export type ParameterLocation = 'path' | 'query' | 'header' | 'cookie';

export interface Parameter {
  name: string;
  in: ParameterLocation;
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

export interface MediaContent {
  mediaType: string;
  schema?: JsonSchema;
}

export interface RequestBody {
  required: boolean;
  contents: MediaContent[];
  description?: string;
}

export interface ResponseHeader {
  name: string;
  required: boolean;
  schema: JsonSchema;
  description?: string;
}

export interface Response {
  /** `"200"`, `"2XX"` or `"default"`. */
  status: string;
  description?: string;
  headers: ResponseHeader[];
  contents: MediaContent[];
}

/**
 * A callback URL as a runtime expression, e.g. `{$request.header#/X-ReplyTo}`,
 * `{$request.body#/callbackUrl}` or `{$request.query.cb}`, possibly embedded in literal text.
 */
export interface RuntimeExpression {
  /** The expression exactly as the spec wrote it. */
  raw: string;
  /** Literal text and `{...}` parts, in order. */
  parts: RuntimeExpressionPart[];
}

export type RuntimeExpressionPart =
  | { kind: 'literal'; text: string }
  | { kind: 'header'; name: string }
  | { kind: 'query'; name: string }
  | { kind: 'path'; name: string }
  | { kind: 'body'; pointer: string }
  | { kind: 'url' }
  | { kind: 'method' };

export interface Callback {
  /** The callback's key in the operation's `callbacks` map, e.g. `completionCallback`. */
  name: string;
  expression: RuntimeExpression;
  /** The operations the provider calls at that URL (normally one POST). */
  operations: Operation[];
  location?: SourceLocation;
}

export type Pattern =
  | 'BLOCK_REST'
  | 'NONBLOCK_PUSH_REST'
  | 'NONBLOCK_PULL_REST'
  | 'BLOCK_SOAP'
  | 'NONBLOCK_PUSH_SOAP'
  | 'NONBLOCK_PULL_SOAP'
  | 'ONEWAY'
  /**
   * Not a ModI pattern: a request whose declared callbacks are addressed by a runtime expression
   * other than the X-ReplyTo header (`{$request.body#/sink}`) and which answers with its own
   * response (201 + body), not 202: the provider then sends any number of events over the
   * subscription's life (CAMARA's sessions and subscriptions).
   */
  | 'SUBSCRIPTION_REST';

export const PATTERNS: readonly Pattern[] = ['BLOCK_REST', 'NONBLOCK_PUSH_REST', 'NONBLOCK_PULL_REST', 'BLOCK_SOAP', 'NONBLOCK_PUSH_SOAP', 'NONBLOCK_PULL_SOAP', 'ONEWAY', 'SUBSCRIPTION_REST'];

export const isPattern = (value: unknown): value is Pattern => typeof value === 'string' && (PATTERNS as readonly string[]).includes(value);

/** The OpenAPI extension that declares an operation's pattern. */
export const PATTERN_EXTENSION = 'x-modi-pattern';

/** Which pattern an operation follows and why: the facts are shown by `accordo inspect`. */
export interface PatternDecision {
  pattern: Pattern;
  /** Who decided: the spec's shape, an `x-modi-pattern` extension, or the config file. */
  decidedBy: 'shape' | 'extension' | 'config';
  /** The facts of the spec that decided it, in words. */
  facts: string[];
  /**
   * The operation's step in a non-blocking pattern: the request (PUSH and PULL), the status
   * check or the result fetch (PULL), or the callback the provider calls (PUSH step 3).
   * Absent for BLOCK and ONEWAY.
   */
  role?: 'request' | 'status' | 'result' | 'callback';
  /**
   * The id of the operation this one belongs with: for a PULL status or result the request of
   * its group (or the status, when no request is declared); for a callback the operation that
   * declares it.
   */
  correlatedWith?: string;
}

export type PatternRole = NonNullable<PatternDecision['role']>;

export interface Operation {
  /** The spec's operationId (or a derived one): the handler's name in user code. */
  id: string;
  /** Whether `id` was derived because the spec gave none. */
  idDerived: boolean;
  method: HttpMethod;
  /** Path template as in the spec, e.g. `/resources/{id_resource}/M`. */
  path: string;
  summary?: string;
  description?: string;
  parameters: Parameter[];
  requestBody?: RequestBody;
  responses: Response[];
  callbacks: Callback[];
  /**
   * Written by the classify stage (src/classify), the only place that decides patterns; loaders
   * leave it `UNCLASSIFIED`.
   */
  pattern: PatternDecision;
  /** Vendor extensions (`x-*`) of the operation, kept for later stages. */
  extensions: Record<string, unknown>;
  /**
   * OpenAPI: the security requirements in force (the operation's `security`, else the document's;
   * a callback has only its own), each mapping scheme names to scopes. Absent when none applies.
   */
  security?: Record<string, string[]>[];
  location: SourceLocation;
  /** The SOAP binding of an operation loaded from WSDL (absent for OpenAPI operations). */
  soap?: SoapOperation;
}

/** An XML qualified name; `namespace` is `""` for unqualified names. */
export interface XmlQName {
  namespace: string;
  name: string;
}

/**
 * One message part as it travels in the SOAP envelope: a child of `soap:Body` (or of the rpc
 * wrapper element inside it) or of `soap:Header`. Its schema describes the element's value and
 * carries `x-xml` annotations (see src/load/wsdl/README.md).
 */
export interface SoapPart {
  /** The WSDL part name. */
  name: string;
  /** The element on the wire: the part's `element=`, or for a `type=` part the accessor named after the part (unqualified). */
  element: XmlQName;
  /** The part's `type=`, when it has one instead of `element=`. */
  type?: XmlQName;
  schema: JsonSchema;
  /** `xsi:nil="true"` may stand for the whole part. */
  nillable: boolean;
}

export interface SoapMessage {
  /** The WSDL message the parts come from. */
  message: XmlQName;
  /** rpc style: the wrapper element the body parts are children of (operation name, `...Response` for output). */
  wrapper?: XmlQName;
  body: SoapPart[];
  headers: SoapPart[];
  /**
   * `use="encoded"`: the encoding's URI (SOAP 1.1 section 5 `http://schemas.xmlsoap.org/soap/encoding/`,
   * or the SOAP 1.2 encoding): accessors typed with `xsi:type`, encoded arrays, multi-ref values.
   */
  encoding?: string;
}

export interface SoapFault {
  /** The fault name (binding `soap:fault@name` and portType `wsdl:fault@name`). */
  name: string;
  message: XmlQName;
  /** The single part that is the fault's `detail` content. */
  part: SoapPart;
}

/** Where a SOAP binding of the operation is exposed. */
export interface SoapEndpoint {
  version: '1.1' | '1.2';
  binding: XmlQName;
  service?: string;
  port?: string;
  /** The port's `soap:address` location, when it has one. */
  address?: string;
}

export interface SoapOperation extends SoapEndpoint {
  /** The operation's name in the WSDL (the Operation id is this unless it had to be disambiguated). */
  name: string;
  style: 'document' | 'rpc';
  /** `soap:operation@soapAction` (SOAP 1.1 `SOAPAction` header, SOAP 1.2 `action` media type parameter); `""` when none. */
  soapAction: string;
  portType: XmlQName;
  input: SoapMessage;
  /** Absent for one-way operations. */
  output?: SoapMessage;
  faults: SoapFault[];
  /** Other ports binding the same portType operation (e.g. a SOAP 1.1 and a SOAP 1.2 port); this operation describes the first. */
  alsoExposedAt: SoapEndpoint[];
  /** WS-Addressing 1.0, when the binding (or its port) asks for it, with the actions of its messages. */
  addressing?: SoapAddressing;
}

/** WS-Addressing 1.0 asked for by a SOAP binding (src/load/wsdl/addressing.ts). */
export interface SoapAddressing {
  /** What asks for it: `wsaw:UsingAddressing` or a `wsam:Addressing` policy assertion. */
  declaredBy: 'wsaw:UsingAddressing' | 'wsam:Addressing';
  /** The line of that element (the binding's document). */
  line: number;
  /** Whether messages must carry the headers (`wsdl:required`, a policy not marked optional). */
  required: boolean;
  /** `wsa:Action` of the input and output: `wsam:Action`, else the `soapAction`, else the WS-A default (`<tns>/<portType>/<op>Request`). */
  actions?: { input: string; output?: string };
}

export interface SpecSource {
  /** The spec file as the user named it, resolved to an absolute path. */
  file: string;
  format: 'openapi' | 'wsdl';
  /** e.g. `3.0.1`, `3.1.0`, `1.1`. */
  version: string;
}

/**
 * The texts of the documents a spec was read from, for outputs that serve them (a provider's
 * `?wsdl`): nothing downstream of load reads the spec files again.
 */
export interface SpecDocuments {
  /** The entry document. */
  main: string;
  /**
   * Every other document it imports or includes, at any depth, keyed by its path relative to
   * the entry document's folder with `/` separators (`common/types.xsd`, `../shared/codes.xsd`).
   */
  files: Record<string, string>;
}

/** An OpenAPI security scheme, as far as the ModI security patterns read it. */
export interface SecurityScheme {
  /** `http`, `apiKey`, `oauth2`, `openIdConnect`, `mutualTLS`. */
  type: string;
  /** `http`: the auth scheme (`bearer`). */
  scheme?: string;
  /** `apiKey`: where the key travels and under which name (e.g. header `Agid-JWT-Signature`). */
  in?: string;
  name?: string;
  location?: SourceLocation;
}

/** One side's interface: the provider's API or the consumer's callback API. */
export interface Interface {
  title: string;
  version: string;
  description?: string;
  source: SpecSource;
  /** The spec's documents as read: the WSDL with what it imports, the OpenAPI entry document. */
  documents?: SpecDocuments;
  /** OpenAPI `components.securitySchemes`, by name (what the classify stage reads of them). */
  securitySchemes?: Record<string, SecurityScheme>;
  /** Base path the spec's servers declare (e.g. `/rest/nome-api/v1`), `""` when none. */
  basePath: string;
  operations: Operation[];
  /**
   * OpenAPI 3.1 `webhooks`: the requests the provider sends on its own, to a URL no request gives.
   * Each method is an operation (its body, parameters, responses) the provider sends to the target
   * its configuration names and the consumer receives.
   */
  webhooks?: DeclaredWebhook[];
}

export interface DeclaredWebhook {
  /** The `webhooks` key. */
  name: string;
  method: HttpMethod;
  location: SourceLocation;
  /** The request the provider sends and the answers the consumer gives, read like a callback's operation. */
  op: Operation;
}

export interface Agreement {
  /** The provider's interface: what the provider serves and the consumer calls. */
  provider: Interface;
  /**
   * The consumer's callback interface (client.yaml / callback WSDL), when given. Without it,
   * the callbacks declared in the provider's operations describe what the consumer exposes.
   */
  callback?: Interface;
  /** Every named schema used by either interface, keyed by `NamedSchema.key`. */
  schemas: Map<string, NamedSchema>;
}

/** What a loader puts in `Operation.pattern`: the classify stage replaces it. */
export const UNCLASSIFIED: PatternDecision = Object.freeze({ pattern: 'BLOCK_REST', decidedBy: 'shape', facts: Object.freeze([]) as unknown as string[] });

export const SCHEMA_REF_PREFIX = '#/$defs/';

export function schemaRef(key: string): JsonSchema {
  return { $ref: SCHEMA_REF_PREFIX + key };
}

export function refKey(schema: JsonSchema): string | undefined {
  const ref = schema.$ref;
  return typeof ref === 'string' && ref.startsWith(SCHEMA_REF_PREFIX) ? ref.slice(SCHEMA_REF_PREFIX.length) : undefined;
}
