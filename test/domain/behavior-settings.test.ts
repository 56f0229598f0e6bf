/**
 * The behavior settings decoder (spec: SDK Behavior Settings, lines 4615–4790): server
 * answers, stored settings and the developer's option are decoded once into typed
 * `BehaviorSettings`; an invalid value is dropped and named in `invalid` (the caller warns
 * once), unknown keys are ignored. The features read typed fields only, so the rules of every
 * key are tested here, not in the feature machines.
 *
 * - unit: the envelope, every key's rule (one valid and several invalid values each), the
 *   listing filters kept under the spec's keys, the developer's option
 * - property: decoding never throws (`fc.anything()`), is idempotent, and decoding a merge
 *   of raw objects equals decoding with the later object's keys winning
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isLeft, isRight, type Either } from 'fp-ts/Either';
import {
  BEHAVIOR_SETTINGS_KEYS,
  decodeBehaviorSettings,
  typedSettings,
  unwrapProvidedSettings,
  type DecodedSettings,
  mergeSettings,
} from '../../src/domain/behavior-settings.js';

const decoded = (raw: unknown): DecodedSettings => {
  const result = decodeBehaviorSettings(raw);
  if (result._tag === 'Left') throw new Error(result.left);
  return result.right;
};
const right = <A>(e: Either<string, A>): A => {
  if (e._tag === 'Left') throw new Error(e.left);
  return e.right;
};

const BOOLS = ['tracking', 'networking', 'st', 'crt', 'lt', 'vt', 'cet', 'ecz', 'cr', 'rcz', 'bom', 'log'];
const POSITIVE_INTS = ['rqs', 'eqs', 'sui', 'lkl', 'lvs', 'lsv', 'lbc', 'ltlpt', 'ltl', 'czi'];
const POSITIVE = ['scui', 'bom_at', 'bom_ra', 'bom_d'];
const LISTS = ['eb', 'ew', 'upb', 'upw', 'sb', 'sw', 'jte'];
const RULES = ['esb', 'esw'];

/** Every key: values it keeps and values it drops. */
const RULE_TABLE: Array<[string, unknown[], unknown[]]> = [
  ...BOOLS.map((k): [string, unknown[], unknown[]] => [k, [true, false], ['true', 1, 0, null, {}]]),
  ...POSITIVE_INTS.map((k): [string, unknown[], unknown[]] => [k, [1, 60, 10_000], [0, -1, 1.5, '5', Number.NaN, Infinity, null, true]]),
  ...POSITIVE.map((k): [string, unknown[], unknown[]] => [k, [0.5, 1, 24], [0, -1, Number.NaN, Infinity, '4', null]]),
  ['dort', [0, 0.5, 48], [-1, Number.NaN, Infinity, '0', null]],
  ['bom_rqp', [0.01, 0.5, 1], [0, -0.1, 1.01, Number.NaN, '0.5']],
  ['upcl', [0, 1, 100], [-1, 1.5, Number.NaN, '10']],
  ...LISTS.map((k): [string, unknown[], unknown[]] => [k, [[], ['a', 'b']], ['a', [1], ['a', null], {}, null]]),
  ...RULES.map((k): [string, unknown[], unknown[]] => [k, [{}, { buy: ['price', 'currency'], view: [] }], [[], { buy: 'price' }, { buy: [1] }, null, 'x']]),
];

