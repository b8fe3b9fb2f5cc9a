/**
 * The classify stage: the only code that decides each operation's interaction pattern, its role,
 * its binding and the carriers of its asynchronous data. It reads the format-neutral model the
 * loaders built and returns the classified agreement that lint, inspect and every emitter read.
 *
 * - rest.ts / soap.ts decide one operation's pattern from its shape (or an override), per binding;
 * - this module settles what needs the whole agreement: which spec is whose, the interactions
 *   (blocking, one-way, push with its receiver, pull with its status and result), the callback
 *   endpoints the consumer serves, and the structural findings (a callback spec nothing calls, a
 *   push whose receiver cannot be told...), the same whichever command meets them.
 */
import { refKey, type Agreement, type Interface, type JsonSchema, type Operation, type Pattern, type SoapMessage, type SoapPart } from '../model/agreement.js';
import { replyToHeaderOf } from '../model/expression.js';
import type { Finding, Severity } from '../model/finding.js';
import { camelCase } from '../model/names.js';
import { loadAgreement, type AgreementSources } from '../load/index.js';
import { addressCarrier, credentialCarrier, describeCarrier, type AddressCarrier, type CredentialCarrier } from './callbacks.js';
import { CORRELATION_ID, REPLY_TO, addressingDeclaration, correlationHeader, headerParameter, queryParameter, replyToHeader as replyToPart, type CarrierSettings } from './carriers.js';
import { classifyCallbackInterface, classifyInterface, detectRestPattern } from './rest.js';
import { detectSoapPatterns, type SoapShape } from './soap.js';
import { decideSecurity, SECURITY_RULES, type SecurityDecision, type SecurityOverride } from './security.js';

export { CORRELATION_ID, REPLY_TO, namesCarrier, soapHeader, type CarrierSettings } from './carriers.js';
export { SINK_CREDENTIAL, addressCarrier, describeCarrier, type AddressCarrier, type CredentialCarrier } from './callbacks.js';
export { securityPatterns, type SecurityDecision, type SecurityOverride, type SecurityProfile } from './security.js';

export type Binding = 'rest' | 'soap';

/**
 * Where an interaction's data travels: an HTTP header, a query or path parameter, a field of the
 * JSON body, a template mixing literals and those (callbacks.ts), a SOAP header part, or a
 * WS-Addressing 1.0 header (`wsa:ReplyTo/wsa:Address` for the reply address, `wsa:MessageID` on
 * the request and `wsa:RelatesTo` on the ACK and the callback for the correlation id).
 */
export type Carrier = AddressCarrier | { in: 'soap-header'; part: SoapPart } | WsAddressingCarrier;

/** A carrier in words, for inspect's rows and lint's messages. */
export function describeAnyCarrier(carrier: Carrier): string {
  if (carrier.in === 'soap-header') return `SOAP header part ${carrier.part.name} (element ${carrier.part.element.namespace ? `{${carrier.part.element.namespace}}` : ''}${carrier.part.element.name})`;
  if (carrier.in === 'ws-addressing')
    return `WS-Addressing wsa:${carrier.header === 'ReplyTo' ? 'ReplyTo/wsa:Address' : carrier.header}${carrier.header === 'RelatesTo' ? " (= the request's wsa:MessageID)" : ''}, ${carrier.declaredBy}`;
  return describeCarrier(carrier);
}

export interface WsAddressingCarrier {
  in: 'ws-addressing';
  header: 'ReplyTo' | 'MessageID' | 'RelatesTo';
  /** What asks for WS-Addressing: the binding's policy (with its line) or the config. */
  declaredBy: string;
}

export interface BlockingInteraction {
  kind: 'blocking';
  binding: Binding;
  op: Operation;
  /** What the request must carry (voucher, signature, tracking evidence); absent when nothing is declared. */
  security?: SecurityDecision;
}

export interface OneWayInteraction {
  kind: 'oneway';
  binding: Binding;
  op: Operation;
  security?: SecurityDecision;
}

export interface PushInteraction {
  kind: 'push';
  binding: Binding;
  request: Operation;
  /** The callback's name: the `callbacks` key of the provider's spec, or the receiver's id. */
  callbackName: string;
  /** REST: the provider spec's declaration of the callback operation, when it has one. */
  declared?: Operation;
  /** The consumer's endpoint the result is sent to; absent when it cannot be told (a finding says why). */
  receiver?: Receiver;
  /** Where the consumer's callback address travels in the request. */
  replyTo: Carrier;
  /** Where the CorrelationID travels in the acknowledgement. */
  correlation: Carrier;
  /** What the consumer's request (step 1) must carry. */
  security?: SecurityDecision;
  /** What the provider's callback (step 3) must carry: the callback's own declaration. */
  callbackSecurity?: SecurityDecision;
}

