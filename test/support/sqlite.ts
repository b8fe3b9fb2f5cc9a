/**
 * Whether better-sqlite3 loads in this Node: .ci/run also runs the e2e tests under Node 22, where the
 * module built for Node 20 does not; those tests show the same behaviour on the memory store.
 */
export async function sqliteLoads(): Promise<boolean> {
  try {
    const { default: Database } = await import('better-sqlite3');
    new Database(':memory:').close();
    return true;
  } catch {
    return false;
  }
}
