import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, resolve } from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { Side } from '../emit/index.js';
import { parsePointer, SpecError } from '../load/errors.js';
import { SourceText } from '../load/source-map.js';
import { parseSecurityPatterns, type SecurityOverride } from '../classify/security.js';
import type { CarrierSettings } from '../classify/carriers.js';
import type { Pattern } from '../model/agreement.js';
import { parseGatewayConfig, type GatewayConfig } from './gateway.js';
import { CONFIG_SCHEMA } from './schema.js';

export const CONFIG_FILE = 'accordo.config.yaml';

/** One agreement's settings: the command line's, paths resolved against the config file. */
export interface AgreementConfig {
  /** How the CLI names the agreement: `name:`, else the spec's file name. */
  name?: string;
  spec?: string;
  callback?: string;
  out?: string;
  side?: Side;
  /** Pattern overrides by operation id. */
  patterns?: Record<string, Pattern>;
  /** Security patterns by operation id (a list such as `[ID_AUTH_REST_02, INTEGRITY_REST_02]`, or `none`): what the spec cannot say. */
  security?: Record<string, SecurityOverride>;
  /** Callback operation ids whose results wait in the consumer's message box instead of going to a handler. */
  messageBox?: string[];
  /** The consumer's endpoint path of each OpenAPI 3.1 webhook, by webhook name (default `/webhooks/<name>`). */
  webhookPaths?: Record<string, string>;
  /** Where the reply address and the correlation id travel when the spec does not say (src/classify/carriers.ts). */
  carriers?: CarrierSettings;
  /** Deployment facts for the gateway targets (src/config/gateway.ts). */
  gateway?: GatewayConfig;
}

/**
 * accordo.config.yaml. With one agreement its settings are at the top of the file (and here); with
 * `agreements:` each has its own. `agreements` lists them either way.
 */
export interface AccordoConfig extends AgreementConfig {
  /** The config file, absent when none was read. */
  file?: string;
  /** The store of this side's runtime (`sqlite:<file>` relative to this file, or a `postgres://` URL), for `accordo deliveries` and `accordo messages`. */
  store?: string;
  agreements: AgreementConfig[];
}

const AGREEMENT_KEYS = ['spec', 'callback', 'out', 'side', 'patterns', 'security', 'messageBox', 'webhookPaths', 'carriers', 'gateway'];

let validator: ReturnType<Ajv2020['compile']> | undefined;
function validate(data: unknown) {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: false, useDefaults: true, strict: true, verbose: true });
    ajv.addKeyword({ keyword: 'x-must-be', schemaType: 'string' });
    validator = ajv.compile(CONFIG_SCHEMA);
  }
  return validator(data) ? undefined : validator.errors![0];
}

/** Reads and checks a config file; every problem names the file and the line of the bad value. */
export async function loadConfig(path: string): Promise<AccordoConfig> {
  const file = resolve(path);
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new SpecError(e.code === 'ENOENT' ? 'config file not found' : `cannot read the config file (${e.code ?? e.message})`, file);
  });
  const source = new SourceText(file, text);
  const [syntax] = source.errors;
  if (syntax) throw new SpecError(`invalid YAML: ${syntax.message}`, file, undefined, syntax.line, syntax.column);
  const raw = (source.doc.toJS() ?? {}) as Record<string, unknown>;
  const fail = (message: string, pointer: string) => {
    const pos = source.position(pointer);
    return new SpecError(message, file, pointer, pos?.line, pos?.column);
  };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw fail('the config must be a mapping of settings', '');
  const error = validate(raw);
  if (error) throw schemaError(error, raw, fail);
  if (raw.agreements && AGREEMENT_KEYS.some((k) => k in raw)) {
    const key = AGREEMENT_KEYS.find((k) => k in raw)!;
    throw fail(`"${key}" beside "agreements": with several agreements, each item holds its own settings`, `/${key}`);
  }

  const dir = dirname(file);
  const agreementOf = (a: Record<string, unknown>, at: string): AgreementConfig => {
    const path_ = (key: string) => (typeof a[key] === 'string' ? resolve(dir, a[key]) : undefined);
    const spec = path_('spec');
    return {
      name: (a.name as string | undefined) ?? (spec ? basename(spec, extname(spec)) : undefined),
      spec,
      callback: path_('callback'),
      out: path_('out'),
      side: a.side as Side | undefined,
      patterns: a.patterns as Record<string, Pattern> | undefined,
      security: securityOf(a.security, `${at}/security`),
      messageBox: a.messageBox as string[] | undefined,
      ...(a.webhookPaths ? { webhookPaths: a.webhookPaths as Record<string, string> } : {}),
      ...(a.carriers ? { carriers: a.carriers as CarrierSettings } : {}),
      gateway: a.gateway === undefined ? undefined : parseGatewayConfig(a.gateway, fail, file, `${at}/gateway`),
    };
  };
  // The schema checks the names; a combination (two patterns of one kind) is parseSecurityPatterns' to refuse.
  const securityOf = (value: unknown, at: string): Record<string, SecurityOverride> | undefined => {
    if (value === undefined) return undefined;
    const out: Record<string, SecurityOverride> = {};
    for (const [op, v] of Object.entries(value as Record<string, unknown>)) {
      const parsed = parseSecurityPatterns(v);
      if (parsed.error) throw fail(`security of ${op}: ${parsed.error}`, `${at}/${op}`);
      out[op] = parsed.none ? 'none' : ((Array.isArray(v) ? v : [v]) as SecurityOverride);
    }
    return out;
  };
  const store = raw.store as string | undefined;
  const config: AccordoConfig = {
    file,
    store: store?.startsWith('sqlite:') ? `sqlite:${resolve(dir, store.slice('sqlite:'.length))}` : store,
    agreements: [],
  };
  if (raw.agreements) {
    config.agreements = (raw.agreements as Record<string, unknown>[]).map((a, i) => agreementOf(a, `/agreements/${i}`));
    const names = config.agreements.map((a) => a.name);
    const twice = names.findIndex((n, i) => names.indexOf(n) !== i);
    if (twice >= 0) throw fail(`two agreements are named "${names[twice]}": give them distinct "name:"s`, `/agreements/${twice}`);
  } else {
    const single = agreementOf(raw, '');
    Object.assign(config, single);
    config.agreements = [single];
  }
  return config;
}

/** Ajv's first error as one line at the offending key: `"<key>" must be ...`, `unknown setting`, `missing`. */
function schemaError(error: ErrorObject, raw: unknown, fail: (message: string, pointer: string) => SpecError): SpecError {
  const path = error.instancePath;
  const tokens = parsePointer(path);
  const key = [...tokens].reverse().find((t) => !/^\d+$/.test(t)) ?? 'config';
  const value = tokens.reduce<unknown>((v, t) => (v as Record<string, unknown>)?.[t], raw);
  const shown = JSON.stringify(value);
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      return fail(`unknown setting "${extra}"${known.length ? ` (known: ${known.join(', ')})` : ''}`, `${path}/${extra}`);
    }
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const required = (error.parentSchema as { required?: string[] }).required ?? [];
      return fail(`missing "${missing}" (${key === 'config' ? 'needed' : `"${key}" needs ${required.join(', ')}`})`, path);
    }
    case 'enum':
      return fail(`"${key}" must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}, not ${shown}`, path);
    case 'minItems':
      return fail(`"${key}" must not be empty`, path);
    default: {
      const mustBe = (error.parentSchema as { 'x-must-be'?: string })['x-must-be'];
      return fail(`"${key}" must be ${mustBe ?? error.message?.replace(/^must be /, '')}, not ${shown}`, path);
    }
  }
}
