import { basename, posix, relative, sep } from 'node:path';
import type { Agreement } from '../model/agreement.js';
import { commentText } from '../model/names.js';
import { GENERATED_DIR, GENERATED_MARK, type EmitOptions, type GeneratedFile } from './index.js';
import { format, render } from './render.js';
import { buildSoapView, wsdlDocuments } from './soap-view.js';

const lineComment = (text: string) => commentText(text).replace(/\s+/g, ' ');

/** Emits the TypeScript of a WSDL agreement: the same files as for OpenAPI, speaking SOAP. */
export async function emitSoap(agreement: Agreement, options: EmitOptions): Promise<GeneratedFile[]> {
  const view = buildSoapView(agreement);
  const specs = [agreement.provider.source.file, agreement.callback?.source.file]
    .filter((f): f is string => !!f)
    .map((f) => relative(options.outDir, f).split(sep).join(posix.sep) || basename(f));
  const header = [
    `// ${GENERATED_MARK} from ${specs.map(lineComment).join(' and ')}. Do not edit:`,
    '// `accordo generate` rewrites this file whenever the specs change. Your code goes in the *.handlers.ts files.',
  ].join('\n');
  const title = lineComment(agreement.provider.title || 'the agreement');
  const defs = Object.fromEntries([...agreement.schemas.values()].map((s) => [s.key, s.schema]));
  const imports = (names: (string | undefined)[]) => [...new Set(names.filter((n): n is string => !!n))].sort();

  const files: { path: string; template: string; owned: boolean; data: object }[] = [
    { path: `${GENERATED_DIR}/types.ts`, template: 'types.ts.hbs', owned: true, data: { types: view.types } },
    { path: `${GENERATED_DIR}/schemas.ts`, template: 'schemas.ts.hbs', owned: true, data: { defs } },
  ];
  if (options.side !== 'consumer') {
    files.push(
      {
        path: `${GENERATED_DIR}/provider.ts`,
        template: 'soap-provider.ts.hbs',
        owned: true,
        data: {
          ...view,
          title,
          basePath: agreement.provider.basePath,
          typeImports: imports(view.provider.flatMap((o) => (o.isPullStep ? [] : [o.requestType, o.ackType, o.statusType, o.resultType, o.outputType]))),
          descriptors: view.provider.map((o) => o.descriptor),
          wsdl: wsdlDocuments(agreement.provider.source.file),
        },
      },
      { path: 'provider.handlers.ts', template: 'soap-provider.handlers.ts.hbs', owned: false, data: { ...view, title } },
    );
  }
  if (options.side !== 'provider') {
    files.push(
      {
        path: `${GENERATED_DIR}/consumer.ts`,
        template: 'soap-consumer.ts.hbs',
        owned: true,
        data: {
          ...view,
          title,
          callbackBasePath: agreement.callback?.basePath ?? '',
          typeImports: imports([...view.provider.flatMap((o) => [o.inputType, o.ackType, o.resultType, o.outputType]), ...view.receivers.flatMap((r) => [r.resultType, r.ackType])]),
          descriptors: view.provider.map((o) => o.descriptor),
          callbacks: view.receivers.map((r) => r.descriptor),
          wsdl: agreement.callback ? wsdlDocuments(agreement.callback.source.file) : undefined,
        },
      },
    );
    // Callback handlers only where the provider calls back.
    if (view.receivers.length) files.push({ path: 'consumer.handlers.ts', template: 'soap-consumer.handlers.ts.hbs', owned: false, data: { ...view, title } });
  }

  return Promise.all(
    files.map(async (f) => {
      const body = render(f.template, { ...f.data, header });
      return { path: f.path, owned: f.owned, contents: await format(f.owned ? `${header}\n\n${body}` : body) };
    }),
  );
}
