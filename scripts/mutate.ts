/**
 * `npm run mutate [-- GROUP... | --changed [--budget-minutes=N] | --report]`: mutation testing of the runtime and the
 * lint rules with StrykerJS (stryker.config.mjs), one module group at a time, then MUTATION.md.
 *
 * Each group keeps its own incremental file, mutation/<group>.json (committed): Stryker re-tests
 * only the mutants whose code or covering tests changed since, and the file is also what
 * MUTATION.md is written from. `--changed` runs only the groups whose source files differ from
 * those of their last run, by the hashes mutation/runs.json keeps (what CI runs; groups never run
 * are left to a developer);
 * `--budget-minutes=N` runs each group in a child process stopped when N minutes are spent (its
 * incremental file is then left as it was); `--report` only rewrites MUTATION.md.
 * Survivors are explained in mutation/notes.json (equivalent mutants, and why).
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { Stryker } from '@stryker-mutator/core';
import { SHARED_SERVER_ENV, startPostgres } from '../test/support/postgres.js';

interface Group {
  name: string;
  /** What it covers, in MUTATION.md. */
  title: string;
  mutate: string[];
  /** The test files that guard it: the only ones run against its mutants (vitest.mutate.config.ts). */
  tests: string[];
  /** Environment of its test runs. */
  env?: Record<string, string>;
  /**
   * Leave out its static mutants (code run while the tests start their servers, outside any one
   * test): each would run every test of the group, most of its time on two shared cores.
   * MUTATION.md counts them as "static, not run" beside the score.
   */
  ignoreStatic?: boolean;
  /**
   * Its tests need PostgreSQL: one cluster is started for the group's whole run and its tests make
   * their databases on it (ACCORDO_TEST_PG_SERVER, test/support/postgres.ts) instead of starting a
   * cluster in each test run of each mutant. Without PostgreSQL the group fails rather than skip.
   */
  postgres?: boolean;
}

const PUSH_E2E = ['test/push-engine.e2e.test.ts', 'test/push-rest.e2e.test.ts', 'test/push-soap.e2e.test.ts'];
const PULL_E2E = ['test/pull-rest.e2e.test.ts', 'test/pull-soap.e2e.test.ts', 'test/store-pull.test.ts', 'test/soap-durable.test.ts'];
const STORE_TESTS = ['test/store-semantics.test.ts', 'test/store-pull.test.ts', 'test/store-admin.test.ts', 'test/store-consumer.test.ts', 'test/store-postgres.test.ts', 'test/delivery.test.ts'];

/**
 * The module groups, in the order a full run takes them (most important first: the documented
 * promises of the X-ReplyTo guard, delivery, the push engine and the SQL stores).
 */