export interface PullInteraction {
  kind: 'pull';
  binding: Binding;
  request: Operation;
  status?: Operation;
  result?: Operation;
  /** REST: the status and result paths (the spec's, or the guideline's layout) and the task id's path parameter. */
  statusPath: string;
  resultPath: string;
  taskParam: string;
  /** SOAP: the CorrelationID part of the request's output, and of the status and result inputs. */
  correlation?: Carrier;
  statusCorrelation?: SoapPart;
  resultCorrelation?: SoapPart;
  /** What the request must carry. */
  security?: SecurityDecision;
  /** What the status and result reads must carry: their own declaration, else the request's voucher. */
  statusSecurity?: SecurityDecision;
  resultSecurity?: SecurityDecision;
}

/**
 * SUBSCRIPTION_REST: a request that answers for itself (201 + the subscription or session) and
 * whose callbacks, addressed by any runtime expression, receive any number of events over the
 * subscription's life (CAMARA's `{$request.body#/sink}`).
 */
export interface SubscriptionInteraction {
  kind: 'subscription';
  binding: 'rest';
  request: Operation;
  callbacks: SubscriptionCallback[];
  /** What the request must carry (its events carry the sink's own credential, not a voucher). */
  security?: SecurityDecision;
}

export interface SubscriptionCallback {
  /** The `callbacks` key. */
  name: string;
  /** The operation the provider calls for each event (the callback's POST). */
  op: Operation;
  /** Where the callback URL travels in the request. */
  address: AddressCarrier;
  /** A credential the request gives for the callback (`sinkCredential`), and the callback's scheme to present it by. */
  credential?: CredentialCarrier;
  /** The consumer's endpoint for these events. */
  receiver?: Receiver;
}

/**
 * An OpenAPI 3.1 webhook: a request the provider sends on its own to a target its configuration
 * names (`webhookTargets`), and that the consumer receives at its own endpoint. Not an interaction
 * of a provider operation: nothing asks for it.
 */
export interface WebhookInteraction {
  /** The `webhooks` key: what the provider's `send` and the generated types name. */
  name: string;
  /** The request the provider sends and the answers the consumer gives. */
  op: Operation;
  /** The consumer's endpoint for it (`/webhooks/<name>`). */
  receiver: Receiver;
}

export type Interaction = BlockingInteraction | OneWayInteraction | PushInteraction | PullInteraction | SubscriptionInteraction;

/** A callback endpoint the consumer serves: where the provider delivers push results (step 3). */
export interface Receiver {
  op: Operation;
  binding: Binding;
  /** Its path on the consumer: the callback spec's, or `/callbacks/<operation>/<callback>` for a callback the provider's spec declares. */
  path: string;
  /** SOAP: the input header part that carries the CorrelationID. */
  correlation?: Carrier;
  /** The push requests whose results arrive here. */
  pushes: PushInteraction[];
  /** The subscription whose events arrive here (then `pushes` is empty): no CorrelationID, any number of events. */
  subscription?: SubscriptionInteraction;
  /** The webhook that arrives here (then `pushes` is empty): no CorrelationID, any number of events, the same as a subscription's. */
  webhook?: WebhookInteraction;
  /** What a callback arriving here must carry. */
  security?: SecurityDecision;
  /** Its results wait in the consumer's message box instead of going to a handler (accordo.config.yaml `messageBox`). */
  messageBox?: boolean;
}

export interface ClassifiedAgreement {
  readonly agreement: Agreement;
  readonly binding: Binding;
  /**
   * `provider`: the spec describes the provider's API; `callback`: a callback spec given alone, which
   * describes only the endpoints where the consumer receives results.
   */
  readonly specRole: 'provider' | 'callback';
  /** One per provider operation that is served on its own (a pull group's status and result are in its request's). */
  readonly interactions: Interaction[];
  readonly receivers: Receiver[];
  /** The provider spec's OpenAPI 3.1 webhooks: what the provider sends and the consumer receives (their receivers are in `receivers`). */
  readonly webhooks: WebhookInteraction[];
  /** What classification found wrong with the agreement as a whole; `blocking` ones stop generation even with --no-lint. */
  readonly findings: ClassifyFinding[];
  /** The interaction an operation of the provider's spec takes part in. */
  interactionOf(op: Operation): Interaction | undefined;
  /** The security an operation declares (provider operations, callbacks, callback spec operations). */
  securityOf(op: Operation): SecurityDecision | undefined;
}

