/**
 * OpenAPI 3.1 `webhooks`, the provider's side: requests it sends on its own, to the target its
 * options name per webhook (`webhookTargets`), not to an address a request gave.
 *
 * `send` checks the payload against the webhook's body schema and stores it as a `push` task of the
 * operation `#webhooks#<name>`; the task worker delivers it with the push engine's durability,
 * retries, dead letters and retention (the jobs are the subscription engine's, whose events are
 * the same shape: a body sent to a URL, any number of times, no CorrelationID asked for). A 2xx
 * answer (the webhook's declared success) is the ACK.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { SubscriptionDescriptor, WebhookDescriptor } from '../descriptors.js';
import { newStoredId } from '../ids.js';
import { urlRefusal, type ReplyToPolicy } from '../reply-to.js';
import type { Validators } from '../validation.js';
import type { PushJob } from '../worker.js';
import { checkBody, eventOperation, subscriptionJobs } from './subscription.js';
import { storeTask, type TaskRuntime } from './tasks.js';

/** The operation name webhook deliveries are stored under (`#webhooks#<name>`): no spec operation id starts with `#`. */
export const WEBHOOKS_OPERATION = '#webhooks';

export interface WebhookOptions {
  /**
   * The URL each webhook is sent to, by webhook name. Checked like a callback address (`replyTo`):
   * scheme and literal addresses when the provider starts, the addresses a name resolves to on every attempt.
   */
  webhookTargets?: Record<string, string>;
  /** The sender the application keeps to send webhooks (see {@link Webhooks}); generated code names it `ProviderWebhooks`. */
  webhooks?: Webhooks;
}

interface Binding {
  tasks: TaskRuntime;
  log: FastifyBaseLogger;
  validators: Validators;
  declared: Map<string, WebhookDescriptor>;
  targets: Map<string, string>;
}

/**
 * Sends the agreement's webhooks from anywhere in the application: create one, pass it as the
 * provider's `webhooks` option, keep it. `Events` maps webhook names to their payload types.
 */
export class Webhooks<Events = Record<string, unknown>> {
  private binding?: Binding;

  /** Called by the provider once its store is open. */
  bind(binding: Binding): void {
    if (this.binding && this.binding.tasks !== binding.tasks) throw new Error('this Webhooks is already bound to another provider');
    this.binding = binding;
  }

  /**
   * Stores a webhook for delivery to its configured target and resolves its delivery id (the
   * `X-Correlation-ID` it is sent with) once stored. Throws {@link InvalidEventError} for a
   * payload its schema refuses, and an Error for a webhook the spec does not declare or the
   * options give no target for.
   */
  async send<K extends keyof Events & string>(name: K, payload: Events[K]): Promise<string> {
    const b = this.binding;
    if (!b) throw new Error('Webhooks is not bound to a provider yet: pass it as the `webhooks` option of the provider and await its registration');
    const declared = b.declared.get(name);
    if (!declared) throw new TypeError(`the agreement declares no webhook ${JSON.stringify(name)} (it declares: ${[...b.declared.keys()].join(', ')})`);
    checkBody(b.validators, name, declared.body?.schema, payload, 'payload');
    const target = b.targets.get(name);
    if (!target) throw new Error(`no target for webhook ${name}: give its URL in the provider's webhookTargets option`);
    const id = newStoredId();
    const outcome = await storeTask(b.tasks, { kind: 'push', id, operation: eventOperation(WEBHOOKS_OPERATION, name), request: payload ?? null, replyTo: target }, () => b.log);
    if (outcome) throw new Error(`webhook ${name} could not be stored for delivery (${outcome}); send it again`);
    return id;
  }
}

/** The webhooks as the subscription engine's callbacks: their deliveries are its events, with a configured URL. */
function asSubscription(webhooks: WebhookDescriptor[]): SubscriptionDescriptor {
  return {
    id: WEBHOOKS_OPERATION,
    handler: 'webhooks',
    method: 'POST',
    path: '',
    pattern: 'webhook',
    parameters: { path: [], query: [], header: [] },
    responses: [],
    subscription: { callbacks: webhooks.map((w) => ({ ...w, address: [], expression: `webhookTargets.${w.name}` })) },
  };
}

/** The task jobs that deliver webhooks: one per webhook, keyed by the operation its deliveries are stored under. */
export function webhookJobs(webhooks: WebhookDescriptor[], validators: Validators, tasks: () => TaskRuntime): [string, PushJob][] {
  return subscriptionJobs(asSubscription(webhooks), validators, tasks);
}

/** Checks the configured targets like a callback address (what needs no DNS) and binds the sender to the provider's store. */
export function startWebhooks(
  webhooks: WebhookDescriptor[],
  sender: Webhooks,
  tasks: TaskRuntime,
  validators: Validators,
  log: FastifyBaseLogger,
  options: WebhookOptions & { replyTo?: ReplyToPolicy },
): void {
  const declared = new Map(webhooks.map((w) => [w.name, w]));
  const targets = new Map<string, string>();
  for (const [name, url] of Object.entries(options.webhookTargets ?? {})) {
    if (!declared.has(name)) throw new Error(`webhookTargets names ${JSON.stringify(name)}, which the agreement does not declare as a webhook (it declares: ${[...declared.keys()].join(', ')})`);
    // The policy's refusals that need no DNS (scheme, literal addresses, ports) stop the start; a name
    // is resolved and checked on every attempt by the guarded connector, as for any callback.
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new Error(`the target of webhook ${name} is refused: webhookTargets.${name} is not an absolute URL`);
    }
    const why = urlRefusal(target, options.replyTo);
    if (why) throw new Error(`the target of webhook ${name} is refused: webhookTargets.${name} ${why}`);
    targets.set(name, url);
  }
  sender.bind({ tasks, log, validators, declared, targets });
}