export const GROUPS: Group[] = [
  {
    name: 'reply-to',
    title: 'X-ReplyTo guard (reply-to.ts) and its memo (memo.ts)',
    mutate: ['src/runtime/reply-to.ts', 'src/runtime/memo.ts'],
    tests: ['test/ssrf.test.ts', 'test/push-engine.e2e.test.ts', 'test/memo.test.ts'],
  },
  {
    name: 'delivery',
    title: 'Delivery rules (delivery.ts)',
    mutate: ['src/runtime/delivery.ts'],
    tests: ['test/delivery-rules.test.ts', 'test/delivery.test.ts', 'test/delivery-faults.test.ts', 'test/push-engine.e2e.test.ts'],
  },
  {
    name: 'push-engine',
    title: 'Push engine (engines/push.ts)',
    mutate: ['src/runtime/engines/push.ts'],
    // security.e2e: the verified claims an acknowledge handler gets, and keeps in the task for process.
    // push-accept: the stored task, and the logger made only when something logs.
    tests: [...PUSH_E2E, 'test/push-accept.test.ts', 'test/ssrf.test.ts', 'test/security.e2e.test.ts'],
  },
  {
    name: 'store-sql',
    title: 'SQL stores, shared part (store/sql.ts), on SQLite',
    mutate: ['src/runtime/store/sql.ts'],
    tests: [...STORE_TESTS.filter((t) => t !== 'test/store-postgres.test.ts'), 'test/store-ledgers.test.ts', 'test/store-edges.test.ts', 'test/store-leased.test.ts'],
    // Each test run of a mutant would start a PostgreSQL cluster: these runs use SQLite (and the
    // memory store), and PostgreSQL is left to npm test. CI cleared so the skip prints, not fails.
    env: { PG_BIN: '/nonexistent', CI: '' },
  },
  {
    name: 'engines',
    title: 'Other engines (engines/tasks, pull, oneway, blocking)',
    mutate: ['src/runtime/engines/tasks.ts', 'src/runtime/engines/pull.ts', 'src/runtime/engines/oneway.ts', 'src/runtime/engines/blocking.ts'],
    // Not typed-errors.e2e: it type-checks generated consumer code and reads the consumer's typed
    // errors, no engine code; each of its runs costs a tsc.
    tests: [
      ...PUSH_E2E,
      ...PULL_E2E,
      'test/block-rest.e2e.test.ts',
      'test/block-soap.e2e.test.ts',
      'test/soap-block.e2e.test.ts',
      'test/oneway.e2e.test.ts',
      'test/pull-task-states.test.ts',
      'test/push-accept.test.ts',
      'test/task-runtime.test.ts',
      // The connect timeout tasks.ts hands the reply-address guard (a target that never completes the handshake).
      'test/ssrf.test.ts',
      // An accepted task written leased to its own worker, or unleased when the worker has no room.
      'test/task-adoption.test.ts',
    ],
    // 79 of its 222 mutants are static (the engines are built when a test file starts its
    // providers) and would take 90 % of the run: about 80 s each.
    ignoreStatic: true,
  },
  {
    name: 'subscription',
    title: 'Subscription engine (engines/subscription.ts)',
    mutate: ['src/runtime/engines/subscription.ts'],
    tests: ['test/subscription-rest.e2e.test.ts', 'test/subscription-engine.test.ts'],
  },
  {
    name: 'worker',
    title: 'Task worker (worker.ts)',
    mutate: ['src/runtime/worker.ts'],
    tests: [
      'test/delivery.test.ts',
      'test/push-engine.e2e.test.ts',
      'test/lease.test.ts',
      'test/store-pull.test.ts',
      'test/delivery-faults.test.ts',
      'test/soap-durable.test.ts',
      // The worker alone on a store with a scripted attempt: per-target limits and the circuit.
      'test/worker-targets.test.ts',
      'test/task-runtime.test.ts',
      // The first run's survivors: pull runs, dead letters, the stored result, the queue limit, the sweep, shutdown.
      'test/worker-survivors.test.ts',
      // Tasks taken from the accepting request (leaseFor, adopt) and claims only while the store may hold work.
      'test/task-adoption.test.ts',
      // When it claims (a wake, a freed slot after full claims, targets left out) and when it takes a task leased: counted claims.
      'test/worker-claims.test.ts',
    ],
    // The worker is built and started when a test file starts its providers: like the engines'.
    ignoreStatic: true,
  },
  {
    name: 'stores',
    title: 'Stores (store/memory, sqlite, index), SQLite and memory',
    mutate: ['src/runtime/store/memory.ts', 'src/runtime/store/sqlite.ts', 'src/runtime/store/index.ts'],
    // The store tests alone (the end-to-end files that also use a store cost a provider each), and
    // without PostgreSQL, as for store-sql.
    tests: [
      'test/store-semantics.test.ts',
      'test/store-pull.test.ts',
      'test/store-admin.test.ts',
      'test/store-consumer.test.ts',
      'test/store-ledgers.test.ts',
      'test/store-edges.test.ts',
      // The SQLite store's thread (open failure, the thread ending or failing) and its lock wait's timers; the reference filter.
      'test/store-sqlite-thread.test.ts',
      'test/store-reference.test.ts',
      'test/store-leased.test.ts',
    ],
    env: { PG_BIN: '/nonexistent', CI: '' },
  },
  {
    name: 'store-postgres',
    title: 'PostgreSQL store (store/postgres.ts)',
    mutate: ['src/runtime/store/postgres.ts'],
    // store-postgres-notify: the LISTEN/NOTIFY wake (watchTasks) is tested there alone.
    // store-postgres-statements: the plan setting, the prepared statements' bound and generations, one INSERT per turn, seen on the server.
    tests: ['test/store-postgres.test.ts', 'test/store-semantics.test.ts', 'test/store-postgres-notify.test.ts', 'test/store-leased.test.ts', 'test/store-postgres-statements.test.ts'],
    postgres: true,
  },
  {
    name: 'codecs',
    title: 'Codecs (codecs/*)',
    mutate: ['src/runtime/codecs/*.ts'],
    tests: [
      ...PUSH_E2E,
      'test/callback-redirects.test.ts',
      'test/codec-answers.test.ts',
      'test/delivery-faults.test.ts',
      'test/typed-errors.e2e.test.ts',
      'test/delivery.test.ts',
      // The callback's correlation carriers: query string (REST) and WS-Addressing headers (SOAP).
      'test/carriers-rest.e2e.test.ts',
      'test/carriers-soap.e2e.test.ts',
    ],
  },
  {
    name: 'lint',
    title: 'Lint rules (lint/rules.ts)',
    mutate: ['src/lint/rules.ts'],
    tests: ['test/lint.test.ts', 'test/lint-severity.test.ts', 'test/lint-findings.test.ts', 'test/lint-rules-gaps.test.ts', 'test/lint-rules-survivors.test.ts'],
  },
];

