/**
 * A `Map` that keeps only the `capacity` entries used last: `get` and `set` of a key
 * make it the newest, and a `set` past the capacity drops the oldest. Used where a
 * long-running process keeps per-problem state (the adapter's verifier cache), so it
 * stays bounded however many problems it sees.
 */
export class LruMap<K, V> extends Map<K, V> {
  constructor(readonly capacity: number) {
    super();
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`LruMap capacity must be a positive integer, got ${capacity}`);
  }

  override get(key: K): V | undefined {
    if (!super.has(key)) return undefined;
    const value = super.get(key) as V;
    super.delete(key);
    super.set(key, value);
    return value;
  }

  override set(key: K, value: V): this {
    super.delete(key);
    super.set(key, value);
    while (this.size > this.capacity) super.delete(super.keys().next().value as K);
    return this;
  }
}
