// The development corpus through one classify run each: inspect, lint and the generated descriptors
// agree on every operation (test/support/consistency.ts); and the declared error answers of a real
// push-style spec (CAMARA Quality on Demand) and of its callback are typed.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/generate.js';
import { checkAgreement } from '../support/consistency.js';
import { CORPUS, corpusMissing } from '../support/corpus.js';
import { filesUnder } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { typecheck } from '../support/typecheck.js';

const skip = corpusMissing();

/** The specs of seed/, modi/ and real/: pairs where a folder holds server + client/callback. */
function corpusSpecs(): { spec: string; callback?: string }[] {
  if (skip) return [];
  const out: { spec: string; callback?: string }[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir).sort();
    const server = entries.find((e) => /^server\.(ya?ml|wsdl)$/.test(e));
    const callback = entries.find((e) => /^(client\.ya?ml|callback\.wsdl)$/.test(e));
    for (const entry of entries) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry === server) out.push({ spec: path, ...(callback ? { callback: join(dir, callback) } : {}) });
      else if (entry !== callback && /\.(ya?ml|json|wsdl)$/.test(entry) && !/^(SOURCE|.*schema)/i.test(entry) && dir.includes(`${join(CORPUS, 'real')}`)) out.push({ spec: path });
    }
  };
  for (const part of ['seed', 'modi', 'real']) walk(join(CORPUS, part));
  return out;
}

describe.skipIf(skip)('inspect, lint and the generated descriptors agree on the corpus', () => {
  for (const { spec, callback } of corpusSpecs()) {
    it(`${spec.slice(CORPUS.length + 1)}${callback ? ` + ${callback.split('/').pop()}` : ''}`, async () => {
      // Specs the loader refuses (a named construct it does not support) have nothing to compare.
      const result = await checkAgreement(spec, callback).catch((e: Error) => (e.name === 'SpecError' ? 'refused' : Promise.reject(e)));
      if (result !== 'refused') expect(result.operations).toBeGreaterThanOrEqual(0);
    }, 60_000);
  }
});

describe.skipIf(skip)('typed error answers on a real spec', () => {
  it('CAMARA Quality on Demand: createSession is a subscription answered with typed 201 and 4xx bodies, its notification callback typed events', async () => {
    const out = await tempDir('camara-errors');
    await generate({ spec: join(CORPUS, 'real', 'openapi', 'camara-quality-on-demand-r4.1.yaml'), out, side: 'both' });
    const files = await filesUnder(out);
    expect(files['generated/types.ts']).toMatch(/export type CreateSessionResponse =[\s\S]*status: 201;[\s\S]*status: 400;[\s\S]*body: /);
    expect(files['generated/types.ts']).toMatch(/export type CreateSessionEvents = \{ notifications: CreateSessionNotificationsEvent \}/);
    expect(files['generated/types.ts']).toMatch(/export type PostNotificationError =[\s\S]*status: 400;/);
    expect(files['generated/provider.ts']).toMatch(/createSession: SubscriptionHandler<CreateSessionRequest, CreateSessionResponse, CreateSessionEvents>/);
    expect(files['generated/operations.ts']).toMatch(/credential: \{ pointer: '\/sinkCredential' \}/);
    expect(files['generated/consumer.ts']).toMatch(/postNotification: EventHandler<PostNotificationResult, PostNotificationAck>/);
    expect(typecheck([join(out, 'generated')])).toEqual([]);
  }, 120_000);
});