const MUTATION_MD = 'MUTATION.md';
const RUNS_FILE = 'mutation/runs.json';
const NOTES_FILE = 'mutation/notes.json';
const incrementalFile = (group: Group) => `mutation/${group.name}.json`;

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
  killedBy?: string[];
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
  testFiles?: Record<string, { tests: { id: string; name: string }[] }>;
}
/** One explained survivor: which mutant (file, mutator, the code replaced and its replacement) and why it lives. */
interface Note {
  file: string;
  mutator: string;
  original: string;
  replacement: string;
  why: string;
}
/** How long each group's last run took, and on what. */
type Runs = Record<
  string,
  {
    seconds: number;
    at: string;
    commit: string;
    mutants: number;
    /** Run from no incremental file: every mutant tested. */ fresh: boolean;
    /** SHA-256 of each source file of the group as the run read it, files without mutants too (the incremental file lists only files with mutants). */
    sources?: Record<string, string>;
  }
>;

const readJson = <T>(file: string, fallback: T): T => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : fallback);

function expand(patterns: string[]): string[] {
  const include = patterns.filter((p) => !p.startsWith('!'));
  const exclude = new Set(patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1)));
  const listed = execFileSync('git', ['ls-files', '--', ...include], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  return listed.filter((f) => !exclude.has(f));
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sourceHashes = (group: Group) => Object.fromEntries(expand(group.mutate).map((f) => [f, sha256(f)]));

/**
 * Whether a group's source files differ from those its last run recorded in runs.json (or it has
 * no recorded run). Hashes, not the incremental file's sources: that file holds only files with
 * mutants, so a file of types alone (engines/blocking.ts) would count as changed on every run.
 */
function changed(group: Group, runs: Runs): boolean {
  const recorded = runs[group.name]?.sources;
  if (!recorded) return true;
  const files = expand(group.mutate);
  return files.length !== Object.keys(recorded).length || files.some((f) => recorded[f] !== sha256(f));
}

function mutatedText(source: string, m: Mutant): string {
  const lines = source.split('\n');
  const { start, end } = m.location;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)].join('\n');
}

const oneLine = (s: string, max = 200) => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};
const code = (s: string) => `\`${oneLine(s).replace(/`/g, "'")}\``;

