import { LineCounter, parseDocument, isMap, isSeq, type Document, type Node } from 'yaml';
import { parsePointer } from './errors.js';
import { quickYamlData } from './yaml-data.js';

/** The most recently parsed texts, by file: see SourceText.of. */
const recent = new Map<string, SourceText>();
const RECENT_MAX = 4;

/**
 * A YAML/JSON text: its data, and JSON pointers mapped back to line and column. The one source of
 * positions for the loader, the linter and the config: a text without errors is read the fast way
 * (no positions), and parsed with positions (`yaml`'s document, about a second for a 3 MB spec)
 * only when a position or an error is shown.
 */
export class SourceText {
  private readonly lines = new LineCounter();
  private parsed?: Document.Parsed;
  private quick?: { value: unknown } | undefined;
  private quickTried = false;
  private data?: { value: unknown };

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  /** The document with positions, parsed on first use. */
  get doc(): Document.Parsed {
    this.parsed ??= parseDocument(this.text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false });
    return this.parsed;
  }

  private fast(): { value: unknown } | undefined {
    if (!this.quickTried) {
      this.quickTried = true;
      this.quick = quickYamlData(this.text);
    }
    return this.quick;
  }

  /** The text as plain data (aliases limited as `yaml` limits them); read once. */
  get value(): unknown {
    this.data ??= this.fast() ?? { value: this.doc.toJS({ maxAliasCount: 1000 }) };
    return this.data.value;
  }

  /**
   * The parsed text of a file, parsed once for the loader and the linter both. Only the same text
   * is shared, and only the few most recent files are kept.
   */
  static of(file: string, text: string): SourceText {
    const hit = recent.get(file);
    if (hit?.text === text) return hit;
    const parsed = new SourceText(file, text);
    recent.delete(file);
    recent.set(file, parsed);
    if (recent.size > RECENT_MAX) recent.delete(recent.keys().next().value!);
    return parsed;
  }

  get errors() {
    if (this.fast()) return [];
    return this.doc.errors.map((e) => {
      const pos = this.lines.linePos(e.pos[0]);
      return { message: e.message.split('\n')[0], line: pos.line, column: pos.col };
    });
  }

  /** The line/column of the deepest existing node on the pointer's path. */
  position(pointer: string): { line: number; column: number } | undefined {
    let node: unknown = this.doc.contents;
    let found: Node | undefined = node as Node | undefined;
    for (const token of parsePointer(pointer)) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === token);
        if (!pair) break;
        found = (pair.key as Node) ?? found;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(token)];
        if (item === undefined) break;
        node = item;
        found = item as Node;
      } else break;
    }
    const offset = found?.range?.[0];
    if (offset === undefined) return undefined;
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }
}
