/**
 * The health counters as pure data (spec 001: Health Checks l. 4879-5075): their defaults,
 * the two wire/storage shapes, the stored-state decoder, and the counting rules. No xstate.
 *
 * - `hc=` (l. 5041-5049): `{"el","wl","sc","em","bom","cbom"}`.
 * - storage `HEALTH_CHECK` (l. 5055-5073): a JSON *string* `{"LErr","LWar","RStatC","REMsg","BReq","CBReq"}`;
 *   `''` is "cleared" (clearAndSave, l. 4985).
 */
export const HEALTH_CHECK_KEY = 'HEALTH_CHECK';
/** The direct request's tag: one report per init. */
export const HC_TAG = 'hc:init';
/** spec l. 4944: the error body is capped at 1,000 characters. */
export const MAX_ERROR_MESSAGE = 1000;

export interface HealthCounters {
  /** error log entries */
  el: number;
  /** warning log entries */
  wl: number;
  /** HTTP status of the last failed request, -1 if none */
  sc: number;
  /** body of the last failed request (≤ 1,000 chars), '' if none */
  em: string;
  /** requests that triggered a backoff */
  bom: number;
  /** the longest run of consecutive backoffs */
  cbom: number;
}

export const EMPTY_COUNTERS: Readonly<HealthCounters> = /* @__PURE__ */ Object.freeze({ el: 0, wl: 0, sc: -1, em: '', bom: 0, cbom: 0 });

export const isEmpty = (c: HealthCounters): boolean =>
  c.el === 0 && c.wl === 0 && c.sc === -1 && c.em === '' && c.bom === 0 && c.cbom === 0;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
/** spec l. 4941: "Status code must be > 0 and < 1000". */
export const isStatus = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 1000;

/** The first 1,000 characters, never ending in half a surrogate pair. */
export function truncateMessage(text: string): string {
  if (text.length <= MAX_ERROR_MESSAGE) return text;
  const cut = text.slice(0, MAX_ERROR_MESSAGE);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/** The `hc` param (key order as in the spec's example, l. 5032). */
export function hcParam(c: HealthCounters): string {
  return JSON.stringify({ el: c.el, wl: c.wl, sc: c.sc, em: c.em, bom: c.bom, cbom: c.cbom });
}

/** The stored string (saveState, l. 4973-4978). */
export function serializeCounters(c: HealthCounters): string {
  return JSON.stringify({ LErr: c.el, LWar: c.wl, RStatC: c.sc, REMsg: c.em, BReq: c.bom, CBReq: c.cbom });
}

export type Restored = { counters: HealthCounters; malformed: boolean };

/**
 * The stored state at boot (l. 4990-5000): nothing or `''` → defaults; valid JSON → each field
 * with its safe fallback; anything else (a parse failure, JSON that is not an object) →
 * defaults, and the caller clears the stored entry. An object (written by hand, or by an
 * adapter that parsed the string) is read the same way.
 */
export function restoreCounters(stored: unknown): Restored {
  if (stored === undefined || stored === null || stored === '') return { counters: { ...EMPTY_COUNTERS }, malformed: false };
  let value: unknown = stored;
  if (typeof stored === 'string') {
    try {
      value = JSON.parse(stored);
    } catch {
      return { counters: { ...EMPTY_COUNTERS }, malformed: true };
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { counters: { ...EMPTY_COUNTERS }, malformed: true };
  const o = value as Record<string, unknown>;
  const bom = isCount(o.BReq) ? o.BReq : 0;
  return {
    counters: {
      el: isCount(o.LErr) ? o.LErr : 0,
      wl: isCount(o.LWar) ? o.LWar : 0,
      sc: isStatus(o.RStatC) ? o.RStatC : -1,
      em: typeof o.REMsg === 'string' ? truncateMessage(o.REMsg) : '',
      bom,
      // A run is made of counted backoffs: a longer one is not believable.
      cbom: isCount(o.CBReq) ? Math.min(o.CBReq, bom) : 0,
    },
    malformed: false,
  };
}

/** logError / logWarning (l. 4929-4935), a batch at a time. */
export function countProblems(c: HealthCounters, errors: number, warnings: number): HealthCounters {
  const add = (n: number, k: number): number => (isCount(k) ? n + k : n);
  return { ...c, el: add(c.el, errors), wl: add(c.wl, warnings) };
}

/** logFailedNetworkRequest (l. 4937-4945): invalid status codes are ignored; the latest failure wins. */
export function countFailure(c: HealthCounters, status: number, body: string): HealthCounters {
  if (!isStatus(status)) return c;
  return { ...c, sc: status, em: truncateMessage(body) };
}

/**
 * logBackoffRequest (l. 4947-4951) with the run length it makes (`run`, counted by the
 * machine). `cbom` is kept at the maximum at once, so saving needs no finalisation; a run
 * longer than this counter set's `bom` (it began before the set started) counts only its part.
 */
export function countBackoff(c: HealthCounters, run: number): HealthCounters {
  const bom = c.bom + 1;
  return { ...c, bom, cbom: Math.max(c.cbom, Math.min(run, bom)) };
}

/** `metrics=` of the report (l. 5036-5039): the app version only, the override winning. */
export function metricsParam(appVersion: string): string {
  return JSON.stringify({ _app_version: appVersion });
}
