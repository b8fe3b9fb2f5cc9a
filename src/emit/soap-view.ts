import type { Agreement, Interface, JsonSchema, Operation, SoapMessage, SoapPart } from '../model/agreement.js';
import { SpecError } from '../load/errors.js';
import { NameScope, camelCase, commentText, pascalCase } from '../model/names.js';
import type { SoapMessageDescriptor, SoapOperationDescriptor, SoapPartDescriptor, SoapPullDescriptor, SoapPushDescriptor, WsdlDocuments } from '../runtime/soap/descriptors.js';
import type { SoapReceiverDescriptor } from '../runtime/soap/consumer.js';
import { literal } from './render.js';
import { EMPTY_RECORD, indexed, objectType, property, ref, sampleValue, tsType, UNDEFINED, UNKNOWN, type TsType } from './ts-types.js';
import type { TypeDecl } from './view.js';

/** What the SOAP templates print, computed once from a WSDL agreement (same conventions as view.ts). */
export interface SoapView {
  types: TypeDecl[];
  provider: SoapOperationView[];
  receivers: SoapReceiverView[];
}

export interface SoapOperationView {
  id: string;
  handler: string;
  kind: 'push' | 'pull' | 'blocking' | 'oneway';
  isPush: boolean;
  isOneWay: boolean;
  /** NONBLOCK_PULL_SOAP request operation: its handler acknowledges, processes and reports status. */
  isPull: boolean;
  /** The status or result operation of a pull: served by the runtime, no handler of its own. */
  isPullStep: boolean;
  /** Pull: the body of the status operation's answer. */
  statusType?: string;
  /** Pull: the client method that submits and waits for the result. */
  awaitMethod?: string;
  doc: string[];
  requestType: string;
  inputType: string;
  inputOptional: boolean;
  /** Blocking: the output (body and header parts). */
  outputType?: string;
  /** Push: the ACK body and the callback's body. */
  ackType?: string;
  resultType?: string;
  /** Push: code of a value for the scaffold's ACK (null: none is certain to type-check). */
  ackCode: string | null;
  /** Push: the receiver path whose URL the client sends as X-ReplyTo. */
  receiverPath: string | null;
  descriptor: SoapOperationDescriptor | SoapPushDescriptor | SoapPullDescriptor;
}

export interface SoapReceiverView {
  id: string;
  handler: string;
  doc: string[];
  resultType: string;
  ackType: string;
  ackCode: string | null;
  descriptor: SoapReceiverDescriptor;
}

const REPLY_TO = /^x-?reply-?to$/i;
const CORRELATION = /^x-?correlation-?id$/i;

