import type { Agreement, Interface, JsonSchema, Operation, Pattern, PatternDecision } from '../../src/model/agreement.js';
import { SpecError } from '../../src/load/errors.js';
import { Validators } from '../../src/runtime/validation.js';

/** The operation `id` of an interface, or an error listing the ones it has. */
export const op = (a: Agreement['provider'], id: string): Operation => {
  const found = a.operations.find((o) => o.id === id);
  if (!found) throw new Error(`no operation ${id} in ${a.operations.map((o) => o.id).join(', ')}`);
  return found;
};

/** A validator of values against the agreement's schemas (their $refs resolved among them). */
export function validator(agreement: Agreement) {
  const defs = Object.fromEntries([...agreement.schemas].map(([k, s]) => [k, s.schema]));
  const validators = new Validators(defs as never);
  return (schema: JsonSchema | undefined, value: unknown) => validators.compile(schema as never)(value);
}

/** The SpecError a load rejects with; any other outcome fails. */
export async function specError(promise: Promise<unknown>): Promise<SpecError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error('expected a SpecError, the load succeeded');
}

/** Where the WSDL-shaped operations below say they come from. */
export const WSDL_FILE = '/specs/server.wsdl';
const headerPart = (name: string) => ({ name: name.toLowerCase(), element: { namespace: 'http://ente.example/nome-api', name }, schema: {}, nillable: false });

/**
 * A SOAP operation shaped as the WSDL loader fills it, its input and output carrying the named
 * header parts (an `output` of `undefined`: one-way), declared at `line` of {@link WSDL_FILE}.
 */
export const wsdlOperation = (
  id: string,
  pattern: Pattern,
  input: string[],
  output: string[] | undefined,
  role?: PatternDecision['role'],
  decidedBy: PatternDecision['decidedBy'] = 'shape',
  line = 10,
): Operation =>
  ({
    id,
    idDerived: false,
    method: 'post',
    path: '/soap/nome-api/v1',
    parameters: [],
    responses: [],
    callbacks: [],
    pattern: { pattern, decidedBy, facts: [], role },
    extensions: {},
    location: { file: WSDL_FILE, pointer: `/definitions/binding/operation[@name='${id}']`, line, column: 3 },
    soap: {
      name: id,
      portType: { namespace: 'http://ente.example/nome-api', name: 'P' },
      input: { headers: input.map(headerPart), body: [] },
      output: output && { headers: output.map(headerPart), body: [] },
    },
  }) as unknown as Operation;

/** A WSDL interface of `operations`, loaded from `file`. */
export const wsdlInterface = (operations: Operation[], file = WSDL_FILE): Interface => ({ title: 'SOAP', version: '1', source: { file, format: 'wsdl', version: '1.1' }, basePath: '', operations });
