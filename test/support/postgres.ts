import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { skipWithout } from './ci.js';

const run = promisify(execFile);

/** A throwaway PostgreSQL cluster on 127.0.0.1 for one test file. */
export interface PgCluster {
  url: string;
  /** A fresh database in the cluster (each test gets empty tables). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's server binaries, newest version first; `PG_BIN` overrides. */
function findBin(): string | undefined {
  if (process.env.PG_BIN) return existsSync(join(process.env.PG_BIN, 'initdb')) ? process.env.PG_BIN : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a cluster in a temp dir, or returns `undefined` (and says so) when the PostgreSQL
 * binaries are missing. Under a truthy CI a missing PostgreSQL is an error: CI must run these tests.
 * initdb refuses to run as root, so as root the cluster belongs to the `postgres` user. Without
 * `durable` the cluster does not sync to disk (fsync, synchronous_commit and full_page_writes off).
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PgCluster | undefined> {
  const bin = findBin();
  if (!bin) {
    skipWithout('PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin', 'PostgreSQL tests', 'apt-get install postgresql, or set PG_BIN');
    return undefined;
  }
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'accordo-pg-'));
  const as = async (cmd: string, args: string[]) => {
    const file = join(bin, cmd);
    return asRoot ? run('runuser', ['-u', 'postgres', '--', file, ...args]) : run(file, args);
  };
  if (asRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  const port = await freePort();
  await as('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  // Tests trade durability for speed; `durable` keeps PostgreSQL's defaults (a commit is on disk), as the benchmark needs.
  const sync = options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir}${sync} -c max_connections=100`;
  await as('pg_ctl', ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
  const base = `postgres://postgres@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    async createDatabase(name) {
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: `${base}/postgres` });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `${base}/${name}`;
    },
    async stop() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