describe('decodeBehaviorSettings: unit', () => {
  it('the rule table covers every key the decoder knows', () => {
    expect(RULE_TABLE.map(([k]) => k).sort()).toEqual([...BEHAVIOR_SETTINGS_KEYS].sort());
  });

  it.each(RULE_TABLE)('%s keeps valid values and drops invalid ones, naming them', (key, valid, invalid) => {
    for (const value of valid) expect(decoded({ [key]: value }), `${key}=${JSON.stringify(value)}`).toEqual({ settings: { [key]: value }, invalid: [] });
    for (const value of invalid) expect(decoded({ [key]: value }), `${key}=${String(value)}`).toEqual({ settings: {}, invalid: [{ key, value }] });
  });

  it('Left for anything but a JSON object', () => {
    for (const raw of [null, undefined, 'x', 3, [], [{ st: true }], true]) expect(isLeft(decodeBehaviorSettings(raw)), String(raw)).toBe(true);
    expect(isRight(decodeBehaviorSettings({}))).toBe(true);
  });

  it('ignores unknown keys (they stay in the stored raw object) and prototype keys', () => {
    expect(decoded({ unknown: 1, c: { st: false } })).toEqual({ settings: {}, invalid: [] });
    expect(decoded(JSON.parse('{"__proto__": {"st": false}, "toString": 1}'))).toEqual({ settings: {}, invalid: [] });
    expect(decoded(Object.create({ st: false }))).toEqual({ settings: {}, invalid: [] });
  });

  it('keeps the listing filters under the spec keys, blacklist and whitelist both (the feature decides which wins)', () => {
    const raw = { eb: ['a'], ew: ['b'], upb: ['x'], upw: [], sb: ['s'], sw: ['t'], esb: { buy: ['price'] }, esw: { buy: ['qty'] } };
    expect(decoded(raw).settings).toEqual(raw);
  });

  it('copies arrays and rule maps: the decoded value shares nothing with the raw one', () => {
    const raw = { eb: ['a'], esb: { buy: ['price'] } };
    const { settings } = decoded(raw);
    raw.eb.push('b');
    raw.esb.buy.push('qty');
    expect(settings).toEqual({ eb: ['a'], esb: { buy: ['price'] } });
  });

  it('a getter that throws counts as invalid, and the rest is still read', () => {
    const raw = { st: false };
    Object.defineProperty(raw, 'sui', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(decoded(raw)).toEqual({ settings: { st: false }, invalid: [{ key: 'sui', value: '[unreadable]' }] });
  });

  it('typedSettings: the settings of anything, none for a non-object', () => {
    expect(typedSettings({ st: true, sui: 'x' })).toEqual({ settings: { st: true }, invalid: [{ key: 'sui', value: 'x' }] });
    expect(typedSettings('nope')).toEqual({ settings: {}, invalid: [] });
  });
});

describe('unwrapProvidedSettings: the developer option (setSDKBehaviorSettings)', () => {
  it('takes an object or a JSON string, bare or in the server envelope { v, t, c }', () => {
    expect(right(unwrapProvidedSettings(undefined))).toEqual({});
    expect(right(unwrapProvidedSettings({ st: false }))).toEqual({ st: false });
    expect(right(unwrapProvidedSettings('{"v":1,"t":2,"c":{"sui":5}}'))).toEqual({ sui: 5 });
    expect(right(unwrapProvidedSettings({ c: 'not an object', st: true }))).toEqual({ c: 'not an object', st: true });
  });

  it('refuses what is not a JSON object', () => {
    expect(unwrapProvidedSettings('{nope')).toEqual({ _tag: 'Left', left: '"behaviorSettings" is not valid JSON' });
    expect(unwrapProvidedSettings('[1]')).toEqual({ _tag: 'Left', left: '"behaviorSettings" must be an object' });
    expect(unwrapProvidedSettings(3)).toEqual({ _tag: 'Left', left: '"behaviorSettings" must be an object' });
  });
});

// ---- properties --------------------------------------------------------------------------

/** A raw settings object: known keys with valid or invalid values, and unknown keys. */
const valueArb = fc.oneof(
  fc.boolean(),
  fc.integer({ min: -5, max: 100 }),
  fc.double({ noNaN: false }),
  fc.string({ maxLength: 4 }),
  fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }), { maxKeys: 2 }),
);
const rawArb = fc.dictionary(fc.oneof(fc.constantFrom(...BEHAVIOR_SETTINGS_KEYS), fc.string({ maxLength: 5 })), valueArb, { maxKeys: 12 });

describe('decodeBehaviorSettings: properties', () => {
  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true, withMap: true, withSet: true }), (raw) => {
        const result = decodeBehaviorSettings(raw);
        if (result._tag === 'Right') for (const key of Object.keys(result.right.settings)) expect(BEHAVIOR_SETTINGS_KEYS).toContain(key);
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: decoding what it decoded gives the same, with nothing invalid', () => {
    fc.assert(
      fc.property(fc.oneof(rawArb, fc.object()), (raw) => {
        const once = decoded(raw).settings;
        expect(decoded(once)).toEqual({ settings: once, invalid: [] });
      }),
      { numRuns: 500 },
    );
  });

  it('decoding a merge of raw objects equals decoding each with the later keys winning', () => {
    fc.assert(
      fc.property(rawArb, rawArb, (earlier, later) => {
        const merged = decoded({ ...earlier, ...later }).settings as Record<string, unknown>;
        const a = decoded(earlier).settings as Record<string, unknown>;
        const b = decoded(later).settings as Record<string, unknown>;
        const expected: Record<string, unknown> = {};
        for (const key of BEHAVIOR_SETTINGS_KEYS) {
          // A later key wins even when its value is invalid: the merged raw holds that value.
          const value = Object.hasOwn(later, key) ? b[key] : a[key];
          if (value !== undefined) expected[key] = value;
        }
        expect(merged).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('mergeSettings: the key-by-key merge (spec: "only update the keys present in the new configuration")', () => {
  const layer = fc.dictionary(fc.constantFrom('tracking', 'networking', 'rqs', 'eqs', 'czi', 'ecz', 'jte', 'log', 'x', '__proto__'), fc.jsonValue(), { maxKeys: 6 });

  it('property: idempotent — merging the same download again changes nothing', () => {
    fc.assert(
      fc.property(layer, layer, (stored, fetched) => {
        const once = mergeSettings(stored, fetched);
        expect(mergeSettings(once, fetched)).toEqual(once);
      }),
    );
  });

  it('property: order-respecting — each key holds the value of the last layer that has it; no key is lost', () => {
    fc.assert(
      fc.property(fc.array(layer, { maxLength: 5 }), (layers) => {
        const merged = mergeSettings(...layers);
        const keys = new Set(layers.flatMap((l) => Object.keys(l)));
        expect(new Set(Object.keys(merged))).toEqual(keys);
        for (const key of keys) {
          const last = [...layers].reverse().find((l) => Object.hasOwn(l, key))!;
          expect(Object.getOwnPropertyDescriptor(merged, key)?.value).toEqual(Object.getOwnPropertyDescriptor(last, key)?.value);
        }
      }),
    );
  });

  it('property: associative — merging downloads one by one equals merging them at once', () => {
    fc.assert(
      fc.property(layer, layer, layer, (a, b, c) => {
        expect(mergeSettings(mergeSettings(a, b), c)).toEqual(mergeSettings(a, mergeSettings(b, c)));
      }),
    );
  });

  it('keeps a "__proto__" key as data, never as the prototype', () => {
    const merged = mergeSettings(JSON.parse('{"__proto__":{"tracking":false}}') as Record<string, unknown>);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
  });
});
