import type { ClassifiedAgreement, PullInteraction, PushInteraction, Receiver, SubscriptionInteraction } from '../classify/index.js';
import type { JsonSchema, Operation, Parameter, Response } from '../model/agreement.js';
import { NameScope, camelCase, commentText, pascalCase } from '../model/names.js';
import type { SecurityProfile } from '../classify/security.js';
import type { OperationDescriptor, PushDescriptor, SecurityDescriptor, SubscriptionDescriptor, WebhookDescriptor } from '../runtime/descriptors.js';
import type { PullDescriptor } from '../runtime/pull.js';
import { literal } from './render.js';
import { EMPTY_RECORD, flatUnion, ref, keyword, literalType, objectType, property, sampleValue, tsType, union, UNDEFINED, UNKNOWN, type TsMember, type TsType } from './ts-types.js';

/**
 * What the templates print, computed once from the agreement: every identifier is claimed from
 * a scope (valid and collision-free), every spec string is carried as JSON or comment text.
 */
export interface AgreementView {
  types: TypeDecl[];
  provider: OperationView[];
  receivers: ReceiverView[];
  /** OpenAPI 3.1 webhooks: what the provider's `ProviderWebhooks.send` sends (their receivers are in `receivers`). */
  webhooks: WebhookDescriptor[];
  /** The type mapping each webhook's name to its payload, when the spec declares webhooks. */
  webhookPayloadsType?: string;
}

export interface TypeDecl {
  name: string;
  doc: string[];
  type: TsType;
}

export interface OperationView {
  id: string;
  handler: string;
  pattern: string;
  isPush: boolean;
  isPull: boolean;
  isOneWay: boolean;
  /** SUBSCRIPTION_REST: answered like a blocking call (`responseType`), then events (`eventsType`: callback name → event type). */
  isSubscription: boolean;
  eventsType?: string;
  /** Always false here: a REST pull group's status and result are served with its request (SOAP lists them). */
  isPullStep: false;
  doc: string[];
  requestType: string;
  inputType: string;
  inputOptional: boolean;
  /** Blocking: the union of declared responses. */
  responseType?: string;
  /** Push and pull: the 202 ACK body type and the result type (callback body, or pull result). */
  ackType?: string;
  resultType?: string;
  /** Pull: the type of the status bodies (200 while running, 303 once done). */
  statusType?: string;
  /** Client methods derived from the operation's name (claimed in the same scope as handler names). */
  resultMethod?: string;
  statusMethod?: string;
  awaitMethod?: string;
  /** Pull: code of a value for the scaffold's status body (null: none is certain to type-check). */
  statusCode?: string | null;
  /** Push: the receiver whose URL the client sends as X-ReplyTo, when one matches. */
  receiver?: ReceiverView;
  descriptor: OperationDescriptor | PushDescriptor | PullDescriptor | SubscriptionDescriptor;
  /** Push: code of a value for the scaffold's ACK (null: none is certain to type-check). */
  ackCode: string | null;
  /** Push and pull: the declared error answers, and the guard that tells a client's error is one of them. */
  errors?: ErrorView;
}

/** The error answers an operation declares: their type, and the guard a client narrows a caught error with. */
export interface ErrorView {
  type: string;
  guard: string;
  /** The exact statuses declared; `anyError` when `default` or a range (`4XX`) is declared. */
  statuses: number[];
  anyError: boolean;
}

export interface ReceiverView {
  id: string;
  handler: string;
  doc: string[];
  path: string;
  resultType: string;
  ackType: string;
  ackCode: string | null;
  /** The error answers the callback declares (what the consumer may answer instead of its ACK). */
  errorType?: string;
  /** A subscription's callback: any number of events, handled by an EventHandler (no CorrelationID of ours). */
  isEvent: boolean;
  /** Its results wait in the message box: its handler is optional. */
  messageBox: boolean;
  descriptor: OperationDescriptor & { events?: boolean; correlationParameter?: string };
}

