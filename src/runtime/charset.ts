import { MIMEType } from 'node:util';
import { BoundedMemo } from './memo.js';

/**
 * Decoding request bodies in the character encoding they declare. Undecodable bytes are refused,
 * never replaced (a U+FFFD stored in place of an `è` is data lost without anyone knowing).
 */

/** Why a body could not be decoded: an encoding the runtime does not read, or bytes that are not in the encoding. */
export class CharsetError extends Error {
  constructor(
    message: string,
    readonly unsupported: boolean,
  ) {
    super(message);
    this.name = 'CharsetError';
  }
}

type Decode = (bytes: Buffer) => string;

const fatal = (encoding: string): Decode => {
  const decoder = new TextDecoder(encoding, { fatal: true });
  return (bytes) => decoder.decode(bytes);
};

// ISO-8859-1 maps every byte to the code point of the same value (node's `latin1`). TextDecoder
// would read it as windows-1252, as browsers do, which differs in 0x80-0x9F.
const latin1: Decode = (bytes) => bytes.toString('latin1');
const ascii: Decode = (bytes) => {
  const high = bytes.findIndex((b) => b > 0x7f);
  if (high >= 0) throw new TypeError(`byte 0x${bytes[high].toString(16)} at offset ${high}`);
  return bytes.toString('latin1');
};

/** The encodings read, by their IANA names and aliases (lower case). */
const DECODERS = new Map<string, Decode>();
for (const [decode, names] of [
  [fatal('utf-8'), ['utf-8', 'utf8']],
  [latin1, ['iso-8859-1', 'iso_8859-1', 'latin1', 'l1', 'iso-ir-100', 'cp819', 'ibm819', 'csisolatin1']],
  [ascii, ['us-ascii', 'ascii', 'iso646-us', 'csascii']],
  [fatal('utf-16le'), ['utf-16le']],
  [fatal('utf-16be'), ['utf-16be', 'utf-16']], // UTF-16 without a byte order mark is big-endian (RFC 2781)
] as const) {
  for (const name of names) DECODERS.set(name, decode);
}

/** The encodings a body may declare, as error messages list them. */
export const READABLE_ENCODINGS = 'UTF-8, ISO-8859-1, US-ASCII, UTF-16 (LE, BE)';

/** Whether the runtime reads an encoding (its name as declared, any case). */
export function isReadableEncoding(name: string): boolean {
  return DECODERS.has(name.trim().toLowerCase());
}

/** Decodes a body in the encoding it declares; a byte order mark of the same encoding is dropped. */
export function decodeBody(bytes: Buffer, encoding: string): string {
  const decode = DECODERS.get(encoding.trim().toLowerCase());
  if (!decode) throw new CharsetError(`unsupported charset ${JSON.stringify(encoding)}; expected ${READABLE_ENCODINGS}`, true);
  try {
    return decode(bytes);
  } catch (e) {
    throw new CharsetError(`the body is not valid ${encoding}${e instanceof TypeError && /offset/.test(e.message) ? ` (${e.message})` : ''}`, false);
  }
}

const charsets = new BoundedMemo<string | undefined>(256);

/**
 * The `charset` parameter of a Content-Type, if it has one (node's MIMEType parses it; peers send
 * few distinct values: they are cached). An unparseable Content-Type has none.
 */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType || !contentType.includes(';')) return undefined;
  return charsets.get(contentType, (type) => {
    try {
      return new MIMEType(type).params.get('charset') ?? undefined;
    } catch {
      return undefined;
    }
  });
}
