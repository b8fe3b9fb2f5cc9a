// docs/errors.md lists the runtime's error codes: its table is the one in src/runtime/errors.ts.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUNTIME_ERRORS, isRuntimeErrorCode, runtimeCodeOfType, runtimeProblemType } from '../src/runtime/errors.js';
import { errorsTableMarkdown } from './support/errors-table.js';
import { ROOT } from './support/tmp.js';

describe('the runtime error codes', () => {
  it('docs/errors.md holds the table of RUNTIME_ERRORS, row for row', async () => {
    const doc = await readFile(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const table = /<!-- table:[^>]*-->\n([\s\S]*?)\n<!-- end table -->/.exec(doc)?.[1];
    expect(table).toBe(errorsTableMarkdown());
  });

  it('the README links the page from its error table', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('](docs/errors.md)');
  });

  it('every code is a URN segment and an XML local name, and its type reads back to it', () => {
    for (const code of Object.keys(RUNTIME_ERRORS)) {
      expect(code).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(isRuntimeErrorCode(code)).toBe(true);
      if (!isRuntimeErrorCode(code)) continue;
      expect(runtimeCodeOfType(runtimeProblemType(code))).toBe(code);
    }
    expect(runtimeCodeOfType('about:blank')).toBeUndefined();
    expect(runtimeCodeOfType('urn:accordo:error:toString')).toBeUndefined();
    expect(isRuntimeErrorCode('constructor')).toBe(false);
  });
});
