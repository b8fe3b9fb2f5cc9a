// A message-box drainer in its own process, so a test can kill it with SIGKILL mid-lease.
// argv: <store setting> <operation> <mode: drain | hold-after:N> <leaseMs> [ms spent on each message]
// stdout, one JSON line each: {"url":""} once ready, {"took":[ids]}, {"deleted":id}, {"holding":[ids]}.
import { MessageBox } from '../../src/runtime/message-box.js';

const [setting, operation, mode, leaseMs, workMs = '0'] = process.argv.slice(2);
const box = await MessageBox.open(setting, { operations: [operation], leaseMs: Number(leaseMs) });
const say = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');
say({ url: '' });

const holdAfter = mode.startsWith('hold-after:') ? Number(mode.slice('hold-after:'.length)) : Infinity;
for (let batch = 0; ; batch++) {
  const taken = await box.list({ next: 3 });
  if (!taken.length) {
    await new Promise((r) => setTimeout(r, 20));
    continue;
  }
  say({ took: taken.map((m) => m.id) });
  if (batch >= holdAfter) {
    // Holds its lease without deleting, until the test kills it.
    say({ holding: taken.map((m) => m.id) });
    await new Promise(() => {});
  }
  for (const m of taken) {
    await new Promise((r) => setTimeout(r, Number(workMs)));
    await box.delete(m.id);
    say({ deleted: m.id });
  }
}
