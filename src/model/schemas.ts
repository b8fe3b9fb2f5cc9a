import { isDeepStrictEqual } from 'node:util';
import type { JsonSchema, NamedSchema, SourceLocation } from './agreement.js';
import { NameScope, pascalCase } from './names.js';

/**
 * The agreement's named schemas. Keys are the TypeScript type names too, so they are valid,
 * collision-free identifiers whatever the spec called the schema. A schema registered twice
 * with the same content (server.yaml and client.yaml both declaring `ACKMessage`) gets one key.
 */
export class SchemaRegistry {
  readonly schemas = new Map<string, NamedSchema>();
  private readonly scope = new NameScope();
  /** origin (file + pointer) → key, so every `$ref` to one place gets one name. */
  private readonly byOrigin = new Map<string, string>();
  private readonly originsOf = new Map<string, string[]>();
  /** Stored schemas by the name the spec gave them: only those can be duplicates of each other. */
  private readonly bySpecName = new Map<string, NamedSchema[]>();

  /** Reserves a key for a schema about to be converted (so recursive `$ref`s resolve). */
  reserve(origin: string, specName: string): { key: string; fresh: boolean } {
    const known = this.byOrigin.get(origin);
    if (known) return { key: known, fresh: false };
    const key = this.scope.claim(pascalCase(specName, 'Schema'));
    this.byOrigin.set(origin, key);
    this.originsOf.set(key, [origin]);
    return { key, fresh: true };
  }

  /**
   * Stores the converted schema under its reserved key. If an identical schema with the same
   * spec name is already stored under another key, that key is reused and returned instead.
   */
  define(key: string, specName: string, schema: JsonSchema, location?: SourceLocation, description?: string): string {
    const sameName = this.bySpecName.get(specName) ?? [];
    const selfReferencing = sameName.length > 0 && JSON.stringify(schema).includes(JSON.stringify('#/$defs/' + key));
    for (const existing of selfReferencing ? [] : sameName) {
      if (isDeepStrictEqual(existing.schema, schema)) {
        for (const origin of this.originsOf.get(key) ?? []) this.byOrigin.set(origin, existing.key);
        return existing.key;
      }
    }
    const named = { key, specName, schema, location, description };
    this.schemas.set(key, named);
    this.bySpecName.set(specName, [...sameName, named]);
    return key;
  }
}
