/**
 * Pure rules of the local Countly-compatible server: parameter parsing, checksum
 * verification, write-parameter validation and the duplicate-request hash.
 * Everything here mirrors /work/shared/spec/server-rules.md; the HTTP side lives in index.ts.
 */
import { createHash } from 'node:crypto';

export type Params = Record<string, string>;

/** spec: server-rules.md "/i, in order" step 2 — requests from this device are ignored. */
export const ZERO_DEVICE_ID = '00000000-0000-0000-0000-000000000000';

/** What the server answers to one request (or one item of a bulk request). */
export interface Verdict {
  status: number;
  body: unknown;
  accepted: boolean;
  error?: string;
}

export const ok = (body: unknown = { result: 'Success' }): Verdict => ({ status: 200, body, accepted: true });
export const fail = (status: number, result: string): Verdict => ({
  status,
  body: { result },
  accepted: false,
  error: result,
});

/** Query strings and urlencoded bodies decode like Node's querystring: `+` is a space; the last repeat wins. */
export function parseUrlEncoded(raw: string): Params {
  const out: Params = {};
  for (const [key, value] of new URLSearchParams(raw)) out[key] = value;
  return out;
}

/** Values of a JSON body (or of a bulk item) become strings; objects are re-serialized as the JSON params they are. */
export function stringifyValues(object: Record<string, unknown>): Params {
  const out: Params = {};
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

/** A JSON body: its object's values as params, or `null` when it is not a JSON object. */
export function parseJsonBody(raw: string): Params | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  return isObject(value) ? stringifyValues(value) : null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type ChecksumOutcome = 'ok' | 'mismatch' | 'missing';

/**
 * spec: server-rules.md "/i, in order" step 5. The server removes the first
 * `&<name>=<value>` and then `<name>=<value>` from each raw candidate (query string,
 * and the body for POST), hashes `candidate + salt` (`checksum` = sha1, `checksum256` =
 * sha256) and compares case-insensitively; any matching candidate passes. `checksum`
 * is looked at first, like the server does.
 */
export function verifyChecksum(params: Params, candidates: readonly string[], salt: string): ChecksumOutcome {
  const name = params.checksum !== undefined ? 'checksum' : params.checksum256 !== undefined ? 'checksum256' : undefined;
  if (name === undefined) return 'missing';
  const value = params[name] ?? '';
  const algorithm = name === 'checksum' ? 'sha1' : 'sha256';
  const matches = candidates.some((raw) => {
    const candidate = raw.replace(`&${name}=${value}`, '').replace(`${name}=${value}`, '');
    const hash = createHash(algorithm).update(candidate + salt).digest('hex');
    return hash.toUpperCase() === value.toUpperCase();
  });
  return matches ? 'ok' : 'mismatch';
}

/** The checksum an SDK appends: `sha256(payload + salt)` hex, for tests and tools. */
export function checksum256(payload: string, salt: string): string {
  return createHash('sha256').update(payload + salt).digest('hex');
}

const JSON_PARAM_CHECKS: ReadonlyArray<readonly [string, (value: unknown) => string | undefined]> = [
  ['events', checkEvents],
  ['metrics', objectCheck('metrics')],
  ['user_details', objectCheck('user_details')],
  ['crash', checkCrash],
  ['consent', checkConsent],
  ['segmentation', objectCheck('segmentation')],
  // spec 001 l. 5041-5049: the health check's counters.
  ['hc', objectCheck('hc')],
];

/** The first problem with the JSON params of a write request, or `undefined` when all are valid. */
export function validateJsonParams(params: Params): string | undefined {
  for (const [name, check] of JSON_PARAM_CHECKS) {
    const raw = params[name];
    if (raw === undefined) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return `Invalid JSON in parameter "${name}"`;
    }
    const problem = check(value);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function objectCheck(name: string): (value: unknown) => string | undefined {
  return (value) => (isObject(value) ? undefined : `Parameter "${name}" must be a JSON object`);
}

// spec: server-rules.md "What the params do" — events: JSON array; each needs `key`.
function checkEvents(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'Parameter "events" must be a JSON array';
  const bad = value.findIndex((event) => !isObject(event) || typeof event.key !== 'string' || event.key === '');
  return bad === -1 ? undefined : `Event ${bad} in "events" needs a non-empty string "key"`;
}

// spec: server-rules.md — crash needs `_error`, `_app_version`, and `_os` unless `_not_os_specific`.
function checkCrash(value: unknown): string | undefined {
  if (!isObject(value)) return 'Parameter "crash" must be a JSON object';
  const present = (key: string): boolean => value[key] !== undefined && value[key] !== null && value[key] !== '';
  if (!present('_error') || !present('_app_version')) return 'Parameter "crash" needs "_error" and "_app_version"';
  if (!present('_os') && !value._not_os_specific) return 'Parameter "crash" needs "_os" unless "_not_os_specific"';
  return undefined;
}

// spec: server-rules.md — consent is a JSON map of booleans.
function checkConsent(value: unknown): string | undefined {
  const valid = isObject(value) && Object.values(value).every((v) => typeof v === 'boolean');
  return valid ? undefined : 'Parameter "consent" must be a JSON object of booleans';
}

/**
 * spec: server-rules.md "/i, in order" step 6 — the payload without `rr`, `checksum`,
 * `checksum256`, then the `timestamp` appended. Hashed from the decoded params, so a GET
 * and a POST of the same request hash alike.
 */
export function duplicateHash(params: Params): string {
  const entries = Object.entries(params)
    .filter(([key]) => key !== 'rr' && key !== 'checksum' && key !== 'checksum256')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha1')
    .update(JSON.stringify(entries) + (params.timestamp ?? ''))
    .digest('hex');
}

/** spec: server-rules.md "HTTP" — an `app_id` or `user_id` param whose length is not 24 is refused. */
export function invalidIdParam(params: Params): string | undefined {
  for (const name of ['app_id', 'user_id']) {
    const value = params[name];
    if (value !== undefined && value !== '' && value.length !== 24) return `Invalid parameter "${name}"`;
  }
  return undefined;
}

/** A JSON array of strings from a param, or `undefined` when absent or not such an array. */
export function stringArrayParam(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A short human summary of a request's params, for the per-request log line. */
export function summarizeParams(params: Params): string {
  const parts: string[] = [];
  if (params.device_id !== undefined) parts.push(`dev=${params.device_id}`);
  if (params.method !== undefined) parts.push(`method=${params.method}`);
  if (params.begin_session !== undefined) parts.push('begin_session');
  if (params.session_duration !== undefined) parts.push(`session_duration=${params.session_duration}`);
  if (params.end_session !== undefined) parts.push('end_session');
  const events = stringArrayLength(params.events);
  if (events !== undefined) parts.push(`events=${events}`);
  const requests = stringArrayLength(params.requests);
  if (requests !== undefined) parts.push(`requests=${requests}`);
  for (const name of ['metrics', 'user_details', 'crash', 'consent', 'location', 'old_device_id', 'apm', 'feedback', 'hc']) {
    if (params[name] !== undefined) parts.push(name);
  }
  return parts.join(' ');
}

function stringArrayLength(raw: string | undefined): number | string | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value.length : '?';
  } catch {
    return '?';
  }
}
