// Handler stubs: when the specs gain an operation, `generate` adds its typed stub to the user's handler
// file and changes no other byte; a handler whose operation is gone is reported and kept.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeStubs } from '../src/write/stubs.js';
import { runCli } from './support/cli.js';
import { ROOT, tempDir } from './support/tmp.js';
import { typecheck } from './support/typecheck.js';

/** A BLOCK_REST operation added to the push example's spec. */
const GET_RESOURCE = `  /resources/{id_resource}:
    get:
      operationId: GetResource
      description: Reads a resource.
      parameters:
        - name: id_resource
          in: path
          required: true
          schema:
            type: integer
      responses:
        200:
          description: The resource
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/MType'
        default:
          $ref: '#/components/responses/default'
`;

/** A second BLOCK_SOAP operation added to the blocking SOAP example's WSDL. */
function addSoapOperation(wsdl: string): string {
  return wsdl
    .replace(
      '<xs:element name="MRequestResponse" type="tns:MRequestResponse"/>',
      '$&\n      <xs:element name="Ping" type="tns:MRequest"/>\n      <xs:element name="PingResponse" type="tns:MRequestResponse"/>',
    )
    .replace(
      '<wsdl:message name="ErrorMessageException">',
      '<wsdl:message name="Ping"><wsdl:part element="tns:Ping" name="parameters"/></wsdl:message>\n  <wsdl:message name="PingResponse"><wsdl:part element="tns:PingResponse" name="parameters"/></wsdl:message>\n  $&',
    )
    .replace(
      '</wsdl:portType>',
      '  <wsdl:operation name="Ping"><wsdl:input message="tns:Ping" name="Ping"/><wsdl:output message="tns:PingResponse" name="PingResponse"/></wsdl:operation>\n  </wsdl:portType>',
    )
    .replace(
      '</wsdl:binding>',
      '  <wsdl:operation name="Ping"><soap:operation soapAction="ping" style="document"/><wsdl:input name="Ping"><soap:body use="literal"/></wsdl:input><wsdl:output name="PingResponse"><soap:body use="literal"/></wsdl:output></wsdl:operation>\n  </wsdl:binding>',
    );
}

/** The text with one inserted segment cut out, when there is exactly one: what the user had. */
function withoutInsertion(before: string, after: string): string {
  let start = 0;
  while (start < before.length && before[start] === after[start]) start++;
  const inserted = after.length - before.length;
  return after.slice(0, start) + after.slice(start + inserted);
}

async function copyExample(name: string): Promise<string> {
  const dir = await tempDir(`stubs-${name}`);
  await cp(join(ROOT, 'examples', name), dir, { recursive: true });
  return dir;
}

describe('generate adds stubs for new operations to the handler files', () => {
  it('REST: the new handler appears typed, with its doc and a 501 body; the user code stays byte for byte', async () => {
    const dir = await copyExample('nonblock-push-rest');
    const spec = join(dir, 'specs', 'server.yaml');
    await writeFile(spec, (await readFile(spec, 'utf8')).replace('paths:\n', `paths:\n${GET_RESOURCE}`));
    const handlersFile = join(dir, 'provider.handlers.ts');
    const mine = await readFile(handlersFile, 'utf8');
    const config = join(dir, 'accordo.config.yaml');

    const check = await runCli(['generate', '--config', config, '--check']);
    expect(check.code).toBe(3);
    expect(check.err).toContain('provider.handlers.ts (handlers missing: getResource)');
    expect(await readFile(handlersFile, 'utf8')).toBe(mine);

    const run = await runCli(['generate', '--config', config]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/stubbed {2}.*provider\.handlers\.ts:\d+: getResource/);
    const merged = await readFile(handlersFile, 'utf8');
    expect(withoutInsertion(mine, merged.replace("\nimport { ProblemError } from 'accordo/runtime';", ''))).toBe(mine);
    // The example imported nothing from the runtime: the stub's ProblemError comes with its import.
    expect(merged).toContain("import type { ProviderHandlers } from './generated/provider.js';\nimport { ProblemError } from 'accordo/runtime';");
    expect(merged).toContain('/**\n   * GET /resources/{id_resource} (GetResource): BLOCK_REST.');
    expect(merged).toMatch(/ {2}getResource: async \(\) => \{\n {4}throw new ProblemError\(501, 'getResource: not implemented yet'\);\n {2}\},\n\};/);
    const line = Number(/provider\.handlers\.ts:(\d+)/.exec(run.out)![1]);
    expect(merged.split('\n')[line - 1]).toBe('  /**');
    expect(typecheck([handlersFile, join(dir, 'consumer.handlers.ts'), join(dir, 'generated')])).toEqual([]);

    expect((await runCli(['generate', '--config', config, '--check'])).code).toBe(0);
    const again = await runCli(['generate', '--config', config]);
    expect(again.out).not.toContain('stubbed');
    expect(await readFile(handlersFile, 'utf8')).toBe(merged);
  });

  it('SOAP: the same for a new WSDL operation', async () => {
    const dir = await copyExample('block-soap');
    const wsdl = join(dir, 'specs', 'server.wsdl');
    await writeFile(wsdl, addSoapOperation(await readFile(wsdl, 'utf8')));
    const handlersFile = join(dir, 'provider.handlers.ts');
    const mine = await readFile(handlersFile, 'utf8');
    const run = await runCli(['generate', '--config', join(dir, 'accordo.config.yaml')]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/stubbed {2}.*provider\.handlers\.ts:\d+: ping/);
    const merged = await readFile(handlersFile, 'utf8');
    expect(withoutInsertion(mine, merged)).toBe(mine);
    expect(merged).toMatch(/ping: async \(\) => \{\n\s+throw new SoapFaultError\('Receiver', 'ping: not implemented yet'\);/);
    expect(typecheck([handlersFile, join(dir, 'generated')])).toEqual([]);
  });

  it('reports a handler whose operation is gone, and keeps it', async () => {
    const dir = await copyExample('block-soap');
    const handlersFile = join(dir, 'provider.handlers.ts');
    const mine = (await readFile(handlersFile, 'utf8')).replace('export const handlers: ProviderHandlers = {\n', '$&  oldOperation: async () => ({ body: {} }),\n');
    await writeFile(handlersFile, mine);
    const config = join(dir, 'accordo.config.yaml');
    const run = await runCli(['generate', '--config', config]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/kept {5}.*provider\.handlers\.ts: handler oldOperation has no operation in the specs any more/);
    expect(await readFile(handlersFile, 'utf8')).toBe(mine);
    // Not drift: the file is the user's, and it has every handler the specs need.
    expect((await runCli(['generate', '--config', config, '--check'])).code).toBe(0);
  });

  it('prints the stub and where it belongs when the handler object cannot be found', async () => {
    const dir = await copyExample('block-soap');
    const handlersFile = join(dir, 'provider.handlers.ts');
    const mine = "import type { ProviderHandlers } from './generated/provider.js';\nimport { parts } from './parts.js';\n\nexport const handlers = parts as ProviderHandlers;\n";
    await writeFile(handlersFile, mine);
    const run = await runCli(['generate', '--config', join(dir, 'accordo.config.yaml')]);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/provider\.handlers\.ts:1: no object typed ProviderHandlers found; add these handlers there \(mRequest\):\n\s*\/\*\*\n/);
    expect(run.err).toContain("mRequest: async () => {\n  throw new SoapFaultError('Receiver'");
    expect(await readFile(handlersFile, 'utf8')).toBe(mine);
  });
});

