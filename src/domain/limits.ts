/**
 * The SDK internal limits (spec: SDK Internal Limits), as pure functions. Nothing here
 * logs: each function returns its warnings as data, and the caller logs them prefixed with
 * its module and function name (`fn, <warning>`).
 */
import type { Limits } from '../config.js';
import type { Segmentation, SegmentationValue } from './types.js';
import { setOwn } from '../protocol/encode.js';

/** A limited value and what was changed to get it. */
export interface Limited<T> {
  value: T;
  warnings: string[];
}

/**
 * The first `max` UTF-16 units of `text`, one less when the cut would split a surrogate
 * pair (a lone surrogate cannot be URI-encoded).
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const before = text.charCodeAt(end - 1);
  const at = text.charCodeAt(end);
  if (end > 0 && before >= 0xd800 && before <= 0xdbff && at >= 0xdc00 && at <= 0xdfff) end -= 1;
  return text.slice(0, end);
}

function truncate(what: string, text: string, max: number): Limited<string> {
  if (text.length <= max) return { value: text, warnings: [] };
  const value = cutText(text, max);
  return { value, warnings: [`${what} [${value}...] truncated to ${max} chars`] };
}

/** spec: maxKeyLength — event names, view names, segmentation keys, user property keys, ... */
export function truncateKey(key: string, limits: Limits): Limited<string> {
  return truncate('key', key, limits.maxKeyLength);
}

/** spec: maxValueSize — string segmentation values, user property values, breadcrumbs, ... */
export function truncateValue(value: string, limits: Limits): Limited<string> {
  return truncate('value', value, limits.maxValueSize);
}

type Scalar = string | number | boolean;

const describe = (v: unknown): string => {
  if (typeof v === 'number') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
};

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/**
 * Cleans developer-supplied segmentation (spec: maxKeyLength, maxValueSize,
 * maxSegmentationValues):
 * - keeps string, finite number and boolean values, and arrays of those (unsupported
 *   items are dropped from arrays); other values drop their key;
 * - keys are cut to maxKeyLength, string values and string array items to maxValueSize;
 * - when cutting makes two keys equal, the later value wins;
 * - at most maxSegmentationValues entries are kept, the first ones.
 * `undefined` means "no segmentation" and gives `{}` silently; any other non-object gives
 * `{}` with a warning.
 */
export function sanitizeSegmentation(seg: unknown, limits: Limits): { segmentation: Segmentation; warnings: string[] } {
  const segmentation: Segmentation = {};
  const warnings: string[] = [];
  if (seg === undefined) return { segmentation, warnings };
  if (typeof seg !== 'object' || seg === null || Array.isArray(seg)) {
    warnings.push(`segmentation must be an object, got [${describe(seg)}], ignored`);
    return { segmentation, warnings };
  }
  const source = seg as Record<string, unknown>;
  let dropped = 0;
  let count = 0;
  for (const rawKey of Object.keys(source)) {
    const raw = source[rawKey];
    if (!isScalar(raw) && !Array.isArray(raw)) {
      warnings.push(`segmentation [${rawKey}] has unsupported value type [${describe(raw)}], dropped`);
      continue;
    }
    const key = truncateKey(rawKey, limits);
    const exists = Object.hasOwn(segmentation, key.value);
    if (!exists && count >= limits.maxSegmentationValues) {
      dropped += 1;
      continue;
    }
    warnings.push(...key.warnings);
    if (exists) {
      warnings.push(`segmentation key [${rawKey}] collides with [${key.value}] after truncation, later value kept`);
    } else count += 1;
    let value: SegmentationValue;
    if (Array.isArray(raw)) {
      const items: Scalar[] = [];
      let bad = 0;
      for (const item of raw as unknown[]) {
        if (isScalar(item)) items.push(typeof item === 'string' ? cutValue(rawKey, item, limits, warnings) : item);
        else bad += 1;
      }
      if (bad > 0) warnings.push(`segmentation [${rawKey}] had ${bad} unsupported array item(s), dropped`);
      value = items;
    } else value = typeof raw === 'string' ? cutValue(rawKey, raw, limits, warnings) : raw;
    // Plain assignment is fast; only `__proto__` needs defining to stay an own data key.
    if (key.value === '__proto__') setOwn(segmentation, key.value, value);
    else segmentation[key.value] = value;
  }
  if (dropped > 0) {
    warnings.push(`segmentation has more than ${limits.maxSegmentationValues} entries, ${dropped} dropped`);
  }
  return { segmentation, warnings };
}

function cutValue(key: string, text: string, limits: Limits, warnings: string[]): string {
  if (text.length <= limits.maxValueSize) return text;
  warnings.push(`segmentation value of [${key}] truncated to ${limits.maxValueSize} chars`);
  return cutText(text, limits.maxValueSize);
}

/**
 * spec: maxBreadcrumbCount, maxValueSize — keeps the newest maxBreadcrumbCount breadcrumbs
 * (the oldest are dropped), each cut to maxValueSize. Non-string entries are dropped.
 */
export function limitBreadcrumbs(list: readonly string[], limits: Limits): Limited<string[]> {
  const warnings: string[] = [];
  const texts: string[] = [];
  for (const item of list as readonly unknown[]) {
    if (typeof item !== 'string') {
      warnings.push(`breadcrumb [${describe(item)}] is not a string, dropped`);
      continue;
    }
    if (item.length > limits.maxValueSize) {
      warnings.push(`breadcrumb [${cutText(item, limits.maxValueSize)}...] truncated to ${limits.maxValueSize} chars`);
      texts.push(cutText(item, limits.maxValueSize));
    } else texts.push(item);
  }
  const over = texts.length - limits.maxBreadcrumbCount;
  if (over > 0) {
    warnings.push(`breadcrumbs over the limit of ${limits.maxBreadcrumbCount}, ${over} oldest dropped`);
    return { value: texts.slice(over), warnings };
  }
  return { value: texts, warnings };
}

/**
 * spec: maxStackTraceLinesPerThread, maxStackTraceLineLength — a JavaScript stack string is
 * one thread's trace: keeps its first maxStackTraceLinesPerThread lines, each cut to
 * maxStackTraceLineLength (as the official JS SDKs do). `\r\n` line ends become `\n`.
 */
export function limitStackTrace(trace: string, limits: Limits): Limited<string> {
  const warnings: string[] = [];
  let lines = trace.split(/\r?\n/);
  if (lines.length > limits.maxStackTraceLinesPerThread) {
    warnings.push(
      `stack trace has ${lines.length} lines, kept the first ${limits.maxStackTraceLinesPerThread}`,
    );
    lines = lines.slice(0, limits.maxStackTraceLinesPerThread);
  }
  let cut = 0;
  lines = lines.map((line) => {
    if (line.length <= limits.maxStackTraceLineLength) return line;
    cut += 1;
    return cutText(line, limits.maxStackTraceLineLength);
  });
  if (cut > 0) warnings.push(`${cut} stack trace line(s) truncated to ${limits.maxStackTraceLineLength} chars`);
  return { value: lines.join('\n'), warnings };
}

/** spec: maxStackTraceLineLength "also limits the crash message length". */
export function limitCrashMessage(message: string, limits: Limits): Limited<string> {
  return truncate('crash message', message, limits.maxStackTraceLineLength);
}