export interface ClassifyFinding extends Finding {
  /** The generated code cannot be written while this holds: nothing is generated, --no-lint or not. */
  blocking: boolean;
}

export interface ClassifyOptions {
  /** Pattern overrides by operation id (accordo.config.yaml `patterns`). */
  patterns?: Record<string, Pattern>;
  /** Security pattern overrides by operation id (accordo.config.yaml `security`). */
  security?: Record<string, SecurityOverride>;
  /** Callback operation ids whose results go to the consumer's message box (accordo.config.yaml `messageBox`). */
  messageBox?: readonly string[];
  /** The consumer's endpoint path of each OpenAPI 3.1 webhook, by name (accordo.config.yaml `webhookPaths`; default `/webhooks/<name>`). */
  webhookPaths?: Readonly<Record<string, string>>;
  /** Names of the carriers the spec does not tell, and WS-Addressing without a policy (accordo.config.yaml `carriers`). */
  carriers?: CarrierSettings;
}

/** The rules classification itself checks; lint's catalogue includes them. */
export const CLASSIFY_RULES = {
  'agreement/callback-unused': {
    severity: 'error',
    summary: 'a callback spec is given, and the provider spec has a push request that calls it',
    source: 'accordo: the callback spec describes where push results arrive',
  },
  'agreement/callback-receiver': {
    severity: 'error',
    summary: 'each push request has one callback operation that receives its results',
    source: 'NONBLOCK_PUSH_REST rule 3 (§3), NONBLOCK_PUSH_SOAP rule 2 (§4)',
  },
  'agreement/webhook-unsupported': {
    severity: 'warning',
    summary: "the callback spec declares no OpenAPI 3.1 webhook: the provider's spec declares what the provider sends",
    source: 'accordo (issue 17 item 1)',
  },
  'agreement/webhook-path': {
    severity: 'error',
    summary: 'each webhook `webhookPaths` names in accordo.config.yaml is a webhook of the provider spec, at a path no other endpoint of the consumer has',
    source: 'accordo: the consumer serves each webhook at its own endpoint',
  },
  'push-soap/callback-wsdl': { severity: 'error', summary: 'the agreement includes the callback WSDL', source: 'NONBLOCK_PUSH_SOAP rule 2 (§4)' },
  'push-soap/callback-correlation-id': {
    severity: 'error',
    summary: `each operation of the callback WSDL has the ${CORRELATION_ID} SOAP header in its input`,
    source: 'NONBLOCK_PUSH_SOAP rule 5 (§4)',
  },
  'agreement/message-box': {
    severity: 'error',
    summary: 'each operation `messageBox` names in accordo.config.yaml is a callback operation that receives push results',
    source: 'accordo: the message box keeps correlated results (integration guide, message box)',
  },
  ...SECURITY_RULES,
} as const satisfies Record<string, { severity: Severity; summary: string; source: string }>;

/** Loads the specs and classifies them: the front of every command. */
export async function loadClassified(sources: AgreementSources & ClassifyOptions): Promise<ClassifiedAgreement> {
  return classify(await loadAgreement(sources), sources);
}

const DEFAULT_TASK_PARAM = 'id_task';

