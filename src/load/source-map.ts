import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { parsePointer } from './errors.js';

/** The most recently parsed texts, by file: see SourceText.of. */
const recent = new Map<string, SourceText>();
const RECENT_MAX = 4;

/** A parsed YAML/JSON text that maps JSON pointers back to line and column. */
export class SourceText {
  private readonly lines = new LineCounter();
  readonly doc;

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false });
  }

  /**
   * The parsed text of a file, parsed once for the loader and the linter both: a 3 MB spec takes
   * about a second to parse with positions. Only the same text is shared, and only the few most
   * recent files are kept.
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
