import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { RuntimeProblemError } from './problem.js';
import { BoundedMemo } from './memo.js';

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
  /** Accept loopback targets (127.0.0.0/8, ::1, `localhost`, and IPv4-mapped loopback): for development only. */
  allowLoopback?: boolean;
  /**
   * Networks accepted although in a special-purpose range, in CIDR form (`10.20.0.0/16`,
   * `fd12:3456::/48`, `64:ff9b::/96` behind a NAT64), e.g. an intranet's consumers. An IPv4-mapped
   * address (`::ffff:10.20.0.5`) is accepted when its IPv4 address is.
   */
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

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

function network(cidr: string): Network {
  try {
    return cidr.includes('/') ? ipaddr.parseCIDR(cidr) : ((a) => [a, a.kind() === 'ipv4' ? 32 : 128] as Network)(ipaddr.parse(cidr));
  } catch {
    throw new Error(`invalid network ${JSON.stringify(cidr)} (expected CIDR such as 10.0.0.0/8)`);
  }
}

function inNetwork(address: ipaddr.IPv4 | ipaddr.IPv6, [net, bits]: Network): boolean {
  return address.kind() === net.kind() && address.match(net, bits);
}

/**
 * Public addresses that are cloud platform endpoints (not in the IANA registries): refused like
 * the special-purpose ranges. Link-local and unique-local metadata addresses are covered by their ranges.
 */
const METADATA: Network[] = ['168.63.129.16/32'].map(network);

/** Global unicast: an IPv6 address outside it that ipaddr.js names no range for is still reserved by the IETF. */
const GLOBAL_UNICAST_V6 = network('2000::/3');

/**
 * The range an address is in when a provider must not call it by default, named as ipaddr.js
 * names the special-purpose ranges of the IANA registries (`loopback`, `private`, `linkLocal`,
 * `carrierGradeNat`, `ipv4Mapped`, `rfc6052` (NAT64), `teredo`, `6to4`, `reserved`...);
 * `undefined` for an ordinary unicast address.
 */
function refusedRange(address: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  if (METADATA.some((n) => inNetwork(address, n))) return 'metadata';
  const name = address.range();
  if (name !== 'unicast') return name;
  if (address.kind() === 'ipv6' && !inNetwork(address, GLOBAL_UNICAST_V6)) return 'reserved';
  return undefined;
}

function parseAddress(s: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  // node:net decides what an address is (ipaddr.js also takes the forms inet_aton allows).
  if (!isIP(s.split('%')[0])) return undefined;
  try {
    return ipaddr.parse(s);
  } catch {
    return undefined;
  }
}

/** Why an IP address may not be called under a policy, or `undefined` when it may. */
export function addressRefusal(address: string, policy: ReplyToPolicy = {}): string | undefined {
  // Asked for every push accepted and every callback dialled, mostly about the same few addresses: parsing one costs more than the rest of the check.
  return perPolicy(refusalCache, policy, address, () => refusal(address, policy) ?? '') || undefined;
}

/** Per policy, the answer for each address asked about ('' for none). */
const refusalCache = new WeakMap<ReplyToPolicy, BoundedMemo<string>>();

/** What `compute` answers for `key` under `policy`, kept per policy (1024 keys at most): the checks ask about the same few values again and again. */
function perPolicy<T>(cache: WeakMap<ReplyToPolicy, BoundedMemo<T>>, policy: ReplyToPolicy, key: string, compute: () => T): T {
  let known = cache.get(policy);
  if (!known) cache.set(policy, (known = new BoundedMemo<T>(1024)));
  return known.get(key, compute);
}

function refusal(address: string, policy: ReplyToPolicy): string | undefined {
  const parsed = parseAddress(address);
  if (!parsed) return 'not an IP address';
  const range = refusedRange(parsed);
  if (!range) return undefined;
  // An IPv4-mapped address is dialled as the IPv4 address it carries: the allowances apply to that.
  const dialled = parsed.kind() === 'ipv6' && range === 'ipv4Mapped' ? (parsed as ipaddr.IPv6).toIPv4Address() : undefined;
  const allowed = allowedNetworks(policy);
  if (allowed.some((n) => inNetwork(parsed, n) || (dialled !== undefined && inNetwork(dialled, n)))) return undefined;
  if (policy.allowLoopback && (range === 'loopback' || dialled?.range() === 'loopback')) return undefined;
  return `${range} address`;
}

