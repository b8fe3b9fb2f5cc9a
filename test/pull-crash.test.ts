// NONBLOCK_PULL_SOAP is durable by default: a task accepted by a provider process that is then
// killed (SIGKILL, mid-handler) is run again by the next process on the same store, once; a task
// whose handler is interrupted a second time fails instead of running a third time.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SoapFaultError } from 'accordo/runtime';
import { ProviderClient } from '../examples/nonblock-pull-soap/generated/consumer.js';
import { killHard as kill, startProvider } from './support/child.js';
import { until } from './support/push.js';
import { tempDir } from './support/tmp.js';
import { UUID_V7 } from './support/ids.js';

const script = fileURLToPath(new URL('./support/crash-pull-provider.ts', import.meta.url));

async function startChild(file: string, log: string): Promise<{ child: ChildProcess; api: ProviderClient }> {
  const { child, url } = await startProvider(script, [file, log]);
  return { child, api: new ProviderClient({ endpoint: `${url}/soap/nome-api/v1` }) };
}

/** The handler runs the log shows, by CorrelationID. */
function runsIn(log: string): Map<string, number[]> {
  const runs = new Map<string, number[]>();
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    const [id, run] = line.split(' ');
    runs.set(id, [...(runs.get(id) ?? []), Number(run)]);
  }
  return runs;
}

const status = async (api: ProviderClient, id: string) => (await api.mProcessingStatus({ body: {}, headers: { 'X-Correlation-ID': id } })).body.return?.status;

describe('SOAP pull across a provider crash', () => {
  it('a task whose process was killed mid-handler runs once more in the next process; interrupted twice, it fails', { timeout: 60_000 }, async () => {
    const dir = await tempDir('pull-crash');
    const file = join(dir, 'provider.db');
    const log = join(dir, 'handler.log');

    const first = await startChild(file, log);
    const accept = async (b: string) => {
      const id = (await first.api.mRequest({ body: { M: { o_id: 1, b } } })).headers?.['X-Correlation-ID'];
      expect(id).toMatch(UUID_V7);
      return id as string;
    };
    const once = await Promise.all([accept('hang-once'), accept('hang-once'), accept('hang-once')]);
    const twice = await accept('hang');
    await until(() => runsIn(log).size === 4, 20_000, 'all four handlers started');
    expect(await status(first.api, once[0])).toBe('processing');
    await kill(first.child);

    // The next process takes the tasks over once the dead one's lease has lapsed.
    const second = await startChild(file, log);
    for (const id of once) await until(async () => (await status(second.api, id)) === 'done', 20_000, `task ${id} done`);
    for (const id of once) expect(await second.api.mResponse({ body: {}, headers: { 'X-Correlation-ID': id } })).toEqual({ body: { return: { c: 'done in run 2' } }, headers: {} });
    await until(() => runsIn(log).get(twice)?.length === 2, 20_000, 'the hanging task started again');
    await kill(second.child);

    // Interrupted twice: the third process does not run it again, it reports it failed.
    const third = await startChild(file, log);
    const failed = async () => {
      const e = await third.api.mResponse({ body: {}, headers: { 'X-Correlation-ID': twice } }).catch((x: unknown) => x);
      return e instanceof SoapFaultError && e.code === 'Receiver' ? e : undefined;
    };
    await until(async () => (await failed()) !== undefined, 20_000, 'the twice-interrupted task failed');
    const fault = await failed();
    expect(fault).toMatchObject({ code: 'Receiver', reason: `the request "${twice}" failed: the request could not be processed` });

    const runs = runsIn(log);
    for (const id of once) expect(runs.get(id), `runs of ${id}`).toEqual([1, 2]);
    expect(runs.get(twice), 'runs of the task interrupted twice').toEqual([1, 2]);
    await kill(third.child);
  });
});
