/**
 * The crash rules as pure functions (no xstate, no rxjs, no I/O): what a thrown value says,
 * the internal limits of a crash, the merged segmentation, the breadcrumb list, the `_ob`
 * bits and the wire object. Spec lines are those of the SDK guide
 * (/work/shared/spec/001_*.txt) unless another file is named.
 */
import type { Limits } from '../../config.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import { cutText, limitBreadcrumbs, limitStackTrace, sanitizeSegmentation } from '../../domain/limits.js';
import type { Segmentation, SegmentationValue } from '../../domain/types.js';
import { param } from '../../log.js';
import { setOwn } from '../../protocol/encode.js';

/** spec 613: "Stack trace is extracted and truncated to max 20,000 characters". */
export const MAX_STACK_TRACE_CHARS = 20_000;

/** spec 759–767: the `_ob` bits (name 32 and description 64 are iOS only). */
export const OB_BITS = /* @__PURE__ */ Object.freeze({ stackTrace: 16, segmentation: 8, breadcrumbs: 4, metrics: 2, fatal: 1 } as const);
export type CrashField = keyof typeof OB_BITS;
export const CRASH_FIELDS: readonly CrashField[] = /* @__PURE__ */ Object.freeze(['stackTrace', 'segmentation', 'breadcrumbs', 'metrics', 'fatal'] as const);

/** Keys of the crash object the SDK writes itself: a metric of the same name is dropped (spec 655–658; 000_*.txt 244–247). */
export const CORE_KEYS: ReadonlySet<string> = /* @__PURE__ */ new Set(['_error', '_nonfatal', '_logs', '_custom', '_ob']);

export type MetricValue = string | number | boolean;
export type CrashMetrics = Record<string, MetricValue>;

/** The crash as the filter sees it and as it is sent (spec 739–747: stack trace, breadcrumbs, metrics, segmentation, fatal). */
export interface CrashFields {
  stackTrace: string;
  segmentation: Segmentation;
  breadcrumbs: string[];
  metrics: CrashMetrics;
  fatal: boolean;
}

/** Runs `fn`; a throw (getter, proxy trap, toString) gives `fallback`. */
function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

const readText = (source: object, key: string): string | undefined =>
  attempt(() => {
    const v = (source as Record<string, unknown>)[key];
    return typeof v === 'string' ? v : undefined;
  }, undefined);

/**
 * The `_error` text of anything thrown (spec 000_*.txt 245: `_error` is the error stack). An
 * Error gives its stack with its `name: message` first (V8 stacks start with it; Firefox and
 * Safari stacks do not, so it is added); a string is its own text; anything else reads as the
 * SDK's logs render it (bounded, safe for cycles, getters that throw and proxies). Never throws.
 */
export function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const isError = attempt(() => value instanceof Error, false);
    const stack = readText(value, 'stack');
    const message = readText(value, 'message');
    if (isError || stack !== undefined || message !== undefined) {
      const name = readText(value, 'name') ?? 'Error';
      const head = message === undefined || message === '' ? name : `${name}: ${message}`;
      if (stack === undefined || stack.trim() === '') return head;
      return stack.startsWith(name) || (message !== undefined && message !== '' && stack.startsWith(message)) ? stack : `${head}\n${stack}`;
    }
  }
  // param renders any value boundedly (1,000 chars) and never runs a throwing toString.
  return param(value).slice(1, -1);
}

/**
 * spec 613, 615, 4554–4562: at most `maxStackTraceLinesPerThread` lines (a JavaScript stack is one
 * thread's), each at most `maxStackTraceLineLength` chars (the first line is the message:
 * "This also limits the crash message length"), and 20,000 chars in all. Only the lines kept
 * are split off, so a huge thrown string costs no more than its first lines.
 */
