/**
 * The change report: what a new version of an agreement means for each side. Reads only classified
 * agreements (as snapshots, see ./snapshot.ts) and classifies every change, for the provider and
 * for the consumer, as
 * - `breaking`: that side's code, written for the old agreement, can fail against the new one
 *   (its messages refused, something it reads gone, a handler to write, an address or carrier moved);
 * - `non-breaking`: that side sees the change, and its old code keeps working;
 * - `info`: nothing of that side's code is concerned (deployment facts, names in documents).
 *
 * Message schemas are compared by ./schema.ts, which says whether a change narrows or widens what
 * is valid; who sends the message decides whom that breaks (the sender of a narrowed message, the
 * receiver of a widened one). The rules: docs/diff.md.
 */
import { isDeepStrictEqual } from 'node:util';
import type { JsonSchema, MediaContent, Parameter, ResponseHeader, SoapMessage, SoapPart } from '../model/agreement.js';
import { compareSchemas, type Defs, type Effect, type SchemaChange } from './schema.js';
import type { AgreementSnapshot, CarrierSnapshot, InterfaceSnapshot, OperationSnapshot, Place } from './snapshot.js';

export { snapshotOf, parseSnapshot, serializeSnapshot, SNAPSHOT_FILE, type AgreementSnapshot } from './snapshot.js';
export { formatReport, type ReportFormat } from './format.js';

export type Impact = 'breaking' | 'non-breaking' | 'info';
export type Party = 'provider' | 'consumer';
export const IMPACTS: readonly Impact[] = ['breaking', 'non-breaking', 'info'];

export interface Change {
  /** What kind of change, e.g. `property-became-required`, `pattern-changed`, `soap-action-changed`. */
  code: string;
  /** The operation, callback or named schema it is in, e.g. `PushMessage (POST /resources/{id_resource}/M)`. */
  subject: string;
  /** Where in the subject, e.g. `request body .b`, `response 202 header X-Correlation-ID`. */
  where?: string;
  message: string;
  provider: Impact;
  consumer: Impact;
  /** The spec position: in the new version, or in the old one for what was removed. */
  at?: Place;
  /** For a named schema: the operations whose messages use it. */
  usedBy?: string[];
}

export interface ChangeReport {
  old: { file: string; version: string; callback?: string };
  new: { file: string; version: string; callback?: string };
  changes: Change[];
  /** How many changes are breaking, non-breaking or info for each side. */
  summary: Record<Party, Record<Impact, number>>;
  /** Versioning advice: a breaking change without a major bump of `info.version`. */
  warnings: string[];
}

/** Who sends a message: requests go to the provider, responses and callbacks to the consumer (callback answers back). */
type Flow = 'to-provider' | 'to-consumer';
type Impacts = Record<Party, Impact>;

const both = (impact: Impact): Impacts => ({ provider: impact, consumer: impact });
const other = (p: Party): Party => (p === 'provider' ? 'consumer' : 'provider');
const senderOf = (flow: Flow): Party => (flow === 'to-provider' ? 'consumer' : 'provider');
const RANK: Record<Impact, number> = { info: 0, 'non-breaking': 1, breaking: 2 };
const worst = (a: Impact, b: Impact) => (RANK[a] >= RANK[b] ? a : b);
/** `party` gets `impact`, the other side `rest`. */
const only = (party: Party, impact: Impact, rest: Impact = 'non-breaking'): Impacts => ({ [party]: impact, [other(party)]: rest }) as Impacts;

/** Whom a schema change breaks, given who sends the message. */
export function impactOf(effect: Effect, flow: Flow): Impacts {
  const sender = senderOf(flow);
  const receiver = other(sender);
  switch (effect) {
    case 'narrows':
      return only(sender, 'breaking');
    case 'widens':
    case 'removes':
      return only(receiver, 'breaking');
    case 'both':
    case 'renames':
      return both('breaking');
    case 'adds':
      return both('non-breaking');
  }
}

/** The change report between two versions of an agreement. */
export function diffAgreements(old: AgreementSnapshot, now: AgreementSnapshot): ChangeReport {
  const changes = new Differ(old, now).run();
  const summary = { provider: { breaking: 0, 'non-breaking': 0, info: 0 }, consumer: { breaking: 0, 'non-breaking': 0, info: 0 } };
  for (const c of changes) {
    summary.provider[c.provider]++;
    summary.consumer[c.consumer]++;
  }
  const warnings: string[] = [];
  const breaking = changes.some((c) => c.provider === 'breaking' || c.consumer === 'breaking');
  const [was, is] = [majorOf(old.provider.version), majorOf(now.provider.version)];
  if (breaking && was !== undefined && was === is) {
    const moved = old.provider.version === now.provider.version ? `stays ${now.provider.version}` : `goes from ${old.provider.version} to ${now.provider.version}`;
    warnings.push(`breaking changes, but info.version ${moved}: the major version${was.startsWith('0.') ? ' (0.x: the minor one)' : ''} is not bumped`);
  }
  const side = (s: AgreementSnapshot) => ({ file: s.provider.file, version: s.provider.version, ...(s.callback ? { callback: s.callback.file } : {}) });
  return { old: side(old), new: side(now), changes, summary, warnings };
}

