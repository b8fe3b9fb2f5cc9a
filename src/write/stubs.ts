import { Node, Project, SyntaxKind, type ObjectLiteralExpression, type SourceFile } from 'ts-morph';

/**
 * Handler stubs merged into a handler file that belongs to the user: the scaffold Accordo would
 * write today is parsed, and each handler the user's object lacks is copied from it (doc comment,
 * the pattern's shape, a body that throws "not implemented"). So the template stays the one source
 * of a stub's text, for the first write and for every later insert.
 *
 * ts-morph only reads here: the new text is spliced in at one position, so every byte the user
 * wrote stays where it was (a printer would re-lay the file out).
 */
export interface StubMerge {
  /** The file with the stubs inserted; absent when nothing was inserted. */
  text?: string;
  /** Handlers inserted (or, with `unplaced`, to be added by hand), in the scaffold's order. */
  added: string[];
  /** Line of the inserted stubs in the new text (1-based), or where they belong when unplaced. */
  line: number;
  /** The object could not be edited safely (not found, or it spreads other objects): the stubs to add by hand. */
  unplaced?: { reason: string; stubs: string };
  /** Handlers of the user's object that no operation has any more: reported, never deleted. */
  orphans: string[];
}

export function mergeStubs(userText: string, scaffoldText: string): StubMerge {
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { allowJs: false } });
  const scaffold = project.createSourceFile('scaffold.ts', scaffoldText);
  const expected = handlerObject(scaffold);
  if (!expected) throw new Error('the handler scaffold has no handler object (a template bug)');
  const stubs = new Map<string, string>();
  for (const prop of expected.object.getProperties()) {
    const name = propertyName(prop);
    if (name) stubs.set(name, stubText(scaffoldText, prop));
  }

  const user = project.createSourceFile('user.ts', userText);
  const found = handlerObject(user, expected.typeName, expected.variableName);
  if (!found) {
    const anchor = user.getDescendantsOfKind(SyntaxKind.Identifier).find((id) => id.getText() === expected.typeName);
    const missing = [...stubs.keys()];
    return {
      added: missing,
      line: anchor?.getStartLineNumber() ?? 1,
      unplaced: { reason: `no object typed ${expected.typeName} found`, stubs: [...stubs.values()].map((s) => `${s},`).join('\n') },
      orphans: [],
    };
  }
  const { object } = found;
  const present = new Set(
    object
      .getProperties()
      .map(propertyName)
      .filter((n): n is string => !!n),
  );
  const missing = [...stubs.keys()].filter((n) => !present.has(n));
  const orphans = [...present].filter((n) => !stubs.has(n));
  const close = object.getLastChildByKindOrThrow(SyntaxKind.CloseBraceToken);
  if (missing.length === 0) return { added: [], line: close.getStartLineNumber(), orphans };
  const text = (indent: string, eol: string) => missing.map((n) => indentStub(stubs.get(n)!, indent, eol) + ',').join(eol);
  if (object.getProperties().some((p) => Node.isSpreadAssignment(p))) {
    // What the spread objects hold is known only to the type checker: the user decides.
    return { added: missing, line: close.getStartLineNumber(), unplaced: { reason: `the ${found.variableName} object spreads others: add what they lack`, stubs: text('', '\n') }, orphans };
  }

  const eol = userText.includes('\r\n') ? '\r\n' : '\n';
  const indent = propertyIndent(userText, object);
  // After the last property and its trailing comma, if any: what follows (comments, `}`) stays after the stubs.
  const last = object.getProperties().at(-1);
  let at: number;
  let before = '';
  if (!last) at = object.getFirstChildByKindOrThrow(SyntaxKind.OpenBraceToken).getEnd();
  else if (object.compilerNode.properties.hasTrailingComma) at = object.getChildSyntaxListOrThrow().getLastChildByKindOrThrow(SyntaxKind.CommaToken).getEnd();
  else {
    at = last.getEnd();
    before = ',';
  }
  const inserted = `${before}${eol}${text(indent, eol)}${last ? '' : eol}`;
  const imports = missingImports(
    user,
    scaffold,
    missing.map((n) => stubs.get(n)!),
    eol,
  );
  // Both insertions are placed on the original text; the later one first.
  let merged = userText.slice(0, at) + inserted + userText.slice(at);
  if (imports) merged = merged.slice(0, imports.at) + imports.text + merged.slice(imports.at);
  const importLines = imports ? imports.text.split('\n').length - 1 : 0;
  return { text: merged, added: missing, line: userText.slice(0, at).split('\n').length + 1 + importLines, orphans };
}

