// The change report: scripted evolutions of a REST and a WSDL agreement (test/fixtures/diff/), each
// classified per side; the diff command (files, --base, formats, --fail-on) and generate's report.
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassified } from '../src/classify/index.js';
import { diffAgreements, snapshotOf, type ChangeReport } from '../src/diff/index.js';
import { runCli } from './support/cli.js';
import { FIXTURES, tempDir } from './support/tmp.js';

const DIR = join(FIXTURES, 'diff');
const REST = join(DIR, 'rest');
const SOAP = join(DIR, 'soap');
const CALLBACK_WSDL = join(SOAP, 'callback.wsdl');

async function diff(old: string, now: string, callback?: string): Promise<ChangeReport> {
  const snap = async (spec: string) => snapshotOf(await loadClassified({ spec, callback }), DIR);
  return diffAgreements(await snap(old), await snap(now));
}

/** `code subject | where | provider X, consumer Y` per change, for readable assertions. */
const brief = (r: ChangeReport) => r.changes.map((c) => `${c.code} ${c.subject}${c.where ? ` | ${c.where}` : ''} | provider ${c.provider}, consumer ${c.consumer}`);

const NOT_BUMPED = /breaking changes, but info\.version stays 1\.0: the major version is not bumped/;

describe('the change report on scripted REST evolutions (base.yaml → one change)', () => {
  const rest = (file: string) => join(REST, file);

  it('nothing changed: no changes, no warning', async () => {
    const r = await diff(rest('base.yaml'), rest('base.yaml'));
    expect(r.changes).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('add an operation: breaking for the provider (a handler to write), not for the consumer', async () => {
    const r = await diff(rest('base.yaml'), rest('add-operation.yaml'));
    expect(brief(r)).toEqual(['operation-added GetN (POST /resources/{id_resource}/N) | provider breaking, consumer non-breaking']);
    expect(r.changes[0].at).toEqual({ file: 'rest/add-operation.yaml', line: 86 });
  });

  it('remove an operation: breaking for the consumer (it calls it), not for the provider', async () => {
    const r = await diff(rest('add-operation.yaml'), rest('base.yaml'));
    expect(brief(r)).toEqual(['operation-removed GetN (POST /resources/{id_resource}/N) | provider non-breaking, consumer breaking']);
    expect(r.changes[0].at).toEqual({ file: 'rest/add-operation.yaml', line: 86 });
  });

  it('add a required request field: breaking for the consumer that sends it; the version is not bumped', async () => {
    const r = await diff(rest('base.yaml'), rest('add-required-field.yaml'));
    expect(brief(r)).toEqual(['property-became-required schema MType | .b | provider non-breaking, consumer breaking']);
    expect(r.changes[0].usedBy).toEqual(['PushMessage']);
    expect(r.warnings).toEqual([expect.stringMatching(NOT_BUMPED)]);
  });

  it('rename a response field: breaking for both (the ACK is written by one side and read by the other, and by the callback the other way)', async () => {
    const r = await diff(rest('base.yaml'), rest('rename-response-field.yaml'));
    expect(brief(r)).toEqual(['property-renamed schema ACKMessage | .outcome | provider breaking, consumer breaking']);
    expect(r.changes[0].message).toBe('renamed to esito');
    expect(r.changes[0].usedBy).toEqual(['PushMessage', 'PushMessage callback completionCallback']);
  });

  it('push → BLOCK: the pattern change first, then what goes with it, each per side', async () => {
    const r = await diff(rest('base.yaml'), rest('push-to-block.yaml'));
    expect(brief(r)).toEqual([
      'pattern-changed PushMessage (POST /resources/{id_resource}/M) | provider breaking, consumer breaking',
      'parameter-removed PushMessage (POST /resources/{id_resource}/M) | parameter header X-ReplyTo | provider breaking, consumer non-breaking',
      'response-status-added PushMessage (POST /resources/{id_resource}/M) | response 200 | provider non-breaking, consumer breaking',
      'response-status-removed PushMessage (POST /resources/{id_resource}/M) | ACK (202) | provider breaking, consumer non-breaking',
      'callback-removed PushMessage (POST /resources/{id_resource}/M) | callback completionCallback | provider non-breaking, consumer breaking',
    ]);
    expect(r.changes[0].message).toMatch(/^pattern NONBLOCK_PUSH_REST \(request\) → BLOCK_REST: the consumer no longer sends a callback address/);
  });

  it('version bump: the same breaking change with info.version 1.0 → 2.0 gives no warning', async () => {
    const r = await diff(rest('base.yaml'), rest('version-bump.yaml'));
    expect(brief(r)).toEqual(['version-changed RESTCallbackServer | provider info, consumer info', 'property-became-required schema MType | .b | provider non-breaking, consumer breaking']);
    expect(r.warnings).toEqual([]);
  });
});

describe('the change report on scripted WSDL evolutions (base.wsdl → one change, with the callback WSDL)', () => {
  const soap = (file: string) => join(SOAP, file);

  it('nothing changed: no changes', async () => {
    expect((await diff(soap('base.wsdl'), soap('base.wsdl'), CALLBACK_WSDL)).changes).toEqual([]);
  });

  it('add an operation: breaking for the provider only', async () => {
    expect(brief(await diff(soap('base.wsdl'), soap('add-operation.wsdl'), CALLBACK_WSDL))).toEqual(['operation-added GetM | provider breaking, consumer non-breaking']);
  });

  it('remove an operation: breaking for the consumer only', async () => {
    expect(brief(await diff(soap('add-operation.wsdl'), soap('base.wsdl'), CALLBACK_WSDL))).toEqual(['operation-removed GetM | provider non-breaking, consumer breaking']);
  });

  it('add a required request element: breaking for the consumer that sends it', async () => {
    const r = await diff(soap('base.wsdl'), soap('add-required-field.wsdl'), CALLBACK_WSDL);
    expect(brief(r)).toEqual(['property-added schema mType | .c | provider non-breaking, consumer breaking']);
    expect(r.changes[0].message).toBe('required property added');
  });

  it('rename a response element: breaking for both (an XSD sequence refuses the elements it does not declare)', async () => {
    const r = await diff(soap('base.wsdl'), soap('rename-response-field.wsdl'), CALLBACK_WSDL);
    expect(brief(r)).toEqual(['property-renamed schema ackMessage | .outcome | provider breaking, consumer breaking']);
  });

  it('push → BLOCK: the pattern change, and the carrier headers gone', async () => {
    const r = await diff(soap('base.wsdl'), soap('push-to-block.wsdl'), CALLBACK_WSDL);
    expect(brief(r)).toEqual([
      'pattern-changed MRequest | provider breaking, consumer breaking',
      'soap-header-removed MRequest | input header X-ReplyTo | provider breaking, consumer non-breaking',
      'soap-header-removed MRequest | output header X-Correlation-ID | provider non-breaking, consumer breaking',
    ]);
    expect(r.changes[0].message).toMatch(/^pattern NONBLOCK_PUSH_SOAP \(request\) → BLOCK_SOAP/);
  });

  it('version bump (the version in the target namespace): one namespace change, breaking for both, not repeated per element', async () => {
    const r = await diff(soap('base.wsdl'), soap('version-bump.wsdl'), CALLBACK_WSDL);
    expect(brief(r)).toEqual(['namespace-changed SOAPCallbackServerService | provider breaking, consumer breaking']);
  });
});

describe('accordo diff', () => {
  const rest = (file: string) => join(REST, file);

  it('prints the report as text; --fail-on breaking exits 4 when a side (--side) has a breaking change', async () => {
    const text = await runCli(['diff', rest('base.yaml'), rest('add-required-field.yaml')]);
    expect(text.code).toBe(0);
    expect(text.out).toContain('provider: 0 breaking, 1 non-breaking, 0 info');
    expect(text.out).toContain('consumer: 1 breaking, 0 non-breaking, 0 info');
    expect(text.out).toMatch(/provider non-breaking +consumer BREAKING +\.b: now required \[used by PushMessage\]/);
    expect(text.out).toMatch(/warning: breaking changes, but info\.version stays 1\.0/);
    expect((await runCli(['diff', rest('base.yaml'), rest('add-required-field.yaml'), '--fail-on', 'breaking'])).code).toBe(4);
    expect((await runCli(['diff', rest('base.yaml'), rest('add-required-field.yaml'), '--fail-on', 'breaking', '--side', 'provider'])).code).toBe(0);
    expect((await runCli(['diff', rest('base.yaml'), rest('add-required-field.yaml'), '--fail-on', 'non-breaking', '--side', 'provider'])).code).toBe(4);
    expect((await runCli(['diff', rest('base.yaml'), rest('base.yaml'), '--fail-on', 'info'])).code).toBe(0);
  });

  it('--format json parses back to the report; --format markdown is a table for a pull request', async () => {
    const json = JSON.parse((await runCli(['diff', rest('base.yaml'), rest('push-to-block.yaml'), '--format', 'json'])).out) as ChangeReport;
    expect(json.summary).toEqual({ provider: { breaking: 3, 'non-breaking': 2, info: 0 }, consumer: { breaking: 3, 'non-breaking': 2, info: 0 } });
    expect(json.changes[0]).toMatchObject({ code: 'pattern-changed', provider: 'breaking', consumer: 'breaking' });
    const md = (await runCli(['diff', rest('base.yaml'), rest('push-to-block.yaml'), '--format', 'markdown'])).out;
    expect(md).toContain('| where | change | provider | consumer |');
    expect(md).toMatch(
      /\| `PushMessage \(POST \/resources\/\{id_resource\}\/M\)` `parameter header X-ReplyTo` \(.*push-to-block\.yaml:15\) \| parameter removed \| \*\*breaking\*\* \| non-breaking \|/,
    );
    expect(md).toContain('> **Warning:** breaking changes');
  });

  it('takes the old and the new callback spec of a pair with --callback <old> <new>', async () => {
    const soap = (file: string) => join(SOAP, file);
    const r = await runCli(['diff', soap('base.wsdl'), soap('push-to-block.wsdl'), '--callback', CALLBACK_WSDL, CALLBACK_WSDL, '--format', 'json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as ChangeReport).changes.map((c) => c.code)).toEqual(['pattern-changed', 'soap-header-removed', 'soap-header-removed']);
    expect((await runCli(['diff', soap('base.wsdl'), soap('push-to-block.wsdl'), '--callback', CALLBACK_WSDL])).code).toBe(2);
  });

  it('--base <revision>: the spec as committed there against the working tree, read from git without touching it', async () => {
    const repo = await tempDir('diff-git');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args], { cwd: repo, stdio: 'pipe' }).toString();
    git('init', '-q');
    await mkdir(join(repo, 'specs'));
    const spec = join(repo, 'specs', 'server.yaml');
    await copyFile(rest('base.yaml'), spec);
    git('add', '.');
    git('commit', '-qm', 'v1');
    await copyFile(rest('add-required-field.yaml'), spec);
    const r = await runCli(['diff', '--base', 'HEAD', spec, '--format', 'json']);
    expect(r.err).toBe('');
    const report = JSON.parse(r.out) as ChangeReport;
    expect(report.old.file).toMatch(/specs\/server\.yaml \(at HEAD\)$/);
    expect(report.old.file.replace(' (at HEAD)', '')).toBe(report.new.file);
    expect(brief(report)).toEqual(['property-became-required schema MType | .b | provider non-breaking, consumer breaking']);
    expect(git('status', '--porcelain')).toBe(' M specs/server.yaml\n');
    const bad = await runCli(['diff', '--base', 'no-such-branch', spec]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/no-such-branch/);
    // A revision is never passed to git as an option.
    const option = await runCli(['diff', '--base=--output=x', spec]);
    expect(option.code).toBe(1);
    expect(option.err).toMatch(/not a git revision: "--output=x"/);
  });
});

describe('generate reports what changed since its last run', () => {
  it('keeps generated/.accordo-agreement.json; --check and the next run print the report; an unchanged run prints none', async () => {
    const dir = await tempDir('diff-generate');
    const spec = join(dir, 'server.yaml');
    const out = join(dir, 'out');
    await copyFile(join(REST, 'base.yaml'), spec);
    expect((await runCli(['generate', spec, '--out', out])).out).not.toContain('changed');
    const stored = JSON.parse(await readFile(join(out, 'generated', '.accordo-agreement.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(stored)).toEqual(['_generated', 'snapshot']);

    await copyFile(join(REST, 'rename-response-field.yaml'), spec);
    const check = await runCli(['generate', spec, '--out', out, '--check']);
    expect(check.code).toBe(3);
    expect(check.err).toContain('the agreement changed since the last generation:');
    expect(check.err).toMatch(/provider BREAKING +consumer BREAKING +\.outcome: renamed to esito/);
    expect(check.err).toContain('generated/.accordo-agreement.json');

    const run = await runCli(['generate', spec, '--out', out]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/schema ACKMessage {2}.*server\.yaml:\d+/);
    expect(run.out).toMatch(/\.outcome: renamed to esito/);
    const again = await runCli(['generate', spec, '--out', out]);
    expect(again.out).toBe('nothing to do: everything is up to date');
  });

  it('a spec edit that changes no message (a blank line, a description) changes nothing generated and reports nothing', async () => {
    const dir = await tempDir('diff-generate-blank');
    const spec = join(dir, 'server.yaml');
    const out = join(dir, 'out');
    await copyFile(join(REST, 'base.yaml'), spec);
    await runCli(['generate', spec, '--out', out]);
    // Every line moves down: the stored snapshot has no line numbers.
    await writeFile(spec, '\n\n' + (await readFile(spec, 'utf8')));
    const check = await runCli(['generate', spec, '--out', out, '--check']);
    expect(check.code).toBe(0);
    expect(check.err).not.toContain('changed');
  });
});
