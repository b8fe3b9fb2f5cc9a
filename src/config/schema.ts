import { PATTERNS } from '../model/agreement.js';
import { SECURITY_PATTERNS } from '../classify/security.js';
import { EROGAZIONE_AUTHENTICATION, FRUIZIONE_AUTHENTICATION, GATEWAY_TARGETS, MESSAGE_SECURITY } from './gateway.js';

/**
 * The JSON Schema of accordo.config.yaml: the one description of its shape. loadConfig validates
 * with it (Ajv), `npm run build` writes it to dist/accordo.config.schema.json for editors (the file
 * `accordo init` writes points at it). What a schema cannot say (two different organisations, a
 * certificate needed by an authentication, paths relative to the file) is checked in code after it.
 *
 * `x-must-be` completes an error message: `"<key>" must be <x-must-be>, not <value>`.
 */
const SIMPLE_NAME = { type: 'string', pattern: '^[0-9A-Za-z][-A-Za-z0-9]*$', 'x-must-be': 'a GovWay SimpleName (letters, digits, "-")' } as const;
const NC_NAME = { type: 'string', pattern: '^[_A-Za-z][-._A-Za-z0-9]*$', 'x-must-be': 'a GovWay NCName (letters, digits, "_", "-", ".")' } as const;
const URL = {
  type: 'string',
  pattern: '^https?://[^\\s"\'`$;{}\\\\#?]+$',
  'x-must-be': 'an http(s) URL without query, fragment, quotes, "$", ";" or braces',
} as const;
const LISTEN = {
  type: 'string',
  pattern: '^(?:(?:[0-9]{1,3}\\.){3}[0-9]{1,3}:)?[0-9]{1,5}$',
  'x-must-be': 'a port or IPv4:port',
  description: "nginx's listen (default: the port of gatewayUrl)",
} as const;
const GATEWAY_PATH = { type: 'string', pattern: '^[^\\s"\'`$;{}\\\\]+$', 'x-must-be': 'a file path on the gateway (no spaces, quotes, "$", ";" or braces)' } as const;
const PATH = { type: 'string', minLength: 1, 'x-must-be': 'a path' } as const;

const keystore = (types: readonly string[], withAlias: boolean) => ({
  type: 'object',
  additionalProperties: false,
  required: withAlias ? ['path', 'alias'] : ['path'],
  properties: {
    path: GATEWAY_PATH,
    type: { enum: types, default: 'jks' },
    ...(withAlias ? { alias: { type: 'string', pattern: NC_NAME.pattern, 'x-must-be': 'a key alias (letters, digits, "_", "-", ".")' } } : {}),
  },
});

const govwaySide = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    keystore: { ...keystore(['jks', 'pkcs12'], true), description: 'The ModI keystore that signs (absent: the gateway default ModI keystore).' },
    truststore: { ...keystore(['jks', 'jwk'], false), description: "The ModI truststore that verifies the peer's signatures (absent: the gateway default)." },
    applicationCertificate: {
      ...GATEWAY_PATH,
      'x-must-be': 'the path of a PEM or DER certificate file, relative to the config file',
      description: "With fruizioneAuthentication https: the client certificate of this side's application.",
    },
  },
} as const;

const gateway = {
  type: 'object',
  description: 'Deployment facts for the gateway configurations (GovWay, nginx).',
  additionalProperties: false,
  required: ['provider', 'consumer'],
  properties: {
    targets: { type: 'array', items: { enum: GATEWAY_TARGETS }, default: [], description: 'Which gateway configurations to write (--gateway on the command line picks them too).' },
    provider: {
      type: 'object',
      additionalProperties: false,
      required: ['organisation', 'backend', 'gatewayUrl'],
      properties: {
        organisation: { ...SIMPLE_NAME, description: "The provider's organisation (GovWay soggetto erogatore)." },
        backend: { ...URL, description: "Where the provider's backend serves the API." },
        gatewayUrl: { ...URL, description: "Public base URL of the provider's gateway (with /govway for GovWay)." },
        application: { ...NC_NAME, description: 'The provider backend as a client of the callback API (GovWay applicativo), for push agreements.' },
        listen: LISTEN,
      },
    },
    consumer: {
      type: 'object',
      additionalProperties: false,
      required: ['organisation', 'application', 'gatewayUrl'],
      properties: {
        organisation: { ...SIMPLE_NAME, description: "The consumer's organisation (GovWay soggetto fruitore)." },
        application: { ...NC_NAME, description: "The consumer's client application (GovWay applicativo)." },
        callbackBackend: { ...URL, description: "Where the consumer's backend serves its callback endpoints (push agreements)." },
        gatewayUrl: { ...URL, description: "Public base URL of the consumer's gateway (with /govway for GovWay)." },
        listen: LISTEN,
      },
    },
    transactionHeader: { type: 'string', pattern: '^[A-Za-z0-9][-A-Za-z0-9]*$', 'x-must-be': 'an HTTP header name', default: 'GovWay-Transaction-ID' },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        requests: { type: 'integer', minimum: 1, default: 50, 'x-must-be': 'an integer ≥ 1' },
        per: { enum: ['second', 'minute'], default: 'second' },
        burst: { type: 'integer', minimum: 0, default: 100, 'x-must-be': 'an integer ≥ 0' },
      },
    },
    bodyLimit: { type: 'string', pattern: '^[1-9][0-9]*[kKmM]?$', 'x-must-be': 'a size such as 1m or 512k', default: '1m', description: 'Largest request body.' },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        connect: { type: 'string', pattern: '^[1-9][0-9]*(ms|s|m)?$', 'x-must-be': 'a duration such as 5s or 500ms', default: '5s' },
        read: { type: 'string', pattern: '^[1-9][0-9]*(ms|s|m)?$', 'x-must-be': 'a duration such as 60s or 500ms', default: '60s' },
      },
    },
    govway: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        channelSecurity: { enum: ['auth01', 'auth02'], default: 'auth01', description: 'ModI channel security of the APIs.' },
        messageSecurity: { enum: MESSAGE_SECURITY, default: 'disabilitato', description: 'ModI message security of erogazioni and fruizioni.' },
        erogazioneAuthentication: { enum: EROGAZIONE_AUTHENTICATION, default: 'https-optional' },
        fruizioneAuthentication: { enum: FRUIZIONE_AUTHENTICATION, default: 'disabilitato' },
        provider: govwaySide,
        consumer: govwaySide,
      },
    },
  },
} as const;

