/**
 * Application Performance Monitoring as plain data (spec: SDK guide l. 3946-4161): the key
 * and metric rules, the network-trace value rules and the `apm=` payload. Pure and total:
 * every function accepts any value, returns what it kept and its warnings as text, and
 * never logs or throws; the namespace logs the warnings (`[Countly] [APM] fn, warning`).
 */
import type { Limits } from '../config.js';
import { cutText, truncateKey } from './limits.js';
import { setOwn } from '../protocol/encode.js';

/** spec l. 4089, 4106: trace keys have a maximum length of 2048 characters (truncated). */
export const MAX_TRACE_KEY_LENGTH = 2048;
/** spec l. 4087, 4110: metric keys have a maximum length of 32 characters (entry removed). */
export const MAX_METRIC_KEY_LENGTH = 32;
/** spec l. 4005-4007, 4114-4116: removed from custom metrics when the developer provides them. */
export const RESERVED_METRIC_KEYS: readonly string[] = /* @__PURE__ */ Object.freeze([
  'response_time',
  'response_payload_size',
  'response_code',
  'request_payload_size',
  'duration',
  'slow_rendering_frames',
  'frozen_frames',
]);
/** spec l. 4004: the pattern the server enforces on metric keys. */
export const METRIC_KEY_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]*$/;

/** The names of the device traces (spec l. 4083; `app_start` from the samples l. 4128, 4152). */
export const APP_START = 'app_start';
/** Foreground / background durations (spec l. 4075, 4083); the names the Android SDK sends. */
export const APP_IN_FOREGROUND = 'app_in_foreground';
export const APP_IN_BACKGROUND = 'app_in_background';

/** A value kept and what was changed to keep it. */
export interface Checked<T> {
  value: T;
  warnings: string[];
}

/** What the `apm` param holds (spec l. 4118-4153). */
export interface ApmTrace {
  type: 'device' | 'network';
  name: string;
  apm_metrics: Record<string, number>;
  /** start, ms */
  stz: number;
  /** end, ms */
  etz: number;
}

/** The network values of a trace, after the value rules (spec l. 4020-4021). */
export interface NetworkValues {
  responseCode: number;
  requestPayloadSize: number;
  responsePayloadSize: number;
}

const NOT_BLANK = /\S/;

/** spec l. 3979, 3990, 4017, 4047: "not nullable and not empty". Blank counts as empty. */
export const isKeyText = (v: unknown): v is string => typeof v === 'string' && NOT_BLANK.test(v);

/** How a value appears inside a warning: its type, or the number itself. */
const kind = (v: unknown): string => {
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
};

const short = (text: string): string => (text.length > 64 ? `${cutText(text, 64)}…` : text);

/**
 * A trace key as sent (spec l. 3996-3998, 4023, 4106-4108): cut to maxKeyLength, then to 2048
 * characters. Calls with the same key get the same result, so a started trace is found
 * again by its end call.
 */
export function traceKey(key: string, limits: Limits): Checked<string> {
  const cut = truncateKey(key, limits);
  if (cut.value.length <= MAX_TRACE_KEY_LENGTH) return cut;
  const value = cutText(cut.value, MAX_TRACE_KEY_LENGTH);
  return { value, warnings: [...cut.warnings, `trace key [${short(value)}...] truncated to ${MAX_TRACE_KEY_LENGTH} chars`] };
}

/** spec l. 3998, 4091, 4107: a trace key starting with `$` is kept, with a warning. */
export function traceKeyWarnings(key: string): string[] {
  return key.startsWith('$') ? [`trace key [${short(key)}] starts with "$", which the server strips`] : [];
}

/**
 * Custom metrics of `endTrace` (spec l. 3999-4008, 4091, 4095-4116): `null`/`undefined` is
 * none; a non-object is ignored with a warning. Per entry, in order: an empty key or a
 * value that is not a finite number is removed; the key is cut to maxKeyLength; a key over
 * 32 chars is removed; a reserved key is removed; `$` at the start, `.` inside or a key the
 * server's pattern refuses is kept with a warning. At most maxSegmentationValues entries are
 * kept, the first ones.
 */
export function customMetrics(raw: unknown, limits: Limits): Checked<Record<string, number>> {
  const value: Record<string, number> = {};
  const warnings: string[] = [];
  if (raw === undefined || raw === null) return { value, warnings };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { value, warnings: [`custom metrics must be an object of numbers, got [${kind(raw)}]; metrics ignored`] };
  }
  let keys: string[];
  try {
    keys = Object.keys(raw);
  } catch {
    return { value, warnings: ['custom metrics could not be read; metrics ignored'] };
  }
  let kept = 0;
  let over = 0;
  for (const rawKey of keys) {
    let v: unknown;
    try {
      v = (raw as Record<string, unknown>)[rawKey];
    } catch {
      v = undefined;
    }
    if (rawKey === '') {
      warnings.push('custom metric with an empty key removed');
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      warnings.push(`custom metric [${short(rawKey)}] must be a finite number, got [${kind(v)}]; removed`);
      continue;
    }
    const cut = truncateKey(rawKey, limits);
    warnings.push(...cut.warnings);
    const key = cut.value;
    if (key.length > MAX_METRIC_KEY_LENGTH) {
      warnings.push(`custom metric key [${short(key)}] is longer than ${MAX_METRIC_KEY_LENGTH} chars; removed`);
      continue;
    }
    if (RESERVED_METRIC_KEYS.includes(key)) {
      warnings.push(`custom metric key [${key}] is reserved; removed`);
      continue;
    }
    if (!Object.hasOwn(value, key)) {
      if (kept >= limits.maxSegmentationValues) {
        over++;
        continue;
      }
      kept++;
    }
    if (key.startsWith('$')) warnings.push(`custom metric key [${key}] starts with "$", which the server strips`);
    if (key.includes('.')) warnings.push(`custom metric key [${key}] contains ".", which the server removes`);
    if (!key.startsWith('$') && !key.includes('.') && !METRIC_KEY_PATTERN.test(key)) {
      warnings.push(`custom metric key [${key}] does not match ${String(METRIC_KEY_PATTERN)}; the server may drop the trace`);
    }
    setOwn(value, key, v === 0 ? 0 : v);
  }
  if (over > 0) warnings.push(`custom metrics have more than ${limits.maxSegmentationValues} entries, ${over} dropped`);
  return { value, warnings };
}

