// Prints the messages of a demo as they cross the wire: method, path, status, ModI headers, body.
import type { FastifyInstance } from 'accordo/runtime';

const SHOWN = ['content-type', 'soapaction', 'x-replyto', 'x-correlation-id', 'location', 'content-location', 'retry-after'];

export interface WireMessage {
  step: number;
  from: string;
  to: string;
  line: string;
  headers: Record<string, string>;
  body: string;
}

/** Records the requests a server receives and the responses it sends, in order. */
export class WireLog {
  readonly messages: WireMessage[] = [];

  trace(app: FastifyInstance, self: string, peer: string): void {
    app.addHook('preHandler', async (req) => {
      this.push(peer, self, `${req.method} ${req.url}`, req.headers, req.body === undefined ? '' : typeof req.body === 'string' ? req.body : JSON.stringify(req.body));
    });
    app.addHook('onSend', async (_req, reply, payload) => {
      this.push(self, peer, `${reply.statusCode} ${statusText(reply.statusCode)}`, reply.getHeaders(), typeof payload === 'string' ? payload : '');
      return payload;
    });
  }

  private push(from: string, to: string, line: string, headers: Record<string, unknown>, body: string): void {
    const shown = Object.fromEntries(
      Object.entries(headers)
        .filter(([k]) => SHOWN.includes(k.toLowerCase()))
        .map(([k, v]) => [canonical(k), String(v)]),
    );
    this.messages.push({ step: this.messages.length + 1, from, to, line, headers: shown, body });
  }

  print(out: (line: string) => void = console.log): void {
    for (const m of this.messages) {
      out(`${m.step}. ${m.from} -> ${m.to}`);
      out(`   ${m.line}`);
      for (const [k, v] of Object.entries(m.headers)) out(`   ${k}: ${v}`);
      if (m.body) out(`   ${m.body}`);
    }
  }
}

function canonical(name: string): string {
  return name.toLowerCase() === 'x-replyto'
    ? 'X-ReplyTo'
    : name.toLowerCase() === 'soapaction'
      ? 'SOAPAction'
      : name.replace(/(^|-)(\w)/g, (_, d: string, c: string) => d + c.toUpperCase()).replace('Id', 'ID');
}

function statusText(status: number): string {
  return ({ 200: 'OK', 202: 'Accepted', 303: 'See Other', 400: 'Bad Request', 404: 'Not Found', 500: 'Internal Server Error' } as Record<number, string>)[status] ?? '';
}
