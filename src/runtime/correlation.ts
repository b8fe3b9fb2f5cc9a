import { randomUUID } from 'node:crypto';
import { MemoryStore } from './store/memory.js';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';

export interface CorrelationOptions {
  /**
   * Where the records are kept (default: in memory). With a database store a repeated callback
   * is recognised across restarts, and several consumer instances can share the records.
   */
  store?: Store;
  /** How long a callback's handler may run before a repeated callback may run it again (default 60 s). */
  handlingLeaseMs?: number;
  /** How often `waitFor` looks in the store for a callback handled by another instance (default 1 s). */
  pollMs?: number;
}

interface Waiter {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * The consumer's memory of the push requests it sent: which CorrelationIDs it is waiting for,
 * which callbacks were already handled (a repeated callback is acknowledged with the same ACK,
 * not handled again), and who awaits which result.
 */
export class CorrelationRegistry {
  /** Where the records are kept (also the consumer's jti records, ID_AUTH_REST_02 on callbacks). */
  readonly store: Store;
  private owned: boolean;
  private readonly owner = randomUUID();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly known = new Map<string, (() => void)[]>();
  private inflight = 0;

  constructor(options: CorrelationOptions = {}) {
    this.store = options.store ?? new MemoryStore();
    this.owned = !options.store;
    this.leaseMs = options.handlingLeaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
  }

  /** A registry on the store a setting names (`sqlite:./consumer.db`, a `postgres://` URL, `memory:`); `close()` closes it. */
  static async open(setting: string, options: Omit<CorrelationOptions, 'store'> = {}): Promise<CorrelationRegistry> {
    const registry = new CorrelationRegistry({ ...options, store: await openStore(setting) });
    registry.owned = true;
    return registry;
  }

  /**
   * Marks a push request as on its way, durably in the store before it is sent: every consumer
   * instance sharing the store then holds back a callback whose CorrelationID it does not know
   * yet (it may be this request's, overtaking its 202). Call the returned function once the 202
   * was read and its CorrelationID recorded with `expect`, or the request failed. A send whose
   * process died lapses after `timeoutMs` (the request's own timeout) and a margin.
   */
  async beginSend(timeoutMs = 30_000): Promise<() => Promise<void>> {
    const id = `send:${this.owner}:${randomUUID()}`;
    const now = Date.now();
    await this.store.beginSend(id, now, now + timeoutMs + SEND_MARGIN_MS);
    const local = this.beginRequest();
    return async () => {
      local();
      await this.store.endSend(id).catch(() => {});
    };
  }

  /** Marks a push request as on its way in this process only; call the returned function once its 202 was read. {@link beginSend} also tells the other instances. */
  beginRequest(): () => void {
    this.inflight++;
    let done = false;
    return () => {
      if (!done) this.inflight--;
      done = true;
    };
  }

  /** Records a CorrelationID returned by a 202. */
  async expect(correlationId: string, operation: string): Promise<void> {
    await this.store.addCorrelation(correlationId, operation, Date.now());
    for (const wake of this.known.get(correlationId) ?? []) wake();
    this.known.delete(correlationId);
  }

  /**
   * Whether a CorrelationID is ours: `known`; `unknown` (no request of any instance sharing the
   * store is on its way, so none can be its); or `later`: requests are still on their way after
   * `graceMs` and it may be one of theirs, so the callback is to be answered "try again"
   * (503), never refused. The callback can overtake the 202 it belongs to, here or at another
   * instance: an unknown id waits up to `graceMs` for its registration, looking in the store.
   */
  async recognise(correlationId: string, graceMs = 2000): Promise<'known' | 'unknown' | 'later'> {
    const deadline = Date.now() + graceMs;
    for (;;) {
      if (await this.store.getCorrelation(correlationId)) return 'known';
      const sending = this.inflight > 0 || (await this.store.sendsInFlight(Date.now())) > 0;
      // A send ends after its CorrelationID is recorded: with none left, one more look decides.
      if (!sending) return (await this.store.getCorrelation(correlationId)) ? 'known' : 'unknown';
      const left = deadline - Date.now();
      if (left <= 0) return 'later';
      await this.expected(correlationId, Math.min(RECOGNISE_STEP_MS, left));
    }
  }