/** What one agreement takes: at the top of the file, or as an item of `agreements:`. */
const agreement = {
  spec: { ...PATH, description: "The provider's spec (OpenAPI 3.0/3.1 or WSDL 1.1), relative to this file." },
  callback: { ...PATH, description: "The consumer's callback spec, relative to this file." },
  out: { ...PATH, description: 'Output directory, relative to this file (default: the current directory).' },
  side: { enum: ['provider', 'consumer', 'both'], description: 'Which side to generate (default: both).' },
  patterns: {
    type: 'object',
    description: 'Pattern overrides by operation id.',
    additionalProperties: { enum: PATTERNS },
  },
  security: {
    type: 'object',
    description: 'Security patterns by operation id, for what the spec cannot say: a list such as [ID_AUTH_REST_02, INTEGRITY_REST_02], or none.',
    additionalProperties: {
      // The names are checked by parseSecurityPatterns, whose message says which one is wrong; editors get the list here.
      anyOf: [{ type: 'string' }, { const: false }, { type: 'array', minItems: 1, items: { type: 'string', examples: SECURITY_PATTERNS } }],
      examples: [['ID_AUTH_REST_02', 'INTEGRITY_REST_02'], 'none'],
    },
  },
  messageBox: {
    type: 'array',
    uniqueItems: true,
    items: { type: 'string', minLength: 1, 'x-must-be': 'a callback operation id' },
    description: "Callback operation ids whose results wait in the consumer's message box (stored and acknowledged, drained by the application) instead of going to a handler (docs/delivery.md).",
  },
  webhookPaths: {
    type: 'object',
    description: "The consumer's endpoint path of each OpenAPI 3.1 webhook, by webhook name (default /webhooks/<name>).",
    additionalProperties: { type: 'string', pattern: '^/', 'x-must-be': 'a path that starts with /' },
  },
  carriers: {
    type: 'object',
    additionalProperties: false,
    description: 'Where the reply address and the correlation id travel when the spec does not say it by the ModI names.',
    properties: {
      replyTo: { type: 'string', minLength: 1, description: 'The query parameter (REST) or SOAP header element that carries the callback address.' },
      correlationId: { type: 'string', minLength: 1, description: 'The query parameter of the callback (REST) or SOAP header element that carries the correlation id.' },
      addressing: { type: 'boolean', description: 'SOAP: WS-Addressing 1.0 carries them (wsa:ReplyTo, wsa:MessageID, wsa:RelatesTo) although the WSDL declares no policy.' },
    },
  },
  gateway: { $ref: '#/$defs/gateway' },
} as const;

export const CONFIG_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  title: 'accordo.config.yaml',
  description: 'Settings of `accordo generate`, `lint`, `inspect` and `deliveries`: the same as the command line, paths relative to this file.',
  type: 'object',
  additionalProperties: false,
  properties: {
    ...agreement,
    store: {
      type: 'string',
      pattern: '^(sqlite:|postgres(ql)?://|memory:)',
      'x-must-be': 'sqlite:<file>, a postgres:// URL or memory:',
      description:
        "The store of this side's runtime, for `accordo deliveries` (a provider's) and `accordo messages` (a consumer's message box): sqlite:<file> relative to this file, a postgres:// URL, or memory:.",
    },
    agreements: {
      type: 'array',
      minItems: 1,
      description: 'Several agreements in one project, each with its own specs, output and gateway facts (instead of the settings at the top).',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['spec'],
        properties: { name: { type: 'string', pattern: '^[-._A-Za-z0-9]+$', 'x-must-be': 'a name (letters, digits, "-", "_", ".")' }, ...agreement },
      },
    },
  },
  $defs: { gateway },
} as const;

/** The file name under dist/ that `npm run build` writes and `accordo init` points editors at. */
export const CONFIG_SCHEMA_FILE = 'accordo.config.schema.json';
