import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { generate } from '../../src/generate.js';
import { tempDir } from './tmp.js';

/** One request file of gateway/govway/<side>/, as the generator writes it. */
export interface Step {
  _generated: string;
  gateway: 'provider' | 'consumer';
  operation: string;
  method: string;
  path: string;
  query: Record<string, string>;
  body: Record<string, any>;
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

/** Generates the GovWay requests of a spec (and callback spec) and reads them back in order. */
export async function govwaySteps(name: string, spec: string, callback?: string): Promise<{ out: string; steps: Record<'provider' | 'consumer', Step[]> }> {
  const out = await tempDir(`govway-${name}`);
  await writeFile(join(out, 'accordo.config.yaml'), GATEWAY_YAML);
  const config = await loadConfig(join(out, 'accordo.config.yaml'));
  await generate({ spec, callback, out, side: 'both', gateway: config.gateway });
  const steps = { provider: [] as Step[], consumer: [] as Step[] };
  for (const side of ['provider', 'consumer'] as const) {
    const dir = join(out, 'gateway', 'govway', side);
    for (const f of (await readdir(dir)).sort()) steps[side].push(JSON.parse(await readFile(join(dir, f), 'utf8')));
  }
  return { out, steps };
}
