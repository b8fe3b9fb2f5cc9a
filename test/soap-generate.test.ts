// SOAP generation: deterministic output, the committed example up to date (--check), strict
// type-checking, a clear error without the callback WSDL (the real-world WSDLs: test/corpus/).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../src/classify/index.js';
import { generate, LintFailure } from '../src/generate.js';
import { lintAgreement } from '../src/lint/index.js';
import { SpecError } from '../src/load/errors.js';
import { filesUnder, runCli } from './support/cli.js';
import { FIXTURES, ROOT, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

const SEED = join(FIXTURES, 'seed', 'nonblock-push-soap');
const EXAMPLE = join(ROOT, 'examples', 'nonblock-push-soap');

describe('SOAP generation', () => {
  it('gives byte-identical files on every run, and they type-check under strict', async () => {
    const [a, b] = [await tempDir('soap-det-a'), await tempDir('soap-det-b')];
    for (const out of [a, b]) await generate({ spec: join(SEED, 'server.wsdl'), callback: join(SEED, 'callback.wsdl'), out, side: 'both' });
    const first = await filesUnder(a);
    expect(Object.keys(first).sort()).toEqual([
      'consumer.handlers.ts',
      'generated/.accordo-agreement.json',
      'generated/consumer.ts',
      'generated/operations.ts',
      'generated/provider.ts',
      'generated/schemas.ts',
      'generated/types.ts',
      'provider.handlers.ts',
    ]);
    const body = (s: string) => s.split('\n').slice(2).join('\n');
    const second = await filesUnder(b);
    for (const [name, text] of Object.entries(first)) expect(body(second[name]), name).toBe(body(text));
    expect(typecheck([a])).toEqual([]);
  });

  it('leaves the committed example unchanged (--check), and the example with its handlers type-checks', async () => {
    const { code: result, out } = await runCli(['generate', '--config', join(EXAMPLE, 'accordo.config.yaml'), '--check']);
    expect(out).toMatch(/up to date: 6 generated files/);
    expect(result).toBe(0);
    expect(typecheck([EXAMPLE])).toEqual([]);
  });

  it('a NONBLOCK_PUSH_SOAP provider without its callback WSDL: the same blocking finding from lint and from generate, --no-lint or not', async () => {
    const spec = join(SEED, 'server.wsdl');
    const linted = lintAgreement(await loadClassified({ spec })).filter((f) => f.severity === 'error');
    expect(linted.map((f) => f.rule)).toEqual(['push-soap/callback-wsdl']);
    expect(linted[0].message).toMatch(/MRequest is NONBLOCK_PUSH_SOAP but the agreement has no callback WSDL/);
    expect(linted[0].file).toBe(spec);
    for (const ignoreLint of [false, true]) {
      const e = await generate({ spec, out: await tempDir('soap-nocb'), side: 'both', ignoreLint }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LintFailure);
      expect((e as LintFailure).findings.filter((f) => f.severity === 'error')).toEqual(linted);
    }
  });
});
