/**
 * A wait that ends: `promise`, or after `ms` of real time an error saying what never happened.
 * A regression then fails fast with its cause, instead of hanging until vitest's own test
 * timeout says only "timed out". Not a speed check: the bound is far above any normal wait.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms / 1000} s: ${what()}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `p` has settled yet (either way), read without awaiting it. */
export function settled(p: Promise<unknown>): { done: boolean } {
  const state = { done: false };
  p.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
}