  /**
   * Whether a CorrelationID is ours. While requests of this process are in flight an unknown id
   * gets up to `graceMs` to be registered (see {@link recognise} for requests of other instances).
   */
  async isKnown(correlationId: string, graceMs = 2000): Promise<boolean> {
    if (await this.store.getCorrelation(correlationId)) return true;
    if (this.inflight === 0 || graceMs <= 0) return false;
    await this.expected(correlationId, graceMs);
    return (await this.store.getCorrelation(correlationId)) !== undefined;
  }

  /** Resolves when this process's `expect` records `correlationId`, or after `ms`. */
  private async expected(correlationId: string, ms: number): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const list = this.known.get(correlationId) ?? [];
    list.push(wake);
    this.known.set(correlationId, list);
    const timer = setTimeout(wake, ms);
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      const rest = (this.known.get(correlationId) ?? []).filter((w) => w !== wake);
      if (rest.length) this.known.set(correlationId, rest);
      else this.known.delete(correlationId);
    }
  }

  /** Claims a callback for handling: `false` when it was already handled or is being handled. */
  claim(correlationId: string): Promise<boolean> {
    return this.store.claimCorrelation(correlationId, this.owner, Date.now(), this.leaseMs);
  }

  /** Gives a claimed callback back (its handler failed), so a retry is handled. */
  release(correlationId: string): Promise<void> {
    return this.store.releaseCorrelation(correlationId, this.owner, Date.now());
  }

  /** Records a handled callback with its result and the ACK sent, and wakes whoever waits for it. */
  async complete(correlationId: string, result: unknown, ack?: unknown): Promise<void> {
    await this.store.completeCorrelation(correlationId, this.owner, result, ack, Date.now());
    for (const w of this.waiters.get(correlationId) ?? []) w.resolve(result);
    this.waiters.delete(correlationId);
  }

  /** The ACK sent for a callback that was handled, for a repeated one; `undefined` if it was not handled yet. */
  async acknowledged(correlationId: string): Promise<{ ack: unknown } | undefined> {
    const record = await this.store.getCorrelation(correlationId);
    return record?.state === 'done' ? { ack: record.ack } : undefined;
  }

  /** The result of a CorrelationID once its callback has been handled (here, or by another instance on the same store). */
  waitFor<T = unknown>(correlationId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let poll: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(poll);
        clearTimeout(deadline);
        const rest = (this.waiters.get(correlationId) ?? []).filter((w) => w !== entry);
        if (rest.length) this.waiters.set(correlationId, rest);
        else this.waiters.delete(correlationId);
      };
      const entry: Waiter = {
        resolve: (v) => {
          finish();
          resolve(v as T);
        },
        reject: (e) => {
          finish();
          reject(e);
        },
      };
      const list = this.waiters.get(correlationId) ?? [];
      list.push(entry);
      this.waiters.set(correlationId, list);
      const look = () => {
        this.store.getCorrelation(correlationId).then(
          (r) => {
            if (r?.state === 'done') entry.resolve(r.result);
            else if (this.waiters.get(correlationId)?.includes(entry)) {
              poll = setTimeout(look, this.pollMs);
              poll.unref?.();
            }
          },
          (e: Error) => entry.reject(e),
        );
      };
      look();
      if (options.timeoutMs !== undefined) {
        deadline = setTimeout(() => entry.reject(new CallbackTimeoutError(correlationId, options.timeoutMs!)), options.timeoutMs);
        deadline.unref?.();
      }
      if (options.signal?.aborted) entry.reject(new Error(`waiting for ${correlationId} was cancelled`));
      options.signal?.addEventListener('abort', () => entry.reject(new Error(`waiting for ${correlationId} was cancelled`)), { once: true });
    });
  }

  /** Closes the store if the registry opened it. */
  async close(): Promise<void> {
    if (this.owned) await this.store.close();
  }
}

/** How long after its own timeout a send of a consumer that died still holds back unknown callbacks. */
const SEND_MARGIN_MS = 5000;
/** How often `recognise` looks in the store for another instance's registration. */
const RECOGNISE_STEP_MS = 50;

export class CallbackTimeoutError extends Error {
  constructor(
    readonly correlationId: string,
    readonly timeoutMs: number,
  ) {
    super(`no callback for CorrelationID ${correlationId} within ${timeoutMs} ms`);
    this.name = 'CallbackTimeoutError';
  }
}
