// The CLI around generation: --version, typo suggestions, init, the config's JSON Schema, several
// agreements in one config, which config a run applies, --watch, and file system errors.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runGenerate } from '../src/cli/main.js';
import { watchGenerate } from '../src/cli/watch.js';
import { fileSystemError } from '../src/cli/fs-errors.js';
import { loadConfig } from '../src/config/index.js';
import { SpecError } from '../src/load/errors.js';
import { runCli } from './support/cli.js';
import { ROOT, tempDir } from './support/tmp.js';

const BIN = join(ROOT, 'bin', 'accordo.js');
const PUSH = join(ROOT, 'examples', 'nonblock-push-rest');
const SOAP = join(ROOT, 'examples', 'block-soap');

/** Runs the CLI with another working directory. */
async function runIn(cwd: string, args: string[]) {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return await runCli(args);
  } finally {
    process.chdir(before);
  }
}

describe('the command line', () => {
  it('--version prints the package version', () => {
    const res = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('a mistyped command gets the right one suggested', async () => {
    const res = await runCli(['genrate', 'x.yaml']);
    expect(res.code).toBe(2);
    expect(res.err).toMatch(/^error: unknown command "genrate": did you mean generate\?/);
  });
});

describe('accordo init', () => {
  it('writes a commented config that loads, points at the shipped JSON Schema, and says what the project needs', async () => {
    const dir = await tempDir('init');
    await writeFile(join(dir, 'package.json'), '{ "name": "x", "version": "1.0.0" }\n');
    const res = await runIn(dir, ['init', '--spec', 'specs/server.yaml']);
    expect(res.code).toBe(0);
    expect(res.out).toContain('package.json: set "type": "module"');
    expect(res.out).toContain('"moduleResolution": "NodeNext"');
    const text = await readFile(join(dir, 'accordo.config.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=/);
    const schemaPath = resolve(dir, /\$schema=(\S+)/.exec(text)![1]);
    expect(schemaPath).toBe(join(ROOT, 'dist', 'accordo.config.schema.json'));
    const config = await loadConfig(join(dir, 'accordo.config.yaml'));
    expect(config).toMatchObject({ spec: join(dir, 'specs', 'server.yaml'), out: join(dir, 'src', 'agreement'), side: 'both' });
    // The shipped schema is the one loadConfig checks with: the commented-out settings are valid too.
    const uncommented = text
      .replace(/^# ((?:callback|patterns|store|gateway|agreements):.*)$/gm, '$1')
      .replace(/^# {3}(\w.*)$/gm, '  $1')
      .replace(/^#\s{3}(- .*)$/gm, '  $1');
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(schemaPath, 'utf8')));
    expect(validate(parse(text)), JSON.stringify(validate.errors)).toBe(true);
    const withAgreements = parse(uncommented) as Record<string, unknown>;
    const { agreements, ...single } = withAgreements;
    expect(validate({ agreements }), JSON.stringify(validate.errors)).toBe(true);
    for (const key of ['spec', 'callback', 'out', 'side', 'patterns', 'gateway', 'store']) expect(single).toHaveProperty(key);
    expect(validate(single), JSON.stringify(validate.errors)).toBe(true);

    const again = await runIn(dir, ['init']);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/exists already/);
  });

  it('the committed examples are valid against the shipped schema, and a bad value is refused at its own line', async () => {
    const validate = new Ajv2020({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'dist', 'accordo.config.schema.json'), 'utf8')));
    for (const example of ['block-rest', 'nonblock-push-rest', 'nonblock-pull-soap']) {
      expect(validate(parse(readFileSync(join(ROOT, 'examples', example, 'accordo.config.yaml'), 'utf8'))), example).toBe(true);
    }
    const dir = await tempDir('badconf');
    await writeFile(join(dir, 'accordo.config.yaml'), 'spec: a.yaml\nside: both\npatterns:\n  A: BLOCK_REST\n  B: BLOCKING\n');
    const error = await loadConfig(join(dir, 'accordo.config.yaml')).catch((e) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect(error.describe(dir)).toMatch(/^accordo\.config\.yaml:5:\d+: "B" must be one of .*BLOCK_REST.*, not "BLOCKING" \(at #\/patterns\/B\)$/);
  });
});

describe('several agreements in one config', () => {
  async function project() {
    const dir = await tempDir('multi');
    await cp(join(PUSH, 'specs'), join(dir, 'push'), { recursive: true });
    await cp(join(SOAP, 'specs'), join(dir, 'soap'), { recursive: true });
    const gateway = (await readFile(join(PUSH, 'accordo.config.yaml'), 'utf8')).split('gateway:\n')[1].replace(/^/gm, '    ');
    await writeFile(
      join(dir, 'accordo.config.yaml'),
      `agreements:\n  - name: push\n    spec: push/server.yaml\n    callback: push/client.yaml\n    out: out/push\n    gateway:\n${gateway}\n  - spec: soap/server.wsdl\n    out: out/soap\n    side: provider\n`,
    );
    return dir;
  }

  it('generate writes each with its own settings; --agreement picks one; lint reads them all', async () => {
    const dir = await project();
    const res = await runIn(dir, ['generate']);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^push:\n/);
    expect(res.out).toContain('\nserver:\n');
    expect(readFileSync(join(dir, 'out', 'push', 'gateway', 'nginx', 'provider.conf'), 'utf8')).toContain('127.0.0.1:8480');
    expect(readFileSync(join(dir, 'out', 'soap', 'generated', 'provider.ts'), 'utf8')).toContain('SOAPBlockingImplService');
    expect(() => readFileSync(join(dir, 'out', 'soap', 'generated', 'consumer.ts'))).toThrow();
    const one = await runIn(dir, ['generate', '--agreement', 'server', '--check']);
    expect(one.code).toBe(0);
    expect(one.out).not.toContain('push:');
    expect((await runIn(dir, ['generate', '--agreement', 'nope'])).err).toMatch(/no agreement named "nope" in accordo\.config\.yaml \(push, server\)/);
    expect((await runIn(dir, ['lint', '--format', 'json'])).code).toBe(0);
  });

  it('refuses settings beside the list, and two agreements of one name', async () => {
    const dir = await tempDir('multi-bad');
    await writeFile(join(dir, 'a.yaml'), 'spec: x.yaml\nagreements:\n  - spec: y.yaml\n');
    expect((await loadConfig(join(dir, 'a.yaml')).catch((e: SpecError) => e.describe(dir))) as string).toMatch(/^a\.yaml:1:\d+: "spec" beside "agreements"/);
    await writeFile(join(dir, 'b.yaml'), 'agreements:\n  - spec: y.yaml\n  - spec: other/y.yaml\n');
    expect((await loadConfig(join(dir, 'b.yaml')).catch((e: SpecError) => e.describe(dir))) as string).toMatch(/^b\.yaml:3:\d+: two agreements are named "y"/);
  });
});

describe('a run with spec arguments and a config in the working directory', () => {
  it('applies the config when it is about that spec, and says so', async () => {
    const dir = await tempDir('applies');
    await cp(PUSH, dir, { recursive: true });
    const res = await runIn(dir, ['generate', 'specs/server.yaml', '--check']);
    expect(res.err).toMatch(/^applying accordo\.config\.yaml$/m);
    // The config's gateway section applied: its files are there and up to date.
    expect(res.code).toBe(0);
  });

  it('ignores the config of other specs, and says so', async () => {
    const dir = await tempDir('ignores');
    await cp(PUSH, dir, { recursive: true });
    const out = join(dir, 'soap-out');
    const res = await runIn(dir, ['generate', join(SOAP, 'specs', 'server.wsdl'), '--out', out]);
    expect(res.code).toBe(0);
    expect(res.err).toMatch(/^ignoring accordo\.config\.yaml: its specs are not .*server\.wsdl \(pass --config to apply it\)$/m);
    expect(res.out).not.toContain('gateway/');
  });
});

describe('accordo generate --watch', () => {
  it('regenerates when the spec changes and prints what changed', async () => {
    const dir = await tempDir('watch');
    await cp(join(ROOT, 'examples', 'block-rest'), dir, { recursive: true });
    const lines: string[] = [];
    const [log, error] = [console.log, console.error];
    console.log = console.error = (...a: unknown[]) => void lines.push(a.join(' '));
    onTestFinished(() => {
      [console.log, console.error] = [log, error];
    });
    const stop = new AbortController();
    const errors: unknown[] = [];
    const args = { config: join(dir, 'accordo.config.yaml'), check: false, lint: true };
    const watching = watchGenerate(args, runGenerate, { signal: stop.signal, onError: (e) => errors.push(e) });
    await expect.poll(() => lines.some((l) => l.startsWith('watching ')), { timeout: 20_000 }).toBe(true);
    expect(lines.join('\n')).toContain('nothing to do');

    const spec = join(dir, 'specs', 'server.yaml');
    const text = await readFile(spec, 'utf8');
    await writeFile(spec, text.replace(/(\n( +)b:\n\2  type: string\n)/, '$1$2watched:\n$2  type: boolean\n'));
    await expect.poll(() => lines.join('\n'), { timeout: 20_000 }).toMatch(/changed: .*server\.yaml\n(.*\n)* {2}wrote {4}generated\/types\.ts/);
    expect(await readFile(join(dir, 'generated', 'types.ts'), 'utf8')).toContain('watched?: boolean');

    // A broken spec is reported and the watch goes on.
    await writeFile(spec, 'openapi: [');
    await expect.poll(() => errors.length, { timeout: 20_000 }).toBe(1);
    stop.abort();
    expect(await watching).toBe(0);
  });
});

describe('file system errors', () => {
  it('say what failed and where', async () => {
    const dir = await tempDir('fs');
    await writeFile(join(dir, 'afile'), '');
    const res = await runCli(['generate', join(SOAP, 'specs', 'server.wsdl'), '--out', join(dir, 'afile', 'out'), '--config', join(SOAP, 'accordo.config.yaml')]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error: cannot create the directory .*afile\/out\/generated: a part of the path is a file, not a directory \(ENOTDIR\)$/m);
    // EACCES cannot be provoked as root: the error as Node.js raises it.
    const eacces = Object.assign(new Error("EACCES: permission denied, open '/srv/x/provider.handlers.ts'"), { code: 'EACCES', errno: -13, syscall: 'open', path: '/srv/x/provider.handlers.ts' });
    expect(fileSystemError(eacces)).toBe('cannot open /srv/x/provider.handlers.ts: permission denied (EACCES)');
    expect(fileSystemError(new Error('plain'))).toBeUndefined();
  });
});