describe('mergeStubs', () => {
  const scaffold = [
    "import { ProblemError } from 'accordo/runtime';",
    "import type { ProviderHandlers } from './generated/provider.js';",
    '',
    'export const handlers: ProviderHandlers = {',
    '  /** One. */',
    '  one: async () => {',
    "    throw new ProblemError(501, 'one is not implemented yet');",
    '  },',
    '  /** Two. */',
    '  two: async () => {',
    "    throw new ProblemError(501, 'two is not implemented yet');",
    '  },',
    '};',
    '',
  ].join('\n');

  it('keeps the user layout: tabs, CRLF, no trailing comma, comments before the brace', () => {
    const user =
      "import { ProblemError } from 'accordo/runtime';\r\nexport const handlers = {\r\n\tone: async () => ({ status: 200 }) // mine\r\n\t// more to come\r\n} satisfies ProviderHandlers;\r\n";
    const merge = mergeStubs(user, scaffold);
    expect(merge.added).toEqual(['two']);
    expect(merge.text).toBe(
      "import { ProblemError } from 'accordo/runtime';\r\nexport const handlers = {\r\n\tone: async () => ({ status: 200 }),\r\n\t/** Two. */\r\n\ttwo: async () => {\r\n\t\tthrow new ProblemError(501, 'two is not implemented yet');\r\n\t}, // mine\r\n\t// more to come\r\n} satisfies ProviderHandlers;\r\n",
    );
  });

  it('fills an empty object and leaves a complete one alone', () => {
    const empty = "import type { ProviderHandlers } from './generated/provider.js';\n\nexport const handlers: ProviderHandlers = {};\n";
    const merge = mergeStubs(empty, scaffold);
    expect(merge.added).toEqual(['one', 'two']);
    expect(merge.text).toContain(
      "import type { ProviderHandlers } from './generated/provider.js';\nimport { ProblemError } from 'accordo/runtime';\n\nexport const handlers: ProviderHandlers = {\n  /** One. */\n  one: async () => {",
    );
    expect(merge.text!.endsWith("'two is not implemented yet');\n  },\n};\n")).toBe(true);
    expect(mergeStubs(merge.text!, scaffold)).toMatchObject({ added: [], orphans: [] });
    expect(mergeStubs(merge.text!, scaffold).text).toBeUndefined();
  });

  it('does not guess into an object that spreads others', () => {
    const user = "import { more } from './more.js';\nexport const handlers: ProviderHandlers = { ...more, one: async () => ({ status: 200 }) };\n";
    const merge = mergeStubs(user, scaffold);
    expect(merge.text).toBeUndefined();
    expect(merge.unplaced?.reason).toMatch(/spreads others/);
    expect(merge.unplaced?.stubs).toContain('two: async () => {');
    expect(merge.line).toBe(2);
  });
});
