// The side of a benchmark child process that talks to bench/run.ts over IPC: it says where it
// listens, reports its own memory when asked, and stops when told. Servers under test run in
// their own process so that the load generator and the harness never share their event loop.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ParentMessage = { type: 'rss' } | { type: 'cpu' } | { type: 'gc' } | { type: 'stop' };
export type ChildMessage =
  | { type: 'ready'; port: number; label?: string }
  | { type: 'rss'; rss: number }
  | { type: 'cpu'; micros: number }
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
      send({ type: 'cpu', micros: user + system });
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

export function reportResult(result: unknown): void {
  send({ type: 'result', result });
}

/** Where bench/run.ts generated the code under test (argv[2]); imported at run time. */
export function generatedDir(): string {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: <server>.ts <generated output dir>');
  return dir;
}
