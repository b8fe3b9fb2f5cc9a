/**
 * Time as the delivery worker sees it. Injectable so tests can run retries and retention on a
 * fast clock instead of waiting; production uses the system clock.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Waits `ms`, or less when `signal` aborts (a wake-up, not an error). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
