import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CI, skipWithout } from './ci.js';

/**
 * A real nginx for the gateway tests: Debian's package (`nginx-light` or `nginx`), started in
 * the foreground with a temporary prefix (pid, logs and temp files inside it), serving the
 * generated configuration files included in a minimal `http {}`. Only 127.0.0.1 is ever used.
 */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

const INSTALL = 'apt-get install nginx-light';

/** In CI a missing nginx fails the suite; locally the suite is skipped and says so. */
export function nginxOrSkip(suite: string): { nginx: string | undefined; skip: boolean } {
  const nginx = findNginx();
  if (nginx) return { nginx, skip: false };
  if (IN_CI) return { nginx: undefined, skip: false }; // requireNginx fails the suite, in its own hook
  return { nginx: undefined, skip: skipWithout('nginx is not installed', suite, INSTALL) };
}

export function requireNginx(nginx: string | undefined): string {
  if (!nginx) throw new Error(`nginx is not installed, and CI=${process.env.CI} requires it: ${INSTALL}`);
  return nginx;
}

/**
 * A free TCP port on 127.0.0.1 (free when asked: the caller binds it right after). Only for what
 * must be told its port before it starts: nginx's `listen` and the backends written into its
 * configuration. Node servers listen on port 0 and read theirs back.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function prefixWith(includes: string[]): Promise<{ prefix: string; conf: string }> {
  const prefix = await mkdtemp(join(tmpdir(), 'accordo-nginx-'));
  for (const d of ['logs', 'tmp']) await mkdir(join(prefix, d));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `    ${k}_temp_path ${join(prefix, 'tmp', k)};`).join('\n');
  const conf = join(prefix, 'nginx.conf');
  await writeFile(
    conf,
    [
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      `pid ${join(prefix, 'logs', 'nginx.pid')};`,
      `error_log ${join(prefix, 'logs', 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      '    access_log off;',
      temp,
      ...includes.map((f) => `    include ${f};`),
      '}',
      '',
    ].join('\n'),
  );
  return { prefix, conf };
}

/** `nginx -t` on the given files: the exit status and what nginx said. */
export async function nginxCheck(nginx: string, includes: string[]): Promise<{ ok: boolean; output: string }> {
  const { prefix, conf } = await prefixWith(includes);
  try {
    const r = spawnSync(nginx, ['-t', '-p', prefix, '-c', conf, '-e', join(prefix, 'logs', 'error.log')], { encoding: 'utf8' });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    await rm(prefix, { recursive: true, force: true });
  }
}

export interface RunningNginx {
  /** Stops this nginx (SIGQUIT to the process it started) and removes its prefix. */
  stop(): Promise<void>;
  errorLog(): Promise<string>;
}

/** Starts nginx with the files included and waits until every port accepts connections. */
export async function startNginx(nginx: string, includes: string[], ports: number[]): Promise<RunningNginx> {
  const { prefix, conf } = await prefixWith(includes);
  const errorLog = () => readFile(join(prefix, 'logs', 'error.log'), 'utf8').catch(() => '');
  const child: ChildProcess = spawn(nginx, ['-p', prefix, '-c', conf, '-e', join(prefix, 'logs', 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    await rm(prefix, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitForPort(port, () => child.exitCode !== null);
  } catch (e) {
    const log = await errorLog();
    await stop();
    throw new Error(`nginx did not start: ${(e as Error).message}\n${stderr}${log}`);
  }
  return { stop, errorLog };
}

async function waitForPort(port: number, dead: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (dead()) throw new Error('nginx exited');
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}
