import { Project, ts } from 'ts-morph';
import { fileURLToPath } from 'node:url';

const RUNTIME = fileURLToPath(new URL('../../src/runtime/index.ts', import.meta.url));

/** Type-checks TypeScript files under `strict`, resolving `accordo/runtime` to the runtime's source. Returns the diagnostics as text. */
export function typecheck(files: string[]): string[] {
  const project = new Project({
    compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: true,
      noEmit: true,
      types: ['node'],
      paths: { 'accordo/runtime': [RUNTIME] },
    },
  });
  project.addSourceFilesAtPaths(files);
  return project
    .getPreEmitDiagnostics()
    .map((d) => `${d.getSourceFile()?.getFilePath() ?? ''}:${d.getLineNumber() ?? ''} ${ts.flattenDiagnosticMessageText(d.getMessageText() as string | ts.DiagnosticMessageChain, '\n')}`);
}
