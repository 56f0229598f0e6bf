/**
 * Reading what a host passed, without ever throwing: a proxy whose traps throw, a getter that
 * throws, a revoked proxy. Each value is read once (a getter may answer differently twice).
 */

/**
 * The own enumerable string-keyed entries of an object (not an array), each value read once.
 * `null`: not an object, an array, or it cannot be listed (a throwing `ownKeys` trap). Keys
 * whose value cannot be read are listed in `unreadable`.
 */
export function ownEntries(value: unknown): { entries: Array<[string, unknown]>; unreadable: string[] } | null {
  if (typeof value !== 'object' || value === null) return null;
  let keys: string[];
  try {
    if (Array.isArray(value)) return null;
    keys = Object.keys(value);
  } catch {
    return null;
  }
  const entries: Array<[string, unknown]> = [];
  const unreadable: string[] = [];
  for (const key of keys) {
    try {
      entries.push([key, (value as Record<string, unknown>)[key]]);
    } catch {
      unreadable.push(key);
    }
  }
  return { entries, unreadable };
}

/** An own property defined as data (a `__proto__` key stays a key). */
export function setOwnValue<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
