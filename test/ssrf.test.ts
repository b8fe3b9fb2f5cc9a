import { afterEach, describe, expect, it } from 'vitest';
import { ProblemError } from '../src/runtime/problem.js';
import { addressRefusal, checkReplyTo, guardedFetch, refusalOf, ReplyToRefusedError, resolveChecked, urlRefusal, type Connector, type ReplyToPolicy } from '../src/runtime/reply-to.js';
import { MemoryStore } from '../src/runtime/store/index.js';
import { startProvider } from './support/provider.js';
import { push, startTarget, until, type Hit } from './support/push.js';
import { unansweredPort } from './support/unanswered.js';

// No test here connects outside 127.0.0.0/8: refusals are proven on the checks themselves and
// through a connector that records what it was asked to dial and dials nothing.

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

/** A connector that records each dial and refuses it. */
function recorder() {
  const dialled: { hostname: string; port: string; servername?: string }[] = [];
  const connect: Connector = (options, callback) => {
    dialled.push({ hostname: options.hostname, port: options.port, servername: options.servername });
    callback(new Error('test connector: not dialling'), null);
  };
  return { dialled, connect };
}

/** A resolver answering from a table (names outside it do not exist). */
const table =
  (answers: Record<string, string[] | (() => string[])>): ReplyToPolicy['lookup'] =>
  async (host) => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return (typeof a === 'function' ? a() : a).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('address check', () => {
  it.each([
    ['127.0.0.1', 'loopback address'],
    ['127.255.0.9', 'loopback address'],
    ['::1', 'loopback address'],
    ['10.1.2.3', 'private address'],
    ['172.16.0.1', 'private address'],
    ['172.31.255.255', 'private address'],
    ['192.168.1.1', 'private address'],
    ['fc00::1', 'uniqueLocal address'],
    ['fd12:3456::1', 'uniqueLocal address'],
    ['169.254.169.254', 'linkLocal address'],
    ['169.254.0.1', 'linkLocal address'],
    ['fe80::1', 'linkLocal address'],
    ['fe80::1%eth0', 'linkLocal address'],
    ['febf::1', 'linkLocal address'],
    ['100.64.0.1', 'carrierGradeNat address'],
    ['100.100.100.200', 'carrierGradeNat address'],
    ['0.0.0.0', 'unspecified address'],
    ['0.1.2.3', 'unspecified address'],
    ['::', 'unspecified address'],
    ['192.0.0.192', 'reserved address'],
    ['168.63.129.16', 'metadata address'],
    ['fd00:ec2::254', 'uniqueLocal address'],
    ['224.0.0.1', 'multicast address'],
    ['ff02::1', 'multicast address'],
    ['255.255.255.255', 'broadcast address'],
    // IPv6 forms that carry an IPv4 address are special-purpose ranges of their own: refused whatever they carry.
    ['::ffff:127.0.0.1', 'ipv4Mapped address'],
    ['::ffff:a9fe:a9fe', 'ipv4Mapped address'],
    ['::ffff:8.8.8.8', 'ipv4Mapped address'],
    ['::ffff:0:a00:1', 'rfc6145 address'], // IPv4-translated (SIIT), 10.0.0.1
    ['::10.0.0.1', 'ipv4Mapped address'],
    ['::a00:1', 'reserved address'], // IPv4-compatible: outside 2000::/3 with no range of its own
    ['64:ff9b::a9fe:a9fe', 'rfc6052 address'], // NAT64 well-known prefix
    ['64:ff9b:1::a9fe:a9fe', 'rfc6052 address'], // local-use NAT64, reaching 169.254.169.254
    ['2001::a9fe:a9fe', 'teredo address'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo address'],
    ['2002:c0a8:0101::1', '6to4 address'],
    // The rest of the IANA special-purpose registries.
    ['192.0.2.1', 'reserved address'], // documentation (TEST-NET-1)
    ['198.51.100.7', 'reserved address'],
    ['203.0.113.10', 'reserved address'],
    ['198.18.0.1', 'reserved address'], // benchmarking
    ['192.88.99.1', 'reserved address'], // 6to4 relay anycast
    ['240.0.0.1', 'reserved address'],
    ['192.31.196.1', 'as112 address'],
    ['192.52.193.1', 'amt address'],
    ['100::1', 'discard address'],
    ['2001:2::1', 'benchmarking address'],
    ['2001:db8::1', 'reserved address'], // documentation
    ['3fff::1', 'reserved address'], // documentation (RFC 9637)
    ['2001:20::1', 'orchid2 address'],
    ['5f00::1', 'segmentRouting address'],
    ['fec0::1', 'deprecatedSiteLocal address'],
    ['4000::1', 'reserved address'], // outside global unicast 2000::/3
  ])('refuses %s (%s)', (address, why) => {
    expect(addressRefusal(address)).toBe(why);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:4860:4860::8888', '2606:4700::1111', '2a00:1450:4001::200e'])('accepts public %s', (address) => {
    expect(addressRefusal(address)).toBeUndefined();
  });

  it('allows loopback only with the development setting, and listed networks only', () => {
    expect(addressRefusal('127.0.0.1', { allowLoopback: true })).toBeUndefined();
    expect(addressRefusal('::1', { allowLoopback: true })).toBeUndefined();
    expect(addressRefusal('::ffff:127.0.0.1', { allowLoopback: true })).toBeUndefined();
    expect(addressRefusal('10.0.0.1', { allowLoopback: true })).toBe('private address');
    expect(addressRefusal('169.254.169.254', { allowLoopback: true })).toBe('linkLocal address');
    const intranet = { allowNetworks: ['10.20.0.0/16', 'fd12:3456::/32'] };
    expect(addressRefusal('10.20.9.9', intranet)).toBeUndefined();
    expect(addressRefusal('10.21.0.1', intranet)).toBe('private address');
    expect(addressRefusal('fd12:3456:1::1', intranet)).toBeUndefined();
    expect(() => addressRefusal('10.0.0.1', { allowNetworks: ['10.0.0.0/99'] })).toThrow(/invalid network/);
  });

  it('takes only what node:net calls an IP address (not the inet_aton forms ipaddr.js also reads)', () => {
    for (const s of ['127.1', '0x7f000001', '2130706433', '017700000001', 'example.org', '']) expect(addressRefusal(s), s).toBe('not an IP address');
    expect(addressRefusal('fe80::1%eth0')).toBe('linkLocal address');
  });

  it('takes a bare address in allowNetworks as that one address', () => {
    const one = { allowNetworks: ['10.20.9.9', 'fd12::7'] };
    expect(addressRefusal('10.20.9.9', one)).toBeUndefined();
    expect(addressRefusal('10.20.9.10', one)).toBe('private address');
    expect(addressRefusal('fd12::7', one)).toBeUndefined();
    expect(addressRefusal('fd12::8', one)).toBe('uniqueLocal address');
  });

  it('allows the IPv4-embedding ranges only when listed, and a mapped address as the IPv4 address it is', () => {
    expect(addressRefusal('::ffff:10.20.0.5', { allowNetworks: ['10.20.0.0/16'] })).toBeUndefined();
    expect(addressRefusal('::ffff:10.21.0.5', { allowNetworks: ['10.20.0.0/16'] })).toBe('ipv4Mapped address');
    expect(addressRefusal('::ffff:169.254.169.254', { allowLoopback: true })).toBe('ipv4Mapped address');
    const nat64 = { allowNetworks: ['64:ff9b::/96'] };
    expect(addressRefusal('64:ff9b::5db8:d822', nat64)).toBeUndefined();
    expect(addressRefusal('64:ff9b:1::a9fe:a9fe', nat64)).toBe('rfc6052 address');
    expect(addressRefusal('2001::a9fe:a9fe', nat64)).toBe('teredo address');
  });
});

describe('URL check', () => {
  it.each([
    ['file:///etc/passwd', 'must be an http or https URL'],
    ['gopher://example.org/', 'must be an http or https URL'],
    ['ftp://example.org/x', 'must be an http or https URL'],
    ['data:text/plain,hi', 'must be an http or https URL'],
    ['https://user:pw@example.org/cb', 'must not carry credentials'],
    ['https://user@example.org/cb', 'must not carry credentials'],
    ['https://:pw@example.org/cb', 'must not carry credentials'],
    ['http://169.254.169.254/latest/meta-data/', 'names a refused linkLocal address'],
    ['http://[::ffff:169.254.169.254]/', 'names a refused ipv4Mapped address'],
    ['http://[::ffff:0:a00:1]/', 'names a refused rfc6145 address'],
    ['http://[64:ff9b:1::a9fe:a9fe]/latest/meta-data/', 'names a refused rfc6052 address'],
    ['http://[2001::1]/', 'names a refused teredo address'],
    ['http://2130706433/', 'names a refused loopback address'], // 127.0.0.1 as a number
    ['http://0x7f.1/', 'names a refused loopback address'],
    ['http://017700000001/', 'names a refused loopback address'],
    ['http://10.0.0.1:8080/cb', 'names a refused private address'],
    ['http://[fd00:ec2::254]/', 'names a refused uniqueLocal address'],
    ['http://0/', 'names a refused unspecified address'],
    ['http://localhost:3000/', 'names a local or metadata host'],
    ['http://api.localhost/', 'names a local or metadata host'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'names a local or metadata host'],
    ['http://METADATA/', 'names a local or metadata host'],
  ])('refuses %s', (url, why) => {
    expect(urlRefusal(new URL(url))).toBe(why);
  });

  it('refuses the local and metadata names as whole names only', () => {
    for (const u of ['http://notmetadata/', 'http://metadata.example.org/', 'http://localhost.example.org/', 'http://instance-data.example/']) expect(urlRefusal(new URL(u)), u).toBeUndefined();
    for (const u of ['http://metadata./', 'http://instance-data/', 'http://instance-data.ec2.internal/', 'http://a.b.localhost/'])
      expect(urlRefusal(new URL(u)), u).toBe('names a local or metadata host');
    // allowLoopback lets `localhost` names through, not the metadata ones.
    expect(urlRefusal(new URL('http://api.localhost/'), { allowLoopback: true })).toBeUndefined();
    expect(urlRefusal(new URL('http://metadata/'), { allowLoopback: true })).toBe('names a local or metadata host');
  });

  it('applies an allow-list of hosts, domains, addresses and URL prefixes', () => {
    const policy: ReplyToPolicy = { allow: ['cb.ente.example', '*.comune.example', '93.184.216.34', 'https://hooks.example/accordo/'] };
    const ok = [
      'https://cb.ente.example/x',
      'https://CB.ENTE.EXAMPLE:8443/x',
      'https://a.comune.example/',
      'https://b.a.comune.example/',
      'http://93.184.216.34/',
      'https://hooks.example/accordo/r/1',
    ];
    const refused = [
      'https://cb.ente.example.evil.example/',
      'https://comune.example/',
      'https://evilcomune.example/',
      'https://hooks.example/other',
      'http://hooks.example/accordo/',
      'https://hooks.example.evil/accordo/',
      'http://93.184.216.35/',
    ];
    for (const u of ok) expect(urlRefusal(new URL(u), policy), u).toBeUndefined();
    for (const u of refused) expect(urlRefusal(new URL(u), policy), u).toBe('is not on the allow-list');
    // A name or address matches whole: no suffix of it (a domain wildcard is written `*.`).
    for (const u of ['https://xcb.ente.example/', 'http://193.184.216.34/']) expect(urlRefusal(new URL(u), policy), u).toBe('is not on the allow-list');
    // Entries are trimmed and case-blind; an entry that is not a URL matches nothing.
    expect(urlRefusal(new URL('https://cb.ente.example/'), { allow: [' CB.Ente.Example '] })).toBeUndefined();
    expect(urlRefusal(new URL('https://cb.ente.example/'), { allow: ['https://[cb.ente.example/'] })).toBe('is not on the allow-list');
    expect(urlRefusal(new URL('http://10.0.0.1/'), { allow: ['10.0.0.1'] })).toBe('names a refused private address');
    expect(urlRefusal(new URL('http://localhost:1/'), { allowLoopback: true })).toBeUndefined();
    expect(urlRefusal(new URL('https://x.example/'), { schemes: ['https:', 'file:'] })).toBeUndefined();
    expect(urlRefusal(new URL('file:///x'), { schemes: ['https:', 'file:'] })).toBe('must be an https URL');
  });

  it('resolves names and refuses one that has any refused address', async () => {
    const lookup = table({
      'public.example': ['93.184.216.34'],
      'inside.example': ['10.9.8.7'],
      'mixed.example': ['93.184.216.34', '169.254.169.254'],
      'v6.example': ['fe80::7'],
      'nat64.example': ['64:ff9b:1::a9fe:a9fe'],
      'mapped.example': ['::ffff:0:a00:1'],
      'teredo.example': ['2001::a9fe:a9fe'],
    });
    expect(await resolveChecked('public.example', { lookup })).toEqual({ address: '93.184.216.34', family: 4 });
    await expect(resolveChecked('inside.example', { lookup })).rejects.toThrow('callback target inside.example refused: resolves to a private address');
    await expect(resolveChecked('mixed.example', { lookup })).rejects.toThrow('resolves to a linkLocal address');
    await expect(resolveChecked('v6.example', { lookup })).rejects.toThrow('resolves to a linkLocal address');
    await expect(resolveChecked('nat64.example', { lookup })).rejects.toThrow('resolves to a rfc6052 address');
    await expect(resolveChecked('mapped.example', { lookup })).rejects.toThrow('resolves to a rfc6145 address');
    await expect(resolveChecked('teredo.example', { lookup })).rejects.toThrow('resolves to a teredo address');
    await expect(resolveChecked('[::1]', { lookup })).rejects.toThrow('loopback');
    const refused = await resolveChecked('inside.example', { lookup }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ReplyToRefusedError);
    expect(refused).toMatchObject({ name: 'ReplyToRefusedError', target: 'inside.example', reason: 'resolves to a private address' });
    await expect(resolveChecked('empty.example', { lookup: async () => [] })).rejects.toMatchObject({ code: 'ENODATA', message: 'empty.example has no address' });
  });

  it('resolves a reply address on every check, however often the same one is sent (only the URL checks are remembered)', async () => {
    let answer = '93.184.216.34';
    const policy = { lookup: async () => [{ address: answer, family: 4 }] };
    await expect(checkReplyTo('https://moving.example/cb', 'X-ReplyTo', policy)).resolves.toBeUndefined();
    // The same address, the same policy: the name now resolves to a private address, and is refused.
    answer = '10.1.2.3';
    await expect(checkReplyTo('https://moving.example/cb', 'X-ReplyTo', policy)).rejects.toMatchObject({ problem: { status: 400, detail: 'X-ReplyTo host resolves to a private address' } });
    // A refusal by the URL checks is remembered per policy, not for another one.
    await expect(checkReplyTo('http://127.0.0.1:9/cb', 'X-ReplyTo', policy)).rejects.toMatchObject({ problem: { detail: 'X-ReplyTo names a refused loopback address' } });
    await expect(checkReplyTo('http://127.0.0.1:9/cb', 'X-ReplyTo', { ...policy, allowLoopback: true })).resolves.toBeUndefined();
    await expect(checkReplyTo('http://127.0.0.1:9/cb', 'X-ReplyTo', policy)).rejects.toMatchObject({ problem: { detail: 'X-ReplyTo names a refused loopback address' } });
  });

  it('answers a refused X-ReplyTo with a 400 problem that does not reveal the resolved address', async () => {
    const lookup = table({ 'public.example': ['93.184.216.34'], 'inside.example': ['10.9.8.7'] });
    await expect(checkReplyTo('https://public.example/cb', 'X-ReplyTo', { lookup })).resolves.toBeUndefined();
    for (const [value, detail] of [
      ['not a url', 'X-ReplyTo is not an absolute URL'],
      ['file:///etc/passwd', 'X-ReplyTo must be an http or https URL'],
      ['https://inside.example/cb', 'X-ReplyTo host resolves to a private address'],
      ['https://nowhere.example/cb', 'X-ReplyTo host cannot be resolved'],
    ]) {
      const e = await checkReplyTo(value, 'X-ReplyTo', { lookup }).catch((err: unknown) => err);
      expect(e, value).toBeInstanceOf(ProblemError);
      expect((e as ProblemError).problem).toMatchObject({ status: 400, detail });
      expect(JSON.stringify((e as ProblemError).problem)).not.toContain('10.9.8.7');
    }
    const flaky: ReplyToPolicy['lookup'] = async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    const e = await checkReplyTo('https://cb.example/', 'X-ReplyTo', { lookup: flaky }).catch((err: unknown) => err);
    expect((e as ProblemError).problem).toMatchObject({ status: 503, detail: 'X-ReplyTo host could not be resolved now; try again later' });
    // A resolver error that says nothing (no code) is taken as a name that does not resolve.
    const silent = await checkReplyTo('https://cb.example/', 'X-ReplyTo', { lookup: async () => Promise.reject(new Error('no answer')) }).catch((err: unknown) => err);
    expect((silent as ProblemError).problem).toMatchObject({ status: 400, detail: 'X-ReplyTo host cannot be resolved' });
    const none = await checkReplyTo('https://cb.example/', 'X-ReplyTo', { lookup: async () => [] }).catch((err: unknown) => err);
    expect((none as ProblemError).problem).toMatchObject({ status: 400, detail: 'X-ReplyTo host cannot be resolved' });
  });
});

describe('connection hook', () => {
  it('dials the checked address, never the name, and refuses before dialling a refused one', async () => {
    let calls = 0;
    // A rebinding name: a public answer first, the metadata address next.
    const lookup = table({ 'rebind.example': () => (calls++ === 0 ? ['93.184.216.34'] : ['169.254.169.254']), 'inside.example': ['192.168.0.10'] });
    const { dialled, connect } = recorder();
    const { fetch: guarded, close } = guardedFetch({ lookup }, connect);
    cleanup.push(close);

    const first = await guarded('https://rebind.example:8443/cb', { method: 'POST' }).catch((e: unknown) => e);
    expect(refusalOf(first)).toBeUndefined();
    expect(dialled).toEqual([{ hostname: '93.184.216.34', port: '8443', servername: 'rebind.example' }]);

    for (const url of ['https://rebind.example:8443/again', 'http://inside.example/', 'http://169.254.169.254/latest/', 'http://[fe80::1]/', 'http://127.0.0.1:8080/']) {
      const e = await guarded(url, { method: 'POST' }).catch((err: unknown) => err);
      expect(refusalOf(e), url).toBeDefined();
    }
    expect(dialled).toHaveLength(1);
  });

  it('connects to an allowed loopback target through the hook', async () => {
    const t = await startTarget(() => ({ status: 200, body: { ok: true } }));
    cleanup.push(t.close);
    const port = new URL(t.url).port;
    const lookup = table({ 'consumer.test': ['127.0.0.1'] });
    const { fetch: guarded, close } = guardedFetch({ lookup, allowLoopback: true });
    cleanup.push(close);
    const res = await guarded(`http://consumer.test:${port}/cb`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    expect(t.hits[0].headers.host).toBe(`consumer.test:${port}`);
  });
});

describe('connect timeout', () => {
  /** The codes along an error's `cause` chain (fetch wraps undici's error in a TypeError). */
  const codes = (e: unknown): unknown[] => (e ? [(e as { code?: unknown }).code, ...codes((e as { cause?: unknown }).cause)] : []);

  // Each request carries its own 8 s timeout: undici's connect timeout, were ours not passed, is 10 s.
  it('gives up a connection the target never completes after connectTimeoutMs', async () => {
    const silent = await unansweredPort();
    cleanup.push(silent.close);
    const { fetch: guarded, close } = guardedFetch({ allowLoopback: true }, undefined, 200);
    cleanup.push(close);
    const e = await guarded(`http://127.0.0.1:${silent.port}/cb`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(8000) }).catch((err: unknown) => err);
    expect(codes(e)).toContain('UND_ERR_CONNECT_TIMEOUT');
  });

  it("gives up after 5 s by default (docs/delivery.md), not undici's 10 s", async () => {
    const silent = await unansweredPort();
    cleanup.push(silent.close);
    const { fetch: guarded, close } = guardedFetch({ allowLoopback: true });
    cleanup.push(close);
    const e = await guarded(`http://127.0.0.1:${silent.port}/cb`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(8000) }).catch((err: unknown) => err);
    expect(codes(e)).toContain('UND_ERR_CONNECT_TIMEOUT');
  });

  // The outcome waits below are bounds far from the times compared (0.2-0.3 s against the 5 s default), not speed checks.
  it('takes delivery.connectTimeoutMs for callbacks', async () => {
    const silent = await unansweredPort();
    cleanup.push(silent.close);
    const p = await startProvider({ replyTo: { allowLoopback: true }, delivery: { connectTimeoutMs: 200 }, retry: { maxAttempts: 1, timeoutMs: 60_000 } });
    cleanup.push(p.close);
    const id = await push(p.url, `http://127.0.0.1:${silent.port}/cb`, 1);
    expect(await p.outcome(id, 3000)).toMatchObject({ state: 'dead', attempts: 1, reason: 'network error: UND_ERR_CONNECT_TIMEOUT (attempt 1, the last one allowed)' });
  });

  it('ends a connection set-up at the attempt timeout when that is shorter (undici would wait for the connect timeout)', async () => {
    const silent = await unansweredPort();
    cleanup.push(silent.close);
    const p = await startProvider({ replyTo: { allowLoopback: true }, retry: { maxAttempts: 1, timeoutMs: 300 } });
    cleanup.push(p.close);
    const id = await push(p.url, `http://127.0.0.1:${silent.port}/cb`, 1);
    expect(await p.outcome(id, 3000)).toMatchObject({ state: 'dead', attempts: 1 });
  });
});

