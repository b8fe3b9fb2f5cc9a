import type { Agreement, Interface, Pattern } from '../model/agreement.js';
import { classifyCallbackInterface } from '../model/pattern.js';
import { SchemaRegistry } from '../model/schemas.js';
import { loadOpenApi } from './openapi/index.js';
import { loadWsdl } from './wsdl/index.js';

export interface AgreementSources {
  /** The provider's spec (OpenAPI with `callbacks`). */
  spec: string;
  /** The consumer's callback spec, when there is one. */
  callback?: string;
  /** Pattern overrides by operation id. */
  patterns?: Record<string, Pattern>;
}

/** Loads the provider spec and the optional callback spec into one agreement model. */
export async function loadAgreement(sources: AgreementSources): Promise<Agreement> {
  const registry = new SchemaRegistry();
  const provider = await loadInterface(sources.spec, registry, sources);
  const callback = sources.callback ? await loadInterface(sources.callback, registry, sources) : undefined;
  // The callback spec's operations are where the consumer receives push results (step 3);
  // the WSDL loader recognises SOAP receivers itself.
  if (callback && callback.source.format === 'openapi') callback.operations = classifyCallbackInterface(callback.operations);
  return { provider, callback, schemas: registry.schemas };
}

function loadInterface(file: string, registry: SchemaRegistry, sources: AgreementSources): Promise<Interface> {
  if (/\.(wsdl|xml)$/i.test(file)) {
    // The callback WSDL's receiver operation is recognised by its role, not only by its shape.
    const role = file === sources.callback && file !== sources.spec ? 'callback' : 'provider';
    return loadWsdl(file, registry, { patterns: sources.patterns, role });
  }
  return loadOpenApi(file, registry, { patterns: sources.patterns });
}
