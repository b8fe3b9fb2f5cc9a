// The bound on request bodies held at once (createServer's maxBodyBytesInFlight, docs/security.md):
// bytes declared (Content-Length) or received (chunked) count from the moment a body starts until
// its response is sent, and are given back then; a body that would pass the bound is refused 503.
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from '../src/runtime/server.js';

const BOUND = 1000;
const servers: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

async function start(): Promise<number> {
  const app = createServer({ maxBodyBytesInFlight: BOUND });
  app.post('/echo', async (req) => ({ length: JSON.stringify(req.body).length }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  servers.push(app);
  return (app.server.address() as AddressInfo).port;
}

/** A JSON body of exactly `n` bytes. */
const body = (n: number) => JSON.stringify({ s: 'x'.repeat(n - 8) });

/** Sends `head` + `data` on a fresh connection; `answer` resolves with everything read until the server closes it. */
function send(port: number, head: string, data = ''): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  socket.write(head + data);
  const answer = new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', () => {});
  });
  return { socket, answer };
}

const declared = (n: number) => `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${n}\r\nConnection: close\r\n\r\n`;
const chunkedHead = 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;

describe('request bodies held at once', () => {
  it('gives the bytes of a declared body back once its response is sent: bodies of 0.6 of the bound, one after another, are all served', async () => {
    const port = await start();
    for (let i = 0; i < 4; i++) {
      const { answer } = send(port, declared(600), body(600));
      expect(await answer).toMatch(/^HTTP\/1.1 200 /);
    }
  });

  it('counts a chunked body as its chunks arrive: while it holds 600 bytes a declared 600 is refused 503; once it is answered, the next one is served', async () => {
    const port = await start();
    const text = body(600);
    // The chunked body sends its first 600 bytes, then stalls before its last chunk.
    const stalled = send(port, chunkedHead, chunk(text));
    await new Promise((r) => setTimeout(r, 200));
    const refused = await send(port, declared(600), body(600)).answer;
    expect(refused).toMatch(/^HTTP\/1.1 503 /);
    expect(refused).toMatch(/\r\nretry-after: 5\r\n/i);
    expect(refused).toMatch(/too many requests are being received at once/);
    // The stalled body ends: it is served, and its bytes are given back.
    stalled.socket.write('0\r\n\r\n');
    expect(await stalled.answer).toMatch(/^HTTP\/1.1 200 [\s\S]*"length":600/);
    expect(await send(port, declared(600), body(600)).answer).toMatch(/^HTTP\/1.1 200 /);
  });

  it('refuses a chunked body once its chunks pass the bound, and keeps serving', async () => {
    const port = await start();
    const text = body(1200);
    const over = await send(port, chunkedHead, chunk(text.slice(0, 600)) + chunk(text.slice(600)) + '0\r\n\r\n').answer;
    expect(over).toMatch(/^HTTP\/1.1 503 /);
    expect(await send(port, declared(600), body(600)).answer).toMatch(/^HTTP\/1.1 200 /);
  });

  it('holds nothing for a request without a body', async () => {
    const port = await start();
    // A GET without Content-Length or Transfer-Encoding, then a body as large as the bound: nothing was held for the GET.
    expect(await send(port, 'GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n').answer).toMatch(/^HTTP\/1.1 405 /);
    expect(await send(port, declared(BOUND), body(BOUND)).answer).toMatch(/^HTTP\/1.1 200 /);
  });
});