export function limitErrorText(text: string, limits: Pick<Limits, 'maxStackTraceLinesPerThread' | 'maxStackTraceLineLength'>): { value: string; warnings: string[] } {
  // One line more than kept, so limitStackTrace still sees (and reports) the excess.
  const head = text.split('\n', limits.maxStackTraceLinesPerThread + 1);
  const limited = limitStackTrace(head.join('\n'), limits as Limits);
  const warnings = limited.warnings.map((w) => w.replace(/stack trace has \d+ lines/, 'stack trace has more lines'));
  if (limited.value.length <= MAX_STACK_TRACE_CHARS) return { value: limited.value, warnings };
  return { value: cutText(limited.value, MAX_STACK_TRACE_CHARS), warnings: [...warnings, `stack trace cut to ${MAX_STACK_TRACE_CHARS} chars`] };
}

/**
 * The limits in force: the developer's, with the server's behavior settings on top (spec
 * 4845–4850: `lkl`, `lvs`, `lsv`, `lbc`, `ltlpt`, `ltl`).
 */
export function crashLimits(config: Limits, s: BehaviorSettings): Limits {
  return {
    maxKeyLength: s.lkl ?? config.maxKeyLength,
    maxValueSize: s.lvs ?? config.maxValueSize,
    maxSegmentationValues: s.lsv ?? config.maxSegmentationValues,
    maxBreadcrumbCount: s.lbc ?? config.maxBreadcrumbCount,
    maxStackTraceLinesPerThread: s.ltlpt ?? config.maxStackTraceLinesPerThread,
    maxStackTraceLineLength: s.ltl ?? config.maxStackTraceLineLength,
  };
}

/**
 * spec 616–617: the call's segmentation merged with the global one ("custom overrides
 * global"), then limited as one (key length, value size, count). The call's keys go first,
 * so when the count limit cuts, the call's entries are the ones kept.
 */
export function mergeCrashSegmentation(global: Segmentation, call: Segmentation, limits: Limits): { segmentation: Segmentation; warnings: string[] } {
  const merged: Segmentation = {};
  for (const [k, v] of Object.entries(call)) setOwn(merged, k, v);
  for (const [k, v] of Object.entries(global)) if (!Object.hasOwn(merged, k)) setOwn(merged, k, v);
  return sanitizeSegmentation(merged, limits);
}

/**
 * spec 599–600: a breadcrumb is cut to `maxValueSize`; past `maxBreadcrumbCount` the oldest
 * go. Also used when the server lowers `lbc` / `lvs` (the list is limited again).
 */
export function withBreadcrumb(list: readonly string[], text: string | null, limits: Limits): { value: string[]; warnings: string[] } {
  return limitBreadcrumbs(text === null ? list : [...list, text], limits);
}

/** A finite number, a string or a boolean: what a crash metric may be (spec 773). */
export const isMetricValue = (v: unknown): v is MetricValue =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * The canonical text of a value, for comparing it before and after the filter: object keys
 * sorted (the order of keys is no change), arrays in order, every primitive tagged by type,
 * a cycle marked. Never throws: a value that cannot be read gives a text no other value
 * gives, so it reads as changed.
 */
