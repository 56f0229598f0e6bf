/**
 * The params of backend requests, built from validated input (SDK guide l. 5302–5455 and
 * "Networking and Params" l. 5478–5529). Pure: each builder returns the params in wire order
 * and the warnings about what it dropped; the API logs them naming its method.
 */
import { DEFAULT_LIMITS } from '../config.js';
import { cutText, limitBreadcrumbs, limitStackTrace } from '../domain/limits.js';
import { MODIFIERS, sanitizeSet, type Modifier } from '../domain/user-profile.js';
import { param } from '../log.js';

export interface Built<T> {
  value: T;
  warnings: string[];
}

type Params = Record<string, string>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** spec l. 5319: the location params `beginSession` may carry. */
export const LOCATION_KEYS: readonly string[] = /* @__PURE__ */ Object.freeze(['country_code', 'city', 'location', 'ip_address']);

/** spec l. 5392–5395: the crash metric keys `recordException` accepts. */
export const CRASH_METRIC_KEYS: readonly string[] = /* @__PURE__ */ Object.freeze([
  '_os', '_os_version', '_ram_total', '_ram_current', '_disk_total', '_disk_current', '_online', '_muted', '_resolution',
  '_app_version', '_manufacture', '_device', '_orientation', '_run',
]);

/** A map of string values: other values and non-string keys dropped with a warning. */
export function stringMap(what: string, raw: unknown, allowed?: readonly string[]): Built<Params> {
  const value: Params = {};
  const warnings: string[] = [];
  if (!isRecord(raw)) return { value, warnings: [`${what} must be an object of strings, got ${param(raw)}, ignored`] };
  for (const [k, v] of Object.entries(raw)) {
    if (allowed !== undefined && !allowed.includes(k)) warnings.push(`${what} key ${param(k)} is not one of ${allowed.join(', ')}, dropped`);
    else if (typeof v !== 'string') warnings.push(`${what} value of ${param(k)} must be a string, got ${param(v)}, dropped`);
    else Object.defineProperty(value, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { value, warnings };
}

/** spec l. 5322–5326: `begin_session=1`, `metrics`, then the location params. */
export function beginSessionParams(metrics: string, location: Params): Params {
  return { begin_session: '1', metrics, ...location };
}

/** spec l. 5340–5342, 5519: `session_duration` in whole seconds. */
export const updateSessionParams = (seconds: number): Params => ({ session_duration: String(Math.round(seconds)) });

/** spec l. 5353–5356, 5522: `end_session=1&session_duration=`. */
export const endSessionParams = (seconds: number): Params => ({ end_session: '1', session_duration: String(Math.round(seconds)) });

/** spec l. 5427–5429, 5525: `old_device_id` with the new ID as `device_id`. */
export const mergeParams = (oldDeviceId: string): Params => ({ old_device_id: oldDeviceId });

/** spec l. 5449–5452, 5528: the caller's params plus `dr=1`. */
export const directParams = (params: Params): Params => ({ ...params, dr: '1' });

const isModifier = (k: string): k is Modifier => (MODIFIERS as readonly string[]).includes(k);

/** A user-property modifier object (`{"$inc": 1}`), or undefined when `raw` is not one. */
function modifierObject(raw: unknown): Record<string, unknown> | undefined {
  if (!isRecord(raw)) return undefined;
  const keys = Object.keys(raw);
  if (keys.length === 0 || !keys.every(isModifier)) return undefined;
  for (const k of keys) {
    const v = raw[k];
    if (!(isScalar(v) || (Array.isArray(v) && v.every(isScalar)))) return undefined;
  }
  return raw;
}

/**
 * spec l. 5366–5376: predefined keys (name, username, email, organization, phone, gender,
 * byear, picture) at the top level, the rest under `custom`. Values: string, finite number,
 * boolean (checked and cut as the client's user profile does); a string that starts with `{`
 * is parsed as a modifier object (`{"$inc":1}`), as is such an object given directly.
 * Anything else is dropped with a warning. `null` when nothing is left.
 */
export function userDetails(properties: unknown): Built<Record<string, unknown> | null> {
  const warnings: string[] = [];
  if (!isRecord(properties)) return { value: null, warnings: [`properties must be an object, got ${param(properties)}`] };
  const out: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  const put = (target: Record<string, unknown>, k: string, v: unknown): void => {
    Object.defineProperty(target, k, { value: v, enumerable: true, writable: true, configurable: true });
  };
  for (const [key, raw] of Object.entries(properties)) {
    let parsed: unknown = raw;
    if (typeof raw === 'string' && raw.startsWith('{')) {
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = raw;
      }
    }
    const mods = modifierObject(parsed);
    if (mods !== undefined) {
      if (key.startsWith('$') || key === '') warnings.push(`property key ${param(key)} is not allowed, dropped`);
      else put(custom, cutText(key, DEFAULT_LIMITS.maxKeyLength), mods);
      continue;
    }
    const change = sanitizeSet(key, raw, DEFAULT_LIMITS);
    warnings.push(...change.warnings);
    if (change.value === undefined || change.value.op !== 'set') continue;
    put(change.value.predefined ? out : custom, change.value.key, change.value.value);
  }
  if (Object.keys(custom).length > 0) out.custom = custom;
  return { value: Object.keys(out).length > 0 ? out : null, warnings };
}

export interface ExceptionInput {
  error: string;
  stackTrace?: string | undefined;
  breadcrumbs?: unknown;
  custom?: unknown;
  metrics?: unknown;
  unhandled: boolean;
}

/**
 * spec l. 5380–5404: `_name` the error, `_error` the stack trace, `_logs` the breadcrumbs
 * joined with newlines, `_custom` the custom info (scalars only), `_nonfatal` unless
 * unhandled, and only the listed crash metrics. The server needs `_error`, `_os` and
 * `_app_version` (server-rules.md): `_error` falls back to the error itself, `_os` and
 * `_app_version` to the platform's (`defaults`).
 */
export function crashObject(input: ExceptionInput, defaults: { os?: string | undefined; osVersion?: string | undefined; appVersion: string }): Built<Record<string, unknown>> {
  const warnings: string[] = [];
  const trace = input.stackTrace !== undefined && input.stackTrace !== '' ? limitStackTrace(input.stackTrace, DEFAULT_LIMITS) : null;
  if (trace) warnings.push(...trace.warnings);
  const crash: Record<string, unknown> = {};
  if (input.metrics !== undefined) {
    const m = stringMap('metrics', input.metrics, CRASH_METRIC_KEYS);
    warnings.push(...m.warnings);
    Object.assign(crash, m.value);
  }
  if (crash._os === undefined && defaults.os !== undefined) crash._os = defaults.os;
  if (crash._os_version === undefined && defaults.osVersion !== undefined) crash._os_version = defaults.osVersion;
  if (crash._app_version === undefined) crash._app_version = defaults.appVersion;
  crash._name = input.error;
  crash._error = trace ? trace.value : input.error;
  crash._nonfatal = !input.unhandled;
  if (input.breadcrumbs !== undefined) {
    if (!Array.isArray(input.breadcrumbs)) warnings.push(`breadcrumbs must be an array of strings, got ${param(input.breadcrumbs)}, ignored`);
    else {
      const logs = limitBreadcrumbs(input.breadcrumbs as string[], DEFAULT_LIMITS);
      warnings.push(...logs.warnings);
      if (logs.value.length > 0) crash._logs = logs.value.join('\n');
    }
  }
  if (input.custom !== undefined) {
    if (!isRecord(input.custom)) warnings.push(`custom must be an object, got ${param(input.custom)}, ignored`);
    else {
      const custom: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(input.custom)) {
        if (isScalar(v)) Object.defineProperty(custom, k, { value: v, enumerable: true, writable: true, configurable: true });
        else warnings.push(`custom value of ${param(k)} must be a string, number or boolean, got ${param(v)}, dropped`);
      }
      if (Object.keys(custom).length > 0) crash._custom = custom;
    }
  }
  return { value: crash, warnings };
}
