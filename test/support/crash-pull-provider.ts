/**
 * A NONBLOCK_PULL_SOAP provider process for the pull crash test: the generated example provider
 * on a SQLite store, with default options but a short lease. Usage: crash-pull-provider <sqlite
 * file> <handler log>. Prints `{"url": …}` once listening. Each handler run appends
 * "<CorrelationID> <run>" to the log, then: a request whose `b` is "hang" never ends; one whose
 * `b` is "hang-once" never ends in its first run; any other ends at once.
 */
import { appendFileSync } from 'node:fs';
import { createProviderServer } from '../../examples/nonblock-pull-soap/generated/provider.js';
import { handlers } from '../../examples/nonblock-pull-soap/provider.handlers.js';

const [file, log] = process.argv.slice(2);
const app = await createProviderServer(
  {
    mRequest: {
      ...handlers.mRequest,
      process: async (request, ctx) => {
        appendFileSync(log, `${ctx.taskId} ${ctx.run}\n`);
        const mode = request.body.M.b;
        if (mode === 'hang' || (mode === 'hang-once' && ctx.run === 1)) await new Promise(() => {});
        return { return: { c: `done in run ${ctx.run}` } };
      },
    },
  },
  // A short lease, so the restarted process takes over the killed one's tasks quickly.
  { store: `sqlite:${file}`, delivery: { leaseMs: 1500, pollMs: 100 } },
);
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ url }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