/** Classifies an agreement the loaders built. Writes each operation's `pattern`; returns the interactions. */
export function classify(agreement: Agreement, options: ClassifyOptions = {}): ClassifiedAgreement {
  const binding: Binding = agreement.provider.source.format === 'wsdl' ? 'soap' : 'rest';
  const findings: ClassifyFinding[] = [];
  const find = (rule: keyof typeof CLASSIFY_RULES, at: Operation | Interface, message: string, fix: string, blocking: boolean) => {
    const loc = 'location' in at ? at.location : { file: at.source.file, pointer: '', line: 1, column: 1 };
    findings.push({ rule, severity: CLASSIFY_RULES[rule].severity, file: loc.file, line: loc.line ?? 1, column: loc.column ?? 1, pointer: loc.pointer, message, fix, blocking });
  };

  const { provider, callback } = agreement;
  const carriers = options.carriers ?? {};
  // A WS-Addressing push is told by its callback WSDL's `<op>Response` (soap.ts).
  const callbackOperations = callback?.source.format === 'wsdl' ? new Set(callback.operations.map((o) => o.soap?.name ?? o.id)) : undefined;
  decide(provider, 'provider', options, callbackOperations);
  if (callback) decide(callback, 'callback', options);
  // A callback spec given alone: none of its operations asks the provider for anything, and they take a CorrelationID.
  const specRole = !callback && isLoneCallbackSpec(provider, carriers) ? 'callback' : 'provider';
  if (specRole === 'callback') decide(provider, 'callback', options);

  const security = decideAllSecurity(agreement, options, findings);
  const interactions: Interaction[] = [];
  const byOp = new Map<Operation, Interaction>();
  const receivers: Receiver[] = [];
  const receiverOf = new Map<Operation, Receiver>();
  const addReceiver = (op: Operation, path: string) => {
    const correlation = binding === 'soap' ? soapCorrelation(op.soap?.input, op, 'RelatesTo', carriers) : queryCorrelation(op, carriers);
    const declared = security.get(op);
    const receiver: Receiver = { op, binding, path, ...(correlation ? { correlation } : {}), pushes: [], ...(declared ? { security: declared } : {}) };
    receivers.push(receiver);
    receiverOf.set(op, receiver);
    if (binding === 'soap' && !correlation) {
      find(
        'push-soap/callback-correlation-id',
        op,
        `the input of the callback operation ${op.id} has no ${CORRELATION_ID} SOAP header: the consumer cannot tell which request a result answers`,
        `add a soap:header part with element ${CORRELATION_ID} to the input of ${op.id} in the binding`,
        true,
      );
    }
    return receiver;
  };
  // The callback spec's operations (or the lone callback spec's) are the consumer's endpoints.
  const callbackSpec = specRole === 'callback' ? provider : callback;
  if (callbackSpec) for (const op of callbackSpec.operations) addReceiver(op, op.path);

  if (specRole === 'provider') {
    const ops = provider.operations;
    for (const op of ops) {
      const { pattern, role } = op.pattern;
      if ((pattern === 'NONBLOCK_PUSH_REST' || pattern === 'NONBLOCK_PUSH_SOAP') && role === 'request') {
        // A SOAP push without its header parts is served as request/response (lint says what is missing).
        const push = pushOf(op, binding, carriers);
        if (push) byOp.set(op, push);
      } else if (pattern === 'SUBSCRIPTION_REST' && role === 'request' && binding === 'rest') {
        byOp.set(op, subscriptionOf(op, agreement));
      } else if ((pattern === 'NONBLOCK_PULL_REST' || pattern === 'NONBLOCK_PULL_SOAP') && role === 'request') {
        // A SOAP pull request without its status and result operations is served as request/response (lint says why).
        const pull = pullOf(op, ops, binding, carriers);
        if (pull) for (const o of [op, pull.status, pull.result]) if (o) byOp.set(o, pull);
      }
    }
    for (const op of ops) {
      if (byOp.has(op)) continue;
      const oneWay = binding === 'soap' ? !op.soap?.output : op.pattern.pattern === 'ONEWAY';
      const interaction: Interaction = oneWay ? { kind: 'oneway', binding, op } : { kind: 'blocking', binding, op };
      byOp.set(op, interaction);
    }
    // Spec order: each interaction where its first operation stands.
    interactions.push(...new Set(ops.map((op) => byOp.get(op)!)));
    for (const i of interactions) {
      const declared = security.get(i.kind === 'blocking' || i.kind === 'oneway' ? i.op : i.request);
      if (declared) i.security = declared;
      if (i.kind === 'pull') {
        // A step the spec leaves undeclared (or declares without security) is read with the request's voucher.
        const inherited = declared && { idAuth: declared.idAuth, decidedBy: 'request' as const, facts: [`the status and result of ${i.request.id} are read with its voucher`], headers: [] };
        const step = (op: Operation | undefined) => (op && security.get(op)) ?? inherited;
        const [statusSecurity, resultSecurity] = [step(i.status), step(i.result)];
        if (statusSecurity) i.statusSecurity = statusSecurity;
        if (resultSecurity) i.resultSecurity = resultSecurity;
      }
    }

    // A subscription's events arrive at the endpoints its own declaration describes.
    for (const sub of interactions.filter((i): i is SubscriptionInteraction => i.kind === 'subscription')) {
      for (const cb of sub.callbacks) {
        cb.receiver = addReceiver(cb.op, `/callbacks/${camelCase(sub.request.id, 'operation')}/${camelCase(cb.name, 'callback')}`);
        cb.receiver.subscription = sub;
      }
    }
    const pushes = interactions.filter((i): i is PushInteraction => i.kind === 'push');
    // Without a callback spec, a REST push's callback is the one its own declaration describes.
    if (!callbackSpec) {
      for (const push of pushes) {
        if (push.declared) push.receiver = addReceiver(push.declared, `/callbacks/${camelCase(push.request.id, 'operation')}/${camelCase(push.callbackName, 'callback')}`);
      }
    } else {
      for (const push of pushes) push.receiver = bindReceiver(push, receivers, binding);
    }
    for (const push of pushes) {
      // The callback's profile: the consumer's endpoint declares it, else the provider's declaration of the callback.
      const callbackSecurity = (push.receiver && security.get(push.receiver.op)) ?? (push.declared && security.get(push.declared));
      if (callbackSecurity) {
        push.callbackSecurity = callbackSecurity;
        if (push.receiver) push.receiver.security ??= callbackSecurity;
      }
      if (push.receiver) {
        // The consumer reads the correlation id where the provider puts it (a query parameter of the callback).
        if (binding === 'rest' && push.correlation.in === 'query') push.receiver.correlation = push.correlation;
        push.receiver.pushes.push(push);
        if (!push.declared) push.callbackName = push.receiver.op.id;
        continue;
      }
      if (binding === 'soap' && !callback) {
        find(
          'push-soap/callback-wsdl',
          push.request,
          `${push.request.id} is NONBLOCK_PUSH_SOAP but the agreement has no callback WSDL: the provider calls the consumer's callback operation, which the callback WSDL describes`,
          'pass the callback WSDL too (--callback <file>, or `callback:` in accordo.config.yaml)',
          true,
        );
      } else if (callbackSpec && receivers.length > 0) {
        find(
          'agreement/callback-receiver',
          push.request,
          `cannot tell which operation of the callback spec receives the results of ${push.request.id}: ${receivers.length} operations, none ${binding === 'soap' ? `named ${push.request.soap?.name}Response or taking its output's element` : 'taking the body its callback declares'}`,
          binding === 'soap'
            ? `name the callback operation ${push.request.soap?.name}Response`
            : `give the callback operation the body schema of ${push.request.id}'s callback (or keep one operation per result type)`,
          binding === 'soap',
        );
      }
    }
    // Judged on the decided patterns: a push request that cannot be served as one (lint says why) still calls the callback.
    const pushRequests = ops.filter((op) => op.pattern.role === 'request' && (op.pattern.pattern === 'NONBLOCK_PUSH_REST' || op.pattern.pattern === 'NONBLOCK_PUSH_SOAP'));
    if (callback && pushRequests.length === 0) {
      find(
        'agreement/callback-unused',
        callback.operations[0] ?? callback,
        `the callback spec ${callback.source.file} is given, but no operation of ${provider.source.file} is a push request (${binding === 'soap' ? `input soap:header ${REPLY_TO} and output soap:header ${CORRELATION_ID}` : `${REPLY_TO} header or callbacks`}): nothing sends results to it`,
        'leave out the callback spec, or declare the push request in the provider spec',
        false,
      );
    }
  }

  // The provider spec's webhooks: sent by the provider to a configured target, received by the consumer.
  const webhooks: WebhookInteraction[] = [];
  if (binding === 'rest') {
    const paths = new Set(receivers.map((r) => r.path));
    for (const declared of provider.webhooks ?? []) {
      const { name, op } = declared;
      const configured = Object.hasOwn(options.webhookPaths ?? {}, name) ? options.webhookPaths![name] : undefined;
      const claimed = configured ?? `/webhooks/${camelCase(name, 'webhook')}`;
      // Two methods of one webhook (or two names that read the same) get their own endpoints.
      if (configured && paths.has(configured)) {
        find(
          'agreement/webhook-path',
          op,
          `webhookPaths gives webhook ${name} the path ${configured}, which another endpoint of the consumer has already`,
          `give webhook ${name} a path of its own in \`webhookPaths:\` of accordo.config.yaml`,
          true,
        );
      }
      const path = paths.has(claimed) ? `${claimed}/${op.method}` : claimed;
      paths.add(path);
      op.pattern = {
        pattern: 'BLOCK_REST',
        decidedBy: 'shape',
        facts: [`OpenAPI 3.1 webhook ${name}: the provider sends it to the target its options name (webhookTargets.${name}), the consumer receives it at ${path}`],
        role: 'callback',
      };
      const receiver = addReceiver(op, path);
      const webhook: WebhookInteraction = { name, op, receiver };
      receiver.webhook = webhook;
      webhooks.push(webhook);
    }
  }
  const webhookNames = new Set((provider.webhooks ?? []).map((w) => w.name));
  for (const name of Object.keys(options.webhookPaths ?? {})) {
    if (webhookNames.has(name) && binding === 'rest') continue;
    find(
      'agreement/webhook-path',
      provider,
      `webhookPaths names ${JSON.stringify(name)}, which is not a webhook of ${provider.source.file} (${webhookNames.size ? `those are: ${[...webhookNames].join(', ')}` : 'it declares none'})`,
      'name webhooks of the provider spec in `webhookPaths:` of accordo.config.yaml',
      true,
    );
  }
  // A callback spec's webhooks describe nothing the provider sends: said once per webhook rather than left out in silence.
  for (const spec of [callback]) {
    for (const webhook of spec?.webhooks ?? []) {
      findings.push({
        rule: 'agreement/webhook-unsupported',
        severity: CLASSIFY_RULES['agreement/webhook-unsupported'].severity,
        file: webhook.location.file,
        line: webhook.location.line ?? 1,
        column: webhook.location.column ?? 1,
        pointer: webhook.location.pointer,
        message: `webhook ${webhook.name} (${webhook.method.toUpperCase()}) is declared in the callback spec, but webhooks are what the provider sends: only the provider spec's webhooks are generated, this one is left out`,
        fix: "declare the webhook under `webhooks` of the provider's spec",
        blocking: false,
      });
    }
  }

  // The message box keeps correlated push results: a subscription's events have no CorrelationID to be found by.
  for (const id of options.messageBox ?? []) {
    const receiver = receivers.find((r) => r.op.id === id && !r.subscription && !r.webhook);
    if (receiver) receiver.messageBox = true;
    else {
      const names = receivers.filter((r) => !r.subscription && !r.webhook).map((r) => r.op.id);
      find(
        'agreement/message-box',
        callbackSpec ?? provider,
        `messageBox names ${JSON.stringify(id)}, which is not a callback operation that receives push results (${names.length ? `those are: ${names.join(', ')}` : 'the agreement has none'})`,
        'name callback operation ids in `messageBox:` of accordo.config.yaml',
        true,
      );
    }
  }

  return {
    agreement,
    binding,
    specRole,
    interactions,
    receivers,
    webhooks,
    findings,
    interactionOf: (op) => byOp.get(op),
    securityOf: (op) => security.get(op),
  };
}

