import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { SourceLocation } from '../../model/agreement.js';
import { SpecError, parsePointer } from '../errors.js';
import { SourceText } from '../source-map.js';

/** A place in one of the spec's files. */
export interface Place {
  file: string;
  pointer: string;
}

/**
 * The files of one spec, as swagger-parser resolved them: follows `$ref`s across files and maps
 * places back to lines, parsing a file's text for positions only when a location is asked for.
 */
export class Documents {
  private readonly texts = new Map<string, SourceText>();

  constructor(
    root: SourceText,
    private readonly get: (file: string) => unknown,
  ) {
    this.texts.set(root.file, root);
  }

  /** Follows `$ref`s from a place until a value that is not a reference. */
  deref(value: unknown, at: Place): { value: unknown; at: Place } {
    const seen = new Set<string>();
    while (isRef(value)) {
      const target = this.target(value.$ref, at);
      const key = `${target.file}#${target.pointer}`;
      if (seen.has(key)) throw this.error(`circular $ref ${value.$ref}`, at);
      seen.add(key);
      at = target;
      value = this.valueAt(target);
    }
    return { value, at };
  }

  /** Where a `$ref` written at `from` points. */
  target(ref: string, from: Place): Place {
    const hash = ref.indexOf('#');
    const filePart = hash < 0 ? ref : ref.slice(0, hash);
    const file = filePart ? resolve(dirname(from.file), decodeURI(filePart)) : from.file;
    return { file, pointer: hash < 0 ? '' : ref.slice(hash + 1) };
  }

  valueAt(place: Place): unknown {
    let node = this.get(place.file);
    for (const token of parsePointer(place.pointer)) {
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined;
      if (node === undefined) break;
    }
    return node;
  }

  /**
   * Where a place is: its line and column are read on first use (a finding, an error, `inspect`),
   * so that generating from a spec without problems never parses its text for positions.
   */
  location(place: Place): SourceLocation {
    let pos: { line?: number; column?: number } | undefined;
    const position = () => (pos ??= this.position(place) ?? {});
    return {
      ...place,
      get line() {
        return position().line;
      },
      get column() {
        return position().column;
      },
    };
  }

  private position(place: Place): { line: number; column: number } | undefined {
    let text = this.texts.get(place.file);
    if (!text) {
      try {
        text = SourceText.of(place.file, readFileSync(place.file, 'utf8'));
      } catch {
        return undefined;
      }
      this.texts.set(place.file, text);
    }
    return text.position(place.pointer);
  }

  error(message: string, place: Place): SpecError {
    const loc = this.location(place);
    return new SpecError(message, place.file, place.pointer, loc.line, loc.column);
  }
}

export function isRef(value: unknown): value is { $ref: string } {
  return !!value && typeof value === 'object' && typeof (value as { $ref?: unknown }).$ref === 'string';
}
