/**
 * `flatten` (src/integrations/segment/flatten.ts) over arbitrary input: total (never throws,
 * whatever the input — cycles, throwing getters, proxies), bounded by the limits, and the
 * output holds only what Countly segmentation can carry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cut, flatten, MAX_DEPTH, type FlattenLimits } from '../../../src/integrations/segment/flatten.js';
import { mapGroup, mapTrack, mapTraits, mapView } from '../../../src/integrations/segment/mapping.js';

const limitsArb: fc.Arbitrary<FlattenLimits> = fc.record({
  maxKeyLength: fc.integer({ min: 1, max: 40 }),
  maxValueSize: fc.integer({ min: 1, max: 40 }),
  maxSegmentationValues: fc.integer({ min: 1, max: 30 }),
});

/** Any JSON-ish value plus what JSON lacks: undefined, NaN, Infinity, dates, bigints, functions, symbols. */
const valueArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.date({ noInvalidDate: false }),
    fc.bigInt(),
    fc.constant(() => 1),
    fc.constant(Symbol('s')),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 12 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const isScalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

describe('flatten: total and within the limits', () => {
  it('never throws, and every entry is a scalar or an array of scalars within the limits', () => {
    fc.assert(
      fc.property(valueArb, limitsArb, (input, limits) => {
        const { values } = flatten(input, { limits });
        const keys = Object.keys(values);
        expect(keys.length).toBeLessThanOrEqual(limits.maxSegmentationValues);
        for (const key of keys) {
          expect(key.length).toBeGreaterThan(0);
          expect(key.length).toBeLessThanOrEqual(limits.maxKeyLength);
          const value = values[key];
          const items = Array.isArray(value) ? value : [value];
          if (Array.isArray(value)) expect(value.length).toBeGreaterThan(0);
          for (const item of items) {
            expect(isScalar(item)).toBe(true);
            if (typeof item === 'string') expect(item.length).toBeLessThanOrEqual(limits.maxValueSize);
          }
        }
        // JSON round trip: what chartly will send is exactly this.
        expect(JSON.parse(JSON.stringify(values))).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });

  it('a flat object of scalars under the limits comes through unchanged', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()), { maxKeys: 20 }), (input) => {
        const { values, dropped } = flatten(input);
        expect(values).toEqual(input);
        expect(dropped).toEqual([]);
      }),
    );
  });

  it('nested keys are joined with "_" (the server strips dots, spec 000 l. 107)', () => {
    expect(flatten({ a: { b: { c: 1 } }, d: [1, 'x', { e: 2 }, null] }).values).toEqual({ a_b_c: 1, d: [1, 'x'] });
  });

  it('the mapping functions never throw either', () => {
    fc.assert(
      fc.property(valueArb, valueArb, valueArb, limitsArb, (properties, traits, name, limits) => {
        const event = { type: 'track', event: name, name, properties, traits, groupId: name, userId: name, context: { page: properties } };
        mapTrack(event, limits);
        mapView(event, limits);
        mapTraits(traits, limits);
        mapGroup(event, limits);
      }),
      { numRuns: 200 },
    );
  });
});

describe('flatten: hostile input', () => {
  it('cycles end at MAX_DEPTH; throwing getters and proxies drop only their own entry', () => {
    const cyclic: Record<string, unknown> = { ok: 1 };
    cyclic.self = cyclic;
    const result = flatten(cyclic);
    expect(result.values.ok).toBe(1);
    expect(Object.keys(result.values).every((k) => k.split('_').length <= MAX_DEPTH + 1)).toBe(true);

    const getter = Object.defineProperty({ fine: 'yes' }, 'bad', { enumerable: true, get: () => { throw new Error('no'); } });
    expect(flatten(getter)).toEqual({ values: { fine: 'yes' }, dropped: ['bad (unreadable)'] });

    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    expect(flatten(proxy).values).toEqual({});
    expect(flatten({ p: proxy, q: 2 }).values).toEqual({ q: 2 });
  });

  it('a "__proto__" key stays an ordinary key', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as unknown;
    const { values } = flatten(input);
    expect(Object.keys(values)).toEqual(['__proto___polluted', 'x']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('cut never splits a surrogate pair', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 0, max: 30 }), (s, max) => {
        const c = cut(s, max);
        expect(c.length).toBeLessThanOrEqual(max);
        expect(s.startsWith(c)).toBe(true);
        expect(/[\uD800-\uDBFF]$/.test(c)).toBe(false);
      }),
    );
  });
});
