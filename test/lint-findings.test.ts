// Where each lint finding points and whom it names, read from the fixture spec itself (not from the
// rules' code): the JSON pointer leads to the node the finding is about, or to the key to add under
// an existing node; the message names the operation that node belongs to (its operationId).
// Its own file, not lint.test.ts': Stryker's vitest runner reports no test locations, so a changed
// test file re-tests every mutant its tests cover (`npm run mutate -- lint`).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { lintAgreement } from '../src/lint/index.js';
import { loadClassified } from '../src/classify/index.js';

const lintFixtures = fileURLToPath(new URL('./fixtures/lint/', import.meta.url));

function specs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...specs(path));
    else if (/^(fail|warn).*\.yaml$/.test(entry) && !entry.endsWith('.callback.yaml')) out.push(path);
  }
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const tokens = (pointer: string) =>
  pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));

/** Findings placed at one operation that are about something else, and what their message names instead. */
const NAMES_OTHER: Record<string, (message: string, doc: unknown, file: string) => void> = {
  // About the whole callback spec (placed at its first operation): names the two files.
  'agreement/callback-unused': (message, _doc, file) => expect(message).toContain(file),
  // Placed at the status check that lacks its result operation: names the pull request (the POST) of the group.
  'pull-rest/result-operation': (message, doc) => {
    const posts = Object.values((doc as { paths: Record<string, Record<string, { operationId?: string }>> }).paths).flatMap((item) => (item.post?.operationId ? [item.post.operationId] : []));
    expect(
      posts.some((id) => message.includes(`declared for ${id}:`)),
      message,
    ).toBe(true);
  },
};

describe('lint findings point into the spec and name its operation', () => {
  it.each(specs(lintFixtures).map((f) => [relative(lintFixtures, f), f]))('%s', async (_name, spec) => {
    const callback = spec.replace(/\.yaml$/, '.callback.yaml');
    const findings = lintAgreement(await loadClassified({ spec, callback: existsSync(callback) ? callback : undefined }));
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) {
      const doc = parse(readFileSync(f.file, 'utf8')) as unknown;
      expect(f.pointer, `${f.rule}: a pointer`).toMatch(/^\/[^/]/);
      // Walk the pointer: every step but the last exists; the last exists too, or names what to add.
      let node: unknown = doc;
      let operationId: string | undefined;
      const path = tokens(f.pointer);
      path.forEach((t, i) => {
        const parent = node as Record<string, unknown> | unknown[];
        expect(parent !== null && typeof parent === 'object', `${f.rule}: ${f.pointer} leaves the document at ${t}`).toBe(true);
        node = (parent as Record<string, unknown>)[t];
        if (node === undefined) expect(i, `${f.rule}: ${f.pointer} has no ${t}`).toBe(path.length - 1);
        if (METHODS.includes(t) && node && typeof node === 'object') operationId = (node as { operationId?: string }).operationId;
      });
      if (f.rule in NAMES_OTHER) NAMES_OTHER[f.rule](f.message, doc, f.file);
      else if (operationId) expect(f.message, `${f.rule}: ${f.message}`).toContain(operationId);
    }
  });
});
