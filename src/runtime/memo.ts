/**
 * What a server works out again and again from values its peers send (Content-Types, reply
 * addresses, callback URLs): peers send few distinct ones, so each is worked out once. Beyond `max`
 * keys every one is forgotten at once: the memo only saves work, and a peer sending endless
 * distinct values cannot make it grow.
 */
export class BoundedMemo<T> {
  private readonly known = new Map<string, T>();

  constructor(private readonly max: number) {}

  /** The value for `key`, computed by `compute` the first time it is asked for (since the last forgetting). */
  get(key: string, compute: (key: string) => T): T {
    let value = this.known.get(key);
    if (value === undefined && !this.known.has(key)) {
      value = compute(key);
      if (this.known.size >= this.max) this.known.clear();
      this.known.set(key, value);
    }
    return value as T;
  }
}
