/**
 * Query-string encoding of request params (spec: SDK Storage and Requests > Encoding URI
 * Components). Every key and value goes through `encodeURIComponent` (plus `!'()*`), so
 * `&`, `=`, `?`, `%` and `+` inside JSON params never break the request apart. We never produce `+` for a
 * space, so decoding never turns `+` into a space.
 */

/** A list of params in wire order; duplicates allowed. */
export type ParamList = ReadonlyArray<readonly [string, string]>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces lone UTF-16 surrogates with U+FFFD (what TextEncoder does), so encoding never throws. */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}

const RFC3986_EXTRA = /[!'()*]/g;

/**
 * `encodeURIComponent` that never throws (a lone surrogate becomes U+FFFD first) and also
 * escapes `!'()*`. Why: the WHATWG URL parser (fetch, `new URL`) rewrites a raw `'` in the
 * query of an http(s) URL to `%27`, so the server would see another string than the one
 * the checksum was computed over. Escaped, the bytes sent are the bytes hashed.
 */
export function encodeComponent(text: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(text);
  } catch {
    encoded = encodeURIComponent(toWellFormed(text));
  }
  return encoded.replace(RFC3986_EXTRA, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * `decodeURIComponent` that never throws: runs of escapes that are not valid UTF-8 (or a
 * lone `%`) are kept as raw text, valid runs around them are still decoded.
 */
export function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(ESCAPE_RUN, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

/** Sets an own enumerable property, also for the key `__proto__` (which `obj[k] = v` would not). */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/** `k=v&k=v`, every key and value URI-encoded, in the given (insertion) order. */
export function encodeParams(params: Readonly<Record<string, string>> | ParamList): string {
  const entries: ParamList = isParamList(params) ? params : Object.entries(params);
  return entries.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join('&');
}

const STORED_ESCAPE = /[%&=+]/g;
const STORED_ESCAPES: Readonly<Record<string, string>> = { '%': '%25', '&': '%26', '=': '%3D', '+': '%2B' };

/**
 * The escaping of a *stored* request: only what would split or change it when decoded
 * (`%`, `&`, `=`, `+`), everything else kept as is. `decodeComponent` reads it back exactly,
 * like a fully encoded component, and the send step re-encodes every component in full.
 * Why: JSON params (`events`, `metrics`) hold many `"{}:,`; fully encoded each costs 3 bytes
 * on disk, so a stored request would take ~1.6× the bytes of its payload instead of ~1×.
 */
export function encodeStoredComponent(text: string): string {
  return toWellFormed(text).replace(STORED_ESCAPE, (c) => STORED_ESCAPES[c] as string);
}

/** `k=v&k=v` in the stored escaping (see `encodeStoredComponent`), in the given order. */
export function encodeStoredParams(params: Readonly<Record<string, string>> | ParamList): string {
  const entries: ParamList = isParamList(params) ? params : Object.entries(params);
  return entries.map(([k, v]) => `${encodeStoredComponent(k)}=${encodeStoredComponent(v)}`).join('&');
}

function isParamList(params: Readonly<Record<string, string>> | ParamList): params is ParamList {
  return Array.isArray(params);
}

/**
 * Splits one raw `k=v` segment at its first `=` without decoding. A segment without `=`
 * is a key with an empty value.
 */
export function splitSegment(segment: string): readonly [string, string] {
  const eq = segment.indexOf('=');
  return eq < 0 ? [segment, ''] : [segment.slice(0, eq), segment.slice(eq + 1)];
}

/** The raw `k=v` segments of a query string (a leading `?` and empty segments are skipped). */
export function rawSegments(query: string): string[] {
  const q = query.startsWith('?') ? query.slice(1) : query;
  return q.split('&').filter((s) => s !== '');
}

/** Decodes a query string into its params in order, duplicates kept. Never throws. */
export function decodeParamList(query: string): Array<[string, string]> {
  return rawSegments(query).map((segment) => {
    const [k, v] = splitSegment(segment);
    return [decodeComponent(k), decodeComponent(v)];
  });
}

/** The inverse of `encodeParams` for records: a later duplicate key wins. Never throws. */
export function decodeParams(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of decodeParamList(query)) setOwn(out, k, v);
  return out;
}
