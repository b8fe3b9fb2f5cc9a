// ?wsdl of a WSDL whose schemas sit in other folders, nested and reached with ../: the WSDL (in
// api/orders/v1) imports schemas/orders/order.xsd, which imports ../../common/types.xsd (relative
// to its own folder, at another depth than the WSDL's), which includes codes/codes.xsd. Every
// document is served and every relative location rewritten, so a crawl and python3-zeep meet no 404.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'accordo/runtime';
import { generate } from '../src/generate.js';
import { ROOT, tempDir } from './support/tmp.js';

const run = promisify(execFile);
const NESTED = join(ROOT, 'test', 'fixtures', 'wsdl', 'nested');
const LOCATION = /\b(?:location|schemaLocation)\s*=\s*["']([^"']*)["']/g;

async function zeepPython(): Promise<string | undefined> {
  for (const python of ['/usr/bin/python3', 'python3']) {
    if (
      await run(python, ['-c', 'import zeep']).then(
        () => true,
        () => false,
      )
    )
      return python;
  }
  return undefined;
}
const python = await zeepPython();
if (!python && process.env.CI === 'true') throw new Error('python3-zeep is missing: CI must install it (apt-get install -y python3-zeep)');

describe('?wsdl with imports across folders', () => {
  let provider: FastifyInstance;
  let endpoint: string;
  let out: string;

  beforeAll(async () => {
    out = await tempDir('wsdl-nested');
    await generate({ spec: join(NESTED, 'api', 'orders', 'v1', 'orders.wsdl'), out, side: 'provider' });
    const gen = await import(join(out, 'generated', 'provider.ts'));
    provider = await gen.createProviderServer({
      placeOrder: async (req: { body: { item: string; quantity: number } }) => ({ body: { receipt: { number: `R-${req.body.quantity}`, item: req.body.item } } }),
    });
    endpoint = `${await provider.listen({ host: '127.0.0.1', port: 0 })}/orders/v1`;
  });
  afterAll(() => provider.close());

  it('the generated provider carries every document, keyed by its path from the WSDL folder, without reading the disk again', async () => {
    const generated = await readFile(join(out, 'generated', 'provider.ts'), 'utf8');
    for (const key of ['../../../common/codes/codes.xsd', '../../../common/types.xsd', '../../../schemas/orders/order.xsd']) expect(generated).toContain(`'${key}':`);
  });

  it('a crawl from ?wsdl reaches every document, each at an absolute URL of this endpoint, and meets no 404', async () => {
    const seen = new Map<string, string>();
    const queue = [`${endpoint}?wsdl`];
    while (queue.length) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const text = await res.text();
      seen.set(url, text);
      for (const [, location] of text.matchAll(LOCATION)) {
        // Every location is absolute: the soap:address (the endpoint), or a document of this endpoint.
        expect(location, `in ${url}`).toMatch(/^http:\/\//);
        if (location !== endpoint) queue.push(location.replaceAll('&amp;', '&'));
      }
    }
    const documents = [...seen.keys()].filter((u) => u.includes('?xsd='));
    expect(documents.map((u) => decodeURIComponent(u.split('?xsd=')[1])).sort()).toEqual(['../../../common/codes/codes.xsd', '../../../common/types.xsd', '../../../schemas/orders/order.xsd']);
    expect([...seen.keys()].every((u) => u.startsWith(endpoint))).toBe(true);
    expect(seen.get(`${endpoint}?wsdl`)).toContain(`<soap:address location="${endpoint}"/>`);
  });

  it('a key that is not one of the documents is a 404 fault, whatever path it spells', async () => {
    for (const key of ['../../../../etc/passwd', 'orders.wsdl', '__proto__', '']) {
      const res = await fetch(`${endpoint}?xsd=${encodeURIComponent(key)}`);
      if (key === '') expect(res.status).toBe(200);
      else {
        expect(res.status, key).toBe(404);
        expect(await res.text()).toContain('no document');
      }
    }
  });

  it.skipIf(!python)('python3-zeep loads the WSDL with all its schemas and calls the operation', async () => {
    const { stdout } = await run(python!, [join(ROOT, 'test', 'peers', 'zeep_orders.py'), `${endpoint}?wsdl`]);
    const answer = JSON.parse(stdout) as { result: unknown; loaded: string[] };
    expect(answer.result).toEqual({ number: 'R-2', item: 'ABC' });
    expect(answer.loaded.map((u) => decodeURIComponent(u.split('?')[1] ?? '')).sort()).toEqual([
      'wsdl',
      'xsd=../../../common/codes/codes.xsd',
      'xsd=../../../common/types.xsd',
      'xsd=../../../schemas/orders/order.xsd',
    ]);
  });
});
