/**
 * User profiles as pure rules (spec: SDK guide "User Profiles", 001 l. 3725–3944; write API
 * "User details" / "Modifying custom user data", 000 l. 79–136; limits, 001 l. 4505–4529).
 *
 * - `sanitize*` turn a developer's call into validated, limited `UserChange`s and warnings
 *   (the caller logs them, prefixed with its function name);
 * - `applyChange` folds one change into the pending changes (what `save()` will send);
 * - `userDetails` builds the `user_details` JSON object from them.
 *
 * Accumulation (001 l. 3751 "Multiple modifier operations on the same key are accumulated
 * locally and sent together on save()"): the same modifier on the same key accumulates into
 * one value with the same effect on the server — `$inc` adds, `$mul` multiplies, `$max` /
 * `$min` keep the extreme, `$setOnce` keeps the first, `$push` appends, `$addToSet` and
 * `$pull` append a value not yet listed (array modifiers send arrays, l. 3944). A plain set
 * replaces whatever is pending for its key (it overrides it on the server too). A modifier on
 * a key that has a pending plain set, or a different pending modifier, cannot be merged into
 * one request with the same effect (the server would apply both paths in one update, in no
 * defined order), so what is pending is saved first and the modifier starts a new batch.
 */
import type { Limits } from '../config.js';
import { cutText } from './limits.js';

/** 001 l. 3781–3789: the predefined keys, sent at the top level of `user_details`. */
export const PREDEFINED_KEYS = /* @__PURE__ */ Object.freeze(['name', 'username', 'email', 'organization', 'phone', 'picture', 'gender', 'byear'] as const);
export type PredefinedKey = (typeof PREDEFINED_KEYS)[number];

/** 001 l. 3879, 3944: the modifiers, nested under `custom` as `{ "$op": { key: value } }`. */
export const MODIFIERS = /* @__PURE__ */ Object.freeze(['$inc', '$mul', '$max', '$min', '$setOnce', '$push', '$addToSet', '$pull'] as const);
export type Modifier = (typeof MODIFIERS)[number];
export type NumericModifier = '$inc' | '$mul' | '$max' | '$min';
export type ValueModifier = '$setOnce' | '$push' | '$addToSet' | '$pull';
const ARRAY_MODIFIERS: readonly Modifier[] = ['$push', '$addToSet', '$pull'];

/** 001 l. 3786 and 4522: "picture" allows 4,096 chars regardless of maxValueSize. */
export const PICTURE_MAX_LENGTH = 4096;

export type Scalar = string | number | boolean;

/** One validated change. `null` as a set value deletes the property (001 l. 3749, 000 l. 95). */
export type UserChange =
  | { op: 'set'; key: string; value: Scalar | null; predefined: boolean }
  | { op: NumericModifier; key: string; value: number }
  | { op: ValueModifier; key: string; value: Scalar };

/** What is pending for one custom key: a plain value, or one modifier with its accumulated value. */
export type CustomEntry = { kind: 'set'; value: Scalar | null } | { kind: 'mod'; mod: Modifier; value: Scalar | Scalar[] };

/** The changes held in memory until `save()`. JSON-serializable; keys are own data keys. */
export interface PendingUser {
  /** Predefined fields in call order (`null`: delete). */
  readonly top: Readonly<Record<string, Scalar | null>>;
  /** Custom properties in call order. */
  readonly custom: Readonly<Record<string, CustomEntry>>;
  /** Changes accepted since the last save (compared with `upcl`, 001 l. 3898, 3911). */
  readonly count: number;
}

export const EMPTY_PENDING: PendingUser = /* @__PURE__ */ Object.freeze({ top: {}, custom: {}, count: 0 }) as PendingUser;

export const isEmpty = (p: PendingUser): boolean => Object.keys(p.top).length === 0 && Object.keys(p.custom).length === 0;

/** A copy of `record` with `key` set as an own data key (a `__proto__` key stays a key). */
function withKey<T>(record: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  const out: Record<string, T> = { ...record };
  Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  return out;
}

const same = (a: Scalar, b: Scalar): boolean => a === b;

/** One modifier value accumulated onto the pending one (both of the same modifier). */
function accumulate(mod: Modifier, pending: Scalar | Scalar[], value: Scalar): Scalar | Scalar[] {
  switch (mod) {
    case '$inc':
      return (pending as number) + (value as number);
    case '$mul':
      return (pending as number) * (value as number);
    case '$max':
      return Math.max(pending as number, value as number);
    case '$min':
      return Math.min(pending as number, value as number);
    case '$setOnce':
      return pending;
    case '$push':
      return [...(pending as Scalar[]), value];
    case '$addToSet':
    case '$pull':
      return (pending as Scalar[]).some((v) => same(v, value)) ? pending : [...(pending as Scalar[]), value];
  }
}

/**
 * Folds one change into the pending ones. `saveFirst`: what was pending must be sent before
 * this change (see the header); `pending` then holds only this change.
 */