/** The declared security of every REST operation, its callbacks' and the callback spec's; findings for what is wrong. */
function decideAllSecurity(agreement: Agreement, options: ClassifyOptions, findings: ClassifyFinding[]): Map<Operation, SecurityDecision> {
  const decisions = new Map<Operation, SecurityDecision>();
  const overrides = new Map(Object.entries(options.security ?? {}));
  for (const iface of [agreement.provider, agreement.callback]) {
    if (!iface) continue;
    const visit = (op: Operation) => {
      const decision = decideSecurity(op, iface, overrides.get(op.id), (f) => {
        const pointer = f.pointer ?? f.at.pointer;
        findings.push({
          rule: f.rule,
          severity: SECURITY_RULES[f.rule].severity,
          file: f.at.file,
          line: f.at.line ?? 1,
          column: f.at.column ?? 1,
          pointer,
          message: f.message,
          fix: f.fix,
          blocking: false,
        });
      });
      if (decision) decisions.set(op, decision);
      // A subscription's events present the sink's own credential (sinkCredential) under its bearer
      // scheme, not a PDND voucher: its callbacks have no ModI profile (their findings are still reported).
      const subscription = op.pattern.pattern === 'SUBSCRIPTION_REST' && op.pattern.role === 'request';
      for (const cb of op.callbacks) cb.operations.forEach(subscription ? (o) => (visit(o), decisions.delete(o)) : visit);
    };
    iface.operations.forEach(visit);
  }
  return decisions;
}

