/**
 * SHA-256 for checksum256 (spec: Parameter Tampering (checksum256) Algorithm), with Web
 * Crypto so the same code runs in Node 20+ and browsers.
 */

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. Rejects when Web Crypto is missing. */
export async function sha256Hex(text: string): Promise<string> {
  // Looked up at call time, never at import: importing must work where crypto is absent.
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (subtle === undefined) throw new Error('sha256Hex, Web Crypto (crypto.subtle) is not available');
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
