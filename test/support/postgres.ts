import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { skipWithout } from './ci.js';

const run = promisify(execFile);

/**
 * A throwaway PostgreSQL cluster on 127.0.0.1 for one test file, or (with `ACCORDO_TEST_PG_SERVER`,
 * below) a share of a server started by someone else.
 */
export interface PgCluster {
  url: string;
  /** A fresh database in the cluster (each test gets empty tables). */
  createDatabase(name: string): Promise<string>;
  /** Stops the cluster; on a shared server, drops the databases this file created instead. */
  stop(): Promise<void>;
}

/**
 * `ACCORDO_TEST_PG_SERVER=postgres://user@127.0.0.1:PORT` (no database): use that running server
 * instead of starting a cluster per test file. Each `createDatabase` then creates a database whose
 * name is made unique on the server (the given name, this process's id and a counter: test files
 * running at once, in other processes too, never meet), and `stop` drops them (WITH (FORCE)).
 * `npm run mutate -- store-postgres` sets it (scripts/mutate.ts starts one cluster for the whole
 * run: a cluster per test run of each mutant would cost most of the run). Unset, as in `npm test`,
 * every test file starts and stops a cluster of its own.
 */
export const SHARED_SERVER_ENV = 'ACCORDO_TEST_PG_SERVER';

let sharedCount = 0;

/** A share of the running server at `base` (postgres://user@host:port): databases made and dropped here. */
function onSharedServer(base: string): PgCluster {
  const created: string[] = [];
  const admin = async <T>(work: (client: import('pg').Client) => Promise<T>): Promise<T> => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: `${base}/postgres` });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  return {
    url: `${base}/postgres`,
    async createDatabase(name) {
      // At most 63 bytes (PostgreSQL's identifier limit, longer ones are cut and could collide).
      const unique = `${name.slice(0, 30)}_${process.pid}_${++sharedCount}`;
      await admin((c) => c.query(`CREATE DATABASE "${unique}"`));
      created.push(unique);
      return `${base}/${unique}`;
    },
    async stop() {
      const names = created.splice(0);
      if (names.length === 0) return;
      await admin(async (c) => {
        for (const n of names) await c.query(`DROP DATABASE IF EXISTS "${n}" WITH (FORCE)`);
      });
    },
  };
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
 * Starts a cluster in a temp dir (or, with `ACCORDO_TEST_PG_SERVER` set, shares that server: see
 * above), or returns `undefined` (and says so) when the PostgreSQL
 * binaries are missing. Under a truthy CI a missing PostgreSQL is an error: CI must run these tests.
 * initdb refuses to run as root, so as root the cluster belongs to the `postgres` user. Without
 * `durable` the cluster does not sync to disk (fsync, synchronous_commit and full_page_writes off).
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PgCluster | undefined> {
  const shared = process.env[SHARED_SERVER_ENV];
  // The durable cluster (the benchmark) keeps its own settings: never the shared server's.
  if (shared && !options.durable) return onSharedServer(shared.replace(/\/+$/, ''));
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