export function buildSoapView(agreement: Agreement): SoapView {
  const typeNames = new NameScope(agreement.schemas.keys());
  const types: TypeDecl[] = [...agreement.schemas.values()].map((s) => ({
    name: s.key,
    doc: docLines(s.description, s.specName !== s.key ? `Schema "${s.specName}" of the WSDL.` : undefined),
    type: tsType(s.schema),
  }));
  const sample = (schema: JsonSchema | undefined) => {
    const v = sampleValue(schema, agreement.schemas);
    return v === undefined ? null : literal(v);
  };
  const declare = (name: string, doc: string, type: TsType) => {
    const claimed = typeNames.claim(name);
    types.push({ name: claimed, doc: [doc], type });
    return claimed;
  };

  const receiverHandlers = new NameScope();
  const receivers: SoapReceiverView[] = (agreement.callback?.operations ?? [])
    .filter((op) => op.soap)
    .map((op) => {
      const soap = op.soap!;
      const base = pascalCase(op.id, 'Callback');
      const handler = receiverHandlers.claim(camelCase(op.id, 'callback'));
      const correlation = soap.input.headers.find(isCorrelation);
      if (!correlation) throw specError(op, `callback operation ${op.id} has no ${'X-Correlation-ID'} soap:header in its input: the consumer cannot correlate the callback`);
      const resultType = declare(`${base}Result`, `Body of the callback ${commentText(op.id)}.`, bodyType(soap.input, op.requestBody?.contents[0]?.schema));
      const outSchema = outputSchema(op);
      const ackType = declare(`${base}Ack`, `Acknowledgement of the callback ${commentText(op.id)}.`, soap.output ? bodyType(soap.output, outSchema) : UNDEFINED);
      return {
        id: op.id,
        handler,
        doc: operationDoc(op),
        resultType,
        ackType,
        ackCode: soap.output ? sample(outSchema) : 'undefined',
        descriptor: { ...descriptor(op, handler), correlationPart: correlation.name },
      };
    });

  const handlers = new NameScope();
  const handlerOf = new Map(agreement.provider.operations.map((op) => [op, handlers.claim(camelCase(op.id, 'operation'))]));
  const pulls = pullGroups(agreement.provider.operations);
  const pullSteps = new Set([...pulls.values()].flatMap((g) => [g.status, g.result]));
  const outputTypes = new Map<Operation, string>();
  const provider = agreement.provider.operations.map((op): SoapOperationView => {
    const soap = op.soap;
    if (!soap) throw specError(op, `operation ${op.id} has no SOAP binding`);
    const base = pascalCase(op.id, 'Operation');
    const handler = handlerOf.get(op)!;
    const isPush = op.pattern.pattern === 'NONBLOCK_PUSH_SOAP';
    const isOneWay = !isPush && !soap.output;
    const replyTo = isPush ? soap.input.headers.find(isReplyTo) : undefined;
    const bodySchema = op.requestBody?.contents[0]?.schema;
    const requestType = declare(`${base}Request`, `The validated request of ${commentText(op.id)}: the SOAP body and header parts, as its handler receives them.`, objectType([property('body', bodyType(soap.input, bodySchema)), property('headers', headersType(soap.input.headers))]));
    const clientHeaders = soap.input.headers.filter((h) => h !== replyTo);
    const inputOptional = soap.input.body.length === 0;
    const inputType = declare(
      `${base}Input`,
      `What a client passes to ${commentText(op.id)}.`,
      objectType([property('body', bodyType(soap.input, bodySchema), inputOptional), ...(clientHeaders.length ? [property('headers', headersType(clientHeaders), true)] : [])]),
    );
    const view: SoapOperationView = {
      id: op.id,
      handler,
      kind: isPush ? 'push' : isOneWay ? 'oneway' : 'blocking',
      isPush,
      isOneWay,
      isPull: pulls.has(op),
      isPullStep: pullSteps.has(op),
      doc: operationDoc(op),
      requestType,
      inputType,
      inputOptional,
      ackCode: null,
      receiverPath: null,
      descriptor: descriptor(op, handler),
    };
    if (isPush) {
      const callbackOp = pickCallback(agreement, op);
      const correlation = soap.output?.headers.find(isCorrelation);
      if (!replyTo || !correlation) throw specError(op, `${op.id} is NONBLOCK_PUSH_SOAP but its input has no X-ReplyTo soap:header or its output no X-Correlation-ID soap:header`);
      const receiver = receivers.find((r) => r.id === callbackOp.id)!;
      view.ackType = declare(`${base}Ack`, `The ACK body ${commentText(op.id)} answers with (step 2).`, bodyType(soap.output!, outputSchema(op)));
      view.ackCode = sample(outputSchema(op));
      view.resultType = declare(`${base}Result`, `The result ${commentText(op.id)} sends to the callback (step 3).`, ref(receiver.resultType));
      view.receiverPath = callbackOp.path;
      view.descriptor = { ...view.descriptor, replyToPart: replyTo.name, correlationPart: correlation.name, callback: receiver.descriptor };
    } else if (!isOneWay) {
      view.outputType = declare(
        `${base}Output`,
        `What ${commentText(op.id)} answers: the SOAP body and header parts.`,
        objectType([property('body', bodyType(soap.output!, outputSchema(op))), ...(soap.output!.headers.length ? [property('headers', headersType(soap.output!.headers), true)] : [])]),
      );
      outputTypes.set(op, view.outputType);
    }
    return view;
  });
  // Pull request operations: typed with their status and result operations' answers.
  for (const view of provider) {
    const op = agreement.provider.operations.find((o) => handlerOf.get(o) === view.handler)!;
    const group = pulls.get(op);
    if (!group) continue;
    const body = (o: Operation) => indexed(ref(outputTypes.get(o)!), 'body');
    const base = pascalCase(op.id, 'Operation');
    view.kind = 'pull';
    view.awaitMethod = handlers.claim(`${view.handler}Await`);
    view.ackType = declare(`${base}Ack`, `The ACK body ${commentText(op.id)} answers with, with the X-Correlation-ID header.`, body(op));
    view.statusType = declare(`${base}Status`, `What the status operation ${commentText(group.status.id)} answers.`, body(group.status));
    view.resultType = declare(`${base}Result`, `What the result operation ${commentText(group.result.id)} answers once done.`, body(group.result));
    view.ackCode = sample(outputSchema(op));
    const step = (o: Operation) => ({ handler: handlerOf.get(o)!, correlationPart: o.soap!.input.headers.find(isCorrelation)!.name });
    view.descriptor = { ...view.descriptor, correlationPart: op.soap!.output!.headers.find(isCorrelation)!.name, pull: { status: step(group.status), result: step(group.result) } };
  }
  return { types, provider, receivers };
}

/** The WSDL documents served at `?wsdl`: those the loader read, as the model carries them. */
export function wsdlDocuments(side: Interface): WsdlDocuments | undefined {
  return side.documents;
}

/**
 * NONBLOCK_PULL_SOAP groups: per portType, the request operation (X-Correlation-ID in its output
 * only) and its two follow-ups (X-Correlation-ID in their input): the one named like a status, and
 * the result. Anything less clear-cut is served as blocking request/response.
 */
