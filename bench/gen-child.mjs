// One generation run, in its own process so that its peak memory is its own: prints one JSON line
// { ms, cpuMs, maxRssKb, stages } on stdout. `node bench/gen-child.mjs accordo|openapi-typescript <spec> <out>`.
// Plain JavaScript on purpose: no TypeScript loader in the process whose time and memory are measured.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

const [tool, spec, out] = process.argv.slice(2);
// One line on stderr for a failed run: the harness shows it (e.g. "WSDL agreements are not supported yet").
process.on('uncaughtException', (e) => {
  console.error(`error: ${e?.message ?? e}`);
  process.exit(1);
});
const stages = {};
const started = performance.now();

if (tool === 'accordo') {
  const { generate } = await import(new URL('../dist/generate.js', import.meta.url).href);
  await generate({ spec, out, side: 'both', ignoreLint: true, onStage: (stage, ms) => (stages[stage] = (stages[stage] ?? 0) + ms) });
} else if (tool === 'openapi-typescript') {
  // What its CLI does for one file: read, convert, print, write.
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  let t = performance.now();
  const lap = (stage) => {
    const now = performance.now();
    stages[stage] = now - t;
    t = now;
  };
  const ast = await openapiTS(pathToFileURL(spec));
  lap('load+convert');
  const text = astToString(ast);
  lap('print');
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  lap('write');
} else {
  throw new Error(`unknown tool ${tool}`);
}

// performance.now() counts from process start, so `totalMs` includes Node's start and module loading.
// CPU time (user + system) is reported too: on a machine shared with other work it varies less than wall time.
const usage = process.resourceUsage();
process.stdout.write(JSON.stringify({ ms: performance.now() - started, totalMs: performance.now(), cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKb: usage.maxRSS, stages }) + '\n');