export function buildView(classified: ClassifiedAgreement): AgreementView {
  const { agreement } = classified;
  const typeNames = new NameScope(agreement.schemas.keys());
  const types: TypeDecl[] = [...agreement.schemas.values()].map((s) => ({
    name: s.key,
    doc: docLines(s.description, s.specName !== s.key ? `Schema "${s.specName}" of the spec.` : undefined),
    type: tsType(s.schema),
  }));
  const sample = (schema: JsonSchema | undefined) => sampleValue(schema, agreement.schemas);

  const receiverHandlers = new NameScope();
  const receiverViewOf = new Map<Receiver, ReceiverView>();
  const receiverViews: ReceiverView[] = classified.receivers.map((receiver) => {
    const { op, path } = receiver;
    // A subscription's event or a webhook answers with any success it declares; a push result's ACK is a 200 first.
    const events = !!receiver.subscription || !!receiver.webhook;
    const ok = successResponse(op.responses, events ? ['200', '204', '2XX', '201', '202'] : ['200', '2XX', '201', '202', '204']);
    const bodySchema = jsonBody(op)?.schema;
    const resultType = typeNames.claim(`${pascalCase(op.id)}Result`);
    types.push({ name: resultType, doc: [`Body of the callback ${commentText(op.id)}.`], type: tsType(bodySchema) });
    const ackType = typeNames.claim(`${pascalCase(op.id)}Ack`);
    types.push({ name: ackType, doc: [`Acknowledgement of the callback ${commentText(op.id)}.`], type: bodyType(ok) });
    const handler = receiverHandlers.claim(camelCase(op.id));
    const errors = errorResponses(op.responses);
    let errorType: string | undefined;
    if (errors.length) {
      errorType = typeNames.claim(`${pascalCase(op.id)}Error`);
      types.push({ name: errorType, doc: [`The error answers the callback ${commentText(op.id)} declares.`], type: responseUnion(errors) });
    }
    const view: ReceiverView = {
      id: op.id,
      handler,
      doc: operationDoc(op, path),
      path,
      resultType,
      ackType,
      ackCode: ackCode(ok, sample),
      ...(errorType ? { errorType } : {}),
      isEvent: events,
      messageBox: !!receiver.messageBox,
      descriptor: events
        ? { ...descriptor(op, handler, path, receiver.security), events: true }
        : { ...descriptor(op, handler, path, receiver.security), ...(receiver.correlation?.in === 'query' ? { correlationParameter: receiver.correlation.name } : {}) },
    };
    receiverViewOf.set(receiver, view);
    return view;
  });

  const handlers = new NameScope();
  // A pull group's status and result operations are served with its request: one handler for the three.
  const provider = classified.interactions.map((interaction): OperationView => {
    const op = interaction.kind === 'push' || interaction.kind === 'pull' || interaction.kind === 'subscription' ? interaction.request : interaction.op;
    const base = pascalCase(op.id, 'Operation');
    const handler = handlers.claim(camelCase(op.id, 'operation'));
    const push: PushInteraction | undefined = interaction.kind === 'push' ? interaction : undefined;
    const pull: PullInteraction | undefined = interaction.kind === 'pull' ? interaction : undefined;
    const subscription: SubscriptionInteraction | undefined = interaction.kind === 'subscription' ? interaction : undefined;
    const isPush = !!push;
    const isPull = !!pull;
    const replyTo = push?.replyTo.in === 'header' ? push.replyTo.name : undefined;

    const requestType = typeNames.claim(`${base}Request`);
    types.push({ name: requestType, doc: [`The validated request of ${commentText(op.id)}, as its handler receives it.`], type: requestTypeOf(op) });
    const inputType = typeNames.claim(`${base}Input`);
    const input = inputTypeOf(op, [...(replyTo ? [replyTo] : []), ...(interaction.security?.headers ?? [])]);
    types.push({ name: inputType, doc: [`What a client passes to ${commentText(op.id)}.`], type: input.type });

    const view: OperationView = {
      id: op.id,
      handler,
      pattern: op.pattern.pattern,
      isPush,
      isPull,
      isOneWay: interaction.kind === 'oneway',
      isSubscription: !!subscription,
      isPullStep: false,
      doc: operationDoc(op, op.path),
      requestType,
      inputType,
      inputOptional: input.optional,
      descriptor: descriptor(op, handler, op.path, interaction.security),
      ackCode: null,
      errors: undefined,
    };
    if (pull) {
      const { status, result } = pull;
      const accepted = op.responses.find((r) => r.status === '202');
      view.ackType = typeNames.claim(`${base}Ack`);
      types.push({ name: view.ackType, doc: [`The ACK body of the 202 of ${commentText(op.id)}.`], type: bodyType(accepted) });
      view.ackCode = ackCode(accepted, sample);
      const statusResponses = (status?.responses ?? []).filter((r) => r.status === '200' || r.status === '303');
      view.statusType = typeNames.claim(`${base}Status`);
      types.push({
        name: view.statusType,
        doc: [`The status body of ${commentText(op.id)} (200 while running, 303 once done).`],
        type: statusResponses.length ? flatUnion(statusResponses.map(bodyType)) : UNKNOWN,
      });
      view.statusCode = status ? ackCode(statusResponses[0], sample) : 'undefined';
      view.resultType = typeNames.claim(`${base}Result`);
      types.push({ name: view.resultType, doc: [`The result of ${commentText(op.id)}.`], type: result ? bodyType(result.responses.find((r) => r.status === '200')) : UNKNOWN });
      view.statusMethod = handlers.claim(`${handler}Status`);
      view.resultMethod = handlers.claim(`${handler}Result`);
      view.awaitMethod = handlers.claim(`${handler}Await`);
      view.descriptor = { ...view.descriptor, pull: pullSteps(pull) } as PullDescriptor;
    } else if (push) {
      view.resultMethod = handlers.claim(`${handler}Result`);
      const accepted = op.responses.find((r) => r.status === '202') ?? successResponse(op.responses, ['2XX', '200']);
      view.ackType = typeNames.claim(`${base}Ack`);
      types.push({ name: view.ackType, doc: [`The ACK body of the 202 of ${commentText(op.id)}.`], type: bodyType(accepted) });
      view.ackCode = ackCode(accepted, sample);
      // What the provider sends: its own declaration of the callback, else the consumer's callback operation.
      const callbackOp = push.declared ?? push.receiver?.op;
      const resultSchema = callbackOp ? jsonBody(callbackOp)?.schema : undefined;
      view.resultType = typeNames.claim(`${base}Result`);
      types.push({ name: view.resultType, doc: [`The result ${commentText(op.id)} sends to the callback URL.`], type: tsType(resultSchema) });
      view.receiver = push.receiver ? receiverViewOf.get(push.receiver) : undefined;
      view.descriptor = {
        ...view.descriptor,
        replyToHeader: replyTo ?? '',
        ...(push.replyTo.in !== 'header' && push.replyTo.in !== 'soap-header' && op.callbacks[0]
          ? { replyTo: { address: op.callbacks[0].expression.parts, expression: op.callbacks[0].expression.raw } }
          : push.replyTo.in === 'query'
            ? // The config names the query parameter and no callback expression reads it.
              { replyTo: { address: [{ kind: 'query', name: push.replyTo.name }], expression: `{$request.query.${push.replyTo.name}}` } }
            : {}),
        ...(push.correlation.in === 'query' ? { correlationParameter: push.correlation.name } : {}),
        callback: {
          ...(callbackOp
            ? descriptor(callbackOp, 'callback', callbackOp.path, push.callbackSecurity)
            : {
                id: `${op.id} callback`,
                handler: 'callback',
                method: 'POST',
                path: '',
                pattern: 'callback',
                parameters: { path: [], query: [], header: [] },
                responses: [{ status: '200', mediaTypes: ['application/json'], headers: [] }],
              }),
          name: push.callbackName,
        },
      } as PushDescriptor;
    } else {
      view.responseType = typeNames.claim(`${base}Response`);
      types.push({ name: view.responseType, doc: [`The responses ${commentText(op.id)} declares.`], type: responseUnion(op.responses) });
    }
    if (subscription) {
      // Each callback's event is the body its declaration sends.
      const members = subscription.callbacks.map((cb) => {
        const name = typeNames.claim(`${base}${pascalCase(cb.name, 'Callback')}Event`);
        types.push({ name, doc: [`An event ${commentText(op.id)} sends to its callback ${commentText(cb.name)}.`], type: tsType(jsonBody(cb.op)?.schema) });
        return property(cb.name, ref(name));
      });
      view.eventsType = typeNames.claim(`${base}Events`);
      types.push({ name: view.eventsType, doc: [`The events of a subscription made by ${commentText(op.id)}, by callback name.`], type: objectType(members, false) });
      view.descriptor = {
        ...view.descriptor,
        subscription: {
          callbacks: subscription.callbacks.map((cb) => ({
            ...descriptor(cb.op, cb.name, ''),
            name: cb.name,
            address: op.callbacks.find((c) => c.name === cb.name)!.expression.parts,
            expression: op.callbacks.find((c) => c.name === cb.name)!.expression.raw,
            ...(cb.credential?.scheme ? { credential: { pointer: cb.credential.pointer } } : {}),
          })),
        },
      } as SubscriptionDescriptor;
    }
    // A push or pull client throws on an answer other than its 202: the declared ones are typed.
    const errors = isPush || isPull ? errorResponses(op.responses) : [];
    if (errors.length) {
      const type = typeNames.claim(`${base}Error`);
      types.push({ name: type, doc: [`The error answers ${commentText(op.id)} declares, as a client catches them.`], type: responseUnion(errors) });
      view.errors = {
        type,
        guard: handlers.claim(`is${base}Error`),
        statuses: errors.filter((r) => /^\d{3}$/.test(r.status)).map((r) => Number(r.status)),
        anyError: errors.some((r) => !/^\d{3}$/.test(r.status)),
      };
    }
    return view;
  });

  // A webhook's payload is the body its receiver takes.
  const webhooks = classified.webhooks.map((w) => ({ ...descriptor(w.op, w.name, ''), name: w.name }));
  let webhookPayloadsType: string | undefined;
  if (webhooks.length) {
    webhookPayloadsType = typeNames.claim('WebhookPayloads');
    const members = classified.webhooks.map((w) => property(w.name, ref(receiverViewOf.get(w.receiver)!.resultType)));
    types.push({ name: webhookPayloadsType, doc: ['The payload of each webhook the provider sends, by webhook name.'], type: objectType(members, false) });
  }
  return { types, provider, receivers: receiverViews, webhooks, ...(webhookPayloadsType ? { webhookPayloadsType } : {}) };
}