/**
 * The part of a version that a breaking change must bump: the major number, or for 0.x the minor one
 * (semver's convention for initial development). `undefined` when the version has no leading number.
 */
function majorOf(version: string): string | undefined {
  const m = /^\D*?(\d+)(?:\.(\d+))?/.exec(version);
  if (!m) return undefined;
  return m[1] === '0' ? `0.${m[2] ?? '0'}` : String(Number(m[1]));
}

/** A pair of named schemas (old key, new key) met in messages, compared once for all its uses. */
interface SchemaPair {
  oldKey: string;
  newKey: string;
  flows: Set<Flow>;
  usedBy: Set<string>;
  children: Set<string>;
}

/** Which side of the agreement an interface (or a declared callback) is. */
type SpecSide = 'provider' | 'callback';

class Differ {
  private readonly changes: Change[] = [];
  private readonly pairs = new Map<string, SchemaPair>();
  private readonly defs: { old: Defs; new: Defs };
  /** An interface-wide namespace change (SOAP), so each element's own change is not reported again. */
  private namespaceMove?: { from: string; to: string };

  constructor(
    private readonly old: AgreementSnapshot,
    private readonly now: AgreementSnapshot,
  ) {
    this.defs = { old: (k) => old.schemas[k]?.schema, new: (k) => now.schemas[k]?.schema };
  }

  run(): Change[] {
    const { old, now } = this;
    if (old.binding !== now.binding) {
      this.add({
        code: 'binding-changed',
        subject: now.provider.title,
        message: `the agreement is now ${now.binding.toUpperCase()} (was ${old.binding.toUpperCase()}): every message changes`,
        ...both('breaking'),
        at: { file: now.provider.file, line: 1 },
      });
      return this.changes;
    }
    if (old.specRole !== now.specRole) {
      this.add({
        code: 'spec-role-changed',
        subject: now.provider.title,
        message: `the spec now describes ${now.specRole === 'callback' ? "only the consumer's callback endpoints" : "the provider's API"}`,
        ...both('breaking'),
        at: { file: now.provider.file, line: 1 },
      });
      return this.changes;
    }
    const providerSide: SpecSide = now.specRole === 'callback' ? 'callback' : 'provider';
    this.iface(old.provider, now.provider, providerSide);
    if (old.callback && now.callback) this.iface(old.callback, now.callback, 'callback');
    else if (old.callback || now.callback) {
      const spec = (now.callback ?? old.callback)!;
      const added = !!now.callback;
      this.add({
        code: added ? 'callback-spec-added' : 'callback-spec-removed',
        subject: spec.title,
        message: added
          ? `the callback spec ${spec.file} now describes the consumer's callback endpoints`
          : `no callback spec any more: the provider spec's callbacks describe the consumer's endpoints`,
        provider: 'info',
        consumer: 'breaking',
        at: { file: spec.file, line: 1 },
      });
    }
    this.schemaPairs();
    return this.changes;
  }

  private add(change: Change): void {
    this.changes.push(change);
  }

  // --- interfaces and operations ------------------------------------------------------------

