import { Ajv2020, type ValidateFunction, type AnySchema } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema } from './descriptors.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const DEFS_ID = 'accordo:defs';
const INT32 = [-(2 ** 31), 2 ** 31 - 1] as const;

/**
 * The validators of one agreement: the named schemas are added once under one id, and every
 * request, response or callback schema is compiled against them. Two Ajv instances: bodies are
 * validated as sent; path, query and header values are strings and get coerced to the declared type.
 */
export class Validators {
  private readonly strict: Ajv2020;
  private readonly coercing: Ajv2020;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(defs: Record<string, JsonSchema>) {
    this.strict = makeAjv(defs, false);
    this.coercing = makeAjv(defs, true);
  }

  compile(schema: JsonSchema, coerce = false): ValidateFunction {
    const key = (coerce ? 'c' : 's') + JSON.stringify(schema);
    let fn = this.cache.get(key);
    if (!fn) {
      fn = (coerce ? this.coercing : this.strict).compile(rebase(schema) as AnySchema);
      this.cache.set(key, fn);
    }
    return fn;
  }
}

function makeAjv(defs: Record<string, JsonSchema>, coerce: boolean): Ajv2020 {
  const ajv = new Ajv2020({
    strict: false,
    allErrors: false,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: false,
    removeAdditional: false,
    validateFormats: true,
  });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32[0] && n <= INT32[1] });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  for (const f of ['float', 'double']) ajv.addFormat(f, { type: 'number', validate: () => true });
  for (const f of ['byte', 'binary', 'password']) ajv.addFormat(f, () => true);
  ajv.addSchema({ $id: DEFS_ID, $defs: rebase(defs) } as AnySchema);
  return ajv;
}

/** Points `#/$defs/X` refs at the shared definitions schema. */
function rebase<T>(schema: T): T {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', `"${DEFS_ID}#/$defs/`)) as T;
}
