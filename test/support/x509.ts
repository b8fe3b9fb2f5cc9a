/**
 * X.509 certificates for the INTEGRITY_REST_01 tests, made at test time with the openssl CLI (the
 * real tool a PA's operator uses): a CA, a consumer certificate it issues (RSA, as ModI signers
 * are), an expired one for the same key, and a self-signed one no anchor vouches for. Files are
 * PEM in `dir`: what signerFromFile and the provider's trust anchors read.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  /** The trust anchor (PEM). */
  ca: string;
  /** The consumer's private key file (PKCS#8 PEM) and its chain files (leaf first, then the CA). */
  keyFile: string;
  chainFile: string;
  /** The same key's certificate, expired yesterday. */
  expiredChainFile: string;
  /** Another key and its self-signed certificate. */
  selfSignedKeyFile: string;
  selfSignedFile: string;
  /** A key of its own under the CA's certificate for the consumer (x5c leaf not the signing key). */
  otherKeyFile: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir, timeout: 30_000 });
}

export async function testPki(dir: string): Promise<TestPki> {
  const o = (...args: string[]) => openssl(dir, ...args);
  await o(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '3650',
    '-subj',
    '/CN=Accordo test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  await o('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'consumer.key');
  await o('req', '-new', '-key', 'consumer.key', '-out', 'consumer.csr', '-subj', '/CN=consumer.ente.example');
  await o('x509', '-req', '-in', 'consumer.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'consumer.pem', '-days', '365');
  // -days -1: notAfter a day before now, a certificate that has expired.
  await o('x509', '-req', '-in', 'consumer.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'expired.pem', '-days', '-1');
  await o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.pem', '-days', '365', '-subj', '/CN=consumer.ente.example');
  await o('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'other.key');
  const ca = await readFile(join(dir, 'ca.pem'), 'utf8');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(join(dir, 'chain.pem'), (await readFile(join(dir, 'consumer.pem'), 'utf8')) + ca);
  await writeFile(join(dir, 'expired-chain.pem'), (await readFile(join(dir, 'expired.pem'), 'utf8')) + ca);
  return {
    ca,
    keyFile: join(dir, 'consumer.key'),
    chainFile: join(dir, 'chain.pem'),
    expiredChainFile: join(dir, 'expired-chain.pem'),
    selfSignedKeyFile: join(dir, 'self.key'),
    selfSignedFile: join(dir, 'self.pem'),
    otherKeyFile: join(dir, 'other.key'),
  };
}
