import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * A loopback port where a TCP handshake never completes, for the connect timeouts: a child process
 * listens with a backlog of 1 and is stopped (SIGSTOP) before it accepts anything; the kernel
 * completes handshakes only until the accept queue is full, then drops further SYNs, so a new
 * connection waits until its dialler gives up. Nothing is dialled outside 127.0.0.1.
 */
export async function unansweredPort(): Promise<{ port: number; close: () => Promise<void> }> {
  const listener = "const s = require('net').createServer().listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => process.stdout.write(s.address().port + '\\n'))";
  const child = spawn(process.execPath, ['-e', listener], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the listener child did not report its port within 10 s')), 10_000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(Number(String(d).trim()));
    });
    child.once('error', reject);
  });
  child.kill('SIGSTOP');
  // Fill the accept queue: connections complete until it is full; the first that does not within
  // 200 ms shows it is (a set-up probe, not an assertion).
  const fillers: Socket[] = [];
  for (let i = 0; i < 16; i++) {
    const socket = connect(port, '127.0.0.1').on('error', () => {});
    fillers.push(socket);
    const connected = await Promise.race([once(socket, 'connect').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
    if (!connected) break;
    if (i === 15) throw new Error(`the accept queue of port ${port} never filled`);
  }
  return {
    port,
    close: async () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
      await exited;
    },
  };
}
