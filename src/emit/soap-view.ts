import type { Carrier, ClassifiedAgreement, PullInteraction, Receiver } from '../classify/index.js';
import type { Interface, JsonSchema, Operation, SoapMessage, SoapPart } from '../model/agreement.js';
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
  /** Its results wait in the message box: its handler is optional. */
  messageBox: boolean;
  descriptor: SoapReceiverDescriptor;
}

/** A carrier the classify stage found: a SOAP header part's name, or `''` for WS-Addressing (see `addressing`). */
const partName = (carrier: Carrier | undefined) => (carrier?.in === 'soap-header' ? carrier.part.name : '');

/**
 * When the carrier is WS-Addressing: the `wsa:Action`s of the operation's messages (the loader's,
 * from the WSDL; the soapAction when only the config asks for WS-Addressing).
 */
const addressing = (carrier: Carrier | undefined, op: Operation) =>
  carrier?.in === 'ws-addressing' ? { addressing: op.soap!.addressing?.actions ?? { input: op.soap!.soapAction, ...(op.soap!.output ? { output: op.soap!.soapAction } : {}) } } : {};

export function buildSoapView(classified: ClassifiedAgreement): SoapView {
  const { agreement } = classified;
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
  const receiverViewOf = new Map<Receiver, SoapReceiverView>();
  const receivers: SoapReceiverView[] = classified.receivers.map((receiver) => {
    const { op } = receiver;
    const soap = op.soap!;
    const base = pascalCase(op.id, 'Callback');
    const handler = receiverHandlers.claim(camelCase(op.id, 'callback'));
    const resultType = declare(`${base}Result`, `Body of the callback ${commentText(op.id)}.`, bodyType(soap.input, op.requestBody?.contents[0]?.schema));
    const outSchema = outputSchema(op);
    const ackType = declare(`${base}Ack`, `Acknowledgement of the callback ${commentText(op.id)}.`, soap.output ? bodyType(soap.output, outSchema) : UNDEFINED);
    const view: SoapReceiverView = {
      id: op.id,
      handler,
      doc: operationDoc(op),
      resultType,
      ackType,
      ackCode: soap.output ? sample(outSchema) : 'undefined',
      messageBox: !!receiver.messageBox,
      descriptor: { ...descriptor(op, handler), correlationPart: partName(receiver.correlation), ...addressing(receiver.correlation, op) },
    };
    receiverViewOf.set(receiver, view);
    return view;
  });

  const handlers = new NameScope();
  const handlerOf = new Map(agreement.provider.operations.map((op) => [op, handlers.claim(camelCase(op.id, 'operation'))]));
  const pulls = new Map<Operation, PullInteraction>();
  for (const i of classified.interactions) if (i.kind === 'pull') pulls.set(i.request, i);
  const pullSteps = new Set([...pulls.values()].flatMap((g) => [g.status, g.result]));
  const outputTypes = new Map<Operation, string>();
  const provider =
    classified.specRole === 'callback'
      ? []
      : agreement.provider.operations.map((op): SoapOperationView => {
          const soap = op.soap!;
          const base = pascalCase(op.id, 'Operation');
          const handler = handlerOf.get(op)!;
          const interaction = classified.interactionOf(op);
          const push = interaction?.kind === 'push' ? interaction : undefined;
          const isPush = !!push;
          const isOneWay = interaction?.kind === 'oneway';
          const replyTo = push?.replyTo.in === 'soap-header' ? push.replyTo.part : undefined;
          const bodySchema = op.requestBody?.contents[0]?.schema;
          const requestType = declare(
            `${base}Request`,
            `The validated request of ${commentText(op.id)}: the SOAP body and header parts, as its handler receives them.`,
            objectType([property('body', bodyType(soap.input, bodySchema)), property('headers', headersType(soap.input.headers))]),
          );
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
          if (push) {
            // The classify stage refuses a push without its receiver (a blocking finding): generation never gets here without one.
            const receiver = receiverViewOf.get(push.receiver!)!;
            view.ackType = declare(`${base}Ack`, `The ACK body ${commentText(op.id)} answers with (step 2).`, bodyType(soap.output!, outputSchema(op)));
            view.ackCode = sample(outputSchema(op));
            view.resultType = declare(`${base}Result`, `The result ${commentText(op.id)} sends to the callback (step 3).`, ref(receiver.resultType));
            view.receiverPath = push.receiver!.op.path;
            view.descriptor = { ...view.descriptor, ...addressing(push.replyTo, op), replyToPart: partName(push.replyTo), correlationPart: partName(push.correlation), callback: receiver.descriptor };
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
    const [status, result] = [group.status!, group.result!];
    const base = pascalCase(op.id, 'Operation');
    view.kind = 'pull';
    view.awaitMethod = handlers.claim(`${view.handler}Await`);
    view.ackType = declare(`${base}Ack`, `The ACK body ${commentText(op.id)} answers with, with the X-Correlation-ID header.`, body(op));
    view.statusType = declare(`${base}Status`, `What the status operation ${commentText(status.id)} answers.`, body(status));
    view.resultType = declare(`${base}Result`, `What the result operation ${commentText(result.id)} answers once done.`, body(result));
    view.ackCode = sample(outputSchema(op));
    const step = (o: Operation, part: SoapPart | undefined) => ({ handler: handlerOf.get(o)!, correlationPart: part?.name ?? '' });
    view.descriptor = {
      ...view.descriptor,
      correlationPart: partName(group.correlation),
      pull: { status: step(group.status!, group.statusCorrelation), result: step(group.result!, group.resultCorrelation) },
    };
  }
  return { types, provider, receivers };
}

/** The WSDL documents served at `?wsdl`: those the loader read, as the model carries them. */
export function wsdlDocuments(side: Interface): WsdlDocuments | undefined {
  return side.documents;
}

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
  return {
    ...(m.wrapper ? { wrapper: { namespace: m.wrapper.namespace, name: m.wrapper.name } } : {}),
    body: m.body.map(part),
    headers: m.headers.map(part),
    ...(schema ? { schema } : {}),
    ...(m.encoding ? { encoding: m.encoding } : {}),
  };
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
