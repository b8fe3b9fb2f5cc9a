/**
 * A classified agreement as plain data: what the change report compares. `accordo diff` builds one
 * per version from the classified agreements; `generate` also writes the one of its run to
 * `generated/.accordo-agreement.json`, so that the next run can say what changed for each side
 * without the previous specs (no git, no copies of multi-file specs). Descriptions, examples and
 * the facts behind each pattern are left out: they change nothing on the wire.
 */
import { relative, sep } from 'node:path';
import type { Carrier, ClassifiedAgreement, Interaction } from '../classify/index.js';
import type {
  HttpMethod,
  Interface,
  JsonSchema,
  Operation,
  Parameter,
  Pattern,
  PatternRole,
  RequestBody,
  Response,
  SoapFault,
  SoapMessage,
  SoapOperation,
  SoapPart,
  SourceLocation,
  XmlQName,
} from '../model/agreement.js';

/** Bumped when the snapshot's shape changes; a stored snapshot of another format is not compared. */
export const SNAPSHOT_FORMAT = 1;

/** Where generate keeps the snapshot of its run, beside the other generated files. */
export const SNAPSHOT_FILE = 'generated/.accordo-agreement.json';

export interface Place {
  /** The spec file, relative to the snapshot's base directory, `/`-separated. */
  file: string;
  /** Absent in a stored snapshot: a blank line added to a spec must not make the generated output stale. */
  line?: number;
}

export interface OperationSnapshot {
  id: string;
  method: HttpMethod;
  path: string;
  pattern: Pattern;
  role?: PatternRole;
  correlatedWith?: string;
  parameters: Parameter[];
  requestBody?: RequestBody;
  responses: Response[];
  callbacks: { name: string; expression: string; operations: OperationSnapshot[] }[];
  soap?: Omit<SoapOperation, 'alsoExposedAt'>;
  at: Place;
}

export interface InterfaceSnapshot {
  title: string;
  version: string;
  format: 'openapi' | 'wsdl';
  file: string;
  basePath: string;
  operations: OperationSnapshot[];
}

export type CarrierSnapshot =
  | { in: 'header' | 'query' | 'path'; name: string }
  | { in: 'body'; pointer: string }
  /** A callback URL built from a runtime expression with literal text (`{$request.query.cb}/data`). */
  | { in: 'template'; expression: string }
  | { in: 'soap-header'; part: string; element: XmlQName }
  | { in: 'ws-addressing'; header: string };

export type InteractionSnapshot =
  | { kind: 'blocking' | 'oneway'; op: string }
  | {
      kind: 'push';
      op: string;
      callbackName: string;
      /** The receiving operation: its id in the callback spec, or `<request>/<callback>` for the provider's own declaration. */
      receiver?: string;
      receiverPath?: string;
      replyTo: CarrierSnapshot;
      correlation: CarrierSnapshot;
    }
  | { kind: 'pull'; op: string; status?: string; result?: string; statusPath: string; resultPath: string; taskParam: string; correlation?: CarrierSnapshot }
  | {
      kind: 'subscription';
      op: string;
      /** Each callback the events go to: where its URL travels, the field of a credential for it, the consumer's endpoint path. */
      callbacks: { name: string; address: CarrierSnapshot; credential?: string; receiverPath?: string }[];
    };

export interface AgreementSnapshot {
  _format: number;
  binding: 'rest' | 'soap';
  specRole: 'provider' | 'callback';
  provider: InterfaceSnapshot;
  callback?: InterfaceSnapshot;
  interactions: InteractionSnapshot[];
  /** The named schemas every `#/$defs/<key>` of the operations points at. */
  schemas: Record<string, { specName: string; schema: JsonSchema; at?: Place }>;
}

/** The keywords that say nothing about which messages are valid. */
const ANNOTATIONS = new Set(['description', 'title', 'examples', 'example', '$comment', 'deprecated']);

/** A schema without its annotations (descriptions, examples): the same validity, far fewer bytes. */
function bare(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(bare);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (ANNOTATIONS.has(k)) continue;
    // Under `properties` (and the like) the keys are names, not keywords: keep them all.
    out[k] =
      k === 'properties' || k === 'patternProperties' || k === '$defs'
        ? Object.fromEntries(Object.entries(v as object).map(([n, s]) => [n, bare(s)]))
        : k === 'enum' || k === 'const' || k === 'default'
          ? v
          : bare(v);
  }
  return out;
}

/**
 * The snapshot of a classified agreement; spec files are named relative to `baseDir`. `lines: false`
 * leaves out line numbers (the stored snapshot: see Place).
 */
