/**
 * Fair delivery across callback targets: one slow or dead target (a black hole, a consumer that is
 * down) must not hold every delivery slot nor keep the worker busy. Per target (the callback URL's
 * host and port) the worker keeps a ledger: callbacks in flight (at most `perTarget`), attempts and
 * failures counted, and a circuit that opens after `circuitFailures` attempts in a row that got no
 * answer (an answer, even a 503, says the target is alive; Retry-After paces it).
 * While it is open the target's messages are not claimed at all (they wait in the store, costing
 * nothing); then one trial attempt decides whether it closes or stays open for twice as long.
 */
import { BoundedMemo } from './memo.js';

export interface TargetPolicy {
  /** Callbacks in flight to one target at once (default 2): where every target starts, and where one that fails returns to. */
  perTarget: number;
  /**
   * How far a healthy target's limit grows (default 2, no growth): one more slot per callback it
   * acknowledges, halved on any other answer, back to `perTarget` on an attempt without one. A
   * black hole or a failing target never gets past `perTarget`; a fast one is not held to it.
   */
  maxPerTarget?: number;
  /** Attempts in a row that got no answer (network error, connect or read timeout) that open the circuit (default 5). */
  circuitFailures: number;
  /** How long an opened circuit parks the target's messages (default 30 s); doubled each time its trial fails, up to `maxOpenMs`. */
  circuitOpenMs: number;
  maxOpenMs: number;
}

export const DEFAULT_TARGET_POLICY: Omit<TargetPolicy, 'maxOpenMs'> = { perTarget: 2, circuitFailures: 5, circuitOpenMs: 30_000 };

/** What the ledger knows of one target, for logs and for operators (`TaskWorker.targets()`). */
export interface TargetStats {
  target: string;
  /** Attempts started, answers that delivered, and attempts that got no answer, since the worker started. */
  attempts: number;
  delivered: number;
  failures: number;
  /** Attempts without an answer since the last answer. */
  consecutiveFailures: number;
  inFlight: number;
  /** Set while the circuit is open: when its trial attempt may start (epoch ms). */
  openUntil?: number;
}

/** How an attempt ended, for the ledger: delivered, another answer (the target is alive, whatever it said), no answer (`failed`), or not counted (shutdown). */
export type TargetOutcome = 'delivered' | 'answered' | 'failed' | 'abandoned';

/** The key of a callback URL's target: its host and port, lower-cased (`cb.ente.example:8443`). */
export function targetOf(url: string | undefined): string {
  if (url === undefined) return '';
  // Consumers send the same few callback URLs again and again: each is parsed once (a URL parse per accepted request, issue 19).
  return knownTargets.get(url, (u) => {
    try {
      return new URL(u).host.toLowerCase();
    } catch {
      return '';
    }
  });
}

const knownTargets = new BoundedMemo<string>(1024);

/** How many targets the ledger remembers at most (the counts of healthy idle ones are dropped beyond). */
const MAX_TARGETS = 10_000;

interface Entry extends TargetStats {
  /** Callbacks this target may have in flight now (see `TargetPolicy.maxPerTarget`). */
  limit: number;
  openMs: number;
  /** The one attempt allowed while half-open is under way. */
  trial: boolean;
}

export class TargetLedger {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly policy: TargetPolicy) {}

  private entry(target: string): Entry {
    let e = this.entries.get(target);
    if (!e) {
      // Callers choose the targets: past a bound, healthy idle ones are forgotten (oldest first).
      if (this.entries.size >= MAX_TARGETS) {
        for (const old of this.entries.values()) {
          if (this.entries.size < MAX_TARGETS * 0.9) break;
          if (old.inFlight === 0 && old.openUntil === undefined) this.entries.delete(old.target);
        }
      }
      e = { target, attempts: 0, delivered: 0, failures: 0, consecutiveFailures: 0, inFlight: 0, limit: this.policy.perTarget, openMs: this.policy.circuitOpenMs, trial: false };
      this.entries.set(target, e);
    }
    return e;
  }

  /** Whether an attempt to `target` may start now; when it may, it is counted as in flight. */
  acquire(target: string, now: number): boolean {
    const e = this.entry(target);
    if (e.openUntil !== undefined) {
      // Open: nothing until the trial time; then one trial at a time.
      if (now < e.openUntil || e.trial) return false;
      e.trial = true;
    } else if (e.inFlight >= e.limit) return false;
    e.inFlight++;
    e.attempts++;
    return true;
  }

  /** Records how an acquired attempt ended. */
  release(target: string, outcome: TargetOutcome, now: number): void {
    const e = this.entry(target);
    e.inFlight = Math.max(0, e.inFlight - 1);
    const trial = e.openUntil !== undefined && e.trial;
    e.trial = false;
    if (outcome === 'abandoned') {
      e.attempts--;
      return;
    }
    if (outcome === 'failed') {
      e.limit = this.policy.perTarget;
      e.failures++;
      e.consecutiveFailures++;
      if (trial) {
        e.openMs = Math.min(this.policy.maxOpenMs, e.openMs * 2);
        e.openUntil = now + e.openMs;
      } else if (e.openUntil === undefined && e.consecutiveFailures >= this.policy.circuitFailures) {
        e.openUntil = now + e.openMs;
      }
      return;
    }
    if (outcome === 'delivered') {
      e.delivered++;
      e.limit = Math.min(Math.max(this.policy.perTarget, this.policy.maxPerTarget ?? 0), e.limit + 1);
    } else e.limit = Math.max(this.policy.perTarget, Math.floor(e.limit / 2));
    e.consecutiveFailures = 0;
    e.openUntil = undefined;
    e.openMs = this.policy.circuitOpenMs;
  }

  /** Targets no attempt may start to now: at their limit, or with an open circuit. The worker claims none of their messages. */
  blocked(now: number): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) {
      if (e.openUntil !== undefined ? now < e.openUntil || e.trial : e.inFlight >= e.limit) out.push(e.target);
    }
    return out;
  }

  /** Whether `target`'s circuit is open and its trial may not start yet (or is under way). */
  isOpen(target: string, now: number): boolean {
    const e = this.entries.get(target);
    return e?.openUntil !== undefined && (now < e.openUntil || e.trial);
  }

  /** When the first open circuit may try again (epoch ms), so the worker can look then. */
  nextTrial(): number | undefined {
    let first: number | undefined;
    for (const e of this.entries.values()) if (e.openUntil !== undefined && !e.trial && (first === undefined || e.openUntil < first)) first = e.openUntil;
    return first;
  }

  /** The counts of one target, as `stats()` gives them. */
  of(target: string): TargetStats | undefined {
    return this.stats().find((t) => t.target === target);
  }

  stats(): TargetStats[] {
    return [...this.entries.values()].map((e) => ({
      target: e.target,
      attempts: e.attempts,
      delivered: e.delivered,
      failures: e.failures,
      consecutiveFailures: e.consecutiveFailures,
      inFlight: e.inFlight,
      ...(e.openUntil !== undefined ? { openUntil: e.openUntil } : {}),
    }));
  }
}