/** The imports the inserted stubs use (ProblemError, SoapFaultError) that the user's file lacks: a line after its last import. */
function missingImports(user: SourceFile, scaffold: SourceFile, inserted: string[], eol: string): { at: number; text: string } | undefined {
  const declared = new Set<string>();
  for (const imp of user.getImportDeclarations()) {
    imp.getNamedImports().forEach((n) => declared.add((n.getAliasNode() ?? n.getNameNode()).getText()));
    const d = imp.getDefaultImport() ?? imp.getNamespaceImport();
    if (d) declared.add(d.getText());
  }
  for (const statement of user.getStatements()) {
    if (Node.isVariableStatement(statement)) statement.getDeclarations().forEach((d) => declared.add(d.getName()));
    else if ((Node.isFunctionDeclaration(statement) || Node.isClassDeclaration(statement)) && statement.getName()) declared.add(statement.getName()!);
  }
  const used = (name: string) => inserted.some((text) => new RegExp(`(?<![\\w$])${name}(?![\\w$])`).test(text));
  const lines: string[] = [];
  for (const imp of scaffold.getImportDeclarations()) {
    if (imp.isTypeOnly()) continue;
    const names = imp
      .getNamedImports()
      .map((n) => n.getName())
      .filter((n) => !declared.has(n) && used(n));
    if (names.length) lines.push(`import { ${names.join(', ')} } from '${imp.getModuleSpecifierValue()}';`);
  }
  if (!lines.length) return undefined;
  const lastImport = user.getImportDeclarations().at(-1);
  return lastImport ? { at: lastImport.getEnd(), text: eol + lines.join(eol) } : { at: 0, text: lines.join(eol) + eol };
}

/** The object literal that implements the handler type: by its type annotation or `satisfies`, else by the scaffold's variable name. */
function handlerObject(file: SourceFile, typeName?: string, variableName?: string): { object: ObjectLiteralExpression; typeName: string; variableName: string } | undefined {
  const typeOf = (text: string) => /^(?:Partial<)?(\w+)>?$/.exec(text.replace(/\s/g, ''))?.[1];
  for (const decl of file.getVariableDeclarations()) {
    let init = decl.getInitializer();
    let type = decl.getTypeNode()?.getText();
    while (init && (Node.isSatisfiesExpression(init) || Node.isAsExpression(init) || Node.isParenthesizedExpression(init))) {
      if (!Node.isParenthesizedExpression(init)) type ??= init.getTypeNode()?.getText();
      init = init.getExpression();
    }
    if (!init || !Node.isObjectLiteralExpression(init)) continue;
    const name = type ? typeOf(type) : undefined;
    if (typeName ? name === typeName : name) return { object: init, typeName: name!, variableName: decl.getName() };
  }
  if (variableName) {
    const init = file.getVariableDeclaration(variableName)?.getInitializer();
    if (init && Node.isObjectLiteralExpression(init)) return { object: init, typeName: typeName!, variableName };
  }
  return undefined;
}

function propertyName(prop: Node): string | undefined {
  if (Node.isPropertyAssignment(prop) || Node.isShorthandPropertyAssignment(prop) || Node.isMethodDeclaration(prop)) {
    const name = prop.getNameNode();
    if (Node.isIdentifier(name)) return name.getText();
    if (Node.isStringLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name)) return name.getLiteralText();
    if (Node.isNumericLiteral(name)) return name.getLiteralText();
  }
  return undefined;
}

/** A property of the scaffold's object with the comments before it, its lines unindented. */
function stubText(scaffoldText: string, prop: Node): string {
  const comments = prop.getLeadingCommentRanges();
  const start = comments.length ? comments[0].getPos() : prop.getStart();
  const lineStart = scaffoldText.lastIndexOf('\n', start) + 1;
  const indent = scaffoldText.slice(lineStart, start);
  return scaffoldText
    .slice(start, prop.getEnd())
    .split('\n')
    .map((line, i) => (i > 0 && line.startsWith(indent) ? line.slice(indent.length) : line))
    .join('\n');
}

/** The stub at the user's indentation; with tabs, each two-space level of the scaffold becomes a tab. */
function indentStub(stub: string, indent: string, eol: string): string {
  const tabs = indent.includes('\t');
  return stub
    .split('\n')
    .map((line) => {
      if (!line) return line;
      const lead = /^ */.exec(line)![0].length;
      return indent + (tabs ? '\t'.repeat(Math.floor(lead / 2)) + ' '.repeat(lead % 2) : ' '.repeat(lead)) + line.slice(lead);
    })
    .join(eol);
}

/** The indentation of the object's properties, else one level (two spaces, or a tab) more than its line. */
function propertyIndent(text: string, object: ObjectLiteralExpression): string {
  const lineIndent = (pos: number) => /^[ \t]*/.exec(text.slice(text.lastIndexOf('\n', pos - 1) + 1))![0];
  const first = object.getProperties()[0];
  if (first) return lineIndent(first.getStart());
  const base = lineIndent(object.getStart());
  return base + (base.includes('\t') ? '\t' : '  ');
}
