// The bounded memo behind the runtime's per-value caches (memo.ts): Content-Types, reply addresses, callback URLs.
import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../src/runtime/memo.js';

describe('BoundedMemo', () => {
  it('computes a value once per key, an undefined value too', () => {
    const memo = new BoundedMemo<string | undefined>(4);
    const computed: string[] = [];
    const compute = (key: string) => (computed.push(key), key === 'none' ? undefined : key.toUpperCase());
    expect([memo.get('a', compute), memo.get('a', compute), memo.get('none', compute), memo.get('none', compute)]).toEqual(['A', 'A', undefined, undefined]);
    expect(computed).toEqual(['a', 'none']);
  });

  it('forgets every key at once when a new one would pass the bound, then remembers again', () => {
    const memo = new BoundedMemo<number>(2);
    let calls = 0;
    const compute = (key: string) => (calls++, key.length);
    memo.get('a', compute);
    memo.get('bb', compute);
    memo.get('a', compute); // within the bound: both kept
    memo.get('bb', compute);
    expect(calls).toBe(2);
    memo.get('ccc', compute); // the third key: a and bb are forgotten
    memo.get('ccc', compute);
    expect(calls).toBe(3);
    expect(memo.get('a', compute)).toBe(1);
    expect(calls).toBe(4);
  });
});
