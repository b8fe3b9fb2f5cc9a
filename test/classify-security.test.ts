// The classify stage's security decisions: per interaction, both directions of a push, the pull's
// steps, and who decided (spec, extension, config).
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadClassified, securityPatterns, type PullInteraction, type PushInteraction } from '../src/classify/index.js';
import { loadConfig } from '../src/config/index.js';
import { FIXTURES, tempDir } from './support/tmp.js';

const SECURED = join(FIXTURES, 'security', 'secured.yaml');

describe('declared security per interaction', () => {
  it('a push carries the request profile and the callback its own; a pull its steps', async () => {
    const classified = await loadClassified({ spec: SECURED });
    const byId = (id: string) => classified.interactions.find((i) => (i.kind === 'blocking' || i.kind === 'oneway' ? i.op : i.request).id === id)!;
    expect(securityPatterns(byId('M').security!)).toEqual(['ID_AUTH_REST_02', 'INTEGRITY_REST_02', 'AUDIT_REST_02']);
    expect(byId('M').security!.decidedBy).toBe('extension');
    expect(byId('M').security!.headers).toEqual(['Digest', 'Agid-JWT-TrackingEvidence']);
    expect(securityPatterns(byId('ReadOrder').security!)).toEqual(['ID_AUTH_REST_01']);
    expect(byId('GetStatus').security).toBeUndefined();
    const push = byId('PushM') as PushInteraction;
    expect(securityPatterns(push.security!)).toEqual(['ID_AUTH_REST_01', 'INTEGRITY_REST_02']);
    expect(push.security!.decidedBy).toBe('spec');
    expect(securityPatterns(push.callbackSecurity!)).toEqual(['ID_AUTH_REST_01', 'INTEGRITY_REST_02']);
    expect(push.receiver!.security).toBe(push.callbackSecurity);
    const pull = byId('SubmitTask') as PullInteraction;
    expect(securityPatterns(pull.statusSecurity!)).toEqual(['ID_AUTH_REST_01']);
    expect(securityPatterns(pull.resultSecurity!)).toEqual(['ID_AUTH_REST_01']);
  });

  it('the config overrides the spec and the extension, `none` included', async () => {
    const classified = await loadClassified({ spec: SECURED, security: { M: ['ID_AUTH_REST_01'], ReadOrder: 'none' } });
    const byId = (id: string) => classified.interactions.find((i) => i.kind === 'blocking' && i.op.id === id)!;
    expect(byId('M').security).toMatchObject({ idAuth: 'ID_AUTH_REST_01', decidedBy: 'config' });
    expect(byId('M').security!.integrity).toBeUndefined();
    expect(byId('ReadOrder').security).toBeUndefined();
  });

  it('accordo.config.yaml `security`: lists or none; an unknown pattern names the line', async () => {
    const dir = await tempDir('security-config');
    await writeFile(join(dir, 'accordo.config.yaml'), 'security:\n  M: [ID_AUTH_REST_02, INTEGRITY_REST_02]\n  ReadOrder: none\n');
    expect((await loadConfig(join(dir, 'accordo.config.yaml'))).security).toEqual({ M: ['ID_AUTH_REST_02', 'INTEGRITY_REST_02'], ReadOrder: 'none' });
    await writeFile(join(dir, 'accordo.config.yaml'), 'security:\n  M: [ID_AUTH_REST_03]\n');
    await expect(loadConfig(join(dir, 'accordo.config.yaml'))).rejects.toThrow(/security of M: "ID_AUTH_REST_03" is not a security pattern/);
  });
});
