/**
 * The consumer's memory of the push requests it sent: which CorrelationIDs it is waiting for,
 * which callbacks were already handled (a repeated callback is acknowledged, not handled again),
 * and who awaits which result.
 */
export class CorrelationRegistry {
  private readonly records = new Map<string, { operation: string; state: 'waiting' | 'handling' | 'done'; result?: unknown }>();
  private readonly waiters = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }[]>();
  private readonly known = new Map<string, (() => void)[]>();
  private inflight = 0;

  /** Marks a push request as on its way; call the returned function once its 202 was read. */
  beginRequest(): () => void {
    this.inflight++;
    let done = false;
    return () => {
      if (!done) this.inflight--;
      done = true;
    };
  }

  /** Records a CorrelationID returned by a 202. */
  expect(correlationId: string, operation: string): void {
    if (!this.records.has(correlationId)) this.records.set(correlationId, { operation, state: 'waiting' });
    for (const wake of this.known.get(correlationId) ?? []) wake();
    this.known.delete(correlationId);
  }

  /**
   * Whether a CorrelationID is ours. The callback can overtake the 202 it belongs to, so while
   * requests are in flight an unknown id gets up to `graceMs` to be registered.
   */
  async isKnown(correlationId: string, graceMs = 2000): Promise<boolean> {
    if (this.records.has(correlationId)) return true;
    if (this.inflight === 0 || graceMs <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      const list = this.known.get(correlationId) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.known.set(correlationId, list);
    });
    return this.records.has(correlationId);
  }

  /** Claims a callback for handling: `false` when it was already handled or is being handled. */
  claim(correlationId: string): boolean {
    const record = this.records.get(correlationId);
    if (!record || record.state !== 'waiting') return false;
    record.state = 'handling';
    return true;
  }

  /** Gives a claimed callback back (its handler failed), so a retry is handled. */
  release(correlationId: string): void {
    const record = this.records.get(correlationId);
    if (record?.state === 'handling') record.state = 'waiting';
  }

  complete(correlationId: string, result: unknown): void {
    const record = this.records.get(correlationId);
    if (!record) return;
    record.state = 'done';
    record.result = result;
    for (const w of this.waiters.get(correlationId) ?? []) w.resolve(result);
    this.waiters.delete(correlationId);
  }

  /** The result of a CorrelationID once its callback has been handled. */
  waitFor<T = unknown>(correlationId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    const record = this.records.get(correlationId);
    if (record?.state === 'done') return Promise.resolve(record.result as T);
    return new Promise<T>((resolve, reject) => {
      const entry = { resolve: resolve as (v: unknown) => void, reject };
      const list = this.waiters.get(correlationId) ?? [];
      list.push(entry);
      this.waiters.set(correlationId, list);
      const drop = (error: Error) => {
        const rest = (this.waiters.get(correlationId) ?? []).filter((w) => w !== entry);
        if (rest.length) this.waiters.set(correlationId, rest);
        else this.waiters.delete(correlationId);
        reject(error);
      };
      if (options.timeoutMs !== undefined) {
        const timer = setTimeout(() => drop(new CallbackTimeoutError(correlationId, options.timeoutMs!)), options.timeoutMs);
        timer.unref?.();
        entry.resolve = (v) => {
          clearTimeout(timer);
          resolve(v as T);
        };
      }
      options.signal?.addEventListener('abort', () => drop(new Error(`waiting for ${correlationId} was cancelled`)), { once: true });
    });
  }
}

export class CallbackTimeoutError extends Error {
  constructor(
    readonly correlationId: string,
    readonly timeoutMs: number,
  ) {
    super(`no callback for CorrelationID ${correlationId} within ${timeoutMs} ms`);
    this.name = 'CallbackTimeoutError';
  }
}