export function fingerprint(value: unknown): string {
  const seen = new Set<object>();
  const walk = (v: unknown): string => {
    if (typeof v === 'string') return JSON.stringify(v);
    if (typeof v === 'number') return Object.is(v, -0) ? 'n:-0' : `n:${String(v)}`;
    if (typeof v === 'boolean' || v === null || v === undefined) return String(v);
    if (typeof v === 'bigint') return `i:${v.toString()}`;
    if (typeof v !== 'object') return `?:${typeof v}`;
    if (seen.has(v)) return '~cycle';
    seen.add(v);
    let out: string;
    if (Array.isArray(v)) out = `[${Array.from({ length: v.length }, (_, i) => walk((v as unknown[])[i])).join(',')}]`;
    else out = `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${walk((v as Record<string, unknown>)[k])}`).join(',')}}`;
    seen.delete(v);
    return out;
  };
  try {
    return walk(value);
  } catch {
    unreadable += 1;
    return `!unreadable:${unreadable}`;
  }
}

/** Each unreadable value gets its own text: it never equals another fingerprint. */
let unreadable = 0;

/** The fingerprints of the five fields, in `_ob` order. */
export function fingerprints(crash: { readonly [K in CrashField]: unknown }): Record<CrashField, string> {
  return {
    stackTrace: fingerprint(crash.stackTrace),
    segmentation: fingerprint(crash.segmentation),
    breadcrumbs: fingerprint(crash.breadcrumbs),
    metrics: fingerprint(crash.metrics),
    fatal: fingerprint(crash.fatal),
  };
}

/**
 * spec 759–775: the `_ob` bits of the fields whose value the filter changed, comparing
 * what the filter was given with what it left, before any limit is applied again (so a
 * limit never sets a bit).
 */
export function obBits(before: Record<CrashField, string>, after: Record<CrashField, string>): number {
  let bits = 0;
  for (const field of CRASH_FIELDS) if (before[field] !== after[field]) bits |= OB_BITS[field];
  return bits;
}

/**
 * spec 773: after the filter, the limits again (stack trace, segmentation, breadcrumbs) and
 * unsupported metric values dropped. `crash` is what the filter left: read defensively.
 */
export function relimit(crash: { stackTrace: unknown; segmentation: unknown; breadcrumbs: unknown; metrics: unknown; fatal: unknown }, limits: Limits): { crash: CrashFields; warnings: string[] } {
  const warnings: string[] = [];
  const stack = limitErrorText(typeof crash.stackTrace === 'string' ? crash.stackTrace : '', limits);
  warnings.push(...stack.warnings);
  const seg = sanitizeSegmentation(plainCopy(crash.segmentation, warnings, 'segmentation'), limits);
  warnings.push(...seg.warnings);
  const crumbs = limitBreadcrumbs(arrayCopy(crash.breadcrumbs), limits);
  warnings.push(...crumbs.warnings);
  const metrics: CrashMetrics = {};
  for (const [k, v] of Object.entries(plainCopy(crash.metrics, warnings, 'metrics'))) {
    if (CORE_KEYS.has(k)) warnings.push(`metric [${k}] is written by the SDK, dropped`);
    else if (isMetricValue(v)) setOwn(metrics, k, v);
    else warnings.push(`metric [${k}] has an unsupported value, dropped`);
  }
  return { crash: { stackTrace: stack.value, segmentation: seg.segmentation, breadcrumbs: crumbs.value, metrics, fatal: crash.fatal === true }, warnings };
}

/** Own enumerable entries of an object the user may have changed, read one by one. */
function plainCopy(value: unknown, warnings: string[], what: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof value !== 'object' || value === null) return out;
  let keys: string[] = [];
  try {
    keys = Object.keys(value);
  } catch {
    warnings.push(`${what} could not be read, dropped`);
    return out;
  }
  for (const k of keys) {
    try {
      const v = (value as Record<string, unknown>)[k];
      setOwn(out, k, Array.isArray(v) ? [...(v as SegmentationValue[])] : v);
    } catch {
      warnings.push(`${what} [${k}] could not be read, dropped`);
    }
  }
  return out;
}

function arrayCopy(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return attempt(() => [...(value as unknown[])].filter((x): x is string => typeof x === 'string'), []);
}

/**
 * The `crash` param (spec 704–719; 000_*.txt 218–254): the metrics, then `_error`,
 * `_nonfatal`, `_logs` (the breadcrumbs joined with `\n`, when any), `_custom` (when any)
 * and `_ob` (when a filter ran).
 */
export function crashObject(crash: CrashFields, ob: number | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(crash.metrics)) if (!CORE_KEYS.has(k)) setOwn(out, k, v);
  out._error = crash.stackTrace;
  out._nonfatal = !crash.fatal;
  if (crash.breadcrumbs.length > 0) out._logs = crash.breadcrumbs.join('\n');
  if (Object.keys(crash.segmentation).length > 0) out._custom = crash.segmentation;
  if (ob !== null) out._ob = ob;
  return out;
}