/** Decides the pattern of every operation of one interface (and of the callbacks its operations declare). */
function decide(iface: Interface, role: 'provider' | 'callback', options: ClassifyOptions, callbackOperations?: ReadonlySet<string>): void {
  // Own keys only: an operation called `constructor` must not find Object.prototype's.
  const overrides: Record<string, Pattern> = Object.fromEntries(Object.entries(options.patterns ?? {}));
  Object.setPrototypeOf(overrides, null);
  if (iface.source.format === 'wsdl') {
    const shapes = iface.operations as SoapShape[];
    const decisions = detectSoapPatterns(shapes, role, overrides, { ...(options.carriers ? { carriers: options.carriers } : {}), ...(callbackOperations ? { callbackOperations } : {}) });
    iface.operations.forEach((op, i) => (op.pattern = decisions[i]));
    return;
  }
  const visit = (op: Operation) => {
    op.pattern = detectRestPattern(op, overrides[op.id]);
    for (const cb of op.callbacks) cb.operations.forEach(visit);
  };
  iface.operations.forEach(visit);
  classifyInterface(iface.operations);
  if (role === 'callback') classifyCallbackInterface(iface.operations);
}

/**
 * Whether a spec given without a callback spec describes callback endpoints: no operation of it is a
 * push or pull request, and some receive a CorrelationID (REST: a POST with the header parameter;
 * SOAP: an input header part).
 */