async function runGroup(group: Group): Promise<void> {
  const before = readJson<Report | undefined>(incrementalFile(group), undefined);
  const started = Date.now();
  // What this run tests, read before it starts: an edit made while it runs is a change for the next one.
  const sources = sourceHashes(group);
  console.log(`\n=== mutate ${group.name}: ${group.mutate.join(' ')}; tests: ${group.tests.join(' ')}`);
  // The group's environment for its run only (a later group in this process must not inherit PG_BIN=/nonexistent).
  const env = { ...process.env };
  process.env.MUTATE_TESTS = group.tests.filter((t) => existsSync(t)).join(',');
  Object.assign(process.env, group.env);
  const pg = group.postgres ? await sharedPostgres(group) : undefined;
  let results: Awaited<ReturnType<Stryker['runMutationTest']>>;
  try {
    results = await new Stryker({
      mutate: group.mutate,
      incrementalFile: incrementalFile(group),
      ignoreStatic: group.ignoreStatic ?? false,
      // One sandbox directory per group: two groups may run at once (each cleans its own).
      tempDirName: `.tmp/stryker-${group.name}`,
      jsonReporter: { fileName: `reports/mutation/${group.name}.json` },
    }).runMutationTest();
  } finally {
    await pg?.stop();
    for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
    Object.assign(process.env, env);
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  // Read now, not at the start: another group may have finished meanwhile, in another process.
  const runs = readJson<Runs>(RUNS_FILE, {});
  runs[group.name] = {
    seconds,
    at: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
    mutants: results.length,
    fresh: !before,
    sources,
  };
  writeFileSync(RUNS_FILE, `${JSON.stringify(runs, null, 2)}\n`);
  console.log(`=== ${group.name}: ${results.length} mutants in ${seconds} s`);
}

/**
 * One PostgreSQL cluster for a group's whole run, announced to its tests in ACCORDO_TEST_PG_SERVER.
 * The server outlives a killed process (pg_ctl detaches it): stopped on SIGTERM/SIGINT too, as
 * --budget-minutes stops a group.
 */
async function sharedPostgres(group: Group): Promise<{ stop(): Promise<void> }> {
  delete process.env[SHARED_SERVER_ENV];
  const cluster = await startPostgres();
  if (!cluster) throw new Error(`mutate ${group.name}: its tests need PostgreSQL (apt-get install postgresql, or set PG_BIN)`);
  process.env[SHARED_SERVER_ENV] = cluster.url.replace(/\/postgres$/, '');
  const onSignal = (signal: NodeJS.Signals) => void cluster.stop().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  console.log(`mutate ${group.name}: one PostgreSQL cluster for the run, ${process.env[SHARED_SERVER_ENV]}`);
  return {
    async stop() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await cluster.stop();
    },
  };
}

function report(runs: Runs): string {
  const notes = readJson<Note[]>(NOTES_FILE, []);
  const used = new Set<Note>();
  const rows: string[] = [];
  const survivors: string[] = [];
  let total = { detected: 0, valid: 0, seconds: 0 };
  for (const group of GROUPS) {
    const r = readJson<Report | undefined>(incrementalFile(group), undefined);
    const run = runs[group.name];
    if (!r) {
      rows.push(`| ${group.title} | not run yet | | | | | | | |`);
      continue;
    }
    const all = Object.entries(r.files).flatMap(([file, f]) => f.mutants.map((m) => ({ file, m, original: mutatedText(f.source, m) })));
    const count = (...s: string[]) => all.filter((x) => s.includes(x.m.status)).length;
    const detected = count('Killed', 'Timeout');
    const valid = detected + count('Survived', 'NoCoverage');
    total = { detected: total.detected + detected, valid: total.valid + valid, seconds: total.seconds + (run?.seconds ?? 0) };
    const score = valid ? ((100 * detected) / valid).toFixed(1) : '–';
    rows.push(
      `| ${group.title} | **${score} %** | ${count('Killed')} | ${count('Timeout')} | ${count('Survived')} | ${count('NoCoverage')} | ${count('Ignored') || ''} | ${count('CompileError')} | ${run ? `${run.seconds} s${run.fresh ? ' (full)' : ' (incremental)'}, ${run.at}, ${run.commit}` : ''} |`,
    );
    for (const x of all.filter((y) => y.m.status === 'Survived' || y.m.status === 'NoCoverage')) {
      const note = notes.find((n) => n.file === x.file && n.mutator === x.m.mutatorName && oneLine(n.original) === oneLine(x.original) && oneLine(n.replacement) === oneLine(x.m.replacement ?? ''));
      if (note) used.add(note);
      survivors.push(
        `| ${x.file}:${x.m.location.start.line} | ${x.m.mutatorName}${x.m.status === 'NoCoverage' ? ' (no test covers it)' : ''} | ${code(x.original)} → ${code(x.m.replacement ?? '')} | ${note ? note.why : '**not explained: needs a test or a reason**'} |`,
      );
    }
  }
  const stale = notes.filter((n) => !used.has(n));
  const overall = total.valid ? ((100 * total.detected) / total.valid).toFixed(1) : '–';
  return [
    '# Mutation testing',
    '',
    `Written by \`npm run mutate\` (StrykerJS ${strykerVersion()}, vitest runner, TypeScript checker; stryker.config.mjs, vitest.mutate.config.ts) from the incremental files in mutation/. Machine: ${cpus().length} cores (${oneLine(cpus()[0]?.model ?? '', 40)}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, shared with other work while it ran.`,
    '',
    'A mutant is a one-token change to the code (an operator, a condition, a constant, a removed statement); the tests should fail on it. Score = (killed + timed out) / (killed + timed out + survived + not covered); mutants that do not type-check are not run and do not count. "Static, not run": in the groups marked so in scripts/mutate.ts, the mutants of code that runs while a test file starts its servers (outside any one test) are left out (the ignoreStatic option): each would run every test of the group, and together they took most of its time; they do not count either. Goal (issue 22): ≥ 85 % on the engines, delivery, the reply-address guard, the stores and the codecs, and no survivor on a documented promise.',
    '',
    'Commands: `npm run mutate` (every group; only changed mutants are re-tested), `npm run mutate -- reply-to delivery` (some groups), `npm run mutate -- --changed` (groups whose sources changed since their last run: what CI runs), `npm run mutate -- --report` (this file only).',
    '',
    '| module group | score | killed | timed out | survived | not covered | static, not run | do not compile | last run (wall time, when, commit) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    `| **all groups run** | **${overall} %** | | | | | | | ${total.seconds} s in all |`,
    '',
    'Wall time: of the last run of the group, with a concurrency of 2 (one TypeScript checker, one test runner) on the shared machine; "full" is a run that tested every mutant, "incremental" one that re-tested only the mutants in changed code or covered by changed tests (plus the group\'s initial test run, most of a small re-run). A full run of every group costs the sum of the full times.',
    '',
    '## Surviving mutants',
    '',
    survivors.length ? '| where | mutator | change | why it survives |\n|---|---|---|---|\n' + survivors.join('\n') : 'None.',
    '',
    ...(stale.length ? ['## Notes that no longer match a survivor', '', ...stale.map((n) => `- ${n.file}: ${code(n.original)} → ${code(n.replacement)}`), ''] : []),
  ].join('\n');
}

