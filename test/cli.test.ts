// The CLI's answers to bad input: one clear line naming the file and location, an exit code, no stack.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { ROOT, tempDir } from './support/tmp.js';

const BROKEN = join(ROOT, 'test', 'fixtures', 'broken');

describe('accordo generate on broken input', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['a missing file', [join(BROKEN, 'nope.yaml')], 1, /nope\.yaml: file not found/],
    ['bad YAML', [join(BROKEN, 'bad-yaml.yaml')], 1, /bad-yaml\.yaml:7:\d+: invalid YAML\/JSON: /],
    ['invalid OpenAPI', [join(BROKEN, 'invalid-openapi.yaml')], 1, /invalid-openapi\.yaml:9:9: invalid OpenAPI: .*descriptionx.* \(at #\/paths\/~1a\/post\/responses\/200\)/],
    // An invalid value behind a $ref is reported at its own line, in its own file, not at the $ref.
    [
      'an invalid value in a referenced schema',
      [join(BROKEN, 'invalid-schema-value.yaml')],
      1,
      /invalid-schema-value\.yaml:27:11: invalid OpenAPI: minimum must be number \(at #\/components\/schemas\/A\/properties\/n\/minimum\)/,
    ],
    [
      'an invalid value in a schema of another file',
      [join(BROKEN, 'invalid-schema-file.yaml')],
      1,
      /invalid-schema-common\.yaml:6:7: invalid OpenAPI: type must be equal to one of the allowed values \(at #\/B\/properties\/c\/type\)/,
    ],
    [
      'an unresolvable $ref',
      [join(BROKEN, 'missing-ref.yaml')],
      1,
      /missing-ref\.yaml:14:17: unresolvable \$ref: .*Missing.* \(at #\/paths\/~1a\/post\/responses\/200\/content\/application~1json\/schema\/\$ref\)/,
    ],
    ['a $ref to a missing file', [join(BROKEN, 'missing-file-ref.yaml')], 1, /missing-file-ref\.yaml:14:17: cannot resolve \$ref: cannot open .*nowhere\/common\.yaml/],
    ['Swagger 2.0', [join(BROKEN, 'swagger2.yaml')], 1, /swagger2\.yaml:1:1: Swagger 2\.0 is not supported/],
    ['an invalid header name', [join(BROKEN, 'bad-header.yaml')], 1, /bad-header\.yaml:7:\d+: header name "Bad Header" is not a valid HTTP header name/],
    ['a bad config file', ['--config', join(BROKEN, 'bad.config.yaml')], 1, /bad\.config\.yaml:2:1: unknown setting "sidee"/],
    ['a missing config file', ['--config', join(BROKEN, 'none.config.yaml')], 1, /none\.config\.yaml: config file not found/],
    ['an unknown option', [join(BROKEN, 'swagger2.yaml'), '--sid', 'provider'], 2, /Unknown argument: sid/],
    ['a bad --side', [join(BROKEN, 'swagger2.yaml'), '--side', 'middle'], 2, /Invalid values/],
  ];

  it.each(cases)('%s: one clear message and its exit code', async (_name, args, code, message) => {
    const out = await tempDir('cli');
    const res = await runCli(['generate', ...args, '--out', out]);
    expect(res.err).toMatch(message);
    expect(res.code).toBe(code);
    expect(res.err).not.toMatch(/\n\s+at /);
    if (code === 1) expect(res.err.split('\n')).toHaveLength(1);
  });

  it('says what to do when no spec and no config is given', async () => {
    const cwd = process.cwd();
    process.chdir(await tempDir('cli-empty'));
    try {
      const res = await runCli(['generate']);
      expect(res.code).toBe(2);
      expect(res.err).toMatch(/no spec given: pass one, or write accordo\.config\.yaml/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('reads accordo.config.yaml from the current directory for a bare `accordo generate`', async () => {
    const cwd = process.cwd();
    process.chdir(join(ROOT, 'examples', 'nonblock-push-rest'));
    try {
      const res = await runCli(['generate', '--check']);
      expect(res.code).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('the accordo binary', () => {
  it('prints help with examples', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'bin', 'accordo.js'), 'generate', '--help'], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(/--callback/);
    expect(res.stdout).toMatch(/Examples:/);
    expect(res.stdout).toMatch(/--check/);
  });

  it('exits non-zero with the message on stderr', () => {
    const res = spawnSync(process.execPath, [join(ROOT, 'bin', 'accordo.js'), 'generate', join(BROKEN, 'missing-ref.yaml'), '--check'], { encoding: 'utf8' });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/^error: .*missing-ref\.yaml:14:17: unresolvable \$ref/);
  });
});
