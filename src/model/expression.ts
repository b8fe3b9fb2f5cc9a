import type { RuntimeExpression, RuntimeExpressionPart } from './agreement.js';

/**
 * Parses an OpenAPI callback key such as `{$request.header#/X-ReplyTo}` or
 * `https://cb.example/{$request.query.id}/done` into literal and expression parts.
 * Returns an error message instead of throwing, so the loader can point at the spec.
 */
export function parseRuntimeExpression(raw: string): RuntimeExpression | { error: string } {
  const parts: RuntimeExpressionPart[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    if (open < 0) {
      parts.push({ kind: 'literal', text: rest });
      break;
    }
    if (open > 0) parts.push({ kind: 'literal', text: rest.slice(0, open) });
    const close = rest.indexOf('}', open);
    if (close < 0) return { error: `unclosed "{" in callback expression ${JSON.stringify(raw)}` };
    const inner = rest.slice(open + 1, close);
    const part = parseExpression(inner);
    if ('error' in part) return { error: `${part.error} in callback expression ${JSON.stringify(raw)}` };
    parts.push(part);
    rest = rest.slice(close + 1);
  }
  return { raw, parts };
}

function parseExpression(expr: string): RuntimeExpressionPart | { error: string } {
  if (expr === '$url') return { kind: 'url' };
  if (expr === '$method') return { kind: 'method' };
  let m = /^\$request\.header\.(.+)$/.exec(expr) ?? /^\$request\.header#\/(.+)$/.exec(expr);
  if (m) return { kind: 'header', name: m[1] };
  m = /^\$request\.query\.(.+)$/.exec(expr);
  if (m) return { kind: 'query', name: m[1] };
  m = /^\$request\.path\.(.+)$/.exec(expr);
  if (m) return { kind: 'path', name: m[1] };
  m = /^\$request\.body(#.*)?$/.exec(expr);
  if (m) return { kind: 'body', pointer: (m[1] ?? '#').slice(1) };
  return { error: `unsupported runtime expression "{${expr}}"` };
}

/** The header a callback URL is read from, when the whole URL is one header (the ModI case). */
export function replyToHeaderOf(expression: RuntimeExpression): string | undefined {
  const [only] = expression.parts;
  return expression.parts.length === 1 && only.kind === 'header' ? only.name : undefined;
}
