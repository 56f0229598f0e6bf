/**
 * SDK behavior settings at the trust boundary (spec: SDK Behavior Settings, the key table
 * "Feature Name Key Default Val"). Server answers, stored settings and the developer's
 * `behaviorSettings` option are all decoded here, once, into a typed `BehaviorSettings`;
 * every feature reads typed fields. An invalid value is dropped (the SDK keeps what it had
 * or its default) and named in `invalid`, so it is warned about once, by the caller of the
 * decoder. Unknown keys are ignored here (they stay in the stored raw object: "Values are
 * preserved in their original format as received").
 */
import { left, right, type Either } from 'fp-ts/Either';

/** The typed settings. A key absent means: not set by the server or stored settings. */
export type BehaviorSettings = {
  readonly tracking?: boolean;
  readonly networking?: boolean;
  readonly st?: boolean;
  readonly crt?: boolean;
  readonly lt?: boolean;
  readonly vt?: boolean;
  readonly cet?: boolean;
  readonly ecz?: boolean;
  readonly cr?: boolean;
  readonly rcz?: boolean;
  readonly bom?: boolean;
  readonly log?: boolean;
  /** Whole requests, ≥ 1. */
  readonly rqs?: number;
  readonly eqs?: number;
  /** Seconds, ≥ 1. */
  readonly sui?: number;
  readonly lkl?: number;
  readonly lvs?: number;
  readonly lsv?: number;
  readonly lbc?: number;
  readonly ltlpt?: number;
  readonly ltl?: number;
  readonly czi?: number;
  /** Hours, > 0. */
  readonly scui?: number;
  /** Hours; 0 disables dropping (and overrides a developer's value: server settings win). */
  readonly dort?: number;
  readonly bom_at?: number;
  /** A share of the queue, 0 < x ≤ 1. */
  readonly bom_rqp?: number;
  readonly bom_ra?: number;
  readonly bom_d?: number;
  readonly upcl?: number;
  /**
   * Listing filters (spec: Listing Filters), kept under the spec's keys; where both lists of a
   * pair are present the blacklist wins, which the feature applying the filter decides.
   */
  readonly eb?: readonly string[];
  readonly ew?: readonly string[];
  readonly upb?: readonly string[];
  readonly upw?: readonly string[];
  readonly sb?: readonly string[];
  readonly sw?: readonly string[];
  readonly esb?: Readonly<Record<string, readonly string[]>>;
  readonly esw?: Readonly<Record<string, readonly string[]>>;
  readonly jte?: readonly string[];
};

type Check = (value: unknown) => boolean;
const isBool: Check = (v) => typeof v === 'boolean';
const isPositiveInt: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isNonNegativeInt: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isPositive: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0;
const isNonNegative: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isShare: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= 1;
const isStringArray: Check = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isRules: Check = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v as Record<string, unknown>).every(isStringArray);

/** Scalar keys and their rule. */
const SCALARS = {
  tracking: isBool,
  networking: isBool,
  st: isBool,
  crt: isBool,
  lt: isBool,
  vt: isBool,
  cet: isBool,
  ecz: isBool,
  cr: isBool,
  rcz: isBool,
  bom: isBool,
  log: isBool,
  rqs: isPositiveInt,
  eqs: isPositiveInt,
  sui: isPositiveInt,
  lkl: isPositiveInt,
  lvs: isPositiveInt,
  lsv: isPositiveInt,
  lbc: isPositiveInt,
  ltlpt: isPositiveInt,
  ltl: isPositiveInt,
  czi: isPositiveInt,
  scui: isPositive,
  dort: isNonNegative,
  bom_at: isPositive,
  bom_rqp: isShare,
  bom_ra: isPositive,
  bom_d: isPositive,
  upcl: isNonNegativeInt,
  jte: isStringArray,
  eb: isStringArray,
  ew: isStringArray,
  upb: isStringArray,
  upw: isStringArray,
  sb: isStringArray,
  sw: isStringArray,
  esb: isRules,
  esw: isRules,
} as const satisfies Record<string, Check>;

/** Every key the decoder understands (for tests and docs). */
export const BEHAVIOR_SETTINGS_KEYS: readonly string[] = /* @__PURE__ */ Object.freeze(Object.keys(SCALARS));

/** A copy that shares nothing with the raw input (arrays and rule maps copied; no prototype keys). */
function copyValue(value: unknown): unknown {
  if (Array.isArray(value)) return [...(value as string[])];
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, readonly string[]> = Object.create(null) as Record<string, readonly string[]>;
    for (const [k, list] of Object.entries(value as Record<string, string[]>)) out[k] = [...list];
    return out;
  }
  return value;
}

export interface DecodedSettings {
  readonly settings: BehaviorSettings;
  /** Keys present with a value of the wrong type or range, and that value (for the warning). */
  readonly invalid: ReadonlyArray<{ readonly key: string; readonly value: unknown }>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Decodes a raw settings object (the server's `c`, or what is stored). Left: not an object.
 * Reading goes through own properties only; a getter that throws counts as invalid.
 */
export function decodeBehaviorSettings(raw: unknown): Either<string, DecodedSettings> {
  if (!isObject(raw)) return left('behavior settings must be a JSON object');
  const out: Record<string, unknown> = {};
  const invalid: Array<{ key: string; value: unknown }> = [];
  const read = (key: string): { present: boolean; value?: unknown } => {
    try {
      return Object.prototype.hasOwnProperty.call(raw, key) ? { present: true, value: raw[key] } : { present: false };
    } catch {
      return { present: true, value: '[unreadable]' };
    }
  };
  for (const [key, check] of Object.entries(SCALARS) as Array<[string, Check]>) {
    const { present, value } = read(key);
    if (!present) continue;
    if (check(value)) out[key] = copyValue(value);
    else invalid.push({ key, value });
  }
  return right({ settings: out as BehaviorSettings, invalid });
}

/** Parses the developer's `behaviorSettings` option: a JSON string or an object, the server's envelope `{ v, t, c }` or bare. */
export function unwrapProvidedSettings(value: unknown): Either<string, unknown> {
  if (value === undefined) return right({});
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return left('"behaviorSettings" is not valid JSON');
    }
  }
  if (!isObject(parsed)) return left('"behaviorSettings" must be an object');
  const c = parsed.c;
  return right(isObject(c) ? c : parsed);
}

/** The typed settings of a raw object, whatever it holds (not an object: none). */
export function typedSettings(raw: unknown): DecodedSettings {
  const decoded = decodeBehaviorSettings(raw);
  return decoded._tag === 'Right' ? decoded.right : { settings: {}, invalid: [] };
}

/**
 * spec: SDK Behavior Settings — "The newly fetched server configuration should be merged with
 * the stored configuration. It must not override all existing values only update the keys
 * present in the new configuration." Values are kept as received. Later layers win, key by key
 * (provided < stored < each download in arrival order).
 */
export function mergeSettings(...layers: ReadonlyArray<Readonly<Record<string, unknown>>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) for (const [key, value] of Object.entries(layer)) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}
