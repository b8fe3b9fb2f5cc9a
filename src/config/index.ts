import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Side } from '../emit/index.js';
import { SpecError } from '../load/errors.js';
import { SourceText } from '../load/source-map.js';
import { parseSecurityPatterns, type SecurityOverride } from '../classify/security.js';
import { PATTERNS, type Pattern } from '../model/agreement.js';
import { parseGatewayConfig, type GatewayConfig } from './gateway.js';

export const CONFIG_FILE = 'accordo.config.yaml';

/** accordo.config.yaml: the same settings as the command line, paths relative to the file. */
export interface AccordoConfig {
  spec?: string;
  callback?: string;
  out?: string;
  side?: Side;
  /** Pattern overrides by operation id. */
  patterns?: Record<string, Pattern>;
  /** Security patterns by operation id (a list such as `[ID_AUTH_REST_02, INTEGRITY_REST_02]`, or `none`): what the spec cannot say. */
  security?: Record<string, SecurityOverride>;
  /** The providers' store (`sqlite:<file>` relative to this file, or a `postgres://` URL), for `accordo deliveries`. */
  store?: string;
  /** Deployment facts for the gateway targets (src/config/gateway.ts). */
  gateway?: GatewayConfig;
}

const SIDES = ['provider', 'consumer', 'both'];
const KEYS = ['spec', 'callback', 'out', 'side', 'patterns', 'security', 'gateway', 'store'];

/** Reads and checks a config file; every problem names the file and line. */
export async function loadConfig(path: string): Promise<AccordoConfig> {
  const file = resolve(path);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new SpecError('config file not found', file);
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
  for (const key of Object.keys(raw)) if (!KEYS.includes(key)) throw fail(`unknown setting "${key}" (known: ${KEYS.join(', ')})`, `/${key}`);
  const dir = dirname(file);
  const path_ = (key: string) => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !v) throw fail(`"${key}" must be a path`, `/${key}`);
    return resolve(dir, v);
  };
  const config: AccordoConfig = { spec: path_('spec'), callback: path_('callback'), out: path_('out') };
  if (raw.store !== undefined) {
    if (typeof raw.store !== 'string' || !/^(sqlite:|postgres(ql)?:\/\/|memory:)/.test(raw.store)) throw fail('"store" must be sqlite:<file>, a postgres:// URL or memory:', '/store');
    config.store = raw.store.startsWith('sqlite:') ? `sqlite:${resolve(dir, raw.store.slice('sqlite:'.length))}` : raw.store;
  }
  if (raw.side !== undefined) {
    if (!SIDES.includes(raw.side as string)) throw fail(`"side" must be one of ${SIDES.join(', ')}`, '/side');
    config.side = raw.side as Side;
  }
  if (raw.patterns !== undefined) {
    if (!raw.patterns || typeof raw.patterns !== 'object') throw fail('"patterns" must map operation ids to patterns', '/patterns');
    for (const [op, p] of Object.entries(raw.patterns)) {
      if (!(PATTERNS as readonly unknown[]).includes(p)) throw fail(`unknown pattern ${JSON.stringify(p)} for ${op} (known: ${PATTERNS.join(', ')})`, `/patterns/${op}`);
    }
    config.patterns = raw.patterns as Record<string, Pattern>;
  }
  if (raw.security !== undefined) {
    if (!raw.security || typeof raw.security !== 'object' || Array.isArray(raw.security)) throw fail('"security" must map operation ids to lists of security patterns (or none)', '/security');
    config.security = {};
    for (const [op, value] of Object.entries(raw.security)) {
      const parsed = parseSecurityPatterns(value);
      if (parsed.error) throw fail(`security of ${op}: ${parsed.error}`, `/security/${op}`);
      config.security[op] = parsed.none ? 'none' : ((Array.isArray(value) ? value : [value]) as SecurityOverride);
    }
  }
  if (raw.gateway !== undefined) config.gateway = parseGatewayConfig(raw.gateway, fail, file);
  return config;
}
