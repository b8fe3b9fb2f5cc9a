import type { Agreement, JsonSchema, Operation } from '../../src/model/agreement.js';
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