/** The runtime's description of a pull group's status and result: the spec's operations, or the guideline's layout (classify settles the paths). */
function pullSteps(pull: PullInteraction): PullDescriptor['pull'] {
  const defaultOp = (path: string, role: string, security?: SecurityProfile): OperationDescriptor => ({
    id: `${pull.request.id} ${role}`,
    handler: role,
    method: 'GET',
    path,
    pattern: 'NONBLOCK_PULL_REST',
    parameters: { path: [], query: [], header: [] },
    responses: [],
    ...(security ? { security: securityDescriptor(security) } : {}),
  });
  return {
    status: pull.status ? descriptor(pull.status, 'status', pull.status.path, pull.statusSecurity) : defaultOp(pull.statusPath, 'status', pull.statusSecurity),
    result: pull.result ? descriptor(pull.result, 'result', pull.result.path, pull.resultSecurity) : defaultOp(pull.resultPath, 'result', pull.resultSecurity),
    taskParam: pull.taskParam,
  };
}

function docLines(...texts: (string | undefined)[]): string[] {
  return texts.filter((t): t is string => !!t && t.trim().length > 0).flatMap((t) => commentText(t).split('\n'));
}

function operationDoc(op: Operation, path: string): string[] {
  return [
    `${op.method.toUpperCase()} ${commentText(path)} (${commentText(op.id)}): ${op.pattern.pattern}.`,
    ...docLines(op.summary, op.description),
    `Pattern decided by ${op.pattern.decidedBy}: ${commentText(op.pattern.facts.join('; '))}.`,
  ];
}

