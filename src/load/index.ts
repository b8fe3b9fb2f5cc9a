import type { Agreement, Interface } from '../model/agreement.js';
import { SchemaRegistry } from '../model/schemas.js';
import { loadOpenApi } from './openapi/index.js';
import { loadWsdl } from './wsdl/index.js';

export interface AgreementSources {
  /** The provider's spec (OpenAPI with `callbacks`, or WSDL). */
  spec: string;
  /** The consumer's callback spec, when there is one. */
  callback?: string;
}

/**
 * Loads the provider spec and the optional callback spec into one agreement model. Patterns are
 * not decided here: that is the classify stage's work (src/classify).
 */
export async function loadAgreement(sources: AgreementSources): Promise<Agreement> {
  const registry = new SchemaRegistry();
  const provider = await loadInterface(sources.spec, registry);
  const callback = sources.callback ? await loadInterface(sources.callback, registry) : undefined;
  return { provider, callback, schemas: registry.schemas };
}

function loadInterface(file: string, registry: SchemaRegistry): Promise<Interface> {
  return /\.(wsdl|xml)$/i.test(file) ? loadWsdl(file, registry) : loadOpenApi(file, registry);
}
