import type { ClassifiedAgreement } from '../classify/index.js';
import { callbackSpecOf, fileHeader, PROVIDER_BINDING, GENERATED_DIR, lineComment, renderFiles, sharedFiles, type EmitOptions, type FileSpec, type GeneratedFile } from './index.js';
import { buildSoapView, wsdlDocuments } from './soap-view.js';

/** Emits the TypeScript of a WSDL agreement: the same files as for OpenAPI, speaking SOAP. */
export async function emitSoap(classified: ClassifiedAgreement, options: EmitOptions): Promise<GeneratedFile[]> {
  const { agreement } = classified;
  const started = performance.now();
  const view = buildSoapView(classified);
  options.onStage?.('view', performance.now() - started);
  const title = lineComment(agreement.provider.title || 'the agreement');
  const imports = (names: (string | undefined)[]) => [...new Set(names.filter((n): n is string => !!n))].sort();

  const files: FileSpec[] = sharedFiles(agreement, view.types);
  files.push({ path: `${GENERATED_DIR}/operations.ts`, template: 'soap-operations.ts.hbs', owned: true, data: { title, descriptors: view.provider.map((o) => o.descriptor) } });
  if (options.side !== 'consumer' && classified.specRole === 'provider') {
    files.push(
      {
        path: `${GENERATED_DIR}/provider.ts`,
        template: 'provider.ts.hbs',
        owned: true,
        data: {
          ...view,
          // The blocking handler returns the output message, which the runtime answers as the body.
          provider: view.provider.map((o) => ({ ...o, responseType: o.outputType, isSubscription: false })),
          subscriptionEvents: [],
          // OpenAPI 3.1 webhooks have no WSDL counterpart.
          webhooks: [],
          binding: PROVIDER_BINDING.soap,
          title,
          basePath: agreement.provider.basePath,
          typeImports: imports(view.provider.flatMap((o) => (o.isPullStep ? [] : [o.requestType, o.ackType, o.statusType, o.resultType, o.outputType]))),
          wsdl: wsdlDocuments(agreement.provider),
        },
      },
      { path: 'provider.handlers.ts', template: 'soap-provider.handlers.ts.hbs', owned: false, data: { ...view, title } },
    );
  }
  if (options.side !== 'provider') {
    files.push({
      path: `${GENERATED_DIR}/consumer.ts`,
      template: 'soap-consumer.ts.hbs',
      owned: true,
      data: {
        ...view,
        title,
        hasPush: view.provider.some((o) => o.isPush),
        callbackBasePath: callbackSpecOf(classified)?.basePath ?? '',
        typeImports: imports([...view.provider.flatMap((o) => [o.inputType, o.ackType, o.statusType, o.resultType, o.outputType]), ...view.receivers.flatMap((r) => [r.resultType, r.ackType])]),
        callbacks: view.receivers.map((r) => r.descriptor),
        hasMessageBox: view.receivers.some((r) => r.messageBox),
        wsdl: callbackSpecOf(classified) && wsdlDocuments(callbackSpecOf(classified)!),
      },
    });
    // Callback handlers only where the provider calls back.
    if (view.receivers.length)
      files.push({ path: 'consumer.handlers.ts', template: 'soap-consumer.handlers.ts.hbs', owned: false, data: { ...view, title, hasMessageBox: view.receivers.some((r) => r.messageBox) } });
  }

  return renderFiles(files, fileHeader(agreement, options.outDir), options);
}
