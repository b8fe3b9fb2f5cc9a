import type { Operation, Pattern, PatternDecision } from './agreement.js';
import { replyToHeaderOf } from './expression.js';

export const PATTERNS: readonly Pattern[] = [
  'BLOCK_REST',
  'NONBLOCK_PUSH_REST',
  'NONBLOCK_PULL_REST',
  'BLOCK_SOAP',
  'NONBLOCK_PUSH_SOAP',
  'NONBLOCK_PULL_SOAP',
  'ONEWAY',
];

export const REPLY_TO = 'X-ReplyTo';
export const CORRELATION_ID = 'X-Correlation-ID';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Derives the ModI pattern of a REST operation from the shape of its spec, and lists the facts
 * that decided it. `x-modi-pattern` on the operation, or an entry of the config file, overrides it.
 */
export function detectRestPattern(op: Omit<Operation, 'pattern'>, override?: Pattern): PatternDecision {
  if (override) return { pattern: override, decidedBy: 'config', facts: [`accordo.config.yaml sets ${override}`] };
  const ext = op.extensions['x-modi-pattern'];
  if (typeof ext === 'string' && (PATTERNS as readonly string[]).includes(ext)) {
    return { pattern: ext as Pattern, decidedBy: 'extension', facts: [`x-modi-pattern: ${ext}`] };
  }

  const push: string[] = [];
  if (op.parameters.some((p) => p.in === 'header' && same(p.name, REPLY_TO))) push.push(`header parameter ${REPLY_TO}`);
  for (const cb of op.callbacks) {
    const header = replyToHeaderOf(cb.expression);
    push.push(
      header ? `callback "${cb.name}" is sent to the URL in request header ${header}` : `declares callback "${cb.name}"`,
    );
  }
  const accepted = op.responses.find((r) => r.status === '202');
  if (push.length > 0) {
    if (accepted?.headers.some((h) => same(h.name, CORRELATION_ID))) push.push(`202 response with header ${CORRELATION_ID}`);
    else if (accepted) push.push('202 response');
    return { pattern: 'NONBLOCK_PUSH_REST', decidedBy: 'shape', facts: push };
  }

  const location = (status: string) => op.responses.find((r) => r.status === status)?.headers.some((h) => same(h.name, 'Location'));
  if (op.method === 'post' && accepted && location('202')) {
    return { pattern: 'NONBLOCK_PULL_REST', decidedBy: 'shape', facts: ['POST', '202 response with header Location'] };
  }
  if (op.method === 'get' && location('303')) {
    return { pattern: 'NONBLOCK_PULL_REST', decidedBy: 'shape', facts: ['GET', '303 response with header Location (status check)'] };
  }
  return {
    pattern: 'BLOCK_REST',
    decidedBy: 'shape',
    facts: ['no X-ReplyTo, callbacks, 202 + Location or 303: a blocking request/response'],
  };
}
