import jsYaml from 'js-yaml';

/**
 * The YAML 1.2 core schema as the `yaml` package resolves plain scalars (its `parseDocument`
 * default), told to js-yaml: js-yaml's own core schema also reads `0b101` and signed hex as
 * numbers, which `yaml` keeps as strings. The patterns are `yaml`'s (yaml/dist/schema/core).
 */
const yamlCoreSchema = jsYaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new jsYaml.Type('tag:yaml.org,2002:null', { kind: 'scalar', resolve: (s: string) => /^(?:~|[Nn]ull|NULL)?$/.test(s), construct: () => null }),
    new jsYaml.Type('tag:yaml.org,2002:bool', { kind: 'scalar', resolve: (s: string) => /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s), construct: (s: string) => /^t/i.test(s) }),
    new jsYaml.Type('tag:yaml.org,2002:int', {
      kind: 'scalar',
      resolve: (s: string) => /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/.test(s),
      construct: (s: string) => (s.startsWith('0o') ? parseInt(s.slice(2), 8) : s.startsWith('0x') ? parseInt(s.slice(2), 16) : parseInt(s, 10)),
    }),
    new jsYaml.Type('tag:yaml.org,2002:float', {
      kind: 'scalar',
      resolve: (s: string) => /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$/.test(s),
      construct: (s: string) => (/nan$/i.test(s) ? NaN : /inf$/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : parseFloat(s)),
    }),
  ],
});

/** An anchor (`&name`): with aliases, `yaml`'s alias limit guards against expansion bombs, so such texts take its path. */
const ANCHOR = /(?:^|[\s,[{])&[^\s,[\]{}]/;
/**
 * A null or empty key, or a complex (`?`) key, in block or flow style: `yaml` and js-yaml turn them
 * into different property names. Two expressions, each without overlapping repetitions: a 3 MB
 * text is scanned in tens of milliseconds.
 */
const ODD_BLOCK_KEY = /^[ \t-]*(?:(?:~|null|Null|NULL)[ \t]*:|:|\?)(?:[ \t]|$)/m;
const ODD_FLOW_KEY = /[{,][ \t]*(?:(?:~|null|Null|NULL)[ \t]*:|:)(?:[ \t]|$)/;

/**
 * The plain data of a YAML/JSON text read the fast way (js-yaml is ~6x faster than `yaml` with
 * positions on a 3 MB spec), or undefined when the text needs `yaml`'s own reading: it does not
 * parse, holds anchors, a null or complex key, a `%YAML` directive or a tag js-yaml does not know. What this returns is
 * what `yaml`'s `parseDocument(text, { uniqueKeys: false }).toJS()` returns (the last of
 * duplicate keys wins in both): test/source-map.test.ts compares them.
 */
export function quickYamlData(text: string): { value: unknown } | undefined {
  if (ANCHOR.test(text) || ODD_BLOCK_KEY.test(text) || ODD_FLOW_KEY.test(text) || /^%YAML/m.test(text)) return undefined;
  try {
    return { value: jsYaml.load(text, { schema: yamlCoreSchema, json: true }) };
  } catch {
    return undefined;
  }
}