  private iface(o: InterfaceSnapshot, n: InterfaceSnapshot, side: SpecSide): void {
    const at = { file: n.file, line: 1 };
    const subject = n.title || n.file;
    if (o.title !== n.title) this.add({ code: 'title-changed', subject, message: `title "${o.title}" → "${n.title}"`, ...both('info'), at });
    if (o.version !== n.version) this.add({ code: 'version-changed', subject, message: `info.version ${o.version} → ${n.version}`, ...both('info'), at });
    if (o.basePath !== n.basePath)
      this.add({ code: 'base-path-changed', subject, message: `the servers' base path "${o.basePath}" → "${n.basePath}" (where each side deploys or points its client)`, ...both('info'), at });
    const ns = (i: InterfaceSnapshot) => i.operations.find((op) => op.soap)?.soap?.portType.namespace;
    const [ons, nns] = [ns(o), ns(n)];
    if (ons !== undefined && nns !== undefined && ons !== nns) {
      this.namespaceMove = { from: ons, to: nns };
      this.add({ code: 'namespace-changed', subject, message: `target namespace "${ons}" → "${nns}": every element in it changes name on the wire`, ...both('breaking'), at });
    }

    const keyOf = (op: OperationSnapshot) => (op.soap ? op.soap.name : `${op.method.toUpperCase()} ${op.path.replace(/\{[^}]*\}/g, '{}')}`);
    const olds = new Map(o.operations.map((op) => [keyOf(op), op]));
    const matched = new Set<string>();
    // Breaking for whoever must now serve an operation, or can no longer call one.
    const server: Party = side === 'provider' ? 'provider' : 'consumer';
    for (const op of n.operations) {
      const before = olds.get(keyOf(op));
      if (!before) {
        const step = op.role && op.role !== 'request' && side === 'provider' ? ` (the ${op.role} step of ${op.correlatedWith ?? 'a pull request'})` : '';
        this.add({
          code: 'operation-added',
          subject: this.subject(op, side),
          message: `${side === 'callback' ? 'callback operation' : 'operation'} added${step}: ${server === 'provider' ? 'the provider serves it (a handler to write)' : 'the consumer serves it (a callback handler to write)'}`,
          ...only(server, step ? 'non-breaking' : 'breaking'),
          at: op.at,
        });
        continue;
      }
      matched.add(keyOf(op));
      this.operation(before, op, side, this.subject(op, side));
      if (side === 'provider' && this.now.specRole === 'provider') this.interaction(before, op);
    }
    for (const op of o.operations) {
      if (matched.has(keyOf(op))) continue;
      this.add({
        code: 'operation-removed',
        subject: this.subject(op, side),
        message: `${side === 'callback' ? 'callback operation' : 'operation'} removed: ${server === 'provider' ? 'consumers calling it get 404' : 'the provider can no longer deliver to it'}`,
        ...only(other(server), 'breaking'),
        at: op.at,
      });
    }
  }

  private subject(op: OperationSnapshot, side: SpecSide, declaredBy?: string): string {
    if (declaredBy) return `${declaredBy} callback ${op.id}`;
    const what = op.soap ? op.soap.name : `${op.id} (${op.method.toUpperCase()} ${op.path})`;
    return side === 'callback' ? `callback ${what}` : what;
  }

  /** `declaredBy`: the request operation when `o`/`n` are a callback the provider spec declares. */
  private operation(o: OperationSnapshot, n: OperationSnapshot, side: SpecSide, subject: string, declaredBy?: string): void {
    const at = n.at;
    if (o.id !== n.id && !declaredBy) {
      const names = side === 'provider' ? "the provider's handler and the consumer's client method" : "the consumer's callback handler";
      this.add({
        code: 'operation-id-changed',
        subject,
        message: `operationId ${o.id} → ${n.id}: ${names} change name`,
        ...(side === 'provider' ? both('breaking') : { provider: 'info', consumer: 'breaking' }),
        at,
      });
    }
    if (!declaredBy && (o.pattern !== n.pattern || o.role !== n.role)) {
      const name = (op: OperationSnapshot) => `${op.pattern}${op.role ? ` (${op.role})` : ''}`;
      this.add({ code: 'pattern-changed', subject, message: `pattern ${name(o)} → ${name(n)}${patternConsequence(o, n)}`, ...both('breaking'), at });
    }
    const flowIn: Flow = side === 'provider' ? 'to-provider' : 'to-consumer';
    const flowOut: Flow = side === 'provider' ? 'to-consumer' : 'to-provider';
    if (o.soap && n.soap) return this.soapOperation(o, n, side, subject, flowIn, flowOut);

    this.parameters(o.parameters, n.parameters, subject, flowIn, at);
    this.requestBody(o, n, subject, flowIn, at, side);
    this.responses(o, n, subject, flowOut, at, side);
    if (side === 'provider') this.callbacks(o, n, subject);
  }