const networkCache = new WeakMap<ReplyToPolicy, Network[]>();
function allowedNetworks(policy: ReplyToPolicy): Network[] {
  let networks = networkCache.get(policy);
  if (!networks) {
    networks = (policy.allowNetworks ?? []).map(network);
    networkCache.set(policy, networks);
  }
  return networks;
}

/** Names that are local or metadata services whatever a resolver says. */
const REFUSED_NAMES = /^(localhost|.*\.localhost|metadata|metadata\.google\.internal|instance-data|instance-data\.ec2\.internal)\.?$/i;

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
    const listed = parseAddress(e);
    const named = listed && parseAddress(host);
    if (listed && named) return listed.kind() === named.kind() && listed.toNormalizedString() === named.toNormalizedString();
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
export async function checkReplyTo(value: string, header: string, policy: ReplyToPolicy = {}): Promise<void> {
  const checked = perPolicy(urlCheckCache, policy, value, () => checkUrl(value, policy));
  if ('refusal' in checked) throw new RuntimeProblemError('reply-address-refused', `${header} ${checked.refusal}`);
  try {
    await resolveChecked(checked.hostname, policy);
  } catch (e) {
    if (e instanceof ReplyToRefusedError) throw new RuntimeProblemError('reply-address-refused', `${header} host ${e.reason}`);
    // A name that does not exist is the caller's error; a resolver that failed is ours, for now.
    const code = (e as { code?: string }).code;
    if (code === undefined || code === 'ENOTFOUND' || code === 'ENODATA') throw new RuntimeProblemError('reply-address-refused', `${header} host cannot be resolved`);
    throw new RuntimeProblemError('reply-address-unverifiable', `${header} host could not be resolved now; try again later`);
  }
}

type UrlChecked = { hostname: string } | { refusal: string };

/**
 * What step 1's URL checks answer for a reply address as received: its host to resolve, or why it
 * is refused. checkReplyTo keeps it per policy (perPolicy): most consumers send the same reply
 * address with every request, and parsing it again cost a push accept ~2 µs (issue 19). The
 * resolution and the address checks after it run every time.
 */
function checkUrl(value: string, policy: ReplyToPolicy): UrlChecked {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { refusal: 'is not an absolute URL' };
  }
  const why = urlRefusal(url, policy);
  return why ? { refusal: why } : { hostname: url.hostname };
}

const urlCheckCache = new WeakMap<ReplyToPolicy, BoundedMemo<UrlChecked>>();

/** Time allowed to connect to a callback target: an unreachable one frees its slot long before the attempt's timeout (`delivery.connectTimeoutMs`). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Opens the connection to a checked address (a test can record the target instead of dialling). */
export type Connector = buildConnector.connector;

/**
 * A fetch (and the undici dispatcher under it, for `request`) for callbacks that connects only to checked addresses: the connect step resolves the
 * host itself, checks every address, and dials the checked one (TLS still verifies the name),
 * so a DNS answer that changed since step 1 cannot reach a refused address. `connectTimeoutMs`
 * bounds the default connector's connection set-up (a `connect` given instead brings its own).
 */
export function guardedFetch(policy: ReplyToPolicy = {}, connect?: Connector, connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): { fetch: typeof fetch; dispatcher: Agent; close: () => Promise<void> } {
  connect ??= buildConnector({ timeout: connectTimeoutMs });
  const dial = connect;
  const agent = new Agent({
    connect: (options, callback) => {
      resolveChecked(options.hostname, policy).then(
        ({ address }) => {
          const name = bare(options.hostname);
          dial({ ...options, hostname: address, ...(isIP(name) ? {} : { servername: options.servername ?? name }) }, callback);
        },
        (error: Error) => callback(error, null),
      );
    },
  });
  const guarded = ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent })) as unknown as typeof fetch;
  return { fetch: guarded, dispatcher: agent, close: () => agent.close() };
}

/** Whether a failed fetch was refused by the policy (and so is final, not a network error to retry). */
export function refusalOf(error: unknown): ReplyToRefusedError | undefined {
  for (let e = error; e; e = (e as { cause?: unknown }).cause) if (e instanceof ReplyToRefusedError) return e;
  return undefined;
}