/** The body type of a response: `undefined` when it declares no content. */
function bodyType(r: Response | undefined): TsType {
  return r && r.contents.length ? tsType(jsonContent(r)?.schema) : UNDEFINED;
}

/** Code for a scaffold's ACK: a sample value of its type, `undefined` for no body, or null when none is certain. */
function ackCode(r: Response | undefined, sample: (s: JsonSchema | undefined) => unknown): string | null {
  if (!r || r.contents.length === 0) return 'undefined';
  const value = sample(jsonContent(r)?.schema);
  return value === undefined ? null : literal(value);
}

function jsonContent(r: { contents: { mediaType: string; schema?: JsonSchema }[] }) {
  return r.contents.find((c) => /json/i.test(c.mediaType)) ?? r.contents[0];
}

function jsonBody(op: Operation) {
  return op.requestBody ? jsonContent(op.requestBody) : undefined;
}

function successResponse(responses: Response[], order: string[]): Response | undefined {
  for (const s of order) {
    const r = responses.find((x) => x.status === s);
    if (r) return r;
  }
  return responses.find((r) => r.status.startsWith('2'));
}

function paramsObject(params: Parameter[], lower: boolean, allOptional = false): TsType {
  if (params.length === 0) return EMPTY_RECORD;
  return objectType(params.map((p) => property(lower ? p.name.toLowerCase() : p.name, tsType(p.schema), !p.required || allOptional)));
}

