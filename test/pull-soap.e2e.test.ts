// NONBLOCK_PULL_SOAP over loopback, generated from the guideline's WSDL (fixtures/modi/NONBLOCK_PULL_SOAP):
// MRequest answers the ACK with X-Correlation-ID; MProcessingStatus and MResponse take it back. The
// six envelopes match the guideline's messages as XML infosets.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PullTimeoutError, SoapFaultError, type FastifyInstance } from 'accordo/runtime';
import { WireLog } from '../examples/shared/wire.js';
import { generate } from '../src/generate.js';
import { infoset } from './support/infoset.js';
import { FIXTURES, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';
import { UUID_V7 } from './support/ids.js';

const DIR = join(FIXTURES, 'modi', 'NONBLOCK_PULL_SOAP');
const SEED_ID = 'c8e191a8-f34f-41ed-82ea-68e096466707';

describe('NONBLOCK_PULL_SOAP', () => {
  let out: string;
  let provider: FastifyInstance;
  let api: any;
  const log = new WireLog();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    out = await tempDir('pull-soap');
    await generate({ spec: join(DIR, 'server.wsdl'), out, side: 'both' });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    const con = await import(join(out, 'generated', 'consumer.ts'));
    provider = await gen.createProviderServer(
      {
        mRequest: {
          acknowledge: () => ({ return: { status: 'accepted', message: 'Preso carico della richiesta' } }),
          process: async () => (await gate, { return: { c: 'OK' } }),
          status: (task: { state: string }) =>
            task.state === 'done' ? { return: { status: 'done', message: 'Richiesta completata' } } : { return: { status: 'processing', message: 'Richiesta in fase di processamento' } },
        },
      },
      { store: 'memory:' },
    );
    log.trace(provider, 'provider', 'consumer');
    const base = await provider.listen({ host: '127.0.0.1', port: 0 });
    api = new con.ProviderClient({ endpoint: `${base}/soap/nome-api/v1` });
  });
  afterAll(() => provider.close());

  it('generates code that type-checks under strict, with one handler for the three operations', async () => {
    expect(typecheck([out])).toEqual([]);
    expect(await readFile(join(out, 'generated', 'provider.ts'), 'utf8')).toContain('mRequest: PullHandler<MRequestRequest, MRequestAck, MRequestStatus, MRequestResult>;');
  });

  it('request, status (processing, then done) and result: the guideline messages', async () => {
    const accepted = await api.mRequest({ body: { M: { o_id: 1234, a: { a1s: ['1'], a2: 'prova' }, b: 'prova' } } });
    const id = accepted.headers['X-Correlation-ID'];
    expect(id).toMatch(UUID_V7);
    const withId = { body: {}, headers: { 'X-Correlation-ID': id } };
    expect((await api.mProcessingStatus(withId)).body.return.status).toBe('processing');
    await expect(api.mResponse(withId)).rejects.toMatchObject({ code: 'Sender', reason: `the result of "${id}" is not ready` });
    release();
    let status;
    for (let i = 0; i < 50 && (status = (await api.mProcessingStatus(withId)).body.return.status) !== 'done'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(status).toBe('done');
    expect(await api.mResponse(withId)).toEqual({ body: { return: { c: 'OK' } }, headers: {} });

    const files = ['01-request.xml', '02-response-accepted.xml', '03-status-request.xml', '04-status-response-processing.xml'];
    const m = log.messages;
    for (const [i, file] of files.entries()) expect(infoset(m[i].body), file).toEqual(infoset((await readFile(join(DIR, file), 'utf8')).replace(SEED_ID, id)));
    const last = m.slice(-4).map((x) => infoset(x.body));
    for (const [i, file] of ['03-status-request.xml', '04-status-response-done.xml', '05-result-request.xml', '06-result-response.xml'].entries()) {
      expect(last[i], file).toEqual(infoset((await readFile(join(DIR, file), 'utf8')).replace(SEED_ID, id)));
    }
    expect(m.every((x) => x.line.startsWith('POST') || x.line === '200 OK' || x.line.startsWith('500'))).toBe(true);
  });

  it('the client waits for the result itself, and gives up with a typed timeout', async () => {
    const isDone = (s: { return?: { status?: string } }) => s.return?.status === 'done';
    await expect(api.mRequestAwait({ body: { M: { o_id: 1 } } }, { isDone, initialDelayMs: 10 })).resolves.toEqual({ return: { c: 'OK' } });
    const never = await api.mRequestAwait({ body: { M: { o_id: 2 } } }, { isDone: () => false, initialDelayMs: 10, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(never).toBeInstanceOf(PullTimeoutError);
  });

  it('an unknown CorrelationID: a Sender fault naming it', async () => {
    const e = await api.mProcessingStatus({ body: {}, headers: { 'X-Correlation-ID': 'nope' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SoapFaultError);
    expect(e).toMatchObject({ code: 'Sender', reason: 'unknown CorrelationID "nope"' });
  });
});
