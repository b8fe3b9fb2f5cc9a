// The side of a benchmark child process that talks to bench/run.ts over IPC: it says where it
// listens, reports its own memory when asked, and stops when told. Servers under test run in
// their own process so that the load generator and the harness never share their event loop.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ParentMessage = { type: 'rss' } | { type: 'cpu' } | { type: 'gc' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number; label?: string }
  | { type: 'rss'; rss: number }
  | { type: 'cpu'; micros: number; mainMicros?: number }
  | { type: 'gc'; rss: number; heapUsed: number }
  | { type: 'result'; result: unknown };

function send(message: ChildMessage): void {
  process.send?.(message);
}

/** Serves on 127.0.0.1 (a free port), reports the port, answers `rss` and `cpu`, and closes on `stop`. */
export async function serve(server: { listen(port: number, host: string): Promise<unknown> | unknown; close(): Promise<unknown> | unknown; address(): AddressInfo }, label?: string): Promise<void> {
  await server.listen(0, '127.0.0.1');
  onMessages(async () => {
    await server.close();
  });
  send({ type: 'ready', port: server.address().port, label });
}

/** A Fastify instance's listen/close/address in the shape `serve` takes. */
export function fastifyServer(app: { listen(o: { port: number; host: string }): Promise<string>; close(): Promise<unknown>; server: { address(): unknown } }) {
  return {
    listen: (port: number, host: string) => app.listen({ port, host }),
    close: () => app.close(),
    address: () => app.server.address() as AddressInfo,
  };
}

/** A node:http server in the shape `serve` takes. */
export function httpServer(server: Server) {
  return {
    listen: (port: number, host: string) => new Promise<void>((resolve) => server.listen(port, host, resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    address: () => server.address() as AddressInfo,
  };
}

export function onMessages(stop: () => Promise<void>): void {
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'rss') send({ type: 'rss', rss: process.memoryUsage().rss });
    else if (message.type === 'cpu') {
      // User + system CPU of the whole process (every thread: GC helpers included), in µs.
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', micros: user + system, mainMicros: mainThreadMicros() });
    } else if (message.type === 'gc') {
      // A full collection first (the process runs with --expose-gc), so that what is measured is
      // what is still held, not garbage the collector has not reached yet.
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('gc asked of a process started without --expose-gc');
      gc();
      gc();
      const { rss, heapUsed } = process.memoryUsage();
      send({ type: 'gc', rss, heapUsed });
    } else if (message.type === 'stop') {
      // Pending work (e.g. push deliveries) may hold the loop; a bounded wait, then exit.
      setTimeout(() => process.exit(0), 5000).unref();
      void stop().then(() => process.exit(0));
    }
  });
}

/**
 * The CPU time of the main thread alone (the event loop), in µs, from Linux's per-thread counters
 * (clock ticks, 10 ms): what is left of the process's time is its other threads' (the SQLite
 * store's thread, GC helpers, libuv's pool). Undefined where /proc has no such file.
 */
function mainThreadMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), in parentheses: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on Linux on every architecture Node supports. */
const CLOCK_TICKS = 100;

export function reportResult(result: unknown): void {
  send({ type: 'result', result });
}

/** Where bench/run.ts generated the code under test (argv[2]); imported at run time. */
export function generatedDir(): string {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: <server>.ts <generated output dir>');
  return dir;
}
