// A first hour without guessing: the package as npm publishes it (npm pack), installed into a new
// `npm init` project, and the README's quickstart run there as it is written: generate, type-check
// under strict and noUnused*, one push round trip on loopback. Offline: the registry is not asked;
// the tarball is unpacked into node_modules/accordo and the dependencies are linked from this
// repository's node_modules (what `npm install` would put there).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/tmp.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The sh blocks between the quickstart markers of the README, as one script. */
function quickstartScript(): string {
  const section = /<!-- quickstart[^>]*-->([\s\S]*?)<!-- \/quickstart -->/.exec(README)?.[1];
  if (!section) throw new Error('README.md has no quickstart section');
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

describe('the packed package and the README quickstart', () => {
  let work: string;
  let project: string;
  let pkg: string;
  let files: string[];

  beforeAll(async () => {
    // Outside the repository, so nothing resolves from it by accident.
    work = await mkdtemp(join(tmpdir(), 'accordo-quickstart-'));
    // dist/ is built by `npm test` (pretest): pack it as it is.
    const tarball = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('tar', ['-xzf', join(work, tarball), '-C', work]);
    pkg = join(work, 'package');
    files = readdirSync(pkg, { recursive: true, encoding: 'utf8' });
    project = join(work, 'project');
    await mkdir(join(project, 'node_modules', '.bin'), { recursive: true });
    await cp(pkg, join(project, 'node_modules', 'accordo'), { recursive: true });
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === '.bin' || name.startsWith('.') || name === 'accordo') continue;
      await symlink(join(ROOT, 'node_modules', name), join(project, 'node_modules', name));
    }
    for (const bin of ['tsc', 'tsserver']) await symlink(join(ROOT, 'node_modules', '.bin', bin), join(project, 'node_modules', '.bin', bin));
    await chmod(join(project, 'node_modules', 'accordo', 'bin', 'accordo.js'), 0o755);
    await symlink('../accordo/bin/accordo.js', join(project, 'node_modules', '.bin', 'accordo'));
  }, 120_000);
  afterAll(() => work && rm(work, { recursive: true, force: true }));

  it('ships a LICENSE, source maps with their sources, the files the README links, and the config schema', () => {
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    expect(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).license).toBe('Apache-2.0');
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources, sourcesContent } = JSON.parse(readFileSync(join(pkg, map), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
      expect(sourcesContent?.length, map).toBe(sources.length);
    }
    expect(files.some((f) => f.startsWith('src/') && f.endsWith('.ts'))).toBe(false);
    const links = [...README.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(existsSync(join(pkg, link)), link).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'accordo.config.schema.json'))).toBe(true);
  });

  it('ships the well-known schemas: the packed CLI loads an rpc/encoded WSDL importing the SOAP encoding by its published address, offline', () => {
    for (const file of ['soap-encoding.xsd', 'ws-addr.xsd', 'xml.xsd', 'README.md']) expect(files, file).toContain(`src/load/wsdl/well-known/${file}`);
    const res = spawnSync(process.execPath, [join(project, 'node_modules', 'accordo', 'bin', 'accordo.js'), 'lint', join(ROOT, 'test', 'fixtures', 'wsdl', 'rpc-encoded', 'anagrafe.wsdl')], {
      encoding: 'utf8',
    });
    expect(res.status, res.stderr + res.stdout).toBe(0);
    expect(res.stdout).toContain('no findings');
  });

  it('runs the quickstart as written: generate, tsc --strict --noUnusedLocals --noUnusedParameters, a push round trip', () => {
    // `npm install` is the one step done beforehand (offline, above); every other line runs as written.
    const script = `set -euo pipefail\nnpm() { if [ "$1" = install ]; then echo "npm install: done offline by the test"; else command npm "$@"; fi; }\n${quickstartScript()}`;
    const res = spawnSync('bash', ['-c', script], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, CI: '', npm_config_offline: 'true', npm_config_update_notifier: 'false' },
      timeout: 300_000,
    });
    expect(res.stderr + res.stdout).not.toMatch(/error TS/);
    expect(res.status, res.stderr + res.stdout).toBe(0);
    expect(res.stdout).toMatch(/accepted [0-9a-f-]{36} \{ outcome: 'ACK' \}/);
    expect(res.stdout).toContain("result { c: 'done: hello' }");
    expect(JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')).type).toBe('module');
    // The store is where the README says it is.
    expect(existsSync(join(project, 'accordo.db'))).toBe(true);
    expect(readFileSync(join(project, 'accordo.config.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=node_modules\/accordo\/dist\/accordo\.config\.schema\.json\n/);
  });
});
