/**
 * The pure event rules (spec: Events, SDK Behavior Settings > Filter Application Logic):
 * internal-event consent table, filters (blacklist wins, empty list = no filtering), number
 * defaults, the wire event, and cutting the queue into batches.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../../src/config.js';
import {
  batchParams,
  buildWireEvent,
  consentFeatureFor,
  cutBatches,
  eventAllowed,
  filterSegmentation,
  flushesAtOnce,
  isInternalEvent,
  isViewEndEvent,
  keyAllowed,
  mayRecord,
  NO_FILTERS,
  normalizeNumbers,
  eventSettingsFrom,
  listFilter,
  ruleFilter,
  type EventFilters,
} from '../../src/domain/events.js';
import { ConsentFeatures, type ConsentState } from '../../src/domain/types.js';
import { instantAt } from '../../src/protocol/time.js';

const base = { threshold: 100, limits: { ...DEFAULT_LIMITS }, flushIntervalSeconds: 60 };
const only = (...given: string[]): ConsentState =>
  Object.fromEntries(ConsentFeatures.map((f) => [f, given.includes(f)])) as unknown as ConsentState;

describe('internal events and consent', () => {
  it('maps every internal event to its own feature (spec: Internal Events)', () => {
    expect(consentFeatureFor('[CLY]_view')).toBe('views');
    expect(consentFeatureFor('[CLY]_nps')).toBe('feedback');
    expect(consentFeatureFor('[CLY]_survey')).toBe('feedback');
    expect(consentFeatureFor('[CLY]_star_rating')).toBe('star-rating');
    expect(consentFeatureFor('[CLY]_orientation')).toBe('users');
    expect(consentFeatureFor('[CLY]_push_action')).toBe('push');
    expect(consentFeatureFor('[CLY]_action')).toBe('clicks');
    expect(consentFeatureFor('[CLY]_action', { type: 'scroll' })).toBe('scrolls');
    expect(consentFeatureFor('[CLY]_action', 'not an object')).toBe('clicks');
    expect(consentFeatureFor('purchase')).toBe('events');
    expect(consentFeatureFor('[CLY]_unknown')).toBe('events');
  });

  it('internal events are the table keys; anything else is custom', () => {
    expect(isInternalEvent('[CLY]_view')).toBe(true);
    expect(isInternalEvent('[CLY]_action')).toBe(true);
    expect(isInternalEvent('[CLY]_unknown')).toBe(false);
    expect(isInternalEvent('login')).toBe(false);
  });

  it('reproduces the spec examples 1-3', () => {
    expect(mayRecord(only('events'), '[CLY]_view')).toBe(false);
    expect(mayRecord(only('events', 'views'), '[CLY]_view')).toBe(true);
    expect(mayRecord(only('views'), '[CLY]_view')).toBe(true);
    expect(mayRecord(only('views'), 'login')).toBe(false);
  });

  it('only NPS, survey and push actions flush at once', () => {
    expect(['[CLY]_nps', '[CLY]_survey', '[CLY]_push_action'].every(flushesAtOnce)).toBe(true);
    expect(['[CLY]_star_rating', '[CLY]_view', 'login'].some(flushesAtOnce)).toBe(false);
  });

  it('a view end event is a view event without visit', () => {
    expect(isViewEndEvent('[CLY]_view', { name: 'a' })).toBe(true);
    expect(isViewEndEvent('[CLY]_view', undefined)).toBe(true);
    expect(isViewEndEvent('[CLY]_view', { name: 'a', visit: '1' })).toBe(false);
    expect(isViewEndEvent('login', {})).toBe(false);
  });
});

describe('filters', () => {
  it('empty lists filter nothing', () => {
    const settings = eventSettingsFrom({ eb: [], ew: [], sb: [], sw: [], esb: {}, esw: {} }, base);
    expect(settings.filters).toEqual(NO_FILTERS);
    expect(eventAllowed(settings.filters, 'x')).toBe(true);
  });

  it('a whitelist keeps only listed events, a blacklist drops them', () => {
    const white = eventSettingsFrom({ ew: ['a'] }, base).filters;
    expect(eventAllowed(white, 'a')).toBe(true);
    expect(eventAllowed(white, 'b')).toBe(false);
    const black = eventSettingsFrom({ eb: ['a'] }, base).filters;
    expect(eventAllowed(black, 'a')).toBe(false);
    expect(eventAllowed(black, 'b')).toBe(true);
  });

  it('the blacklist wins when both lists are given (spec: Listing Filters)', () => {
    const f = eventSettingsFrom({ eb: ['a'], ew: ['a', 'b'], sb: ['s'], sw: ['t'], esb: { e: ['x'] }, esw: { e: ['y'] } }, base).filters;
    expect(f.events).toEqual({ mode: 'blacklist', keys: ['a'] });
    expect(f.segmentation).toEqual({ mode: 'blacklist', keys: ['s'] });
    expect(f.eventSegmentation).toEqual({ mode: 'blacklist', rules: { e: ['x'] } });
  });

  it('an empty blacklist lets the whitelist apply', () => {
    const f = eventSettingsFrom({ eb: [], ew: ['a'], esb: {}, esw: { e: ['y'] } }, base).filters;
    expect(f.events.mode).toBe('whitelist');
    expect(f.eventSegmentation).toEqual({ mode: 'whitelist', rules: { e: ['y'] } });
  });

  it('segmentation filters: sb/sw for every event, esb/esw per event, no rule = everything allowed', () => {
    const seg = { a: 1, b: 2, c: 3 };
    const sw: EventFilters = eventSettingsFrom({ sw: ['a', 'b'], esb: { buy: ['b'] } }, base).filters;
    expect(filterSegmentation(sw, 'buy', seg)).toEqual({ segmentation: { a: 1 }, removed: ['b', 'c'] });
    expect(filterSegmentation(sw, 'other', seg)).toEqual({ segmentation: { a: 1, b: 2 }, removed: ['c'] });
    const esw = eventSettingsFrom({ esw: { buy: ['c'] } }, base).filters;
    expect(filterSegmentation(esw, 'buy', seg)).toEqual({ segmentation: { c: 3 }, removed: ['a', 'b'] });
    expect(filterSegmentation(esw, 'other', seg).segmentation).toEqual(seg);
    expect(filterSegmentation(NO_FILTERS, 'x', seg).segmentation).toEqual(seg);
  });

  it('keyAllowed follows the mode', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), fc.string(), (keys, key) => {
        expect(keyAllowed({ mode: 'none', keys }, key)).toBe(true);
        expect(keyAllowed({ mode: 'whitelist', keys }, key)).toBe(keys.includes(key));
        expect(keyAllowed({ mode: 'blacklist', keys }, key)).toBe(!keys.includes(key));
      }),
    );
  });
});

describe('eventSettingsFrom (typed, decoded settings)', () => {
  it('uses config values when the server says nothing', () => {
    expect(eventSettingsFrom({}, base)).toEqual({ threshold: 100, flushIntervalSeconds: 60, customEvents: true, tracking: true, limits: base.limits, filters: NO_FILTERS });
  });

  it('reads eqs, sui, cet, tracking and the limits over the config', () => {
    const settings = eventSettingsFrom({ eqs: 5, sui: 7, cet: false, tracking: false, lkl: 3, lvs: 4, lsv: 2 }, base);
    expect(settings).toMatchObject({ threshold: 5, flushIntervalSeconds: 7, customEvents: false, tracking: false });
    expect(settings.limits).toEqual({ ...base.limits, maxKeyLength: 3, maxValueSize: 4, maxSegmentationValues: 2 });
    expect(base.limits).toEqual(DEFAULT_LIMITS);
  });

  it('keeps no reference to the settings lists (context stays its own data)', () => {
    const eb = ['a'];
    const esw = { e: ['x'] };
    const f = eventSettingsFrom({ eb, esw }, base).filters;
    eb.push('b');
    esw.e.push('y');
    expect(f.events.keys).toEqual(['a']);
    expect(f.eventSegmentation.rules).toEqual({ e: ['x'] });
  });

  it('the blacklist wins over any whitelist; an empty list is no list (property)', () => {
    const list = fc.option(fc.array(fc.string(), { maxLength: 3 }), { nil: undefined });
    fc.assert(
      fc.property(list, list, (black, white) => {
        const f = listFilter(black, white);
        if (black && black.length > 0) expect(f).toEqual({ mode: 'blacklist', keys: black });
        else if (white && white.length > 0) expect(f).toEqual({ mode: 'whitelist', keys: white });
        else expect(f).toEqual({ mode: 'none', keys: [] });
      }),
    );
    expect(ruleFilter({}, { e: ['y'] })).toEqual({ mode: 'whitelist', rules: { e: ['y'] } });
    expect(ruleFilter({ e: ['x'] }, { e: ['y'] })).toEqual({ mode: 'blacklist', rules: { e: ['x'] } });
    expect(ruleFilter(undefined, undefined)).toEqual({ mode: 'none', rules: {} });
  });
});

describe('normalizeNumbers', () => {
  it('defaults count 1, sum 0, dur 0', () => {
    expect(normalizeNumbers({})).toEqual({ value: { count: 1, sum: 0, dur: 0 }, warnings: [] });
  });

  it('keeps valid values, negative sums included', () => {
    expect(normalizeNumbers({ count: 3, sum: -2.5, dur: 1.25 })).toEqual({ value: { count: 3, sum: -2.5, dur: 1.25 }, warnings: [] });
  });

  it('corrects invalid values with one warning each', () => {
    for (const count of [0, -3, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '2']) {
      const r = normalizeNumbers({ count });
      expect(r.value.count).toBe(1);
      expect(r.warnings).toEqual([`count [${String(count)}] must be a positive integer, using 1`]);
    }
    expect(normalizeNumbers({ sum: Number.NaN }).value.sum).toBe(0);
    expect(normalizeNumbers({ sum: 'x' }).warnings).toHaveLength(1);
    expect(normalizeNumbers({ dur: -1 }).value.dur).toBe(0);
    expect(normalizeNumbers({ dur: Number.POSITIVE_INFINITY }).warnings).toHaveLength(1);
  });

  it('always yields count ≥ 1 (integer), finite sum, dur ≥ 0', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (count, sum, dur) => {
        const { value } = normalizeNumbers({ count, sum, dur });
        expect(Number.isInteger(value.count) && value.count >= 1).toBe(true);
        expect(Number.isFinite(value.sum)).toBe(true);
        expect(Number.isFinite(value.dur) && value.dur >= 0).toBe(true);
      }),
    );
  });
});

describe('buildWireEvent', () => {
  const at = instantAt(Date.UTC(2026, 0, 1, 10, 0, 0));
  it('carries the spec fields, the time of `at`, and only the given view/event IDs', () => {
    const e = buildWireEvent({ key: 'k', numbers: { count: 2, sum: 1, dur: 3 }, segmentation: { a: 1 }, at, id: 'id1', ids: { cvid: '', peid: 'p' } });
    expect(e).toEqual({ key: 'k', count: 2, sum: 1, dur: 3, segmentation: { a: 1 }, timestamp: at.timestamp, hour: at.hour, dow: at.dow, id: 'id1', cvid: '', peid: 'p' });
  });

  it('omits empty segmentation and absent IDs', () => {
    const e = buildWireEvent({ key: 'k', numbers: { count: 1, sum: 0, dur: 0 }, segmentation: {}, at, id: 'x', ids: { pvid: 'v' } });
    expect(e).toEqual({ key: 'k', count: 1, sum: 0, dur: 0, timestamp: at.timestamp, hour: at.hour, dow: at.dow, id: 'x', pvid: 'v' });
  });
});

describe('cutBatches', () => {
  it('cuts full batches, keeping the rest', () => {
    expect(cutBatches([1, 2, 3, 4, 5], 2, false)).toEqual({ batches: [[1, 2], [3, 4]], rest: [5] });
    expect(cutBatches([1, 2, 3, 4, 5], 2, true)).toEqual({ batches: [[1, 2], [3, 4], [5]], rest: [] });
    expect(cutBatches([1], 2, false)).toEqual({ batches: [], rest: [1] });
    expect(cutBatches([], 2, true)).toEqual({ batches: [], rest: [] });
  });

  it('never loses, duplicates or reorders, and every batch is ≤ threshold', () => {
    fc.assert(
      fc.property(fc.array(fc.nat()), fc.integer({ min: 0, max: 12 }), fc.boolean(), (items, threshold, all) => {
        const { batches, rest } = cutBatches(items, threshold, all);
        expect([...batches.flat(), ...rest]).toEqual(items);
        const size = Math.max(1, threshold);
        for (const b of batches) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(size);
          if (!all) expect(b.length).toBe(size);
        }
        if (all) expect(rest).toEqual([]);
        else expect(rest.length).toBeLessThan(size);
      }),
    );
  });

  it('batchParams is the JSON array of the batch', () => {
    const at = instantAt(0);
    const e = buildWireEvent({ key: 'k', numbers: { count: 1, sum: 0, dur: 0 }, segmentation: {}, at, id: 'a', ids: {} });
    expect(JSON.parse(batchParams([e, e]).events ?? '')).toEqual([e, e]);
  });
});
