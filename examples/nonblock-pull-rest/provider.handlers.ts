// The provider's handlers for RESTbusywaiting. Accordo created this file once and never overwrites it:
// it is yours. When the spec gains operations, TypeScript tells you which handlers are missing.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProviderHandlers } from './generated/provider.js';

/** How long M takes in this example, so that a status check sees it running. */
export const PROCESSING_MS = 300;

export const handlers: ProviderHandlers = {
  /** POST /resources/{id_resource}/M: takes M in charge (202 + Location), computes it, serves its status and result. */
  pushMessage: {
    // Step 2: the ACK body of the 202, sent with the Location of the status resource.
    acknowledge: (_request, ctx) => ({ status: 'accepted', message: 'Preso carico della richiesta', id: ctx.taskId }),
    // The result, computed after the 202; the status resource answers 303 once it is ready.
    process: async () => {
      await sleep(PROCESSING_MS);
      return { c: 'OK' };
    },
    // Step 4: 200 while the task runs (4a), 303 once it is done (4b).
    status: (task) =>
      task.state === 'done'
        ? { status: 'done', message: 'Processamento completo' }
        : task.state === 'failed'
          ? { status: 'failed', message: task.failure }
          : { status: 'processing', message: 'Richiesta in fase di processamento' },
  },
};