/** spec l. 4020: a response code is an integer in 100-599; anything else becomes 0. */
export function responseCode(raw: unknown): Checked<number> {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 100 && raw <= 599) return { value: raw, warnings: [] };
  return { value: 0, warnings: [`response code must be an integer in 100-599, got [${kind(raw)}]; 0 sent`] };
}

/** spec l. 4021: a payload size is a number ≥ 0; a negative one becomes 0, as does one that is not a finite number. */
export function payloadSize(name: string, raw: unknown): Checked<number> {
  if (typeof raw === 'number' && Number.isFinite(raw)) {
    if (raw >= 0) return { value: Math.floor(raw), warnings: [] };
    return { value: 0, warnings: [`${name} must not be negative, got [${raw}]; 0 sent`] };
  }
  return { value: 0, warnings: [`${name} must be a number, got [${kind(raw)}]; 0 sent`] };
}

/** The network values of a call, each after its rule. */
export function networkValues(code: unknown, requestPayloadSize: unknown, responsePayloadSize: unknown): Checked<NetworkValues> {
  const c = responseCode(code);
  const req = payloadSize('request payload size', requestPayloadSize);
  const res = payloadSize('response payload size', responsePayloadSize);
  return {
    value: { responseCode: c.value, requestPayloadSize: req.value, responsePayloadSize: res.value },
    warnings: [...c.warnings, ...req.warnings, ...res.warnings],
  };
}

/** A ms timestamp the wire can carry: a finite number ≥ 0. */
const isTimestamp = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * The start and end of `recordNetworkTrace` (spec l. 4022): both must be timestamps in ms
 * (null when one is not: the call cannot be recorded); swapped when the start is after the
 * end. Fractions of a ms are dropped.
 */
export function networkTimes(start: unknown, end: unknown): Checked<{ startMs: number; endMs: number }> | null {
  if (!isTimestamp(start) || !isTimestamp(end)) return null;
  const s = Math.floor(start);
  const e = Math.floor(end);
  if (s <= e) return { value: { startMs: s, endMs: e }, warnings: [] };
  return { value: { startMs: e, endMs: s }, warnings: [`start timestamp [${s}] is after end timestamp [${e}]; swapped`] };
}

/** The composite key of a two-step network request (spec l. 4051). */
export const networkRequestKey = (key: string, uniqueId: string): string => `${key}|${uniqueId}`;

/** ms between two instants, never negative (the clock of the calls never goes back; replayed data might). */
export const durationMs = (startMs: number, endMs: number): number => Math.max(0, endMs - startMs);

/** A custom trace (spec l. 3994-3995, sample l. 4136): `duration` first, then the custom metrics. */
export function customTrace(name: string, startMs: number, endMs: number, metrics: Readonly<Record<string, number>>): ApmTrace {
  const apmMetrics: Record<string, number> = { duration: durationMs(startMs, endMs) };
  for (const key of Object.keys(metrics)) {
    if (!RESERVED_METRIC_KEYS.includes(key)) setOwn(apmMetrics, key, metrics[key]!);
  }
  return { type: 'device', name, apm_metrics: apmMetrics, stz: startMs, etz: Math.max(startMs, endMs) };
}

/**
 * A network trace (spec l. 4019-4024, sample l. 4144). The value rules are applied again
 * here, so the trace is valid whatever the caller checked; times are swapped if needed.
 */
export function networkTrace(name: string, values: NetworkValues, startMs: number, endMs: number): ApmTrace {
  const v = networkValues(values.responseCode, values.requestPayloadSize, values.responsePayloadSize).value;
  const stz = Math.min(startMs, endMs);
  const etz = Math.max(startMs, endMs);
  return {
    type: 'network',
    name,
    apm_metrics: {
      response_time: etz - stz,
      response_payload_size: v.responsePayloadSize,
      response_code: v.responseCode,
      request_payload_size: v.requestPayloadSize,
    },
    stz,
    etz,
  };
}

/** A device trace: app start, time in the foreground / background (spec l. 4083, samples l. 4128, 4152). */
export function deviceTrace(name: string, startMs: number, endMs: number): ApmTrace {
  return { type: 'device', name, apm_metrics: { duration: durationMs(startMs, endMs) }, stz: startMs, etz: Math.max(startMs, endMs) };
}

/** The `apm` param: the trace as one JSON object (spec l. 4122). */
export const apmParam = (trace: ApmTrace): string => JSON.stringify(trace);