function isLoneCallbackSpec(iface: Interface, carriers: CarrierSettings): boolean {
  const ops = iface.operations;
  if (ops.length === 0 || ops.some((op) => op.pattern.role === 'request' || op.pattern.decidedBy !== 'shape')) return false;
  if (iface.source.format === 'wsdl') return ops.some((op) => correlationHeader(op.soap?.input, carriers)) && !ops.some((op) => correlationHeader(op.soap?.output, carriers));
  return ops.some((op) => op.pattern.role === 'callback');
}

function pushOf(op: Operation, binding: Binding, carriers: CarrierSettings): PushInteraction | undefined {
  if (binding === 'soap') {
    const replyTo = soapReplyTo(op, carriers);
    const correlation = soapCorrelation(op.soap?.output, op, 'RelatesTo', carriers);
    if (!replyTo || !correlation) return undefined;
    return { kind: 'push', binding, request: op, callbackName: `${op.soap?.name ?? op.id}Response`, replyTo, correlation };
  }
  const cb = op.callbacks[0];
  const declared = cb?.operations.find((o) => o.method === 'post') ?? cb?.operations[0];
  return {
    kind: 'push',
    binding,
    request: op,
    callbackName: cb?.name ?? 'callback',
    ...(declared ? { declared } : {}),
    replyTo: replyToCarrier(op, carriers),
    correlation: (declared && restCorrelation(declared, carriers)) ?? { in: 'header', name: CORRELATION_ID },
  };
}

/** Where a SOAP request carries the reply address: a declared header part (carriers.ts), else WS-Addressing's `wsa:ReplyTo` when the operation speaks it. */
function soapReplyTo(op: Operation, carriers: CarrierSettings): Carrier | undefined {
  const part = replyToPart(op.soap?.input, carriers);
  if (part) return { in: 'soap-header', part };
  const declaredBy = addressingDeclaration(op, carriers);
  return declaredBy ? { in: 'ws-addressing', header: 'ReplyTo', declaredBy } : undefined;
}

/** Where a SOAP message carries the correlation id: a declared header part, else WS-Addressing (`wsa:RelatesTo` on answers and callbacks). */
function soapCorrelation(message: SoapMessage | undefined, op: Operation, header: 'RelatesTo', carriers: CarrierSettings): Carrier | undefined {
  const part = correlationHeader(message, carriers);
  if (part) return { in: 'soap-header', part };
  const declaredBy = addressingDeclaration(op, carriers);
  return declaredBy ? { in: 'ws-addressing', header, declaredBy } : undefined;
}

/** A REST callback's correlation id when it travels as a query parameter. */
function queryCorrelation(callback: Operation, carriers: CarrierSettings): Carrier | undefined {
  const carrier = restCorrelation(callback, carriers);
  return carrier?.in === 'query' ? carrier : undefined;
}

/**
 * Where a REST callback carries the correlation id when not in the `X-Correlation-ID` header: a
 * query parameter it declares under that name, `correlationId`, or the name the config gives.
 */
function restCorrelation(callback: Operation, carriers: CarrierSettings): Carrier | undefined {
  // Headers other than X-Correlation-ID are not carriers: the runtime sends and reads that one.
  if (headerParameter(callback, CORRELATION_ID)) return { in: 'header', name: CORRELATION_ID };
  for (const name of [carriers.correlationId, CORRELATION_ID, 'correlationId'].filter((n): n is string => !!n)) {
    if (queryParameter(callback, name)) return { in: 'query', name };
  }
  return undefined;
}

/**
 * Where a REST push request carries its callback URL: the declared X-ReplyTo header, else where the
 * callback's expression reads it (a header, a query parameter, a body field: Vonage's
 * `{$request.body#/callback}` with a 202), else X-ReplyTo.
 */
function replyToCarrier(op: Operation, carriers: CarrierSettings): Carrier {
  const cb = op.callbacks[0];
  if (headerParameter(op, REPLY_TO) || (!cb && !carriers.replyTo)) return { in: 'header', name: replyToHeader(op) };
  // The config names the query parameter or header the request carries it in.
  if (carriers.replyTo && queryParameter(op, carriers.replyTo)) return { in: 'query', name: carriers.replyTo };
  if (carriers.replyTo && headerParameter(op, carriers.replyTo)) return { in: 'header', name: headerParameter(op, carriers.replyTo)!.name };
  if (!cb) return { in: 'header', name: replyToHeader(op) };
  return addressCarrier(cb.expression);
}

