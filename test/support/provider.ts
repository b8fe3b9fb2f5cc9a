import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Clock } from '../../src/runtime/clock.js';
import type { DeliveryOutcome } from '../../src/runtime/delivery.js';
import type { IncomingRequest } from '../../src/runtime/http.js';
import { registerProvider, type ProviderOptions } from '../../src/runtime/provider.js';
import type { ProcessContext } from '../../src/runtime/worker.js';
import { fastClock, providerDef } from './push.js';
import { within } from './wait.js';

export const DAY = 86_400_000;
/** Below vitest's test timeout (60 s), so that the outcome's own message is what a hang reports. */
const OUTCOME_TIMEOUT_MS = 30_000;

export interface TestProvider {
  app: FastifyInstance;
  clock: Clock;
  url: string;
  /** Handler runs per CorrelationID. */
  runs: Map<string, number>;
  logs: Record<string, unknown>[];
  outcomes: Map<string, DeliveryOutcome>;
  /** Resolves with the outcome of a CorrelationID's callback once it ends; rejects, saying so, if it has not within `timeoutMs`. */
  outcome(id: string, timeoutMs?: number): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

/**
 * A provider of the test agreement on loopback: memory store, fast clock and loopback
 * callbacks unless the options say otherwise. The handler doubles `n`.
 */
export async function startProvider(options: ProviderOptions = {}, process?: (req: IncomingRequest, ctx: ProcessContext) => unknown): Promise<TestProvider> {
  const logs: Record<string, unknown>[] = [];
  const app = Fastify({ logger: { level: 'info', stream: { write: (line: string) => void logs.push(JSON.parse(line)) } } });
  const clock = options.clock ?? fastClock();
  const runs = new Map<string, number>();
  const outcomes = new Map<string, DeliveryOutcome>();
  const waiting = new Map<string, (o: DeliveryOutcome) => void>();
  await registerProvider(
    app,
    providerDef,
    {
      submit: {
        acknowledge: () => ({ outcome: 'accepted' }),
        process: (req: IncomingRequest, ctx: ProcessContext) => {
          runs.set(ctx.correlationId, (runs.get(ctx.correlationId) ?? 0) + 1);
          if (process) return process(req, ctx);
          const n = (req.body as { n: number }).n;
          return { n, doubled: n * 2 };
        },
      },
    },
    {
      store: 'memory:',
      replyTo: { allowLoopback: true },
      ...options,
      clock,
      delivery: { leaseMs: DAY, ...options.delivery },
      onDelivery: (op, id, outcome) => {
        outcomes.set(id, outcome);
        waiting.get(id)?.(outcome);
        options.onDelivery?.(op, id, outcome);
      },
    },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return {
    app,
    clock,
    url: `http://127.0.0.1:${port}`,
    runs,
    logs,
    outcomes,
    outcome: (id, timeoutMs = OUTCOME_TIMEOUT_MS) =>
      outcomes.has(id)
        ? Promise.resolve(outcomes.get(id)!)
        : within(
            new Promise((resolve) => waiting.set(id, resolve)),
            timeoutMs,
            () => `no delivery outcome for CorrelationID ${id} (handler runs: ${runs.get(id) ?? 0}; outcomes of others: ${outcomes.size})`,
          ),
    close: () => app.close(),
  };
}
