import { RUNTIME_ERRORS, type RuntimeErrorCode } from '../../src/runtime/errors.js';

/** docs/errors.md's table of runtime errors, as the table in src/runtime/errors.ts makes it. */
export function errorsTableMarkdown(): string {
  const rows = (Object.keys(RUNTIME_ERRORS) as RuntimeErrorCode[]).map((code) => {
    const e = RUNTIME_ERRORS[code];
    return `| \`${code}\` | ${e.status} | ${e.fault} | ${e.meaning} |`;
  });
  return ['| code | HTTP status (REST) | SOAP fault class | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