/** The request header that carries the callback URL: the one the callback expression names, else the declared X-ReplyTo, else X-ReplyTo. */
function replyToHeader(op: Operation): string {
  for (const cb of op.callbacks) {
    const h = replyToHeaderOf(cb.expression);
    if (h) return h;
  }
  return headerParameter(op, REPLY_TO)?.name ?? REPLY_TO;
}

function subscriptionOf(request: Operation, agreement: Agreement): SubscriptionInteraction {
  const callbacks: SubscriptionCallback[] = [];
  for (const cb of request.callbacks) {
    // One POST per callback carries the events (the first operation, when it declares no POST).
    const op = cb.operations.find((o) => o.method === 'post') ?? cb.operations[0];
    if (!op) continue;
    const credential = credentialCarrier(request, op, agreement);
    callbacks.push({ name: cb.name, op, address: addressCarrier(cb.expression), ...(credential ? { credential } : {}) });
  }
  return { kind: 'subscription', binding: 'rest', request, callbacks };
}

function pullOf(request: Operation, ops: Operation[], binding: Binding, carriers: CarrierSettings): PullInteraction | undefined {
  const step = (role: 'status' | 'result') => ops.find((o) => o.pattern.role === role && o.pattern.correlatedWith === request.id);
  const status = step('status');
  const result = step('result');
  if (binding === 'soap') {
    if (!request.soap?.output || !status?.soap?.output || !result?.soap?.output) return undefined;
    // The CorrelationID parts soap.ts recognised the group by: X-Correlation-ID, CorrelationID or the config's name.
    const [correlation, statusCorrelation, resultCorrelation] = [
      correlationHeader(request.soap.output, carriers),
      correlationHeader(status.soap.input, carriers),
      correlationHeader(result.soap.input, carriers),
    ];
    if (!correlation || !statusCorrelation || !resultCorrelation) return undefined;
    return {
      kind: 'pull',
      binding,
      request,
      status,
      result,
      statusPath: status.path,
      resultPath: result.path,
      taskParam: '',
      correlation: { in: 'soap-header', part: correlation },
      statusCorrelation,
      resultCorrelation,
    };
  }
  // The guideline's layout when the spec declares no status or result: <request>/{id_task} and <status>/result.
  const statusPath = status?.path ?? `${request.path.replace(/\/+$/, '')}/{${DEFAULT_TASK_PARAM}}`;
  const requestParams = new Set([...request.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
  const taskParam =
    [...statusPath.matchAll(/\{([^}]+)\}/g)]
      .map((m) => m[1])
      .filter((p) => !requestParams.has(p))
      .pop() ?? DEFAULT_TASK_PARAM;
  const resultPath = result?.path ?? `${statusPath.replace(/\/+$/, '')}/result`;
  return { kind: 'pull', binding, request, ...(status ? { status } : {}), ...(result ? { result } : {}), statusPath, resultPath, taskParam };
}

/**
 * The callback spec's operation that receives a push's results. REST: the one whose body is the
 * body the provider's declaration of the callback sends, else the only one. SOAP: the one named
 * `<operation>Response` (the ModI convention, MRequest → MRequestResponse), else the one whose input
 * is the request's output element, else the only one.
 */
function bindReceiver(push: PushInteraction, receivers: Receiver[], binding: Binding): Receiver | undefined {
  if (binding === 'soap') {
    const name = push.request.soap?.name;
    const out = push.request.soap?.output?.body[0]?.element.name;
    return (
      receivers.find((r) => r.op.soap?.name === `${name}Response`) ??
      (out ? receivers.find((r) => r.op.soap?.input.body[0]?.element.name === out) : undefined) ??
      (receivers.length === 1 ? receivers[0] : undefined)
    );
  }
  const key = push.declared ? bodyKey(push.declared) : undefined;
  const byBody = key ? receivers.filter((r) => bodyKey(r.op) === key) : [];
  if (byBody.length === 1) return byBody[0];
  return receivers.length === 1 ? receivers[0] : undefined;
}

function bodyKey(op: Operation): string | undefined {
  const contents = op.requestBody?.contents ?? [];
  const schema: JsonSchema | undefined = (contents.find((c) => /json/i.test(c.mediaType)) ?? contents[0])?.schema;
  return schema ? refKey(schema) : undefined;
}
