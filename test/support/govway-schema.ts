import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { CORPUS } from './corpus.js';

/**
 * Validators of the GovWay Config API's request bodies, from its OpenAPI 3.0 document
 * (govway/ of the development corpus): an operation is found by method and concrete path, its
 * requestBody schema is compiled by Ajv after the OpenAPI-only parts are turned into JSON Schema
 * (discriminated `oneOf` → `if/then` per mapping, boolean `exclusiveMaximum`, `nullable`).
 */
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Node = { [key: string]: unknown };

interface Api {
  paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, { schema: Node }> } }>>;
  components: { schemas: Record<string, Node> };
}

export class GovWayConfigApi {
  private readonly api: Api;
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(file = join(CORPUS, 'govway', 'govway_rs-api_config.merged.yaml')) {
    this.api = parse(readFileSync(file, 'utf8')) as Api;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    const int = (bits: number) => ({ type: 'number' as const, validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** (bits - 1) });
    this.ajv.addFormat('int32', int(32));
    this.ajv.addFormat('int64', int(64));
    this.ajv.addFormat('password', true);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: 'govway', components: { schemas: convert(this.api.components.schemas) } });
  }

  /** The operation at a method and concrete path (`/api/X/1/risorse/Y` matches `/api/{nome}/{versione}/risorse/{nome_risorsa}`). */
  operation(method: string, path: string): { template: string; operationId: string; validate: ValidateFunction } {
    const m = method.toLowerCase();
    const matches = Object.keys(this.api.paths).filter((t) => this.api.paths[t][m] && new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
    // A literal segment beats a parameter: prefer the template with the fewest parameters.
    matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
    const template = matches[0];
    if (!template) throw new Error(`no GovWay Config API operation ${method} ${path}`);
    const op = this.api.paths[template][m];
    const schema = op.requestBody?.content['application/json']?.schema;
    if (!schema) throw new Error(`${method} ${template} takes no JSON body`);
    const key = `${m} ${template}`;
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `govway${String(schema.$ref)}` });
      this.cache.set(key, validate);
    }
    return { template, operationId: op.operationId ?? '', validate };
  }

  /** The errors of a body for an operation, as text; empty when it is valid. */
  errors(method: string, path: string, body: unknown): string[] {
    const { validate } = this.operation(method, path);
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

function convert<T>(value: T): T {
  if (Array.isArray(value)) return value.map(convert) as T;
  if (!value || typeof value !== 'object') return value;
  const node: Node = {};
  for (const [k, v] of Object.entries(value)) node[k] = convert(v);
  if (node.nullable === true && typeof node.type === 'string') node.type = [node.type, 'null'];
  for (const [bound, flag] of [
    ['maximum', 'exclusiveMaximum'],
    ['minimum', 'exclusiveMinimum'],
  ] as const) {
    if (typeof node[flag] === 'boolean') {
      if (node[flag] && typeof node[bound] === 'number') {
        node[flag] = node[bound];
        delete node[bound];
      } else delete node[flag];
    }
  }
  const d = node.discriminator as { propertyName: string; mapping?: Record<string, string> } | undefined;
  if (d?.mapping && Array.isArray(node.oneOf)) {
    const p = d.propertyName;
    delete node.oneOf;
    delete node.discriminator;
    node.required = [...new Set([...((node.required as string[]) ?? []), p])];
    node.properties = { ...(node.properties as Node), [p]: { enum: Object.keys(d.mapping) } };
    node.allOf = [...((node.allOf as Node[]) ?? []), ...Object.entries(d.mapping).map(([k, ref]) => ({ if: { properties: { [p]: { const: k } }, required: [p] }, then: { $ref: `govway${ref}` } }))];
  }
  if (typeof node.$ref === 'string' && node.$ref.startsWith('#/')) node.$ref = `govway${node.$ref}`;
  return node as T;
}
