/**
 * The total, never-throwing readers behind resolveConfig: each user value is read once,
 * through `readProp`, and checked by type, so a throwing getter, a proxy, a BigInt, a
 * Symbol or a null-prototype object is one more invalid value, warned about and replaced
 * by the default.
 */
import type { CountlyConfig } from './types.js';
import type { Segmentation, SegmentationValue } from './domain/types.js';
import { param, type Logger, type LoggerOptions } from './log.js';

/** Reads of list-like options stop here: a sparse array may claim a length of 2^32−1. */
export const MAX_CONFIG_LIST = 1000;

/**
 * What a property read gives when a getter or proxy trap threw: an invalid value like any
 * other, so the option is warned about and takes its default.
 */
export const UNREADABLE: unique symbol = /* @__PURE__ */ Symbol('unreadable');

/** One property of a user object, read once; never throws. */
export function readProp(source: object, key: string): unknown {
  try {
    return (source as Record<string, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
}

/**
 * An options object: tagged `[object Object]` (a class instance or null-prototype object
 * counts). Arrays, typed arrays, Maps, Dates, boxed primitives and revoked proxies do not:
 * their keys are no options, and their prototype methods would be read as options (a typed
 * array's `filter` as `crashes.filter`).
 */
export function isObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  try {
    if (Array.isArray(v)) return false;
  } catch {
    return false; // a revoked proxy
  }
  try {
    return Object.prototype.toString.call(v) === '[object Object]';
  } catch {
    // A proxy whose get trap throws (reading Symbol.toStringTag): an object whose reads
    // then fail one by one, each warned about.
    return true;
  }
}

/** Array.isArray, false for a revoked proxy (on which it throws). */
export function isArray(v: unknown): v is readonly unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

export const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** How a user value appears in a warning: bounded and safe for any value. */
export const shown = (value: unknown): string => (value === UNREADABLE ? '[<unreadable>]' : param(value));

/** Option names include user keys (`customHeaders.<key>`): keep a huge key from flooding the line. */
const optionText = (option: string): string => (option.length > 200 ? `${option.slice(0, 200)}…` : option);

/**
 * The logger's options, read before anything else since the logger reports every later
 * problem. Total: a non-object config, a throwing getter or a listener that is not a
 * function give the default (no console, no listener); resolveConfig warns about them.
 */
export function loggerOptionsOf(config: unknown): LoggerOptions {
  if (!isObject(config)) return { console: false };
  const listener = readProp(config, 'logListener');
  return {
    console: readProp(config, 'logging') === true,
    listener: typeof listener === 'function' ? (listener as LoggerOptions['listener']) : undefined,
  };
}

/** Options the runtime reads itself (adapters, behavior settings, the inspector) through `readOption`. */
export const RUNTIME_OPTIONS = ['storage', 'transport', 'platform', 'clock', 'behaviorSettings', 'inspect', 'exporters'] as const;

/**
 * One of `RUNTIME_OPTIONS`, read without throwing: a getter or proxy trap that throws gives
 * `undefined`, so the runtime uses its default (resolveConfig warns about it).
 */
export function readOption(config: unknown, key: (typeof RUNTIME_OPTIONS)[number]): unknown {
  if (!isObject(config)) return undefined;
  const v = readProp(config, key);
  return v === UNREADABLE ? undefined : v;
}

/** The readers of one resolveConfig call: bound to its config and its logger. */
export interface OptionReaders {
  /** One top-level option, read once through `readProp`. */
  option(key: keyof CountlyConfig): unknown;
  /** Warns that `option` had the invalid `value` and `fallback` is used instead. */
  warn(option: string, value: unknown, fallback: unknown): void;
  /**
   * The last guard of one option: the checks are meant to be total, so this only
   * catches what they missed, and costs that one option, not the instance.
   */
  safely<T>(option: string, fallback: T, resolve: () => T): T;
  bool(option: string, v: unknown, fallback: boolean): boolean;
  /**
   * The own enumerable entries of an object option, each value read once, or null when
   * the option is absent or not a readable object (warned).
   */
  entriesOf(name: string, v: unknown, fallback: string): Array<[string, unknown]> | null;
  /** The first `MAX_CONFIG_LIST` items of an array option, read by index, or null (warned). */
  itemsOf(name: string, v: readonly unknown[]): unknown[] | null;
  /** Reads a nested options object (`views`, `experimental`); `{}` (warned) when it is not one. */
  group(name: 'views' | 'experimental' | 'apm' | 'push' | 'remoteConfig' | 'content' | 'heatmaps'): object;
  /** Keeps what Segmentation allows: strings, finite numbers, booleans and arrays of those. */
  segmentation(name: string, v: unknown): Segmentation;
}

export function optionReaders(config: object, log: Logger): OptionReaders {
  const warn = (option: string, value: unknown, fallback: unknown): void =>
    log.warning('Init', `createCountly, invalid value for "${optionText(option)}" ${shown(value)}, using [${String(fallback)}]`);

  const safely = <T>(option: string, fallback: T, resolve: () => T): T => {
    try {
      return resolve();
    } catch (error) {
      log.warning('Init', `createCountly, "${option}" could not be checked ${param(error)}, using its default`);
      return fallback;
    }
  };

  const bool = (option: string, v: unknown, fallback: boolean): boolean => {
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    warn(option, v, fallback);
    return fallback;
  };
  const option = (key: keyof CountlyConfig): unknown => readProp(config, key);

  const entriesOf = (name: string, v: unknown, fallback: string): Array<[string, unknown]> | null => {
    if (v === undefined) return null;
    if (!isObject(v)) {
      warn(name, v, fallback);
      return null;
    }
    let keys: string[];
    try {
      keys = Object.keys(v);
    } catch {
      warn(name, UNREADABLE, fallback);
      return null;
    }
    return keys.map((k) => [k, readProp(v, k)]);
  };

  const itemsOf = (name: string, v: readonly unknown[]): unknown[] | null => {
    const length = readProp(v, 'length');
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
      // Only a proxy can claim such a length; the list is not read at all.
      warn(`${name}.length`, length, '[]');
      return null;
    }
    if (length > MAX_CONFIG_LIST) warn(`${name}.length`, length, MAX_CONFIG_LIST);
    const items: unknown[] = [];
    for (let i = 0; i < Math.min(length, MAX_CONFIG_LIST); i++) items.push(readProp(v, String(i)));
    return items;
  };

  const group = (name: 'views' | 'experimental' | 'apm' | 'push' | 'remoteConfig' | 'content' | 'heatmaps'): object => {
    const v = option(name);
    if (v === undefined) return {};
    if (isObject(v)) return v;
    warn(name, v, 'defaults');
    return {};
  };

  const segmentation = (name: string, v: unknown): Segmentation => {
    const kept: Array<[string, SegmentationValue]> = [];
    for (const [k, value] of entriesOf(name, v, '{}') ?? []) {
      if (isScalar(value)) kept.push([k, value]);
      else if (isArray(value)) {
        const items = itemsOf(`${name}.${k}`, value) ?? [];
        const scalars = items.filter(isScalar);
        if (scalars.length < items.length) warn(`${name}.${k}`, value, 'without its unsupported items');
        kept.push([k, scalars]);
      } else warn(`${name}.${k}`, value, 'dropped');
    }
    return Object.fromEntries(kept);
  };

  return { option, warn, safely, bool, entriesOf, itemsOf, group, segmentation };
}