  private parameters(o: Parameter[], n: Parameter[], subject: string, flow: Flow, at: Place): void {
    const key = (p: Parameter) => `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
    const olds = new Map(o.map((p) => [key(p), p]));
    const news = new Map(n.map((p) => [key(p), p]));
    for (const p of n) {
      const where = `parameter ${p.in} ${p.name}`;
      const before = olds.get(key(p));
      if (!before) {
        this.effect(subject, where, 'parameter-added', `${p.required ? 'required' : 'optional'} parameter added`, p.required ? 'narrows' : 'adds', flow, at);
        continue;
      }
      if (!before.required && p.required) this.effect(subject, where, 'parameter-became-required', 'now required', 'narrows', flow, at);
      if (before.required && !p.required) this.effect(subject, where, 'parameter-became-optional', 'no longer required', 'widens', flow, at);
      this.message(subject, where, before.schema, p.schema, flow, at);
    }
    for (const p of o) if (!news.has(key(p))) this.effect(subject, `parameter ${p.in} ${p.name}`, 'parameter-removed', 'parameter removed', 'removes', flow, at);
  }

  private requestBody(o: OperationSnapshot, n: OperationSnapshot, subject: string, flow: Flow, at: Place, side: SpecSide): void {
    const where = side === 'callback' ? 'result body' : 'request body';
    const [ob, nb] = [o.requestBody, n.requestBody];
    if (!ob && !nb) return;
    if (!ob) return this.effect(subject, where, 'request-body-added', `${nb!.required ? 'required' : 'optional'} body added`, nb!.required ? 'narrows' : 'adds', flow, at);
    if (!nb) return this.effect(subject, where, 'request-body-removed', 'body removed', 'removes', flow, at);
    if (!ob.required && nb.required) this.effect(subject, where, 'request-body-became-required', 'body now required', 'narrows', flow, at);
    if (ob.required && !nb.required) this.effect(subject, where, 'request-body-became-optional', 'body no longer required', 'widens', flow, at);
    this.contents(ob.contents, nb.contents, subject, where, flow, at);
  }

  private contents(o: MediaContent[], n: MediaContent[], subject: string, where: string, flow: Flow, at: Place): void {
    const type = (c: MediaContent) => c.mediaType.split(';')[0].trim().toLowerCase();
    const olds = new Map(o.map((c) => [type(c), c]));
    const news = new Map(n.map((c) => [type(c), c]));
    for (const c of n) {
      const before = olds.get(type(c));
      if (!before) this.effect(subject, `${where} ${type(c)}`, 'media-type-added', 'media type added', 'widens', flow, at);
      else this.message(subject, n.length > 1 ? `${where} ${type(c)}` : where, before.schema, c.schema, flow, at);
    }
    for (const c of o) if (!news.has(type(c))) this.effect(subject, `${where} ${type(c)}`, 'media-type-removed', 'media type removed', 'narrows', flow, at);
  }

  private responses(o: OperationSnapshot, n: OperationSnapshot, subject: string, flow: Flow, at: Place, side: SpecSide): void {
    const label = (op: OperationSnapshot, status: string) => {
      if (status === '202' && op.role === 'request') return 'ACK (202)';
      if (status === '200' && op.role === 'result') return 'result (200)';
      if (status === '200' && side === 'callback') return 'callback ACK (200)';
      return `response ${status}`;
    };
    const success = (status: string) => /^[23]/.test(status);
    const olds = new Map(o.responses.map((r) => [r.status, r]));
    const news = new Map(n.responses.map((r) => [r.status, r]));
    const sender = senderOf(flow);
    for (const r of n.responses) {
      const before = olds.get(r.status);
      const where = label(n, r.status);
      if (!before) {
        // A new success answer is a shape the receiver's code does not handle; a new error is handled as errors are.
        if (success(r.status)) this.effect(subject, where, 'response-status-added', `status ${r.status} added`, 'widens', flow, at);
        else this.add({ code: 'response-status-added', subject, where, message: `error status ${r.status} added`, ...both('non-breaking'), at });
        continue;
      }
      this.headers(before.headers, r.headers, subject, where, flow, at);
      this.contents(before.contents, r.contents, subject, `${where} body`, flow, at);
    }
    for (const r of o.responses) {
      if (news.has(r.status)) continue;
      const where = label(o, r.status);
      if (success(r.status))
        this.effect(subject, where, 'response-status-removed', `status ${r.status} removed: ${sender === 'provider' ? 'a handler' : 'a callback handler'} may still answer it`, 'narrows', flow, at);
      else this.add({ code: 'response-status-removed', subject, where, message: `error status ${r.status} removed`, ...both('non-breaking'), at });
    }
  }

  private headers(o: ResponseHeader[], n: ResponseHeader[], subject: string, where: string, flow: Flow, at: Place): void {
    const olds = new Map(o.map((h) => [h.name.toLowerCase(), h]));
    const news = new Map(n.map((h) => [h.name.toLowerCase(), h]));
    for (const h of n) {
      const before = olds.get(h.name.toLowerCase());
      const w = `${where} header ${h.name}`;
      if (!before) {
        this.effect(subject, w, 'response-header-added', `${h.required ? 'required' : 'optional'} header added`, h.required ? 'narrows' : 'adds', flow, at);
        continue;
      }
      if (!before.required && h.required) this.effect(subject, w, 'response-header-became-required', 'now required', 'narrows', flow, at);
      if (before.required && !h.required) this.effect(subject, w, 'response-header-became-optional', 'no longer required', 'widens', flow, at);
      this.message(subject, w, before.schema, h.schema, flow, at);
    }
    for (const h of o) if (!news.has(h.name.toLowerCase())) this.effect(subject, `${where} header ${h.name}`, 'response-header-removed', 'header removed', 'removes', flow, at);
  }

  /** The callbacks a REST operation of the provider spec declares: added, removed, renamed, and their messages. */
  private callbacks(o: OperationSnapshot, n: OperationSnapshot, subject: string): void {
    const olds = new Map(o.callbacks.map((c) => [c.name, c]));
    const news = new Map(n.callbacks.map((c) => [c.name, c]));
    let removed = o.callbacks.filter((c) => !news.has(c.name));
    let added = n.callbacks.filter((c) => !olds.has(c.name));
    const at = n.at;
    if (removed.length === 1 && added.length === 1 && removed[0].expression === added[0].expression) {
      // Without a callback spec the consumer's endpoint is mounted at /callbacks/<operation>/<callback>.
      const moves = !this.now.callback;
      this.add({
        code: 'callback-renamed',
        subject,
        where: `callback ${removed[0].name}`,
        message: `callback ${removed[0].name} renamed to ${added[0].name}${moves ? ": the consumer's callback endpoint path changes with it" : ''}`,
        provider: 'info',
        consumer: moves ? 'breaking' : 'info',
        at,
      });
      this.callbackOperations(removed[0].operations, added[0].operations, n.id, added[0].name);
      removed = added = [];
    }
    for (const c of added)
      this.add({
        code: 'callback-added',
        subject,
        where: `callback ${c.name}`,
        message: `callback ${c.name} added (${c.expression}): the provider calls it, the consumer serves it`,
        ...both('breaking'),
        at,
      });
    for (const c of removed)
      this.add({
        code: 'callback-removed',
        subject,
        where: `callback ${c.name}`,
        message: `callback ${c.name} removed: the consumer no longer receives what it delivered`,
        provider: 'non-breaking',
        consumer: 'breaking',
        at,
      });
    for (const c of n.callbacks) {
      const before = olds.get(c.name);
      if (!before) continue;
      if (before.expression !== c.expression)
        this.add({
          code: 'callback-url-changed',
          subject,
          where: `callback ${c.name}`,
          message: `the callback URL is now taken from ${c.expression} (was ${before.expression})`,
          ...both('breaking'),
          at,
        });
      this.callbackOperations(before.operations, c.operations, n.id, c.name);
    }
  }

  private callbackOperations(o: OperationSnapshot[], n: OperationSnapshot[], requestId: string, name: string): void {
    for (const op of n) {
      const before = o.find((b) => b.method === op.method);
      if (before) this.operation(before, op, 'callback', `${requestId} callback ${name}`, requestId);
    }
  }

  // --- SOAP ---------------------------------------------------------------------------------

  private soapOperation(o: OperationSnapshot, n: OperationSnapshot, side: SpecSide, subject: string, flowIn: Flow, flowOut: Flow): void {
    const [os, ns] = [o.soap!, n.soap!];
    const at = n.at;
    if (os.soapAction !== ns.soapAction) this.add({ code: 'soap-action-changed', subject, message: `SOAPAction "${os.soapAction}" → "${ns.soapAction}"`, ...both('breaking'), at });
    if (os.version !== ns.version)
      this.add({ code: 'soap-version-changed', subject, message: `SOAP ${os.version} → SOAP ${ns.version}: another envelope namespace and media type`, ...both('breaking'), at });
    if (os.style !== ns.style) this.add({ code: 'soap-style-changed', subject, message: `style ${os.style} → ${ns.style}`, ...both('breaking'), at });
    if (os.address !== ns.address) this.add({ code: 'endpoint-changed', subject, message: `soap:address ${os.address ?? '(none)'} → ${ns.address ?? '(none)'}`, ...both('info'), at });
    const names = (s: typeof os) => `binding ${s.binding.name}, service ${s.service ?? '-'}, port ${s.port ?? '-'}, portType ${s.portType.name}`;
    if (names(os) !== names(ns)) this.add({ code: 'wsdl-names-changed', subject, message: `${names(os)} → ${names(ns)} (names in the WSDL, not on the wire)`, ...both('info'), at });
    this.soapMessage(os.input, ns.input, subject, 'input', flowIn, at, os.style === 'rpc');
    if (os.output && ns.output) this.soapMessage(os.output, ns.output, subject, 'output', flowOut, at, os.style === 'rpc');
    const server: Party = side === 'provider' ? 'provider' : 'consumer';
    const olds = new Map(os.faults.map((f) => [f.name, f]));
    const news = new Map(ns.faults.map((f) => [f.name, f]));
    for (const f of ns.faults) {
      const before = olds.get(f.name);
      if (!before) this.add({ code: 'fault-added', subject, where: `fault ${f.name}`, message: 'fault added', ...both('non-breaking'), at });
      else this.soapPart(before.part, f.part, subject, `fault ${f.name}`, flowOut, at, false);
    }
    for (const f of os.faults) {
      if (news.has(f.name)) continue;
      this.add({ code: 'fault-removed', subject, where: `fault ${f.name}`, message: 'fault removed: a handler may still throw it', ...only(server, 'breaking'), at });
    }
  }

  private soapMessage(o: SoapMessage, n: SoapMessage, subject: string, where: string, flow: Flow, at: Place, rpc: boolean): void {
    if (!isDeepStrictEqual(o.wrapper, n.wrapper) && (o.wrapper || n.wrapper))
      this.add({ code: 'rpc-wrapper-changed', subject, where, message: `rpc wrapper ${qname(o.wrapper)} → ${qname(n.wrapper)}`, ...both('breaking'), at });
    const count = Math.max(o.body.length, n.body.length);
    for (let i = 0; i < count; i++) {
      const [op, np] = [o.body[i], n.body[i]];
      const w = `${where} body`;
      if (!op) this.effect(subject, `${w} ${np.element.name}`, 'soap-part-added', 'body part added', 'narrows', flow, at);
      else if (!np) this.effect(subject, `${w} ${op.element.name}`, 'soap-part-removed', 'body part removed', 'removes', flow, at);
      else this.soapPart(op, np, subject, w, flow, at, rpc);
    }
    const key = (p: SoapPart) => p.element.name.toLowerCase();
    const olds = new Map(o.headers.map((p) => [key(p), p]));
    const news = new Map(n.headers.map((p) => [key(p), p]));
    for (const p of n.headers) {
      const before = olds.get(key(p));
      if (!before) this.effect(subject, `${where} header ${p.element.name}`, 'soap-header-added', 'SOAP header added', 'narrows', flow, at);
      else this.soapPart(before, p, subject, `${where} header`, flow, at, false);
    }
    for (const p of o.headers) if (!news.has(key(p))) this.effect(subject, `${where} header ${p.element.name}`, 'soap-header-removed', 'SOAP header removed', 'removes', flow, at);
  }

  /** One part: its element's name (a namespace move of the whole interface is reported once), its part name where it is on the wire, its schema. */
  private soapPart(o: SoapPart, n: SoapPart, subject: string, where: string, flow: Flow, at: Place, rpc: boolean): void {
    const w = `${where} ${n.element.name}`;
    if (!this.sameName(o.element, n.element)) this.add({ code: 'element-changed', subject, where: w, message: `element ${qname(o.element)} → ${qname(n.element)}`, ...both('breaking'), at });
    if (o.name !== n.name)
      this.add({
        code: 'part-renamed',
        subject,
        where: w,
        message: `part ${o.name} → ${n.name}${rpc ? ': rpc accessors are named after parts' : ' (not on the wire in document style)'}`,
        ...both(rpc ? 'breaking' : 'info'),
        at,
      });
    if (o.nillable !== n.nillable)
      this.effect(subject, w, n.nillable ? 'became-nillable' : 'no-longer-nillable', n.nillable ? 'may now be xsi:nil' : 'may no longer be xsi:nil', n.nillable ? 'widens' : 'narrows', flow, at);
    this.message(subject, w, o.schema, n.schema, flow, at);
  }

  // --- interactions -------------------------------------------------------------------------

  /** The asynchronous details of a provider operation's interaction, when its kind stayed (a kind change is a pattern change). */
  private interaction(o: OperationSnapshot, n: OperationSnapshot): void {
    const find = (s: AgreementSnapshot, id: string) => s.interactions.find((i) => i.op === id);
    const [oi, ni] = [find(this.old, o.id), find(this.now, n.id)];
    if (!oi || !ni || oi.kind !== ni.kind) return;
    const subject = this.subject(n, 'provider');
    const at = n.at;
    const carrier = (c: CarrierSnapshot) => {
      switch (c.in) {
        case 'header':
        case 'query':
        case 'path':
          return `${c.in === 'header' ? 'header' : `${c.in} parameter`} ${c.name}`;
        case 'body':
          return `request body field ${c.pointer || '(the whole body)'}`;
        case 'template':
          return `template ${c.expression}`;
        case 'soap-header':
          return `SOAP header ${qname(c.element)}`;
        case 'ws-addressing':
          return `WS-Addressing wsa:${c.header}`;
      }
    };
    const sameCarrier = (a: CarrierSnapshot | undefined, b: CarrierSnapshot | undefined): boolean => {
      if (!a || !b) return a === b;
      if (a.in === 'header' && b.in === 'header') return a.name.toLowerCase() === b.name.toLowerCase();
      if ((a.in === 'query' || a.in === 'path') && a.in === b.in) return a.name === b.name;
      if (a.in === 'body' && b.in === 'body') return a.pointer === b.pointer;
      if (a.in === 'template' && b.in === 'template') return a.expression === b.expression;
      if (a.in === 'ws-addressing' && b.in === 'ws-addressing') return a.header === b.header;
      return a.in === 'soap-header' && b.in === 'soap-header' && this.sameName(a.element, b.element);
    };
    if (oi.kind === 'push' && ni.kind === 'push') {
      if (!sameCarrier(oi.replyTo, ni.replyTo))
        this.add({
          code: 'reply-to-carrier-changed',
          subject,
          message: `the consumer's callback address now travels in the ${carrier(ni.replyTo)} (was the ${carrier(oi.replyTo)})`,
          ...both('breaking'),
          at,
        });
      if (!sameCarrier(oi.correlation, ni.correlation))
        this.add({
          code: 'correlation-carrier-changed',
          subject,
          message: `the CorrelationID now travels in the ${carrier(ni.correlation)} (was the ${carrier(oi.correlation)})`,
          ...both('breaking'),
          at,
        });
      if (oi.receiver && !ni.receiver) this.add({ code: 'callback-receiver-lost', subject, message: 'no callback operation receives the results any more (lint says why)', ...both('breaking'), at });
      else if (this.old.callback && this.now.callback && oi.receiver && ni.receiver && !this.sameCallbackOperation(oi.receiver, ni.receiver))
        this.add({ code: 'callback-receiver-changed', subject, message: `the results now go to the callback operation ${ni.receiver} (was ${oi.receiver})`, ...both('breaking'), at });
    } else if (oi.kind === 'subscription' && ni.kind === 'subscription') {
      for (const ncb of ni.callbacks) {
        const ocb = oi.callbacks.find((c) => c.name === ncb.name);
        if (!ocb) continue;
        if (!sameCarrier(ocb.address, ncb.address))
          this.add({
            code: 'reply-to-carrier-changed',
            subject,
            where: `callback ${ncb.name}`,
            message: `the address of the callback ${ncb.name} now travels in the ${carrier(ncb.address)} (was the ${carrier(ocb.address)})`,
            ...both('breaking'),
            at,
          });
        if (ocb.credential !== ncb.credential)
          this.add({
            code: 'callback-credential-changed',
            subject,
            where: `callback ${ncb.name}`,
            message: `the credential for the callback ${ncb.name} now travels in ${ncb.credential ?? '(nothing)'} (was ${ocb.credential ?? '(nothing)'})`,
            ...both('breaking'),
            at,
          });
      }
    } else if (oi.kind === 'pull' && ni.kind === 'pull') {
      for (const step of ['statusPath', 'resultPath'] as const) {
        if (oi[step] !== ni[step])
          this.add({
            code: 'pull-path-changed',
            subject,
            message: `the ${step === 'statusPath' ? 'status' : 'result'} path ${oi[step]} → ${ni[step]} (the generated client follows Location; gateway routes change)`,
            ...both('info'),
            at,
          });
      }
      if (!sameCarrier(oi.correlation, ni.correlation))
        this.add({
          code: 'correlation-carrier-changed',
          subject,
          message: `the CorrelationID now travels in the ${ni.correlation ? carrier(ni.correlation) : '(nothing)'} (was the ${oi.correlation ? carrier(oi.correlation) : '(nothing)'})`,
          ...both('breaking'),
          at,
        });
    }
  }

  /** Whether two receiver ids name the same callback-spec operation (matched as the interfaces are). */
  private sameCallbackOperation(oldId: string, newId: string): boolean {
    const op = (s: AgreementSnapshot, id: string) => s.callback?.operations.find((o) => o.id === id);
    const [a, b] = [op(this.old, oldId), op(this.now, newId)];
    if (!a || !b) return oldId === newId;
    return a.soap && b.soap ? a.soap.name === b.soap.name : a.method === b.method && a.path.replace(/\{[^}]*\}/g, '{}') === b.path.replace(/\{[^}]*\}/g, '{}');
  }

  // --- schemas ------------------------------------------------------------------------------

  private effect(subject: string, where: string, code: string, message: string, effect: Effect, flow: Flow, at: Place): void {
    this.add({ code, subject, where, message, ...impactOf(effect, flow), at });
  }

  /** Compares one message's schemas; named schemas met on both sides are compared once, in schemaPairs(). */
  private message(subject: string, where: string, o: JsonSchema | undefined, n: JsonSchema | undefined, flow: Flow, at: Place): void {
    if (!o && !n) return;
    if (!o || !n) {
      this.effect(subject, where, o ? 'schema-removed' : 'schema-added', o ? 'schema removed: anything is accepted' : 'schema added', o ? 'widens' : 'narrows', flow, at);
      return;
    }
    const user = subject.replace(/ \(.*\)$/, '');
    const changes = compareSchemas(o, n, this.defs, '', { onRefs: (ok, nk) => this.use(ok, nk, flow, user) }).filter((c) => !this.onlyMoved(c));
    for (const c of changes) this.schemaChange(c, subject, where, impactOf(c.effect, flow), at);
  }

  /** An element's XML mapping that differs only by the interface-wide namespace move, reported once already. */
  private onlyMoved(c: SchemaChange): boolean {
    const move = this.namespaceMove;
    if (!move || c.code !== 'xml-mapping-changed' || !c.values) return false;
    const [o, n] = [c.values.old as Record<string, unknown>, c.values.new as Record<string, unknown>];
    return o.namespace === move.from && isDeepStrictEqual({ ...o, namespace: move.to }, n);
  }

  /** Two XML names are the same but for the interface-wide namespace move. */
  private sameName(a: { namespace: string; name: string }, b: { namespace: string; name: string }): boolean {
    const move = this.namespaceMove;
    return a.name === b.name && (a.namespace === b.namespace || (!!move && a.namespace === move.from && b.namespace === move.to));
  }

  private schemaChange(c: SchemaChange, subject: string, where: string, impacts: Impacts, at: Place | undefined, usedBy?: string[]): void {
    this.add({
      code: c.code,
      subject,
      where: `${where}${c.path ? (where ? ' ' : '') + c.path : ''}` || undefined,
      message: c.message,
      ...impacts,
      ...(at ? { at } : {}),
      ...(usedBy ? { usedBy } : {}),
    });
  }

  private pair(oldKey: string, newKey: string): SchemaPair {
    const id = `${oldKey}\0${newKey}`;
    let pair = this.pairs.get(id);
    if (!pair) this.pairs.set(id, (pair = { oldKey, newKey, flows: new Set(), usedBy: new Set(), children: new Set() }));
    return pair;
  }

  private use(oldKey: string, newKey: string, flow: Flow, subject: string): void {
    const pair = this.pair(oldKey, newKey);
    pair.flows.add(flow);
    pair.usedBy.add(subject);
  }

  /**
   * Each pair of named schemas compared once (the pairs met inside them join the list), the flows
   * and users of each pair carried down to the pairs it contains, then one change per difference,
   * breaking for a side if it is for any of the flows the schema is used in.
   */
  private schemaPairs(): void {
    const found = new Map<SchemaPair, SchemaChange[]>();
    for (const pair of this.pairs.values()) {
      const changes = compareSchemas(this.defs.old(pair.oldKey), this.defs.new(pair.newKey), this.defs, '', {
        onRefs: (ok, nk) => {
          this.pair(ok, nk);
          pair.children.add(`${ok}\0${nk}`);
        },
      }).filter((c) => !this.onlyMoved(c));
      found.set(pair, changes);
    }
    for (let moved = true; moved;) {
      moved = false;
      for (const pair of this.pairs.values()) {
        for (const id of pair.children) {
          const child = this.pairs.get(id)!;
          for (const f of pair.flows) if (!child.flows.has(f)) (child.flows.add(f), (moved = true));
          for (const u of pair.usedBy) if (!child.usedBy.has(u)) (child.usedBy.add(u), (moved = true));
        }
      }
    }
    for (const [pair, changes] of found) {
      if (pair.flows.size === 0) continue;
      const [o, n] = [this.old.schemas[pair.oldKey], this.now.schemas[pair.newKey]];
      const subject = `schema ${n?.specName ?? pair.newKey}`;
      const usedBy = [...pair.usedBy];
      if (o && n && o.specName !== n.specName)
        this.add({ code: 'schema-renamed', subject, message: `schema ${o.specName} is now ${n.specName} (the generated type's name changes)`, ...both('info'), ...(n.at ? { at: n.at } : {}), usedBy });
      for (const c of changes) {
        const impacts = [...pair.flows].map((f) => impactOf(c.effect, f)).reduce((a, b) => ({ provider: worst(a.provider, b.provider), consumer: worst(a.consumer, b.consumer) }));
        this.schemaChange(c, subject, '', impacts, n?.at, usedBy);
      }
    }
  }
}

const qname = (q: { namespace: string; name: string } | undefined) => (q ? (q.namespace ? `{${q.namespace}}${q.name}` : q.name) : '(none)');

/** What a pattern change means on the wire, in a few words. */
function patternConsequence(o: OperationSnapshot, n: OperationSnapshot): string {
  const push = (op: OperationSnapshot) => op.pattern.startsWith('NONBLOCK_PUSH') && op.role === 'request';
  const pull = (op: OperationSnapshot) => op.pattern.startsWith('NONBLOCK_PULL') && op.role === 'request';
  if (push(o) && !push(n)) return ': the consumer no longer sends a callback address and the result no longer arrives at its callback endpoint';
  if (!push(o) && push(n)) return ': the consumer must send its callback address and serve the callback the result is delivered to';
  if (pull(o) && !pull(n)) return ': no more status polling; the consumer reads the answer directly';
  if (!pull(o) && pull(n)) return ': the answer is an ACK and a status resource the consumer polls';
  return '';
}

export type { Place } from './snapshot.js';
