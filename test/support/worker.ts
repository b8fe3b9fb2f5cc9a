import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../src/runtime/clock.js';
import { DEFAULT_RETRY, type DeliveryOutcome } from '../../src/runtime/delivery.js';
import type { Store } from '../../src/runtime/store/types.js';
import type { WorkerOptions } from '../../src/runtime/worker.js';

const DAY = 86_400_000;

/** The owner name of the worker under test: its leases' owner. */
export const TEST_OWNER = 'worker-under-test';

/** The retry policy of a worker under test: a second between attempts, two at most. */
export const TEST_RETRY = { ...DEFAULT_RETRY, baseDelayMs: 1000, maxDelayMs: 2000, minDelayMs: 1000 };
/** Two callbacks in flight per target, no growth; a circuit opens after three failures. */
export const TEST_TARGETS = { perTarget: 2, maxPerTarget: 2, circuitFailures: 3, circuitOpenMs: 60_000 };

/**
 * The options of a TaskWorker alone under test (the worker tests' common ground): leases and
 * retention of a day, a one-second poll, four handler slots, and every delivery outcome kept in
 * `outcomes`; `overrides` replace any of them.
 */
export function workerOptions(store: Store, log: FastifyBaseLogger, clock: Clock, outcomes: Map<string, DeliveryOutcome>, overrides: Partial<WorkerOptions> = {}): WorkerOptions {
  return {
    store,
    log,
    clock,
    owner: TEST_OWNER,
    retry: TEST_RETRY,
    retentionMs: DAY,
    leaseMs: DAY,
    pollMs: 1000,
    sweepMs: DAY,
    handlerConcurrency: 4,
    deliveryConcurrency: 32,
    targets: TEST_TARGETS,
    maxAnswerBytes: 65_536,
    outbound: {},
    replyTo: {},
    onDelivery: (_op, id, outcome) => outcomes.set(id, outcome),
    ...overrides,
  };
}