describe('provider', () => {
  it('refuses hostile X-ReplyTo values at step 1 with a 400 and stores nothing', async () => {
    const store = new MemoryStore();
    const { dialled, connect } = recorder();
    const lookup = table({ 'inside.example': ['10.0.0.8'], 'public.example': ['93.184.216.34'] });
    const p = await startProvider({ store, replyTo: { lookup }, delivery: { connect } });
    cleanup.push(p.close);
    for (const replyTo of [
      'file:///etc/passwd',
      'gopher://127.0.0.1:25/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://127.0.0.1:1/cb',
      'http://localhost/cb',
      'http://inside.example/cb',
      'http://unknown.example/cb',
      'https://u:p@public.example/cb',
      'cb',
    ]) {
      const res = await fetch(`${p.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': replyTo }, body: '{"n":1}' });
      expect(res.status, replyTo).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.headers.get('x-correlation-id')).toBeNull();
    }
    expect(await store.listTasks()).toEqual([]);
    expect(dialled).toEqual([]);
  });

  it('dead-letters a callback whose host resolves to a refused address at delivery time (DNS rebinding)', async () => {
    let calls = 0;
    const lookup = table({ 'rebind.example': () => (calls++ === 0 ? ['93.184.216.34'] : ['169.254.169.254']) });
    const { dialled, connect } = recorder();
    const p = await startProvider({ replyTo: { lookup }, delivery: { connect } });
    cleanup.push(p.close);
    const id = await push(p.url, 'http://rebind.example/cb', 4);
    expect(await p.outcome(id)).toMatchObject({ state: 'dead', attempts: 1, reason: 'callback target refused: resolves to a linkLocal address' });
    expect(dialled).toEqual([]);
  });

  it('checks each redirect: 127.0.0.1 may redirect to itself but not to 127.0.0.2 when only 127.0.0.1 is allowed', async () => {
    const other = await startTarget(() => ({ status: 200, body: { outcome: 'wrong place' } }), '127.0.0.2');
    cleanup.push(other.close);
    const redirector = await startTarget((hit: Hit) => {
      if (hit.path === '/away') return { status: 307, headers: { location: `${other.url}/cb` } };
      if (hit.path === '/here') return { status: 308, headers: { location: '/final' } };
      return { status: 200, body: { outcome: 'received' } };
    });
    cleanup.push(redirector.close);
    const p = await startProvider({ replyTo: { allow: ['127.0.0.1'], allowLoopback: true } });
    cleanup.push(p.close);

    const away = await push(p.url, `${redirector.url}/away`, 1);
    expect(await p.outcome(away)).toMatchObject({ state: 'dead', status: 307, reason: 'HTTP 307 redirect to a refused target: is not on the allow-list' });
    expect(other.hits).toHaveLength(0);

    const here = await push(p.url, `${redirector.url}/here`, 2);
    expect(await p.outcome(here)).toMatchObject({ state: 'delivered', status: 200, ack: { outcome: 'received' } });
    expect(redirector.hits.map((h) => h.path)).toEqual(['/away', '/here', '/final']);
    expect(redirector.hits[2].body).toEqual({ n: 2, doubled: 4 });

    // X-ReplyTo naming 127.0.0.2 directly is refused at step 1.
    const direct = await fetch(`${p.url}/requests`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-replyto': `${other.url}/cb` }, body: '{"n":3}' });
    expect(direct.status).toBe(400);
    await until(() => p.outcomes.size === 2);
    expect(other.hits).toHaveLength(0);
  });
});
