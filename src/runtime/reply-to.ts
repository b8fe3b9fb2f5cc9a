import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { ProblemError } from './problem.js';

/**
 * Which callback URLs a provider accepts in `X-ReplyTo` and dials. The URL is chosen by the
 * caller, so without these checks the provider could be made to POST to its own network
 * (server-side request forgery). Checked twice: at step 1 (a refusal is a 400) and when
 * connecting, on the address actually dialled (so a DNS answer that changes in between, or a
 * redirect, cannot reach a refused address).
 */
export interface ReplyToPolicy {
  /** Accepted schemes, among `http:` and `https:` (default both). */
  schemes?: string[];
  /**
   * When set, the callback URL must match one entry: a host name (`cb.ente.example`), a domain
   * wildcard (`*.ente.example`), an IP address, or a URL prefix (`https://cb.ente.example/hooks/`;
   * end it with `/`). The address check below still applies to what the names resolve to.
   */
  allow?: string[];
  /** Accept loopback targets (127.0.0.0/8, ::1, `localhost`): for development only. */
  allowLoopback?: boolean;
  /** Networks accepted although private, in CIDR form (`10.20.0.0/16`, `fd12:3456::/48`), e.g. an intranet's consumers. */
  allowNetworks?: string[];
  /** Resolves a host name to its addresses (default: the system resolver, all addresses). */
  lookup?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

/** A callback target the policy refuses. */
export class ReplyToRefusedError extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`callback target ${target} refused: ${reason}`);
    this.name = 'ReplyToRefusedError';
  }
}

type Range = { bytes: number[]; bits: number; label: string };

function range(cidr: string, label: string): Range {
  const [addr, bits] = cidr.split('/');
  const bytes = parseAddress(addr);
  const n = bits === undefined ? bytes?.length && bytes.length * 8 : Number(bits);
  if (!bytes || n === undefined || !Number.isInteger(n) || n < 0 || n > bytes.length * 8) throw new Error(`invalid network ${JSON.stringify(cidr)} (expected CIDR such as 10.0.0.0/8)`);
  return { bytes, bits: n, label };
}

/** Addresses a provider never calls by default; `loopback` is allowed by `allowLoopback`. */
const REFUSED: Range[] = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'], // includes 192.0.0.192, a cloud metadata address
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['168.63.129.16/32', 'metadata'], // a public address that is a cloud platform endpoint
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['100::/64', 'discard'],
  ['fc00::/7', 'private'], // unique local; includes fd00:ec2::254, a cloud metadata address
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
].map(([cidr, label]) => range(cidr, label));

/** Names that are local or metadata services whatever a resolver says. */
const REFUSED_NAMES = /^(localhost|.*\.localhost|metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal)\.?$/i;

function parseIPv4(s: string): number[] {
  return s.split('.').map(Number);
}

