/**
 * Prettier's document language and printer, as prettier exports them (`prettier/doc`): code that
 * prints itself (types.ts) builds the documents prettier's own printers would build for it and
 * has prettier lay them out, so the text comes out as prettier formats it without being parsed
 * back and reformatted (seconds on large specs).
 */
import { doc } from 'prettier';

export type Doc = doc.builders.Doc;

export const { align, group, hardline, ifBreak, indent, join, line, softline } = doc.builders;

/** Indents `contents` when the group `groupId` breaks. */
export const indentIfBreak = (contents: Doc, groupId: symbol): Doc => doc.builders.indentIfBreak(contents, { groupId });

/** Lays a document out in `width` columns, two-space indents. */
export function printDoc(document: Doc, width: number): string {
  return doc.printer.printDocToString(document, { printWidth: width, tabWidth: 2, useTabs: false }).formatted;
}
