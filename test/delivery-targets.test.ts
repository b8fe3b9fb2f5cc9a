import { describe, expect, it } from 'vitest';
import { TargetLedger } from '../src/runtime/targets.js';

const policy = { perTarget: 2, maxPerTarget: 6, circuitFailures: 3, circuitOpenMs: 1000, maxOpenMs: 8000 };

/** Acquires slots for `target` until the ledger refuses; returns how many it gave. */
function fill(ledger: TargetLedger, target: string, now = 0): number {
  let n = 0;
  while (ledger.acquire(target, now)) n++;
  return n;
}

describe('per-target concurrency: a target that acknowledges grows, one that fails or hangs does not', () => {
  it('starts at perTarget, gains a slot per acknowledged callback up to maxPerTarget', () => {
    const ledger = new TargetLedger(policy);
    expect(fill(ledger, 'fast:1')).toBe(2);
    ledger.release('fast:1', 'delivered', 0);
    ledger.release('fast:1', 'delivered', 0);
    // Two ACKs: two more slots than at the start.
    expect(fill(ledger, 'fast:1')).toBe(4);
    for (let i = 0; i < 4; i++) ledger.release('fast:1', 'delivered', 0);
    expect(fill(ledger, 'fast:1')).toBe(policy.maxPerTarget);
    expect(ledger.blocked(0)).toEqual(['fast:1']);
  });

  it('halves on another answer (a 503 paces it) and drops back to perTarget on an attempt without an answer', () => {
    const ledger = new TargetLedger(policy);
    for (let i = 0; i < 6; i++) {
      expect(ledger.acquire('t:1', 0)).toBe(true);
      ledger.release('t:1', 'delivered', 0);
    }
    expect(fill(ledger, 't:1')).toBe(6);
    ledger.release('t:1', 'answered', 0);
    // 5 still in flight, limit 3: nothing more may start.
    expect(ledger.acquire('t:1', 0)).toBe(false);
    for (let i = 0; i < 5; i++) ledger.release('t:1', 'delivered', 0);
    // Back to 3, then one per ACK: 3 + 5 = 8, held at 6.
    expect(fill(ledger, 't:1')).toBe(6);
    ledger.release('t:1', 'failed', 0);
    for (let i = 0; i < 5; i++) ledger.release('t:1', 'abandoned', 0);
    expect(fill(ledger, 't:1')).toBe(policy.perTarget);
  });

  it('a black hole (attempts that never get an answer) never holds more than perTarget', () => {
    const ledger = new TargetLedger(policy);
    for (let round = 0; round < 2; round++) {
      expect(fill(ledger, 'hole:1')).toBe(policy.perTarget);
      ledger.release('hole:1', 'failed', 0);
      ledger.release('hole:1', 'failed', 0);
    }
    // Four failures: past circuitFailures, so its circuit is open and nothing starts.
    expect(ledger.isOpen('hole:1', 0)).toBe(true);
    expect(fill(ledger, 'hole:1')).toBe(0);
    expect(ledger.of('hole:1')).toMatchObject({ inFlight: 0, failures: 4 });
  });

  it('without maxPerTarget the limit stays perTarget', () => {
    const ledger = new TargetLedger({ ...policy, maxPerTarget: undefined });
    expect(fill(ledger, 'x:1')).toBe(2);
    ledger.release('x:1', 'delivered', 0);
    ledger.release('x:1', 'delivered', 0);
    expect(fill(ledger, 'x:1')).toBe(2);
  });
});
