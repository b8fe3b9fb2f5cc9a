import { describe, expect, it } from 'vitest';
import { newStoredId } from '../src/runtime/ids.js';
import { UUID_V7, uuidV7Time } from './support/ids.js';

describe('newStoredId', () => {
  it('makes UUID version 7 ids carrying the time, none repeating its random part across refills of the entropy pool', () => {
    const before = Date.now();
    // 2,000 ids: several refills of the 256-id pool.
    const ids = Array.from({ length: 2000 }, () => newStoredId());
    const after = Date.now();
    for (const id of ids) {
      expect(id).toMatch(UUID_V7);
      expect(uuidV7Time(id)).toBeGreaterThanOrEqual(before);
      expect(uuidV7Time(id)).toBeLessThanOrEqual(after);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // The 74 bits after the timestamp are drawn afresh for every id: no two ids share them, as
    // they would if a slice of the pool were handed out twice.
    const randomPart = (id: string) => id.slice(15).replace(/-/g, '');
    expect(new Set(ids.map(randomPart)).size).toBe(ids.length);
  });
});