/** 16 bytes of an IPv6 address (already validated by `isIP`; zone id dropped, dotted IPv4 tail allowed). */
function parseIPv6(s: string): number[] {
  let text = s.split('%')[0];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = text.slice(0, dotted.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [left, right] = text.includes('::') ? text.split('::') : [text, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const fill = right === undefined ? [] : Array<string>(8 - l.length - r.length).fill('0');
  return [...l, ...fill, ...r].flatMap((g) => {
    const w = parseInt(g, 16);
    return [w >> 8, w & 255];
  });
}

function parseAddress(s: string): number[] | undefined {
  const family = isIP(s.split('%')[0]);
  if (family === 4) return parseIPv4(s);
  if (family === 6) return parseIPv6(s);
  return undefined;
}

function inRange(bytes: number[], r: Range): boolean {
  if (bytes.length !== r.bytes.length) return false;
  for (let bit = 0; bit < r.bits; bit += 8) {
    const take = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[bit / 8] & mask) !== (r.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedIPv4(b: number[]): number[] | undefined {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12); // ::ffff:a.b.c.d
  if (zeros(0, 12) && !zeros(12, 16) && !(zeros(12, 15) && b[15] === 1)) return b.slice(12); // ::a.b.c.d
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 2002::/16
  return undefined;
}

/** Why an IP address may not be called under a policy, or `undefined` when it may. */
export function addressRefusal(address: string, policy: ReplyToPolicy = {}): string | undefined {
  const bytes = parseAddress(address);
  if (!bytes) return 'not an IP address';
  const candidates = [bytes];
  const v4 = bytes.length === 16 ? embeddedIPv4(bytes) : undefined;
  if (v4) candidates.push(v4);
  for (const b of candidates) {
    const refused = REFUSED.find((r) => inRange(b, r));
    if (!refused) continue;
    if (refused.label === 'loopback' && policy.allowLoopback) continue;
    if (allowedNetworks(policy).some((r) => inRange(b, r))) continue;
    return `${refused.label} address`;
  }
  return undefined;
}

const networkCache = new WeakMap<ReplyToPolicy, Range[]>();
function allowedNetworks(policy: ReplyToPolicy): Range[] {
  let ranges = networkCache.get(policy);
  if (!ranges) {
    ranges = (policy.allowNetworks ?? []).map((cidr) => range(cidr, 'allowed'));
    networkCache.set(policy, ranges);
  }
  return ranges;
}

const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, '');

function matchesAllowList(url: URL, allow: string[]): boolean {
  const host = bare(url.hostname).toLowerCase();
  return allow.some((entry) => {
    if (entry.includes('://')) {
      try {
        return url.href.startsWith(new URL(entry).href);
      } catch {
        return false;
      }
    }
    const e = bare(entry.trim().toLowerCase());
    if (e.startsWith('*.')) return host.endsWith(e.slice(1));
    if (isIP(e) && isIP(host)) return parseAddress(e)!.join() === parseAddress(host)!.join();
    return host === e;
  });
}

/**
 * Why a callback URL may not be called, judged on the URL alone (scheme, credentials,
 * allow-list, an IP literal, a local name), or `undefined`. Host names are checked again
 * once resolved, see {@link resolveChecked}.
 */
export function urlRefusal(url: URL, policy: ReplyToPolicy = {}): string | undefined {
  const schemes: string[] = (policy.schemes ?? ['http:', 'https:']).filter((s) => s === 'http:' || s === 'https:');
  if (!schemes.includes(url.protocol)) return `must be an ${schemes.map((s) => s.replace(':', '')).join(' or ')} URL`;
  if (url.username || url.password) return 'must not carry credentials';
  if (policy.allow && !matchesAllowList(url, policy.allow)) return 'is not on the allow-list';
  const host = bare(url.hostname);
  if (isIP(host)) {
    const why = addressRefusal(host, policy);
    return why && `names a refused ${why}`;
  }
  if (REFUSED_NAMES.test(host) && !(policy.allowLoopback && /localhost\.?$/i.test(host))) return 'names a local or metadata host';
  return undefined;
}

const systemLookup = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Resolves a host (an IP literal resolves to itself) and checks every address it has: one
 * refused address refuses the host, so a name cannot mix a public and a private answer.
 * Returns the address to connect to.
 */
export async function resolveChecked(hostname: string, policy: ReplyToPolicy = {}): Promise<{ address: string; family: number }> {
  const host = bare(hostname);
  const family = isIP(host);
  const addresses = family ? [{ address: host, family }] : await (policy.lookup ?? systemLookup)(host);
  if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENODATA' });
  for (const a of addresses) {
    const why = addressRefusal(a.address, policy);
    if (why) throw new ReplyToRefusedError(host, `resolves to a ${why}`);
  }
  return addresses[0];
}

/**
 * Checks an `X-ReplyTo` value at step 1 and answers a refusal with a 400. The detail says why
 * in general terms and never which address a name resolved to.
 */
export async function checkReplyTo(value: string, header: string, policy: ReplyToPolicy = {}): Promise<URL> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProblemError(400, `${header} is not an absolute URL`);
  }
  const why = urlRefusal(url, policy);
  if (why) throw new ProblemError(400, `${header} ${why}`);
  try {
    await resolveChecked(url.hostname, policy);
  } catch (e) {
    if (e instanceof ReplyToRefusedError) throw new ProblemError(400, `${header} host ${e.reason}`);
    // A name that does not exist is the caller's error; a resolver that failed is ours, for now.
    const code = (e as { code?: string }).code;
    if (code === undefined || code === 'ENOTFOUND' || code === 'ENODATA') throw new ProblemError(400, `${header} host cannot be resolved`);
    throw new ProblemError(503, `${header} host could not be resolved now; try again later`);
  }
  return url;
}

/** Opens the connection to a checked address (a test can record the target instead of dialling). */
export type Connector = buildConnector.connector;

/**
 * A fetch for callbacks that connects only to checked addresses: the connect step resolves the
 * host itself, checks every address, and dials the checked one (TLS still verifies the name),
 * so a DNS answer that changed since step 1 cannot reach a refused address.
 */
export function guardedFetch(policy: ReplyToPolicy = {}, connect: Connector = buildConnector({})): { fetch: typeof fetch; close: () => Promise<void> } {
  const agent = new Agent({
    connect: (options, callback) => {
      resolveChecked(options.hostname, policy).then(
        ({ address }) => {
          const name = bare(options.hostname);
          connect({ ...options, hostname: address, ...(isIP(name) ? {} : { servername: options.servername ?? name }) }, callback);
        },
        (error: Error) => callback(error, null),
      );
    },
  });
  const guarded = ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent })) as unknown as typeof fetch;
  return { fetch: guarded, close: () => agent.close() };
}

/** Whether a failed fetch was refused by the policy (and so is final, not a network error to retry). */
export function refusalOf(error: unknown): ReplyToRefusedError | undefined {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) if (e instanceof ReplyToRefusedError) return e;
  return undefined;
}