export function applyChange(pending: PendingUser, change: UserChange): { pending: PendingUser; saveFirst: boolean } {
  if (change.op === 'set' && change.predefined) {
    return { pending: { ...pending, top: withKey(pending.top, change.key, change.value), count: pending.count + 1 }, saveFirst: false };
  }
  if (change.op === 'set') {
    return { pending: { ...pending, custom: withKey(pending.custom, change.key, { kind: 'set', value: change.value }), count: pending.count + 1 }, saveFirst: false };
  }
  const mod = change.op;
  const existing = Object.hasOwn(pending.custom, change.key) ? pending.custom[change.key] : undefined;
  if (existing !== undefined && existing.kind === 'mod' && existing.mod === mod) {
    const entry: CustomEntry = { kind: 'mod', mod, value: accumulate(mod, existing.value, change.value) };
    return { pending: { ...pending, custom: withKey(pending.custom, change.key, entry), count: pending.count + 1 }, saveFirst: false };
  }
  const entry: CustomEntry = { kind: 'mod', mod, value: ARRAY_MODIFIERS.includes(mod) ? [change.value] : change.value };
  if (existing !== undefined) return { pending: { top: {}, custom: withKey({}, change.key, entry), count: 1 }, saveFirst: true };
  return { pending: { ...pending, custom: withKey(pending.custom, change.key, entry), count: pending.count + 1 }, saveFirst: false };
}

/** The JSON object a save sends as `user_details` (001 l. 3921–3944), or null when nothing is pending. */
export function userDetails(pending: PendingUser): Record<string, unknown> | null {
  if (isEmpty(pending)) return null;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(pending.top)) Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
  const custom: Record<string, unknown> = {};
  const mods: Partial<Record<Modifier, Record<string, unknown>>> = {};
  for (const [k, entry] of Object.entries(pending.custom)) {
    if (entry.kind === 'set') Object.defineProperty(custom, k, { value: entry.value, writable: true, enumerable: true, configurable: true });
    else Object.defineProperty((mods[entry.mod] ??= {}), k, { value: entry.value, writable: true, enumerable: true, configurable: true });
  }
  for (const mod of MODIFIERS) if (mods[mod] !== undefined) custom[mod] = mods[mod];
  if (Object.keys(custom).length > 0) out.custom = custom;
  return out;
}

// ---- validation: the developer's input → changes and warnings ----

export const isPredefined = (key: string): key is PredefinedKey => (PREDEFINED_KEYS as readonly string[]).includes(key);

/** Keys that would touch an object's prototype chain on a naive server or client. */
const UNSAFE_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

const describe = (v: unknown): string => {
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v.length > 40 ? `string of ${v.length} chars` : `"${v}"`;
  try {
    if (Array.isArray(v)) return 'array';
  } catch {
    return 'object';
  }
  return typeof v;
};

export interface Checked<T> {
  value: T | undefined;
  warnings: string[];
}

/**
 * A property key (001 l. 3761 "key is not nullable or empty"). Custom keys are cut to
 * maxKeyLength (001 l. 4512–4513); keys starting with `$` (they would collide with the
 * modifier objects, and the server strips `$`, 000 l. 107) and prototype keys are refused.
 */
export function checkKey(key: unknown, limits: Limits, custom: boolean): Checked<string> {
  if (typeof key !== 'string' || key === '') return { value: undefined, warnings: [`key must be a non-empty string, got [${describe(key)}]`] };
  if (UNSAFE_KEYS.includes(key)) return { value: undefined, warnings: [`key [${key}] is not allowed`] };
  if (key.startsWith('$')) return { value: undefined, warnings: [`key [${cutText(key, 40)}] must not start with "$"`] };
  if (!custom || key.length <= limits.maxKeyLength) return { value: key, warnings: [] };
  const value = cutText(key, limits.maxKeyLength);
  return { value, warnings: [`key [${value}...] truncated to ${limits.maxKeyLength} chars`] };
}

