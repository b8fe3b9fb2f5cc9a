// One load round whose requests carry different headers: autocannon (programmatic, in its own
// process like the CLI rounds) cycling through a file of header sets, e.g. signed
// Agid-JWT-Signature + Digest + voucher sets made by the generated consumer's OutboundSecurity
// (each set whole: content-type included).
// Prints autocannon's result JSON, as `autocannon -j` does.
// usage: node bench/load-pool.mjs <url> <connections> <seconds> <body file> <header sets JSON file>
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, connections, seconds, bodyFile, poolFile] = process.argv.slice(2);
const body = readFileSync(bodyFile, 'utf8');
/** @type {Record<string, string>[]} */
const pool = JSON.parse(readFileSync(poolFile, 'utf8'));
let next = 0;
const result = await autocannon({
  url,
  connections: Number(connections),
  duration: Number(seconds),
  method: 'POST',
  body,
  requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...pool[next++ % pool.length] } }) }],
});
process.stdout.write(JSON.stringify(result));
