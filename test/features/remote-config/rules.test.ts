/**
 * The remote-config rules (spec 001 l. 2864-3442; server-rules.md `/o/sdk`): the store's
 * update rules, the request params, and the decoders — examples and fast-check properties
 * (decoders never throw on any JSON, keep exactly the well-formed parts, round-trip).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyDownload,
  cacheClear,
  decodeAnswer,
  decodeExperiments,
  decodeResult,
  decodeStoredValues,
  decodeValues,
  decodeVariants,
  exitParams,
  rcParams,
  toRCData,
  type RcStore,
} from '../../../src/features/remote-config/rules.js';

const jsonValue = fc.jsonValue();
const store: fc.Arbitrary<RcStore> = fc.dictionary(fc.string({ maxLength: 6 }), fc.record({ v: jsonValue, c: fc.constantFrom(0 as const, 1 as const) }), { maxKeys: 6 });
const right = <T>(e: { _tag: string }): T => {
  expect(e._tag).toBe('Right');
  return (e as unknown as { right: T }).right;
};

describe('remote-config rules: the store', () => {
  it('full: replaced (or old cached), partial: only returned keys; downloaded values are fresh', () => {
    const old: RcStore = { a: { v: 1, c: 1 }, b: { v: 2, c: 1 } };
    expect(applyDownload(old, { b: 3 }, true, false)).toEqual({ b: { v: 3, c: 1 } });
    expect(applyDownload(old, { b: 3 }, true, true)).toEqual({ a: { v: 1, c: 0 }, b: { v: 3, c: 1 } });
    expect(applyDownload(old, { b: 3 }, false, false)).toEqual({ a: { v: 1, c: 1 }, b: { v: 3, c: 1 } });
    expect(toRCData({ a: { v: 1, c: 0 }, b: { v: 'x', c: 1 } })).toEqual({ a: { value: 1, isCurrentUsersData: false }, b: { value: 'x', isCurrentUsersData: true } });
  });

  it('property: a stored store decodes to itself (through JSON); cacheClear keeps keys only with caching', () => {
    fc.assert(
      fc.property(store, (s) => {
        expect(decodeStoredValues(JSON.parse(JSON.stringify(s)))).toEqual(JSON.parse(JSON.stringify(s)));
        expect(Object.keys(cacheClear(s, true))).toEqual(Object.keys(s));
        expect(Object.values(cacheClear(s, true)).every((e) => e.c === 0)).toBe(true);
        expect(cacheClear(s, false)).toEqual({});
      }),
    );
  });

  it('property: any JSON decodes as a store without throwing, keeping only {v, c: 0|1} entries', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (raw) => {
        const out = decodeStoredValues(raw);
        for (const [key, entry] of Object.entries(out)) {
          expect([0, 1]).toContain(entry.c);
          expect((raw as Record<string, { v: unknown }>)[key]!.v).toEqual(entry.v);
        }
      }),
    );
    expect(decodeStoredValues({ ok: { v: 1, c: 1 }, noV: { c: 1 }, badC: { v: 1, c: 2 }, str: 'x' })).toEqual({ ok: { v: 1, c: 1 } });
  });
});

describe('remote-config rules: params', () => {
  it('property: keys and omit_keys are the JSON of the given keys; an empty list asks for everything', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 5 }), fc.boolean(), (keys, enroll) => {
        const specific = rcParams({ kind: 'specific', keys }, enroll);
        const omit = rcParams({ kind: 'omit', keys }, enroll);
        expect(specific.method).toBe('rc');
        expect(specific.oi).toBe(enroll ? '1' : undefined);
        if (keys.length === 0) {
          expect(specific).toEqual(rcParams({ kind: 'all' }, enroll));
          expect(omit).toEqual(rcParams({ kind: 'all' }, enroll));
        } else {
          expect(JSON.parse(specific.keys!)).toEqual(keys);
          expect(JSON.parse(omit.omit_keys!)).toEqual(keys);
        }
      }),
    );
    expect(exitParams([])).toEqual({ method: 'ab_opt_out' });
  });
});

describe('remote-config rules: decoders', () => {
  it('property: a non-2xx answer is always an Error naming the status; a 2xx non-JSON body too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }).filter((s) => s < 200 || s >= 300), fc.string(), (status, body) => {
        const out = decodeAnswer(status, body);
        expect(out._tag).toBe('Left');
        expect((out as { left: { result: string; error: string } }).left).toMatchObject({ result: 'Error', error: expect.stringContaining(`HTTP ${status}`) });
      }),
    );
    expect(decodeAnswer(200, '{oops')).toEqual({ _tag: 'Left', left: { result: 'Error', error: 'the answer is not JSON' } });
  });

  it('property: values — any JSON object is the values as they are; anything else is an Error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const out = decodeValues(200, JSON.stringify(body));
        const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
        expect(out._tag).toBe(isObject ? 'Right' : 'Left');
        if (isObject) expect(right(out)).toEqual(JSON.parse(JSON.stringify(body)));
      }),
    );
  });

  it('property: variants — never throws on any JSON; each key keeps the string names of its variants, in order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const out = decodeVariants(200, JSON.stringify(body));
        if (out._tag === 'Left') return;
        for (const [key, names] of Object.entries(out.right)) {
          const list = (body as Record<string, unknown[]>)[key]!;
          expect(names).toEqual(list.flatMap((v) => (typeof v === 'object' && v !== null && typeof (v as { name?: unknown }).name === 'string' ? [(v as { name: string }).name] : [])));
        }
      }),
    );
    expect(right(decodeVariants(200, JSON.stringify({ k: [{ name: 'Control group', value: 1 }, { value: 2 }, 'x'], bad: 'no' })))).toEqual({ k: ['Control group'] });
  });

  it('property: experiments — never throws on any JSON; every kept experiment is filed under its own string ID', () => {
    const experiment = fc.record(
      { id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()), name: fc.jsonValue(), description: fc.jsonValue(), currentVariant: fc.jsonValue(), variants: fc.jsonValue() },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.array(experiment)), (body) => {
        const out = decodeExperiments(200, JSON.stringify(body));
        if (!Array.isArray(body)) {
          expect(out._tag).toBe('Left');
          return;
        }
        for (const [id, info] of Object.entries(right<Record<string, { id: string; name: string; currentVariant: unknown; variants: object }>>(out))) {
          expect(info.id).toBe(id);
          expect(typeof info.name).toBe('string');
          expect(info.currentVariant === null || typeof info.currentVariant === 'string').toBe(true);
          for (const v of Object.values(info.variants)) expect(typeof v === 'object' && v !== null && !Array.isArray(v)).toBe(true);
        }
      }),
    );
  });

  it('the spec example of experiments decodes to ExperimentInfo', () => {
    const body = [{ id: 'experiment_id_1', name: 'Experiment Name 1', description: 'Description for Experiment 1', currentVariant: 'variant_A', variants: { variant_A: { property_key_1: 'property_value_1' } } }];
    expect(right(decodeExperiments(200, JSON.stringify(body)))).toEqual({
      experiment_id_1: { id: 'experiment_id_1', name: 'Experiment Name 1', description: 'Description for Experiment 1', currentVariant: 'variant_A', variants: { variant_A: { property_key_1: 'property_value_1' } } },
    });
  });

  it('result answers: any result for ab/ab_opt_out, exactly "Success" for ab_enroll_variant', () => {
    expect(decodeResult(200, '{"result":"Successfully enrolled in ab tests"}', false)).toEqual({ _tag: 'Right', right: 'Successfully enrolled in ab tests' });
    expect(decodeResult(200, '{"result":"Request does not match checksum"}', true)._tag).toBe('Left');
    expect(decodeResult(200, '{}', false)._tag).toBe('Left');
    expect(decodeResult(400, '{"result":"Missing Keys"}', false)).toEqual({ _tag: 'Left', left: { result: 'Error', error: 'HTTP 400: Missing Keys' } });
  });
});
