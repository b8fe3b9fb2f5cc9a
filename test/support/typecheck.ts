import { fileURLToPath } from 'node:url';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const RUNTIME = fileURLToPath(new URL('../../src/runtime/index.ts', import.meta.url));

/**
 * Type-checks TypeScript files (and those under directories) under `strict`, `noUnusedLocals` and `noUnusedParameters` as a NodeNext ESM project would, resolving
 * `accordo/runtime` to the runtime's source. Returns the diagnostics as text.
 */
export function typecheck(paths: string[]): string[] {
  const files = paths.flatMap(tsFiles);
  const program = ts.createProgram(files, {
    strict: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    paths: { 'accordo/runtime': [RUNTIME] },
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}:${d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

function tsFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.includes('node_modules'))
    .map((f) => join(path, f));
}
