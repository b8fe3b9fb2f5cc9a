import { readFileSync } from 'node:fs';
import type { SourceLocation } from '../model/agreement.js';
import { parsePointer, pointerOf } from '../load/errors.js';
import { SourceText } from '../load/source-map.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Line and column of pointers below an operation's own location, read from the spec text.
 * Each file is read and parsed at most once per lint run, and only when a finding needs it.
 */
export class Positions {
  private readonly texts = new Map<string, SourceText | undefined>();
  private readonly values = new Map<string, unknown>();

  private text(file: string): SourceText | undefined {
    if (!this.texts.has(file)) {
      let text: SourceText | undefined;
      // WSDL positions come from the loader's own location; only YAML/JSON maps pointers.
      if (/\.(ya?ml|json)$/i.test(file)) {
        try {
          text = SourceText.of(file, readFileSync(file, 'utf8'));
        } catch {
          text = undefined;
        }
      }
      this.texts.set(file, text);
    }
    return this.texts.get(file);
  }

  /** The document as plain data, made only when a parameter has to be found in it. */
  private value(file: string): unknown {
    if (!this.values.has(file)) this.values.set(file, this.text(file)?.value);
    return this.values.get(file);
  }

  /** Where `pointer` is in `fallback.file`, or the fallback's own position when the text cannot say. */
  at(fallback: SourceLocation, pointer: string): { line: number; column: number } {
    const pos = pointer === fallback.pointer ? undefined : this.text(fallback.file)?.position(pointer);
    return pos ?? { line: fallback.line ?? 1, column: fallback.column ?? 1 };
  }

  /**
   * The pointer of the header parameter `name` of the operation at `opPointer`: in the
   * operation's `parameters`, else in its path item's. `undefined` when the text has none.
   */
  parameterPointer(file: string, opPointer: string, name: string): string | undefined {
    const js = this.value(file);
    if (js === undefined) return undefined;
    const tokens = parsePointer(opPointer);
    for (const owner of [tokens, tokens.slice(0, -1)]) {
      const list = resolve(js, [...owner, 'parameters']);
      if (!Array.isArray(list)) continue;
      const index = list.findIndex((p) => {
        const param = deref(js, p);
        return isObj(param) && param.in === 'header' && typeof param.name === 'string' && param.name.toLowerCase() === name.toLowerCase();
      });
      if (index >= 0) return pointerOf([...owner, 'parameters', index]);
    }
    return undefined;
  }
}

function resolve(root: unknown, tokens: string[], depth = 0): unknown {
  let node = root;
  for (const t of tokens) {
    node = deref(root, node, depth);
    if (Array.isArray(node)) node = node[Number(t)];
    else if (isObj(node)) node = node[t];
    else return undefined;
  }
  return deref(root, node, depth);
}

/** Follows local `$ref`s (a cycle ends after a few steps); other refs are left as they are. */
function deref(root: unknown, node: unknown, depth = 0): unknown {
  if (depth > 16 || !isObj(node) || typeof node.$ref !== 'string' || !node.$ref.startsWith('#')) return node;
  return resolve(root, parsePointer(node.$ref), depth + 1);
}