function requestTypeOf(op: Operation): TsType {
  const by = (where: Parameter['in']) => op.parameters.filter((p) => p.in === where);
  const body = jsonBody(op);
  const bodyType = op.requestBody ? tsType(body?.schema) : UNDEFINED;
  return objectType([
    property('path', paramsObject(by('path'), false)),
    property('query', paramsObject(by('query'), false)),
    property('headers', paramsObject(by('header'), true)),
    property('body', op.requestBody && !op.requestBody.required ? flatUnion([bodyType, UNDEFINED]) : bodyType),
  ]);
}

/** The client's argument: path values, optional query and headers (minus what the runtime sets), body. */
function inputTypeOf(op: Operation, managedHeaders: string[]): { type: TsType; optional: boolean } {
  const managed = new Set(managedHeaders.map((h) => h.toLowerCase()));
  const by = (where: Parameter['in']) => op.parameters.filter((p) => p.in === where && !(where === 'header' && managed.has(p.name.toLowerCase())));
  const members: TsMember[] = [];
  let optional = true;
  const add = (name: string, params: Parameter[]) => {
    if (!params.length) return;
    const required = params.some((p) => p.required);
    optional &&= !required;
    members.push(property(name, paramsObject(params, false), !required));
  };
  add('path', by('path'));
  add('query', by('query'));
  add('headers', by('header'));
  if (op.requestBody) {
    optional &&= !op.requestBody.required;
    members.push(property('body', tsType(jsonBody(op)?.schema), !op.requestBody.required));
  }
  return { type: members.length ? objectType(members) : EMPTY_RECORD, optional };
}

/** The error answers among declared responses: 4xx and 5xx (and their ranges), and `default` beside a success. */
function errorResponses(responses: Response[]): Response[] {
  const success = responses.some((r) => r.status.startsWith('2'));
  return responses.filter((r) => /^[45]/.test(r.status) || (r.status === 'default' && success));
}

/** One `{ status; body; headers }` per response, written on one line where it fits. */
function responseUnion(responses: Response[]): TsType {
  if (responses.length === 0) return objectType([property('status', keyword('number')), property('body', UNKNOWN, true)], false);
  return union(
    responses.map((r) => {
      const status: TsType = /^\d{3}$/.test(r.status) ? literalType(Number(r.status)) : keyword('number');
      const content = jsonContent(r);
      const fields = [property('status', status)];
      if (content) fields.push(property('body', tsType(content.schema)));
      if (r.headers.length)
        fields.push(
          property(
            'headers',
            paramsObject(
              r.headers.map((h) => ({ ...h, in: 'header' as const })),
              false,
            ),
            !r.headers.some((h) => h.required),
          ),
        );
      return objectType(fields, false);
    }),
  );
}

function params(list: Parameter[]) {
  return list.map((p) => ({ name: p.name, required: p.required, schema: p.schema }));
}

/** The runtime's description of an operation (plain data, printed as JSON). */
function descriptor(op: Operation, handler: string, path: string, security?: SecurityProfile): OperationDescriptor {
  const by = (where: Parameter['in']) => params(op.parameters.filter((p) => p.in === where));
  const body = jsonBody(op);
  return {
    id: op.id,
    handler,
    method: op.method.toUpperCase() as OperationDescriptor['method'],
    path,
    pattern: op.pattern.pattern,
    parameters: { path: by('path'), query: by('query'), header: by('header') },
    ...(op.requestBody ? { body: { required: op.requestBody.required, mediaTypes: op.requestBody.contents.map((c) => c.mediaType), ...(body?.schema ? { schema: body.schema } : {}) } } : {}),
    responses: op.responses.map((r) => ({
      status: r.status,
      mediaTypes: r.contents.map((c) => c.mediaType),
      ...(jsonContent(r)?.schema ? { schema: jsonContent(r)!.schema } : {}),
      headers: r.headers.map((h) => ({ name: h.name, required: h.required, schema: h.schema })),
    })),
    ...(security ? { security: securityDescriptor(security) } : {}),
  };
}

/** The profile as the runtime reads it (the patterns only: who decided and why are for inspect). */
function securityDescriptor(s: SecurityProfile): SecurityDescriptor {
  return { idAuth: s.idAuth, ...(s.integrity ? { integrity: s.integrity } : {}), ...(s.audit ? { audit: s.audit } : {}) };
}
