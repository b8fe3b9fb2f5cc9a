// The three lint mutants test/lint-rules-gaps.test.ts left alive in the mutation run of 2026-12-04
// (MUTATION.md): a schema mismatch inside an array body, a callback operation without a 200, and
// a cycle reached through a type that is not in one. Its own file, so that `npm run mutate -- lint`
// re-tests only the mutants these tests cover and have not killed yet (Stryker's vitest runner
// reports no test locations: a changed test file re-tests every mutant its tests cover).
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintAgreement } from '../src/lint/index.js';
import { loadClassified } from '../src/classify/index.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const gaps = join(fixtures, 'lint-gaps');
const lint = async (spec: string, callback?: string) =>
  lintAgreement(await loadClassified({ spec, callback })).map((f) => [f.rule, f.severity, relative(fixtures, f.file), f.line, f.pointer, f.message, f.fix]);

describe('lint rules, the survivors of the first mutation run', () => {
  it('agreement/callback-compatible: a reason inside an array body keeps its path, [].x', async () => {
    expect(await lint(join(gaps, 'compat-array.yaml'), join(gaps, 'compat-array.callback.yaml'))).toEqual([
      [
        'agreement/callback-compatible',
        'error',
        'lint-gaps/compat-array.callback.yaml',
        12,
        '/paths/~1MResponse/post/requestBody',
        "the result body the provider's spec declares for the callback completionCallback of PushMessage does not fit the callback operation PushResponseMessage the consumer serves: [].x: type string → integer",
        "give both specs the same result schema (the provider's declaration of the callback and PushResponseMessage's requestBody)",
      ],
    ]);
  });

  it('agreement/callback-compatible: a callback operation without a 200 has no ACK to compare (its 400 is not one)', async () => {
    expect(await lint(join(gaps, 'compat-array.yaml'), join(gaps, 'compat-no200.callback.yaml'))).toEqual([
      [
        'push-rest/callback-200',
        'error',
        'lint-gaps/compat-no200.callback.yaml',
        19,
        '/paths/~1MResponse/post/responses',
        'PushResponseMessage declares no 200 response: the consumer acknowledges the result with 200 OK',
        'add a 200 response to PushResponseMessage',
      ],
    ]);
  });

  it('rpc-soap/encoded-cycle: a type that contains itself and also one that is not in its cycle (Misto), and the cycle further down (Anello)', async () => {
    const cycle = (type: string) => [
      'rpc-soap/encoded-cycle',
      'warning',
      'lint-gaps/encoded-chain.wsdl',
      49,
      "/definitions[@name='Cicli']/binding[@name='CicliBinding']/operation[@name='invia']",
      `invia is rpc/encoded and its type ${type} contains itself: a peer may send such a value as a multi-ref graph with a cycle, which has no JSON form (the runtime answers a Client fault)`,
      `make sure the peers send ${type} values as trees (no value referenced from inside itself), or bind invia document/literal`,
    ];
    expect(await lint(join(gaps, 'encoded-chain.wsdl'))).toEqual([cycle('Anello'), cycle('Misto')]);
  });
});
