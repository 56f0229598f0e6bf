/**
 * Segment properties and traits are arbitrary JSON; Countly segmentation and custom user
 * properties hold only strings, numbers, booleans (and, for segmentation, arrays of them).
 * `flatten` turns one into the other, total and bounded:
 *
 * - a nested object becomes keys joined with `_` (`{ cart: { size: 3 } }` → `cart_size: 3`).
 *   Not `.`: the Countly server strips dots (and a leading `$`) from such keys
 *   (spec 000 l. 107, "dots (.) and dollar signs ($) in key names will be stripped out"),
 *   so `cart.size` would arrive as `cartsize`;
 * - an array keeps its string/number/boolean items; objects inside arrays are dropped (a list of
 *   products has no segmentation form), an array left empty is dropped;
 * - `null`, `undefined`, functions, symbols, NaN/±Infinity and invalid dates are dropped; a
 *   valid `Date` becomes its ISO string, a bigint its decimal string;
 * - the SDK limits (spec 001 "SDK Internal Limits"): keys cut to `maxKeyLength`, strings to
 *   `maxValueSize`, at most `maxSegmentationValues` entries (first ones kept, depth-first in
 *   property order); when two paths give the same key the first wins; nesting deeper than
 *   `MAX_DEPTH` is dropped (this also ends cycles).
 *
 * Nothing here throws: a getter or proxy that throws only drops its own entry. Every dropped
 * path is reported so the plugin can log it.
 */
import type { Segmentation } from '../../types.js';

export interface FlattenLimits {
  maxKeyLength: number;
  maxValueSize: number;
  maxSegmentationValues: number;
}

/** The SDK's defaults (spec 001, SDK Internal Limits): 128 / 256 / 100. */
export const DEFAULT_LIMITS: Readonly<FlattenLimits> = /* @__PURE__ */ Object.freeze({ maxKeyLength: 128, maxValueSize: 256, maxSegmentationValues: 100 });

/** Nested objects deeper than this are dropped (Segment's own payloads nest 2–3 levels). */
export const MAX_DEPTH = 8;

export const SEPARATOR = '_';

export type Scalar = string | number | boolean;

export interface Flattened {
  values: Segmentation;
  /** Paths (dotted, for the log only) that were dropped, and why. */
  dropped: string[];
}

export interface FlattenOptions {
  limits?: FlattenLimits;
  /** Top-level keys left out (e.g. `revenue` once it became the event's sum). */
  omit?: readonly string[];
  /** Prefix of every key (`group` → `group_name`). */
  prefix?: string;
  /** Arrays are dropped instead of kept (custom user properties take scalars only). */
  scalarsOnly?: boolean;
}

/** Reads one property without throwing. */
export function readKey(source: unknown, key: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: (source as Record<string, unknown>)[key] };
  } catch {
    return { ok: false };
  }
}

/** The own enumerable keys of a plain-ish object; null for anything else or when listing throws. */
export function objectKeys(value: unknown): string[] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date) return null;
  try {
    return Object.keys(value);
  } catch {
    return null;
  }
}

/** Cuts to `max` UTF-16 units without splitting a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, end));
}

/** One scalar value as Countly takes it, or undefined when it has none. */
export function toScalar(value: unknown, limits: FlattenLimits): Scalar | undefined {
  switch (typeof value) {
    case 'string':
      return cut(value, limits.maxValueSize);
    case 'number':
      return Number.isFinite(value) ? value : undefined;
    case 'boolean':
      return value;
    case 'bigint':
      return cut(value.toString(), limits.maxValueSize);
    default:
      if (value instanceof Date) {
        const time = value.getTime();
        return Number.isFinite(time) ? cut(value.toISOString(), limits.maxValueSize) : undefined;
      }
      return undefined;
  }
}

function toArray(value: readonly unknown[], limits: FlattenLimits): Scalar[] {
  const out: Scalar[] = [];
  let length = 0;
  try {
    length = value.length;
  } catch {
    return out;
  }
  for (let i = 0; i < length; i++) {
    const item = readKey(value, String(i));
    if (!item.ok) continue;
    const scalar = toScalar(item.value, limits);
    if (scalar !== undefined) out.push(scalar);
  }
  return out;
}

/** Sets an own data key (so `__proto__` stays an ordinary key). */
function setOwn(target: Segmentation, key: string, value: Segmentation[string]): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

export function flatten(source: unknown, options: FlattenOptions = {}): Flattened {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const omit = options.omit ?? [];
  const values: Segmentation = {};
  const dropped: string[] = [];
  let count = 0;

  const visit = (value: unknown, key: string, path: string, depth: number): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      if (options.scalarsOnly) {
        dropped.push(`${path} (array)`);
        return;
      }
      const items = toArray(value, limits);
      if (items.length === 0) {
        if (value.length > 0) dropped.push(`${path} (no scalar items)`);
        return;
      }
      if (items.length < value.length) dropped.push(`${path}[] (non-scalar items)`);
      put(key, path, items);
      return;
    }
    const keys = objectKeys(value);
    if (keys !== null) {
      if (depth >= MAX_DEPTH) {
        dropped.push(`${path} (nested too deep)`);
        return;
      }
      for (const child of keys) {
        const read = readKey(value, child);
        if (!read.ok) {
          dropped.push(`${path}.${child} (unreadable)`);
          continue;
        }
        visit(read.value, `${key}${SEPARATOR}${child}`, `${path}.${child}`, depth + 1);
      }
      return;
    }
    const scalar = toScalar(value, limits);
    if (scalar === undefined) {
      dropped.push(`${path} (${typeof value === 'number' ? 'not finite' : 'not a value'})`);
      return;
    }
    put(key, path, scalar);
  };

  const put = (rawKey: string, path: string, value: Segmentation[string]): void => {
    const key = cut(rawKey, limits.maxKeyLength);
    if (key.length === 0) return;
    if (Object.prototype.hasOwnProperty.call(values, key)) {
      dropped.push(`${path} (same key as an earlier one)`);
      return;
    }
    if (count >= limits.maxSegmentationValues) {
      dropped.push(`${path} (over ${limits.maxSegmentationValues} values)`);
      return;
    }
    setOwn(values, key, value);
    count++;
  };

  const keys = objectKeys(source);
  if (keys === null) return { values, dropped };
  for (const key of keys) {
    if (omit.includes(key)) continue;
    const read = readKey(source, key);
    if (!read.ok) {
      dropped.push(`${key} (unreadable)`);
      continue;
    }
    const outKey = options.prefix !== undefined ? `${options.prefix}${SEPARATOR}${key}` : key;
    visit(read.value, outKey, key, 0);
  }
  return { values, dropped };
}
