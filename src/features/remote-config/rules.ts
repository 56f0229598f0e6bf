/**
 * Remote config and A/B testing as pure functions (spec 001: Remote Config l. 2864-3131,
 * A/B Testing l. 3132-3442, Remote Config (Legacy) l. 5715-5733; server-rules.md `/o/sdk`):
 * the value store and its two update rules, the request params, and the decoders of what
 * storage and the server hand back (fp-ts `Either` at the trust boundary). No xstate.
 */
import { left, right, type Either } from 'fp-ts/Either';
import type { ExperimentInfo, RCData, RequestResult } from '../../types.js';

/** The key-value storage key of the value store (spec l. 3108: "stored persistently"). */
export const RC_STORE_KEY = 'remoteConfig';

/** spec l. 3112-3121: `{"key": {"v": value, "c": 0|1}}`; `c: 0` cached (an earlier user's), `1` fresh. */
export interface StoredValue {
  readonly v: unknown;
  readonly c: 0 | 1;
}
export type RcStore = Readonly<Record<string, StoredValue>>;

/** What a download asks for (spec l. 2967-2999): everything, only these keys, or all but these. */
export type DownloadMode = { kind: 'all' } | { kind: 'specific'; keys: readonly string[] } | { kind: 'omit'; keys: readonly string[] };

/** spec l. 2976, 2991: an empty key list behaves like downloading all values (a full update). */
export function normalizeMode(mode: DownloadMode): DownloadMode {
  return mode.kind !== 'all' && mode.keys.length === 0 ? { kind: 'all' } : mode;
}

export const isFullUpdate = (mode: DownloadMode): boolean => normalizeMode(mode).kind === 'all';

/**
 * A successful download into the store (spec l. 3044-3049, 3055): a full one replaces every
 * value — or, with `valueCaching`, keeps the old ones marked cached — a partial one updates
 * only the keys it returned. Downloaded values are fresh (`c: 1`).
 */
export function applyDownload(store: RcStore, downloaded: Readonly<Record<string, unknown>>, full: boolean, caching: boolean): RcStore {
  const base: Record<string, StoredValue> = full ? { ...(caching ? cacheClear(store, true) : {}) } : { ...store };
  for (const [key, v] of Object.entries(downloaded)) base[key] = { v, c: 1 };
  return base;
}

/**
 * "Cache clear" (spec l. 2902-2906, 3115): the values now belong to an earlier user — without
 * `valueCaching` they are dropped, with it they stay marked cached (`c: 0`).
 */
export function cacheClear(store: RcStore, caching: boolean): RcStore {
  if (!caching) return {};
  const out: Record<string, StoredValue> = {};
  for (const [key, entry] of Object.entries(store)) out[key] = { v: entry.v, c: 0 };
  return out;
}

/** spec l. 3124-3127: `isCurrentUsersData` is true exactly for fresh values. */
export function toRCData(store: RcStore): Record<string, RCData> {
  const out: Record<string, RCData> = {};
  for (const [key, entry] of Object.entries(store)) out[key] = { value: entry.v, isCurrentUsersData: entry.c === 1 };
  return out;
}

/** The store as storage holds it: entries that are not `{v, c}` are skipped (a corrupt record loses only itself). */
export function decodeStoredValues(raw: unknown): RcStore {
  if (!isRecord(raw)) return {};
  const out: Record<string, StoredValue> = {};
  for (const [key, entry] of Object.entries(raw)) {
    if (!isRecord(entry) || !Object.hasOwn(entry, 'v') || (entry.c !== 0 && entry.c !== 1)) continue;
    out[key] = { v: entry.v, c: entry.c };
  }
  return out;
}

/**
 * The params of a values download (spec l. 3058-3069, 3300-3311): `method=rc`, `keys` or
 * `omit_keys` as JSON arrays, `oi=1` when downloads enroll into A/B tests. (`metrics` is
 * added by the direct effect when `sessions` consent is given.)
 */
export function rcParams(mode: DownloadMode, enroll: boolean): Record<string, string> {
  const m = normalizeMode(mode);
  return {
    method: 'rc',
    ...(m.kind === 'specific' ? { keys: JSON.stringify(m.keys) } : {}),
    ...(m.kind === 'omit' ? { omit_keys: JSON.stringify(m.keys) } : {}),
    ...(enroll ? { oi: '1' } : {}),
  };
}

/** spec l. 5732: `method=ab&keys=[...]` enrolls into the A/B tests of these keys. */
export const enrollParams = (keys: readonly string[]): Record<string, string> => ({ method: 'ab', keys: JSON.stringify(keys) });