/** A string value cut to its limit (picture: 4,096; others: maxValueSize). */
function cutString(key: string, text: string, max: number, warnings: string[]): string {
  if (text.length <= max) return text;
  warnings.push(`value of [${key}] truncated to ${max} chars`);
  return cutText(text, max);
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The value of a plain set (001 l. 3762–3795): `null`/`undefined` ignored with a warning;
 * `""` deletes (JSON null). Custom values: strings (cut to maxValueSize), finite numbers,
 * booleans. Predefined values are strings (a finite number is written as a string), cut to
 * maxValueSize, `picture` to 4,096; `byear` is an integer (an integer string is accepted).
 */
export function checkSetValue(key: string, value: unknown, limits: Limits, predefined: boolean): Checked<Scalar | null> {
  const warnings: string[] = [];
  if (value === null || value === undefined) return { value: undefined, warnings: [`value of [${key}] is ${value === null ? 'null' : 'undefined'}, ignored`] };
  if (value === '') return { value: null, warnings };
  const bad = (what: string): Checked<Scalar | null> => ({ value: undefined, warnings: [`value of [${key}] must be ${what}, got [${describe(value)}], ignored`] });
  if (predefined && key === 'byear') {
    const n = typeof value === 'string' && /^-?\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : value;
    return Number.isSafeInteger(n) ? { value: n as number, warnings } : bad('an integer year');
  }
  if (predefined) {
    if (typeof value === 'string') return { value: cutString(key, value, key === 'picture' ? PICTURE_MAX_LENGTH : limits.maxValueSize, warnings), warnings };
    if (isFiniteNumber(value)) return { value: String(value), warnings };
    return bad('a string');
  }
  if (typeof value === 'string') return { value: cutString(key, value, limits.maxValueSize, warnings), warnings };
  if (isFiniteNumber(value) || typeof value === 'boolean') return { value, warnings };
  return bad('a string, a finite number or a boolean');
}

/** The number of `incrementBy`, `multiply`, `saveMax`, `saveMin`: finite. */
export function checkNumber(key: string, value: unknown): Checked<number> {
  if (isFiniteNumber(value)) return { value: value === 0 ? 0 : value, warnings: [] };
  return { value: undefined, warnings: [`value of [${key}] must be a finite number, got [${describe(value)}], ignored`] };
}

/** The value of `setOnce`, `push`, `pushUnique`, `pull`: a string (cut to maxValueSize, 001 l. 4525), finite number or boolean. */
export function checkModifierValue(key: string, value: unknown, limits: Limits): Checked<Scalar> {
  const warnings: string[] = [];
  if (typeof value === 'string') return { value: cutString(key, value, limits.maxValueSize, warnings), warnings };
  if (isFiniteNumber(value) || typeof value === 'boolean') return { value, warnings };
  return { value: undefined, warnings: [`value of [${key}] must be a string, a finite number or a boolean, got [${describe(value)}], ignored`] };
}

/** Reads one property without throwing (a getter or proxy trap may throw). */
function read(source: object, key: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: (source as Record<string, unknown>)[key] };
  } catch {
    return { ok: false };
  }
}

/** The own enumerable keys of an object, or null when it is not a readable plain object. */
function keysOf(data: unknown): string[] | null {
  if (typeof data !== 'object' || data === null) return null;
  try {
    if (Array.isArray(data)) return null;
    return Object.keys(data);
  } catch {
    return null;
  }
}

/**
 * `setProperties(data)` (001 l. 3774–3795): each entry checked on its own; a bad entry is
 * dropped with a warning, the rest kept. Not an object: `changes` is null (call ignored).
 */
export function sanitizeProperties(data: unknown, limits: Limits): { changes: UserChange[] | null; warnings: string[] } {
  const keys = keysOf(data);
  if (keys === null) return { changes: null, warnings: [`data must be an object, got [${describe(data)}], ignored`] };
  const changes: UserChange[] = [];
  const warnings: string[] = [];
  for (const rawKey of keys) {
    const r = read(data as object, rawKey);
    if (!r.ok) {
      warnings.push(`value of [${cutText(rawKey, 40)}] could not be read, ignored`);
      continue;
    }
    const change = sanitizeSet(rawKey, r.value, limits);
    warnings.push(...change.warnings);
    if (change.value !== undefined) changes.push(change.value);
  }
  return { changes, warnings };
}

/** `setProperty(key, value)`: predefined keys at the top level, the rest under `custom` (001 l. 3766–3767). */
export function sanitizeSet(rawKey: unknown, value: unknown, limits: Limits): Checked<UserChange> {
  const predefined = typeof rawKey === 'string' && isPredefined(rawKey);
  const key = checkKey(rawKey, limits, !predefined);
  if (key.value === undefined) return { value: undefined, warnings: key.warnings };
  const v = checkSetValue(key.value, value, limits, predefined);
  const warnings = [...key.warnings, ...v.warnings];
  return v.value === undefined ? { value: undefined, warnings } : { value: { op: 'set', key: key.value, value: v.value, predefined }, warnings };
}

/** A modifier call on a custom key (modifiers always act on custom properties, 001 l. 3800–3870). */
export function sanitizeModifier(op: Modifier, rawKey: unknown, value: unknown, limits: Limits): Checked<UserChange> {
  const key = checkKey(rawKey, limits, true);
  if (key.value === undefined) return { value: undefined, warnings: key.warnings };
  if (op === '$inc' || op === '$mul' || op === '$max' || op === '$min') {
    const n = checkNumber(key.value, value);
    return n.value === undefined ? { value: undefined, warnings: [...key.warnings, ...n.warnings] } : { value: { op, key: key.value, value: n.value }, warnings: key.warnings };
  }
  const v = checkModifierValue(key.value, value, limits);
  const warnings = [...key.warnings, ...v.warnings];
  return v.value === undefined ? { value: undefined, warnings } : { value: { op, key: key.value, value: v.value }, warnings };
}
