// Loggers for tests that drive runtime parts (the task worker) directly: they keep what is logged.
import type { FastifyBaseLogger } from 'fastify';

/** A logger that keeps each line (level, fields, message); its child loggers write to the same lines, without their bindings. */
export function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown> | string, msg?: string) => lines.push(typeof fields === 'string' ? { level, fields: {}, msg: fields } : { level, fields, msg });
  const log = { child: () => log, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as FastifyBaseLogger;
  return { log, lines };
}

/** A logger that keeps each line's message with the fields its child loggers were made with. */
export function boundRecorder() {
  const lines: { bindings: Record<string, unknown>; msg?: string }[] = [];
  const make = (bindings: Record<string, unknown>): FastifyBaseLogger => {
    const at = (fields: unknown, msg?: string) => lines.push({ bindings, msg: typeof fields === 'string' ? fields : msg });
    return { child: (more: Record<string, unknown>) => make({ ...bindings, ...more }), info: at, warn: at, error: at, debug: at } as unknown as FastifyBaseLogger;
  };
  return { log: make({}), lines };
}
