// The provider's handlers for RESTblocking. Accordo created this file once and never overwrites it:
// it is yours. When the spec gains operations, TypeScript tells you which handlers are missing.
import { ProblemError } from 'accordo/runtime';
import type { ProviderHandlers } from './generated/provider.js';

/** The resources this example knows. */
const RESOURCES = new Set([1234]);

export const handlers: ProviderHandlers = {
  /** POST /resources/{id_resource}/M: runs M at once and answers with its result. */
  m: async (request) => {
    // A missing id is a 404 naming it; a problem thrown here is sent as application/problem+json.
    if (!RESOURCES.has(request.path.id_resource)) {
      throw new ProblemError(404, `resource ${request.path.id_resource} does not exist`, { title: 'Risorsa non trovata.' });
    }
    if ((request.body?.b ?? '').length >= 32) {
      throw new ProblemError(400, "L'attributo `b` dev'essere una stringa di lunghezza inferiore a 32 caratteri.", {
        type: 'https://apidoc.ente.example/probs/invalid-a',
        title: "L'attributo `b` ha un valore non valido.",
      });
    }
    return { status: 200, body: { c: 'risultato' } };
  },
};
