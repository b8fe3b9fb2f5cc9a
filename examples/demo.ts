// `npm run demo`: runs the demo of every example, each on loopback with its embedded defaults.
import { WireLog } from './shared/wire.js';
import { runDemo as blockRest } from './block-rest/demo.js';
import { runDemo as blockSoap } from './block-soap/demo.js';
import { runDemo as pullRest } from './nonblock-pull-rest/demo.js';
import { runDemo as pullSoap } from './nonblock-pull-soap/demo.js';
import { runDemo as pushRest } from './nonblock-push-rest/demo.js';
import { runDemo as pushSoap } from './nonblock-push-soap/demo.js';
import { runDemo as subscriptionRest } from './subscription-rest/demo.js';
import { drainLines, runDemo as messageBoxRest } from './message-box-rest/demo.js';

const demos: [string, (log: WireLog) => Promise<unknown>][] = [
  ['BLOCK_REST (examples/block-rest)', blockRest],
  ['NONBLOCK_PUSH_REST (examples/nonblock-push-rest)', pushRest],
  ['NONBLOCK_PULL_REST (examples/nonblock-pull-rest)', pullRest],
  ['BLOCK_SOAP (examples/block-soap)', blockSoap],
  ['NONBLOCK_PUSH_SOAP (examples/nonblock-push-soap)', pushSoap],
  ['NONBLOCK_PULL_SOAP (examples/nonblock-pull-soap)', pullSoap],
  ['SUBSCRIPTION_REST, the CAMARA shape (examples/subscription-rest)', subscriptionRest],
];
// The message box prints what the application drained after the wire.
let drained: string[] = [];
demos.push(['NONBLOCK_PUSH_REST into the message box, drained by the application (examples/message-box-rest)', async (log) => (drained = drainLines((await messageBoxRest(log)).drained))]);

for (const [title, run] of demos) {
  const log = new WireLog();
  await run(log);
  console.log(`\n== ${title}\n`);
  log.print();
}
for (const line of drained) console.log(`\n${line}`);
