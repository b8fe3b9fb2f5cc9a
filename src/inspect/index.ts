/**
 * `accordo inspect`: every operation of an agreement with the pattern it follows and the facts
 * of the spec that decided it, so a user can see (and override) what the generator will do.
 */
import { describeAnyCarrier, securityPatterns, type ClassifiedAgreement } from '../classify/index.js';
import type { SecurityDecision, SecurityPattern } from '../classify/security.js';
import type { HttpMethod, Interface, Operation, Pattern, PatternDecision, PatternRole } from '../model/agreement.js';

export interface InspectRow {
  /** `provider` for the provider's spec (with the callbacks it declares), `callback` for the callback spec (or a callback spec given alone). */
  interface: 'provider' | 'callback';
  /** The spec file the operation is in. */
  file: string;
  line?: number;
  operation: string;
  method: Uppercase<HttpMethod>;
  /** The path template, the callback URL expression for a declared callback, or the webhook's name. */
  path: string;
  pattern: Pattern;
  role?: PatternRole;
  /** The operation this one belongs with (PULL request, or the operation declaring the callback). */
  correlatedWith?: string;
  decidedBy: PatternDecision['decidedBy'];
  facts: string[];
  /** The security patterns its messages must satisfy, who decided them and why (absent: none declared). */
  security?: { patterns: SecurityPattern[]; decidedBy: SecurityDecision['decidedBy']; facts: string[] };
  /** A push request's carriers: where the callback address and the correlation id travel; a receiver's correlation id. */
  carriers?: { replyTo?: string; correlationId?: string };
}

/** The rows of the classified agreement: what lint judges and emit generates, as the classify stage decided it. */
export function inspectAgreement(classified: ClassifiedAgreement): InspectRow[] {
  const { agreement, specRole } = classified;
  return [...rowsOf(agreement.provider, specRole, classified), ...(agreement.callback ? rowsOf(agreement.callback, 'callback', classified) : [])];
}

function rowsOf(iface: Interface, side: InspectRow['interface'], classified: ClassifiedAgreement): InspectRow[] {
  const rows: InspectRow[] = [];
  const add = (op: Operation) => {
    rows.push({
      interface: side,
      file: op.location.file,
      line: op.location.line,
      operation: op.id,
      method: op.method.toUpperCase() as Uppercase<HttpMethod>,
      path: op.path,
      pattern: op.pattern.pattern,
      role: op.pattern.role,
      correlatedWith: op.pattern.correlatedWith,
      decidedBy: op.pattern.decidedBy,
      facts: [...op.pattern.facts],
    });
    const security = classified.securityOf(op);
    if (security) rows[rows.length - 1].security = { patterns: securityPatterns(security), decidedBy: security.decidedBy, facts: [...security.facts] };
    const interaction = side === 'provider' ? classified.interactionOf(op) : undefined;
    const receiver = classified.receivers.find((r) => r.op === op && r.pushes.length > 0);
    if (interaction?.kind === 'push' && interaction.request === op)
      rows[rows.length - 1].carriers = { replyTo: describeAnyCarrier(interaction.replyTo), correlationId: describeAnyCarrier(interaction.correlation) };
    else if (receiver?.correlation) rows[rows.length - 1].carriers = { correlationId: describeAnyCarrier(receiver.correlation) };
    for (const cb of op.callbacks) cb.operations.forEach(add);
  };
  iface.operations.forEach(add);
  // The provider spec's webhooks: what the provider sends to a configured target and the consumer receives.
  for (const webhook of classified.webhooks) if (iface.webhooks?.some((w) => w.op === webhook.op)) add(webhook.op);
  return rows;
}

export function formatInspect(rows: InspectRow[], format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  if (rows.length === 0) return 'no operations\n';
  const out: string[] = [];
  let current: string | undefined;
  for (const row of rows) {
    const heading = `${row.interface} ${row.file}`;
    if (heading !== current) {
      if (current !== undefined) out.push('');
      out.push(heading);
      current = heading;
    }
    const role = row.role ? ` ${row.role}${row.correlatedWith ? ` of ${row.correlatedWith}` : ''}` : '';
    out.push(`  ${row.operation}  ${row.method} ${row.path}${row.line ? `  (line ${row.line})` : ''}`);
    out.push(`    ${row.pattern}${role} (decided by ${row.decidedBy})`);
    for (const fact of row.facts) out.push(`      - ${fact}`);
    if (row.carriers?.replyTo) out.push(`    reply address in ${row.carriers.replyTo}`);
    if (row.carriers?.correlationId) out.push(`    correlation id in ${row.carriers.correlationId}`);
    if (row.security) {
      out.push(`    security ${row.security.patterns.join(' + ')} (decided by ${row.security.decidedBy})`);
      for (const fact of row.security.facts) out.push(`      - ${fact}`);
    }
  }
  return out.join('\n') + '\n';
}
