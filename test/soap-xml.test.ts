// The runtime's XML reader (saxes plus our namespace resolution): the tree it builds, the
// namespace rules it enforces and the errors it reports, and that one failed document never
// spoils the next (the parser is shared).
import { describe, expect, it } from 'vitest';
import { QNameTable, XmlError, parseXml, type XmlElement } from '../src/runtime/soap/xml.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** `{ns}name` of an element and its descendants, for compact expectations. */
const names = (el: XmlElement): unknown => (el.children.length ? { [`{${el.ns}}${el.name}`]: el.children.map(names) } : `{${el.ns}}${el.name}`);

function error(text: string): string {
  try {
    parseXml(text);
  } catch (e) {
    expect(e).toBeInstanceOf(XmlError);
    return (e as Error).message;
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseXml', () => {
  it('resolves element and attribute names through nested, redeclared and undeclared default namespaces', () => {
    const root = parseXml(
      '<?xml version="1.0" encoding="utf-8"?><a xmlns="urn:d" xmlns:p="urn:p" x="1" p:y="2" xml:lang="en">' + '<p:b xmlns:p="urn:q"><p:c/></p:b><p:d/><e xmlns=""><f/></e><g/></a>',
    );
    expect(names(root)).toEqual({ '{urn:d}a': [{ '{urn:q}b': ['{urn:q}c'] }, '{urn:p}d', { '{}e': ['{}f'] }, '{urn:d}g'] });
    // Namespace declarations are not attributes; unprefixed attributes have no namespace.
    expect(root.attrs).toEqual([
      { ns: '', name: 'x', value: '1' },
      { ns: 'urn:p', name: 'y', value: '2' },
      { ns: XML_NS, name: 'lang', value: 'en' },
    ]);
  });

  it('decodes the predefined entities, character references and CDATA, and concatenates the text', () => {
    const root = parseXml('<a t="&quot;&#9;&amp;">x &lt;&gt;&amp;&apos;&quot; &#65;&#x42;<![CDATA[<&>]]><b>in b</b>y</a>');
    expect(root.text).toBe(`x <>&'" AB<&>y`);
    expect(root.children[0].text).toBe('in b');
    expect(root.attrs[0].value).toBe('"\t&');
  });

  it.each([
    ['a DOCTYPE', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', /^DTDs and entity declarations are not allowed$/],
    ['a DOCTYPE after the root', '<a/><!DOCTYPE a>', /^DTDs and entity declarations are not allowed$/],
    ['an undeclared entity', '<a>\n<b>&xxe;</b></a>', /^undeclared entity &xxe; at line 2, column \d+$/],
    ['an undeclared element prefix', '<a><q:b/></a>', /^undeclared namespace prefix "q" at line 1/],
    ['an undeclared attribute prefix', '<a q:x="1"/>', /^undeclared namespace prefix "q"/],
    ['a prefix out of its scope', '<a><b xmlns:p="u"/><p:c/></a>', /^undeclared namespace prefix "p"/],
    ['mismatched tags', '<a><b>x</a>', /^malformed XML at line 1, column \d+: /],
    ['two roots', '<a/><b/>', /^malformed XML .*one root/],
    ['no root', '  ', /^malformed XML .*root element/],
    ['text after the root', '<a/>x', /^malformed XML .*outside of root/],
    ['a name with two colons', '<a:b:c xmlns:a="u"/>', /malformed name "a:b:c"/],
    ['an empty local name', '<a: xmlns:a="u"/>', /malformed name "a:"/],
    ['an undeclared prefix binding', '<a xmlns:p=""/>', /may not be undeclared/],
    ['the xmlns prefix declared', '<a xmlns:xmlns="u"/>', /xmlns prefix may not be declared/],
    ['the xml prefix rebound', '<a xmlns:xml="u"/>', /xml prefix/],
    ['the XML namespace bound to another prefix', `<a xmlns:p="${XML_NS}"/>`, /xml prefix/],
    ['the same attribute through two prefixes', '<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>', /duplicate attribute \{u\}x/],
    ['a bad character reference', '<a>&#0;</a>', /^malformed XML/],
    ['elements nested too deeply', `${'<a>'.repeat(300)}${'</a>'.repeat(300)}`, /^elements nested too deeply \(more than 256 levels, the limit\)$/],
  ])('refuses %s', (_, text, message) => {
    expect(error(text)).toMatch(message);
    // The shared parser starts afresh after a failure.
    expect(names(parseXml('<ok xmlns="urn:ok"><x/></ok>'))).toEqual({ '{urn:ok}ok': ['{urn:ok}x'] });
  });

  it('accepts 256 levels, and a self-closing element below them', () => {
    expect(() => parseXml(`${'<a>'.repeat(256)}<b/>${'</a>'.repeat(256)}`)).not.toThrow();
  });
});

describe('QNameTable', () => {
  it('finds values by namespace and local name, with few entries and with many', () => {
    for (const count of [3, 20]) {
      const t = new QNameTable<number>();
      for (let i = 0; i < count; i++) t.set(i % 2 ? 'urn:a' : '', `n${i}`, i);
      t.set('', 'n0', 100);
      expect(t.size).toBe(count);
      expect(t.get('', 'n0')).toBe(100);
      expect(t.get('urn:a', 'n1')).toBe(1);
      expect(t.get('', 'n1')).toBeUndefined();
      expect(t.get('urn:b', 'n1')).toBeUndefined();
    }
  });
});
