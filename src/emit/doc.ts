/**
 * A small layout engine: the part of prettier's document language and printer that type
 * declarations need. Code that prints itself (types.ts) builds the same documents prettier's
 * printers would build for it and lays them out here, so the text comes out as prettier would
 * format it, without parsing it back and reformatting it (seconds on large specs).
 *
 * A document is text, a list of documents, or one of the nodes below. A group is printed on one
 * line when it fits in the width, else its lines become newlines; nested groups decide again.
 */

export type Doc = string | Doc[] | Group | Indent | Align | Line | IfBreak | IndentIfBreak;

interface Group {
  type: 'group';
  contents: Doc;
  /** Broken whatever the width: asked for, or it holds a hard line (which breaks every group around it). */
  broken: boolean;
  id?: symbol;
}
interface Indent {
  type: 'indent';
  contents: Doc;
}
interface Align {
  type: 'align';
  width: number;
  contents: Doc;
}
interface Line {
  type: 'line';
  /** Soft: nothing when flat (a plain line prints a space). Hard: always a newline. */
  soft: boolean;
  hard: boolean;
}
interface IfBreak {
  type: 'if-break';
  breakContents: Doc;
  flatContents: Doc;
}
interface IndentIfBreak {
  type: 'indent-if-break';
  contents: Doc;
  groupId: symbol;
}

const INDENT_WIDTH = 2;

export const line: Doc = { type: 'line', soft: false, hard: false };
export const softline: Doc = { type: 'line', soft: true, hard: false };
export const hardline: Doc = { type: 'line', soft: false, hard: true };

export function group(contents: Doc, options: { shouldBreak?: boolean; id?: symbol } = {}): Doc {
  return { type: 'group', contents, broken: !!options.shouldBreak || hasHardLine(contents), id: options.id };
}

export const indent = (contents: Doc): Doc => ({ type: 'indent', contents });
export const align = (width: number, contents: Doc): Doc => ({ type: 'align', width, contents });
export const ifBreak = (breakContents: Doc, flatContents: Doc = ''): Doc => ({ type: 'if-break', breakContents, flatContents });
/** The contents, indented when the group `groupId` (printed before) broke. */
export const indentIfBreak = (contents: Doc, groupId: symbol): Doc => ({ type: 'indent-if-break', contents, groupId });

export function join(separator: Doc, docs: Doc[]): Doc[] {
  return docs.flatMap((d, i) => (i ? [separator, d] : [d]));
}

/**
 * Whether a hard line is inside (prettier's propagateBreaks). Groups are built inside out, so a
 * nested group already knows: the walk stops there and stays linear.
 */
function hasHardLine(doc: Doc): boolean {
  if (typeof doc === 'string') return false;
  if (Array.isArray(doc)) return doc.some(hasHardLine);
  switch (doc.type) {
    case 'group':
      return doc.broken;
    case 'line':
      return doc.hard;
    case 'if-break':
      return hasHardLine(doc.breakContents) || hasHardLine(doc.flatContents);
    default:
      return hasHardLine(doc.contents);
  }
}

const enum Mode {
  Break,
  Flat,
}

interface Command {
  indent: number;
  mode: Mode;
  doc: Doc;
}

/**
 * Lays a document out in `width` columns (prettier's printDocToString, for the nodes above).
 * `textWidth` measures text as prettier does (wide characters take two columns).
 */
export function printDoc(doc: Doc, width: number, textWidth: (text: string) => number): string {
  const out: string[] = [];
  const groupModes = new Map<symbol, Mode>();
  const commands: Command[] = [{ indent: 0, mode: Mode.Break, doc }];
  let column = 0;
  while (commands.length) {
    const { indent, mode, doc } = commands.pop()!;
    if (typeof doc === 'string') {
      out.push(doc);
      column += textWidth(doc);
      continue;
    }
    if (Array.isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) commands.push({ indent, mode, doc: doc[i] });
      continue;
    }
    switch (doc.type) {
      case 'indent':
        commands.push({ indent: indent + INDENT_WIDTH, mode, doc: doc.contents });
        break;
      case 'align':
        commands.push({ indent: indent + doc.width, mode, doc: doc.contents });
        break;
      case 'group': {
        // Inside a flat group everything is flat; otherwise the group is flat only if it fits.
        const flat = !doc.broken && (mode === Mode.Flat || fits({ indent, mode: Mode.Flat, doc: doc.contents }, commands, width - column, textWidth));
        commands.push({ indent, mode: flat ? Mode.Flat : Mode.Break, doc: doc.contents });
        if (doc.id) groupModes.set(doc.id, flat ? Mode.Flat : Mode.Break);
        break;
      }
      case 'if-break':
        commands.push({ indent, mode, doc: mode === Mode.Break ? doc.breakContents : doc.flatContents });
        break;
      case 'indent-if-break':
        commands.push({ indent: groupModes.get(doc.groupId) === Mode.Break ? indent + INDENT_WIDTH : indent, mode, doc: doc.contents });
        break;
      case 'line':
        if (mode === Mode.Flat && !doc.hard) {
          if (!doc.soft) {
            out.push(' ');
            column += 1;
          }
          break;
        }
        trimTrailingSpaces(out);
        out.push('\n' + ' '.repeat(indent));
        column = indent;
        break;
    }
  }
  return out.join('');
}

/**
 * Whether `next` fits in `room` columns, followed by what comes after it on the line: the rest
 * of the commands up to their first line that breaks (prettier's `fits`).
 */
function fits(next: Command, rest: Command[], room: number, textWidth: (text: string) => number): boolean {
  const stack: { mode: Mode; doc: Doc }[] = [next];
  let restIndex = rest.length;
  while (room >= 0) {
    if (stack.length === 0) {
      if (restIndex === 0) return true;
      stack.push(rest[--restIndex]);
      continue;
    }
    const { mode, doc } = stack.pop()!;
    if (typeof doc === 'string') {
      room -= textWidth(doc);
      continue;
    }
    if (Array.isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) stack.push({ mode, doc: doc[i] });
      continue;
    }
    switch (doc.type) {
      case 'group':
        stack.push({ mode: doc.broken ? Mode.Break : mode, doc: doc.contents });
        break;
      case 'if-break':
        stack.push({ mode, doc: mode === Mode.Break ? doc.breakContents : doc.flatContents });
        break;
      case 'line':
        if (mode === Mode.Break || doc.hard) return true;
        if (!doc.soft) room -= 1;
        break;
      case 'indent-if-break':
      case 'indent':
      case 'align':
        stack.push({ mode, doc: doc.contents });
        break;
    }
  }
  return false;
}

/** A newline drops the spaces before it (a `key: ` whose value moved to the next line). */
function trimTrailingSpaces(out: string[]): void {
  while (out.length) {
    const last = out[out.length - 1];
    const trimmed = last.replace(/[ \t]+$/, '');
    if (trimmed.length) {
      out[out.length - 1] = trimmed;
      return;
    }
    out.pop();
  }
}