/** Each NONBLOCK_PULL_SOAP request with the status and result operations the pattern module tied to it. */
function pullGroups(ops: Operation[]): Map<Operation, { status: Operation; result: Operation }> {
  const groups = new Map<Operation, { status: Operation; result: Operation }>();
  const step = (request: Operation, role: 'status' | 'result') => ops.find((o) => o.pattern.role === role && o.pattern.correlatedWith === request.id);
  for (const request of ops.filter((o) => o.pattern.pattern === 'NONBLOCK_PULL_SOAP' && o.pattern.role === 'request' && o.soap?.output)) {
    const [status, result] = [step(request, 'status'), step(request, 'result')];
    if (status?.soap?.output && result?.soap?.output) groups.set(request, { status, result });
  }
  return groups;
}

/** The callback operation a push operation calls: the only one, or the one named after its output. */
function pickCallback(agreement: Agreement, op: Operation): Operation {
  const ops = agreement.callback?.operations ?? [];
  if (ops.length === 0) {
    throw specError(op, `${op.id} is NONBLOCK_PUSH_SOAP: the provider calls the consumer's callback operation, which the callback WSDL describes; pass it with --callback <callback.wsdl> (or \`callback:\` in accordo.config.yaml)`);
  }
  if (ops.length === 1) return ops[0];
  const named = ops.find((o) => o.soap?.name === `${op.soap!.name}Response`) ?? ops.find((o) => o.soap?.input.body[0]?.element.name === op.soap!.output?.body[0]?.element.name);
  if (!named) throw specError(op, `${op.id} is NONBLOCK_PUSH_SOAP but the callback WSDL has ${ops.length} operations and none is named ${op.soap!.name}Response`);
  return named;
}

function specError(op: Operation, message: string): SpecError {
  return new SpecError(message, op.location.file, op.location.pointer, op.location.line, op.location.column);
}

const isReplyTo = (p: SoapPart) => REPLY_TO.test(p.name) || REPLY_TO.test(p.element.name);
const isCorrelation = (p: SoapPart) => CORRELATION.test(p.name) || CORRELATION.test(p.element.name);

function outputSchema(op: Operation): JsonSchema | undefined {
  return op.responses.find((r) => r.status === '200')?.contents[0]?.schema;
}

function bodyType(message: SoapMessage, schema: JsonSchema | undefined): TsType {
  if (!schema) return message.body.length ? UNKNOWN : UNDEFINED;
  return tsType(schema);
}

function headersType(parts: SoapPart[]): TsType {
  if (parts.length === 0) return EMPTY_RECORD;
  return objectType(parts.map((p) => property(p.name, tsType(p.schema), true)));
}

function docLines(...texts: (string | undefined)[]): string[] {
  return texts.filter((t): t is string => !!t && t.trim().length > 0).flatMap((t) => commentText(t).split('\n'));
}

function operationDoc(op: Operation): string[] {
  const soap = op.soap!;
  return [
    `SOAP ${soap.version} ${soap.style} operation ${commentText(soap.name)} at ${commentText(op.path)}: ${op.pattern.pattern}.`,
    ...docLines(op.summary, op.description),
    `Pattern decided by ${op.pattern.decidedBy}: ${commentText(op.pattern.facts.join('; ')) || 'request/response'}.`,
  ];
}

function part(p: SoapPart): SoapPartDescriptor {
  return { name: p.name, element: { namespace: p.element.namespace, name: p.element.name }, schema: p.schema, nillable: p.nillable };
}

function message(m: SoapMessage, schema: JsonSchema | undefined): SoapMessageDescriptor {
  return { ...(m.wrapper ? { wrapper: { namespace: m.wrapper.namespace, name: m.wrapper.name } } : {}), body: m.body.map(part), headers: m.headers.map(part), ...(schema ? { schema } : {}) };
}

/** The runtime's description of a SOAP operation (plain data, printed as JSON). */
function descriptor(op: Operation, handler: string): SoapOperationDescriptor {
  const soap = op.soap!;
  const alsoAt = [...new Set(soap.alsoExposedAt.map((e) => addressPath(e.address)))].filter((p) => p !== op.path);
  return {
    id: op.id,
    handler,
    pattern: op.pattern.pattern,
    version: soap.version,
    style: soap.style,
    soapAction: soap.soapAction,
    path: op.path,
    ...(soap.address ? { address: soap.address } : {}),
    ...(alsoAt.length ? { alsoAt } : {}),
    input: message(soap.input, op.requestBody?.contents[0]?.schema),
    ...(soap.output ? { output: message(soap.output, outputSchema(op)) } : {}),
    faults: soap.faults.map((f) => ({ name: f.name, part: part(f.part) })),
  };
}

/** The route path of a port, as the loader derives an operation's `path` from its `soap:address`. */
function addressPath(address: string | undefined): string {
  if (!address) return '/';
  try {
    return new URL(address).pathname || '/';
  } catch {
    return '/';
  }
}
