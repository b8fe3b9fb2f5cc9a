// The checks behind the adversarial suites, row by row: the JSON depth pre-scan, body decoding by
// declared charset, and XML encoding detection (BOM, charset, declaration).
import { describe, expect, it } from 'vitest';
import { CharsetError, charsetOf, decodeBody } from '../../src/runtime/charset.js';
import { inputLimits, jsonNestsDeeper } from '../../src/runtime/limits.js';
import { XmlError, decodeXml, parseXml } from '../../src/runtime/soap/xml.js';

describe('JSON depth pre-scan', () => {
  it.each([
    ['257 nested arrays', '['.repeat(257) + ']'.repeat(257), true],
    ['256 nested arrays (the limit)', '['.repeat(256) + ']'.repeat(256), false],
    ['brackets inside a string', JSON.stringify({ b: '['.repeat(5000) }), false],
    ['an escaped quote before the brackets', JSON.stringify({ b: '"' + '['.repeat(5000) }), false],
    ['escaped backslashes, then a quote that ends the string', JSON.stringify({ b: '\\\\\\', c: JSON.parse('['.repeat(300) + ']'.repeat(300)) }), true],
    ['an odd run of backslashes before a quote', JSON.stringify({ b: '\\\\\\"' + '['.repeat(5000) }), false],
    ['an unterminated string (the parser refuses it)', '"x' + '['.repeat(400), false],
  ])('%s → %s', (_name, text, deeper) => {
    expect(jsonNestsDeeper(text, 256)).toBe(deeper);
  });

  it('refuses settings that are not positive integers', () => {
    expect(inputLimits({ depth: 16 })).toMatchObject({ depth: 16, xmlAttributes: 256, xmlNamespaces: 64 });
    expect(() => inputLimits({ depth: 0 })).toThrow(/limits.depth must be a positive integer/);
    expect(() => inputLimits({ xmlAttributes: 1.5 })).toThrow(/limits.xmlAttributes/);
  });
});

describe('declared charsets', () => {
  const e = 'caffè, perché';
  it.each([
    ['utf-8', Buffer.from(e)],
    ['UTF8', Buffer.from(e)],
    ['ISO-8859-1', Buffer.from(e, 'latin1')],
    ['latin1', Buffer.from(e, 'latin1')],
    ['utf-16le', Buffer.from(e, 'utf16le')],
    ['utf-16be', Buffer.from(e, 'utf16le').swap16()],
  ])('%s is decoded', (charset, bytes) => {
    expect(decodeBody(bytes, charset)).toBe(e);
  });

  it('ISO-8859-1 is not read as windows-1252', () => {
    expect(decodeBody(Buffer.from([0x80, 0x9f]), 'iso-8859-1')).toBe('\u0080\u009f');
  });

  it.each([
    ['utf-8', Buffer.from(e, 'latin1'), /not valid utf-8/],
    ['us-ascii', Buffer.from(e), /not valid us-ascii \(byte 0xc3 at offset 4\)/],
    ['utf-16le', Buffer.from([0x00, 0xd8]), /not valid utf-16le/],
  ])('undecodable bytes in %s are refused', (charset, bytes, message) => {
    const error = (() => {
      try {
        decodeBody(bytes, charset);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(CharsetError);
    expect(error).toMatchObject({ unsupported: false, message: expect.stringMatching(message) });
  });

  it('an encoding not read is refused as unsupported', () => {
    expect(() => decodeBody(Buffer.from('x'), 'koi8-r')).toThrow(expect.objectContaining({ unsupported: true }));
  });

  it.each([
    ['application/json', undefined],
    ['application/json; charset=ISO-8859-1', 'ISO-8859-1'],
    ['application/json;charset="utf-16le"', 'utf-16le'],
    ['text/xml; action="x"; Charset=latin1', 'latin1'],
    ['not a media type; charset=x', undefined],
  ])('the charset of %s is %s', (type, charset) => {
    expect(charsetOf(type)).toBe(charset);
  });
});

describe('XML encoding detection', () => {
  const doc = (decl = '') => `${decl}<a>caffè</a>`;
  it.each([
    ['no declaration: UTF-8', Buffer.from(doc()), undefined],
    ['the declaration names ISO-8859-1', Buffer.from(doc('<?xml version="1.0" encoding="ISO-8859-1"?>'), 'latin1'), undefined],
    ['single quotes and spaces in the declaration', Buffer.from(doc("<?xml version='1.0'  encoding = 'iso-8859-1' ?>"), 'latin1'), undefined],
    ['the charset wins over the declaration (RFC 7303)', Buffer.from(doc('<?xml version="1.0" encoding="UTF-8"?>'), 'latin1'), 'iso-8859-1'],
    ['a UTF-8 byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc())]), 'iso-8859-1'],
    ['a UTF-16LE byte order mark wins over the charset', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc('<?xml version="1.0" encoding="UTF-16"?>'), 'utf16le')]), 'utf-8'],
    ['a UTF-16BE byte order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(doc(), 'utf16le').swap16()]), undefined],
    ['UTF-16LE named by the charset, no BOM', Buffer.from(doc(), 'utf16le'), 'utf-16le'],
  ])('%s', (_name, bytes, charset) => {
    expect(parseXml(decodeXml(bytes, charset)).text).toBe('caffè');
  });

  it.each([
    ['Latin-1 bytes read as UTF-8', Buffer.from(doc(), 'latin1'), undefined, /not valid utf-8/],
    ['UTF-16 declared without a byte order mark', Buffer.from(doc('<?xml version="1.0" encoding="UTF-16"?>')), undefined, /must start with a byte order mark/],
    ['an encoding not read', Buffer.from(doc('<?xml version="1.0" encoding="Shift_JIS"?>')), undefined, /unsupported charset "Shift_JIS"/],
  ])('%s: refused', (_name, bytes, charset, message) => {
    expect(() => decodeXml(bytes, charset)).toThrow(XmlError);
    expect(() => decodeXml(bytes, charset)).toThrow(message);
  });
});
