/**
 * Whether the tests run in CI: `CI` set to any truthy value (`true`, `1`, `yes`, …). Empty, `0`,
 * `false`, `no` and `off` are not. CI must run every test, so what a test needs from the machine
 * (a peer, the corpus) is an error there when missing, and a printed skip elsewhere.
 */
export const IN_CI = !['', '0', 'false', 'no', 'off'].includes((process.env.CI ?? '').trim().toLowerCase());

/**
 * A missing prerequisite: under CI it throws (the file fails, naming what to install); elsewhere
 * it prints what is skipped and how to get what is missing, and returns true (skip).
 */
export function skipWithout(missing: string, skipped: string, install: string): true {
  if (IN_CI) throw new Error(`${missing}, and CI=${process.env.CI} requires it: ${install}`);
  console.warn(`SKIPPED ${skipped}: ${missing} (${install})`);
  return true;
}
