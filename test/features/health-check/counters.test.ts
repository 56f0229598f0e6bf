/**
 * The health counters as data (spec 001 l. 4925-5000, 5041-5073): the storage and wire
 * shapes, the stored-state decoder with its fallbacks, and the counting rules — unit tests
 * and fast-check properties.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  countBackoff,
  countFailure,
  countProblems,
  EMPTY_COUNTERS,
  hcParam,
  MAX_ERROR_MESSAGE,
  restoreCounters,
  serializeCounters,
  truncateMessage,
  type HealthCounters,
} from '../../../src/features/health-check/counters.js';

/** Counters as the SDK can hold them: counts ≥ 0, cbom ≤ bom, sc -1 or 1..999, em ≤ 1,000 chars. */
const countersArb: fc.Arbitrary<HealthCounters> = fc
  .record({
    el: fc.nat(),
    wl: fc.nat(),
    sc: fc.oneof(fc.constant(-1), fc.integer({ min: 1, max: 999 })),
    em: fc.string({ maxLength: 1200, unit: 'grapheme' }).map(truncateMessage),
    bom: fc.nat(),
    cbom: fc.nat(),
  })
  .map((c) => ({ ...c, cbom: Math.min(c.cbom, c.bom) }));

describe('storage and wire shapes', () => {
  it('serializes to the spec schema (l. 5059-5066) and the hc param to its own (l. 5043-5049)', () => {
    const c: HealthCounters = { el: 5, wl: 12, sc: 503, em: 'Service Unavailable', bom: 3, cbom: 2 };
    expect(serializeCounters(c)).toBe('{"LErr":5,"LWar":12,"RStatC":503,"REMsg":"Service Unavailable","BReq":3,"CBReq":2}');
    expect(hcParam(c)).toBe('{"el":5,"wl":12,"sc":503,"em":"Service Unavailable","bom":3,"cbom":2}');
  });

  it('property: restore(serialize(x)) == x', () => {
    fc.assert(
      fc.property(countersArb, (c) => {
        expect(restoreCounters(serializeCounters(c))).toEqual({ counters: c, malformed: false });
      }),
    );
  });
});

describe('restoreCounters (l. 4990-5000)', () => {
  it('nothing or an empty string: defaults, nothing to clear', () => {
    for (const stored of [undefined, null, '']) expect(restoreCounters(stored)).toEqual({ counters: EMPTY_COUNTERS, malformed: false });
  });

  it('malformed JSON, or JSON that is no object: defaults, and the entry is to be cleared', () => {
    for (const stored of ['{', 'not json', '42', '"x"', '[1]', 'null', 7, true]) {
      expect(restoreCounters(stored), String(stored)).toEqual({ counters: EMPTY_COUNTERS, malformed: true });
    }
  });

  it('each field falls back on its own: 0, -1 for the status, "" for the message', () => {
    const stored = JSON.stringify({ LErr: -1, LWar: 2.5, RStatC: 1000, REMsg: 5, BReq: 4, CBReq: 'x' });
    expect(restoreCounters(stored)).toEqual({ counters: { ...EMPTY_COUNTERS, bom: 4 }, malformed: false });
    expect(restoreCounters('{}')).toEqual({ counters: EMPTY_COUNTERS, malformed: false });
    expect(restoreCounters(JSON.stringify({ RStatC: 0 })).counters.sc).toBe(-1);
  });

  it('a stored message longer than 1,000 characters is cut; cbom never above bom', () => {
    const r = restoreCounters(JSON.stringify({ REMsg: 'x'.repeat(5000), BReq: 2, CBReq: 9 }));
    expect(r.counters.em).toHaveLength(MAX_ERROR_MESSAGE);
    expect(r.counters.cbom).toBe(2);
  });

  it('an object (an adapter that parsed the string) is read the same way', () => {
    expect(restoreCounters({ LErr: 1, LWar: 2 }).counters).toMatchObject({ el: 1, wl: 2 });
  });

  it('property: any stored value gives valid counters and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string(), fc.jsonValue().map((v) => JSON.stringify(v))), (stored) => {
        const { counters: c } = restoreCounters(stored);
        for (const n of [c.el, c.wl, c.bom, c.cbom]) expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
        expect(c.sc === -1 || (c.sc > 0 && c.sc < 1000)).toBe(true);
        expect(c.em.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
        expect(c.cbom).toBeLessThanOrEqual(c.bom);
      }),
    );
  });
});

describe('counting rules', () => {
  it('logFailedNetworkRequest: status 1..999 only, latest wins, message ≤ 1,000 chars (l. 4937-4945)', () => {
    let c = countFailure(EMPTY_COUNTERS, 503, 'Service Unavailable');
    c = countFailure(c, 400, 'y'.repeat(1500));
    expect(c).toMatchObject({ sc: 400, em: 'y'.repeat(1000) });
    expect(countFailure(c, 0, 'z')).toBe(c);
    expect(countFailure(c, 1000, 'z')).toBe(c);
  });

  it('truncation never leaves half a surrogate pair', () => {
    const text = 'a'.repeat(999) + '😀' + 'b';
    expect(truncateMessage(text)).toBe('a'.repeat(999));
  });

  it('property: em never longer than 1,000 characters, whatever the bodies', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -5, max: 1200 }), fc.string({ maxLength: 3000 })), { maxLength: 10 }), (failures) => {
        const c = failures.reduce((acc, [s, body]) => countFailure(acc, s, body), EMPTY_COUNTERS as HealthCounters);
        expect(c.em.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
      }),
    );
  });

  it('problems add up; invalid counts are ignored', () => {
    expect(countProblems(countProblems(EMPTY_COUNTERS, 1, 2), 3, 0)).toMatchObject({ el: 4, wl: 2 });
    expect(countProblems(EMPTY_COUNTERS, -1, Number.NaN)).toMatchObject({ el: 0, wl: 0 });
  });

  it('countBackoff: bom + 1, cbom the longest run, never above bom', () => {
    let c: HealthCounters = { ...EMPTY_COUNTERS };
    for (const run of [1, 2, 3, 1]) c = countBackoff(c, run);
    expect(c).toMatchObject({ bom: 4, cbom: 3 });
    expect(countBackoff(EMPTY_COUNTERS, 7)).toMatchObject({ bom: 1, cbom: 1 });
  });
});