/**
 * spec l. 3205-3206: exits the tests of these keys, or of all when none are given. The wire
 * call is Countly's `/i?method=ab_opt_out` with an optional `keys` JSON array (the guide names
 * no request; the server opts out of everything when `keys` is missing).
 */
export const exitParams = (keys: readonly string[]): Record<string, string> => ({ method: 'ab_opt_out', ...(keys.length > 0 ? { keys: JSON.stringify(keys) } : {}) });

/** spec l. 3367-3378: `/i?method=ab_enroll_variant&key=…&variant=…`. */
export const enrollVariantParams = (key: string, variant: string): Record<string, string> => ({ method: 'ab_enroll_variant', key, variant });

/** A request that did not succeed: `Error` (the server answered, but not with what was asked) or `NetworkIssue`. */
export interface Failure {
  readonly result: Exclude<RequestResult, 'Success'>;
  readonly error: string;
}

/** The JSON of a 2xx answer, or the failure: a non-2xx answer or a body that is not JSON is an `Error`. */
export function decodeAnswer(status: number, body: string): Either<Failure, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return left({ result: 'Error', error: status >= 200 && status < 300 ? 'the answer is not JSON' : `HTTP ${status}` });
  }
  if (status < 200 || status >= 300) {
    const message = isRecord(parsed) && typeof parsed.result === 'string' ? `: ${parsed.result}` : '';
    return left({ result: 'Error', error: `HTTP ${status}${message}` });
  }
  return right(parsed);
}

/** spec l. 3102-3107: a values download answers a flat object `{"key": value}`. */
export function decodeValues(status: number, body: string): Either<Failure, Record<string, unknown>> {
  const answer = decodeAnswer(status, body);
  if (answer._tag === 'Left') return answer;
  return isRecord(answer.right) ? right({ ...answer.right }) : left({ result: 'Error', error: 'the answer is not a JSON object of values' });
}

/**
 * spec l. 3326-3353, 3421-3426: `{"key": [{"name", "value"}, ...]}` → the variant names of each
 * key. A key whose list is not an array is skipped, so are variants without a string name.
 */
export function decodeVariants(status: number, body: string): Either<Failure, Record<string, string[]>> {
  const answer = decodeAnswer(status, body);
  if (answer._tag === 'Left') return answer;
  if (!isRecord(answer.right)) return left({ result: 'Error', error: 'the answer is not a JSON object of variants' });
  const out: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(answer.right)) {
    if (!Array.isArray(list)) continue;
    out[key] = list.flatMap((variant) => (isRecord(variant) && typeof variant.name === 'string' ? [variant.name] : []));
  }
  return right(out);
}

/**
 * spec l. 3355-3397, 3428-3436: a JSON array of experiments → `ExperimentInfo` by ID. An item
 * without a string `id` is skipped; a missing name or description is `''`, a missing current
 * variant `null`, and only object-valued variants are kept.
 */
export function decodeExperiments(status: number, body: string): Either<Failure, Record<string, ExperimentInfo>> {
  const answer = decodeAnswer(status, body);
  if (answer._tag === 'Left') return answer;
  if (!Array.isArray(answer.right)) return left({ result: 'Error', error: 'the answer is not a JSON array of experiments' });
  const out: Record<string, ExperimentInfo> = {};
  for (const item of answer.right) {
    if (!isRecord(item) || typeof item.id !== 'string' || item.id === '') continue;
    const variants: Record<string, Record<string, unknown>> = {};
    if (isRecord(item.variants)) {
      for (const [name, props] of Object.entries(item.variants)) if (isRecord(props)) variants[name] = { ...props };
    }
    out[item.id] = {
      id: item.id,
      name: typeof item.name === 'string' ? item.name : '',
      description: typeof item.description === 'string' ? item.description : '',
      currentVariant: typeof item.currentVariant === 'string' ? item.currentVariant : null,
      variants,
    };
  }
  return right(out);
}

/**
 * An answer of `ab`, `ab_opt_out` or `ab_enroll_variant`: a 2xx JSON object with a `result`
 * (server-rules.md: `ab` answers "Successfully enrolled in ab tests", the others "Success").
 * `exact` requires `"Success"` — a 200 such as "Request does not match checksum" is not one.
 */
export function decodeResult(status: number, body: string, exact: boolean): Either<Failure, string> {
  const answer = decodeAnswer(status, body);
  if (answer._tag === 'Left') return answer;
  const result = isRecord(answer.right) ? answer.right.result : undefined;
  if (typeof result !== 'string') return left({ result: 'Error', error: 'the answer has no "result"' });
  return exact && result !== 'Success' ? left({ result: 'Error', error: result }) : right(result);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
