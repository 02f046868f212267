/**
 * `make()` once per `key` in `cache` (a verifier's per-process cache, `VerifyRequest.cache`):
 * later calls share the same promise; a rejection is not kept, so a failure is retried.
 * Without a cache, `make()` runs every time.
 */
export async function cached<T>(cache: Map<string, unknown> | undefined, key: string, make: () => Promise<T>): Promise<T> {
  const hit = cache?.get(key) as Promise<T> | undefined;
  if (hit !== undefined) return hit;
  const made = make();
  cache?.set(key, made);
  made.catch(() => cache?.delete(key));
  return made;
}
