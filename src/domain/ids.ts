/**
 * Event and view IDs (spec: Events > Event ID Generation — "a random component plus a
 * timestamp", e.g. iOS: 6 random bytes base64-encoded + the timestamp in ms). The random
 * bytes come from the platform's CSPRNG (`crypto.getRandomValues`), drawn in pools so one
 * ID costs no system call; device IDs stay UUID v4 (`crypto.randomUUID`).
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BYTES_PER_ID = 6;
const POOL_IDS = 512;

/** Returns a function making IDs: 8 base64url characters (48 random bits) + the ms timestamp. */
export function createEventIdSource(now: () => number): (reading?: number) => string {
  let pool = new Uint8Array(0);
  let at = 0;
  return (reading?: number) => {
    if (at + BYTES_PER_ID > pool.length) {
      pool = new Uint8Array(BYTES_PER_ID * POOL_IDS);
      globalThis.crypto.getRandomValues(pool);
      at = 0;
    }
    let out = '';
    for (let i = 0; i < BYTES_PER_ID; i += 3) {
      const n = ((pool[at + i] as number) << 16) | ((pool[at + i + 1] as number) << 8) | (pool[at + i + 2] as number);
      out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
    }
    at += BYTES_PER_ID;
    const t = reading ?? now();
    return out + String(Number.isFinite(t) ? Math.floor(t) : 0);
  };
}
