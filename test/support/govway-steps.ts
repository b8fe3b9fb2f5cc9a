import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { generate } from '../../src/generate.js';
import { tempDir } from './tmp.js';

/** One request to the GovWay Config API. */
export interface Request {
  operation: string;
  method: string;
  path: string;
  body: Record<string, any>;
}
/** One request file of gateway/govway/<side>/, as the generator writes it. */
export interface Step extends Request {
  _generated: string;
  gateway: 'provider' | 'consumer';
  query: Record<string, string>;
  onConflict?: Request[];
}

/** A gateway section like a user's: both sides, GovWay only. */
export const GATEWAY_YAML = `gateway:
  targets: [govway]
  provider:
    organisation: ENTE
    backend: http://10.0.0.5:8080/rest/nome-api/v1
    gatewayUrl: https://gw.ente.example/govway
    application: EnteBackend
  consumer:
    organisation: Comune-Demo
    application: ClientApp
    callbackBackend: http://10.1.0.7:8081/rest/v1/client
    gatewayUrl: https://gw.comune.example/govway
`;

/** Generates the GovWay requests of a spec (and callback spec) and reads them back in file order. */
export async function govwaySteps(
  name: string,
  spec: string,
  callback?: string,
  govwaySection = '',
): Promise<{ out: string; files: Record<'provider' | 'consumer', string[]>; steps: Record<'provider' | 'consumer', Step[]>; readme: string }> {
  const out = await tempDir(`govway-${name}`);
  await writeFile(join(out, 'accordo.config.yaml'), GATEWAY_YAML + govwaySection);
  const config = await loadConfig(join(out, 'accordo.config.yaml'));
  await generate({ spec, callback, out, side: 'both', gateway: config.gateway });
  const steps = { provider: [] as Step[], consumer: [] as Step[] };
  const files = { provider: [] as string[], consumer: [] as string[] };
  for (const side of ['provider', 'consumer'] as const) {
    const dir = join(out, 'gateway', 'govway', side);
    files[side] = (await readdir(dir)).sort();
    for (const f of files[side]) steps[side].push(JSON.parse(await readFile(join(dir, f), 'utf8')));
  }
  return { out, files, steps, readme: await readFile(join(out, 'gateway', 'govway', 'README.md'), 'utf8') };
}