export function snapshotOf(classified: ClassifiedAgreement, baseDir: string, options: { lines?: boolean; fileName?: (file: string) => string } = {}): AgreementSnapshot {
  const { agreement } = classified;
  const lines = options.lines ?? true;
  // `fileName`: where the file is known as (the working tree's path of a file read at a git revision).
  const file = (f: string) =>
    relative(baseDir, options.fileName?.(f) ?? f)
      .split(sep)
      .join('/') || f;
  const place = (at: SourceLocation | undefined): Place | undefined => (at ? { file: file(at.file), ...(lines ? { line: at.line ?? 1 } : {}) } : undefined);
  const schema = (s: JsonSchema | undefined) => (s === undefined ? undefined : (bare(s) as JsonSchema));
  const part = (p: SoapPart): SoapPart => ({ ...p, schema: schema(p.schema)! });
  const message = (m: SoapMessage): SoapMessage => ({ ...m, body: m.body.map(part), headers: m.headers.map(part) });
  const fault = (f: SoapFault): SoapFault => ({ ...f, part: part(f.part) });
  const operation = (op: Operation): OperationSnapshot => {
    const soap = op.soap ? (({ alsoExposedAt: _, ...rest }) => rest)(op.soap) : undefined;
    return {
      id: op.id,
      method: op.method,
      path: op.path,
      pattern: op.pattern.pattern,
      ...(op.pattern.role ? { role: op.pattern.role } : {}),
      ...(op.pattern.correlatedWith ? { correlatedWith: op.pattern.correlatedWith } : {}),
      parameters: op.parameters.map(({ description: _, ...p }) => ({ ...p, schema: schema(p.schema)! })),
      ...(op.requestBody
        ? { requestBody: { required: op.requestBody.required, contents: op.requestBody.contents.map((c) => ({ mediaType: c.mediaType, ...(c.schema ? { schema: schema(c.schema) } : {}) })) } }
        : {}),
      responses: op.responses.map((r) => ({
        status: r.status,
        headers: r.headers.map(({ description: _, ...h }) => ({ ...h, schema: schema(h.schema)! })),
        contents: r.contents.map((c) => ({ mediaType: c.mediaType, ...(c.schema ? { schema: schema(c.schema) } : {}) })),
      })),
      callbacks: op.callbacks.map((cb) => ({ name: cb.name, expression: cb.expression.raw, operations: cb.operations.map(operation) })),
      ...(soap
        ? {
            soap: {
              ...soap,
              input: message(soap.input),
              ...(soap.output ? { output: message(soap.output) } : {}),
              faults: soap.faults.map(fault),
            },
          }
        : {}),
      at: place(op.location)!,
    };
  };
  const iface = (i: Interface): InterfaceSnapshot => ({
    title: i.title,
    version: i.version,
    format: i.source.format,
    file: file(i.source.file),
    basePath: i.basePath,
    operations: i.operations.map(operation),
  });
  const carrier = (c: Carrier): CarrierSnapshot => {
    switch (c.in) {
      case 'header':
      case 'query':
      case 'path':
        return { in: c.in, name: c.name };
      case 'body':
        return { in: 'body', pointer: c.pointer };
      case 'template':
        return { in: 'template', expression: c.expression.raw };
      case 'soap-header':
        return { in: 'soap-header', part: c.part.name, element: c.part.element };
      case 'ws-addressing':
        return { in: 'ws-addressing', header: c.header };
    }
  };
  const interaction = (i: Interaction): InteractionSnapshot => {
    switch (i.kind) {
      case 'blocking':
      case 'oneway':
        return { kind: i.kind, op: i.op.id };
      case 'push': {
        const receiver = i.receiver ? (i.receiver.op === i.declared ? `${i.request.id}/${i.callbackName}` : i.receiver.op.id) : undefined;
        return {
          kind: 'push',
          op: i.request.id,
          callbackName: i.callbackName,
          ...(receiver ? { receiver, receiverPath: i.receiver!.path } : {}),
          replyTo: carrier(i.replyTo),
          correlation: carrier(i.correlation),
        };
      }
      case 'pull':
        return {
          kind: 'pull',
          op: i.request.id,
          ...(i.status ? { status: i.status.id } : {}),
          ...(i.result ? { result: i.result.id } : {}),
          statusPath: i.statusPath,
          resultPath: i.resultPath,
          taskParam: i.taskParam,
          ...(i.correlation ? { correlation: carrier(i.correlation) } : {}),
        };
      case 'subscription':
        return {
          kind: 'subscription',
          op: i.request.id,
          callbacks: i.callbacks.map((cb) => ({
            name: cb.name,
            address: carrier(cb.address),
            ...(cb.credential ? { credential: cb.credential.pointer } : {}),
            ...(cb.receiver ? { receiverPath: cb.receiver.path } : {}),
          })),
        };
    }
  };
  const schemas: AgreementSnapshot['schemas'] = {};
  for (const s of agreement.schemas.values()) {
    const at = place(s.location);
    schemas[s.key] = { specName: s.specName, schema: schema(s.schema)!, ...(at ? { at } : {}) };
  }
  return {
    _format: SNAPSHOT_FORMAT,
    binding: classified.binding,
    specRole: classified.specRole,
    provider: iface(agreement.provider),
    ...(agreement.callback ? { callback: iface(agreement.callback) } : {}),
    interactions: classified.interactions.map(interaction),
    schemas,
  };
}

/** Reads a stored snapshot; `undefined` when the text is not one of this format (an older Accordo's, a hand edit). */
export function parseSnapshot(text: string): AgreementSnapshot | undefined {
  try {
    const value = JSON.parse(text) as { snapshot?: AgreementSnapshot };
    return value.snapshot?._format === SNAPSHOT_FORMAT ? value.snapshot : undefined;
  } catch {
    return undefined;
  }
}

/** The stored form: the generated mark as the first key (as write/ recognises owned JSON files), then the snapshot. */
export function serializeSnapshot(snapshot: AgreementSnapshot, mark: { key: string; notice: string }): string {
  return JSON.stringify({ [mark.key]: mark.notice, snapshot }, null, 2) + '\n';
}
