// The declared error answers of push and pull requests are typed: the generated client's guard
// narrows a caught error to the spec's statuses and bodies (the provider's real 400 on loopback),
// and code that reads the typed body type-checks.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationRegistry, UnexpectedResponseError, type FastifyInstance } from 'accordo/runtime';
import { isPushMessageError, ProviderClient } from '../examples/nonblock-push-rest/generated/consumer.js';
import { createProviderServer } from '../examples/nonblock-push-rest/generated/provider.js';
import { handlers } from '../examples/nonblock-push-rest/provider.handlers.js';
import { isPushMessageError as isPullError } from '../examples/nonblock-pull-rest/generated/consumer.js';
import { ROOT, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

describe('typed error answers of a push request', () => {
  let provider: FastifyInstance;
  let client: ProviderClient;
  beforeAll(async () => {
    provider = await createProviderServer(handlers, { store: 'memory:', replyTo: { allowLoopback: true } });
    const baseUrl = await provider.listen({ host: '127.0.0.1', port: 0 });
    client = new ProviderClient({ baseUrl, callbackUrl: 'http://127.0.0.1:9/cb', registry: new CorrelationRegistry() });
  });
  afterAll(() => provider?.close());

  it("a declared 400 reaches the caller as a typed error whose body is the spec's ErrorMessage", async () => {
    const error = await client.pushMessage({ path: { id_resource: 1 }, body: { a: { a1s: ['not an integer'] } } as never }).catch((e: unknown) => e);
    expect(error, JSON.stringify(error)).toBeInstanceOf(UnexpectedResponseError);
    expect(isPushMessageError(error)).toBe(true);
    if (!isPushMessageError(error)) return;
    expect(error.status).toBe(400);
    expect(error.body).toMatchObject({ status: 400, title: expect.any(String), detail: expect.stringMatching(/a1s/) });
    // The runtime refused it (request validation), not the service: the problem type says so and the client reads it back.
    expect(error.body).toMatchObject({ type: 'urn:accordo:error:request-invalid' });
    expect(error.code).toBe('request-invalid');
    // Another operation's guard does not claim it.
    expect(isPullError(error)).toBe(false);
  });

  it('code that reads the typed body type-checks, and code that misreads it does not', async () => {
    const dir = await tempDir('typed-errors');
    const consumer = join(ROOT, 'examples', 'nonblock-push-rest', 'generated', 'consumer.js');
    await writeFile(
      join(dir, 'use.ts'),
      [
        `import { isPushMessageError } from ${JSON.stringify(consumer)};`,
        "import type { RuntimeErrorCode } from 'accordo/runtime';",
        'export function describe(error: unknown): string {',
        '  if (!isPushMessageError(error)) return "other";',
        '  const status: number = error.status;',
        '  const detail: string | undefined = error.body.detail;',
        '  const code: RuntimeErrorCode | undefined = error.code;',
        '  return `${status} ${detail} ${code === "correlation-unknown" ? "not ours" : code}`;',
        '}',
      ].join('\n'),
    );
    expect(typecheck([join(dir, 'use.ts')])).toEqual([]);
    // `code` is the union of the runtime's codes: a code that does not exist is a type error too.
    await writeFile(
      join(dir, 'misuse.ts'),
      `import { isPushMessageError } from ${JSON.stringify(consumer)};\nexport const f = (e: unknown) => (isPushMessageError(e) ? e.body.nonexistent : 0);\nexport const g = (e: unknown) => isPushMessageError(e) && e.code === 'no-such-code';\n`,
    );
    const misuse = typecheck([join(dir, 'misuse.ts')]).join('\n');
    expect(misuse).toMatch(/nonexistent/);
    expect(misuse).toMatch(/"no-such-code"' have no overlap/);
    // Two compilations of the generated client: slow on a loaded machine.
  }, 180_000);
});