function strykerVersion(): string {
  return (JSON.parse(readFileSync('node_modules/@stryker-mutator/core/package.json', 'utf8')) as { version: string }).version;
}

/**
 * Runs a group in a child process (this script with that group alone) that is stopped, with all
 * it started, when `deadline` passes: its incremental file then stays as it was.
 */
function runGroupBounded(group: Group, deadline: number): Promise<'done' | 'cut'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/mutate.ts', group.name, '--no-report'], { stdio: 'inherit', detached: true });
    let cut = false;
    const timer = setTimeout(
      () => {
        cut = true;
        process.kill(-child.pid!, 'SIGTERM');
      },
      Math.max(0, deadline - Date.now()),
    );
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (cut) resolve('cut');
      else if (code === 0) resolve('done');
      else reject(new Error(`mutate ${group.name} exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !a.startsWith('--') && !GROUPS.some((g) => g.name === a));
  if (unknown.length) throw new Error(`unknown group(s) ${unknown.join(', ')}; groups: ${GROUPS.map((g) => g.name).join(', ')}`);
  let groups = args.some((a) => !a.startsWith('--')) ? GROUPS.filter((g) => args.includes(g.name)) : GROUPS;
  if (args.includes('--changed')) {
    // A group never run has no baseline: a first run is a developer's `npm run mutate -- GROUP`.
    const never = groups.filter((g) => !existsSync(incrementalFile(g)));
    if (never.length) console.log(`mutate: never run, skipped: ${never.map((g) => g.name).join(', ')}`);
    const runs = readJson<Runs>(RUNS_FILE, {});
    groups = groups.filter((g) => !never.includes(g) && changed(g, runs));
    if (groups.length === 0) console.log('mutate: no group changed since its last run');
  }
  if (args.includes('--report')) groups = [];
  const budget = /^--budget-minutes=(\d+)$/.exec(args.find((a) => a.startsWith('--budget-minutes=')) ?? '');
  if (budget) {
    // CI's time is bounded: each group in a child process, stopped at the deadline.
    const deadline = Date.now() + Number(budget[1]) * 60_000;
    for (const group of groups) {
      if ((await runGroupBounded(group, deadline)) === 'cut') {
        console.log(
          `mutate: ${budget[1]} minutes spent; ${group.name} stopped, not run: ${
            groups
              .slice(groups.indexOf(group) + 1)
              .map((g) => g.name)
              .join(', ') || 'none'
          }`,
        );
        break;
      }
    }
  } else {
    for (const group of groups) await runGroup(group);
  }
  if (args.includes('--no-report')) return;
  writeFileSync(MUTATION_MD, report(readJson<Runs>(RUNS_FILE, {})));
  console.log(`mutate: wrote ${MUTATION_MD}`);
}

await main();
