/**
 * The APM rules as pure functions (src/domain/apm.ts; spec: SDK guide l. 3994-4116): each
 * rule on examples, and fast-check properties that every validator is total (any value in,
 * a valid value and text warnings out, nothing thrown).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../../src/config.js';
import {
  MAX_METRIC_KEY_LENGTH,
  MAX_TRACE_KEY_LENGTH,
  RESERVED_METRIC_KEYS,
  apmParam,
  customMetrics,
  customTrace,
  deviceTrace,
  networkTimes,
  networkTrace,
  networkValues,
  payloadSize,
  responseCode,
  traceKey,
  traceKeyWarnings,
} from '../../../src/domain/apm.js';

const limits: Limits = { ...DEFAULT_LIMITS };

describe('trace keys (spec l. 3996-3998, 4106-4108)', () => {
  it('are cut to maxKeyLength, then to 2048 chars, with a warning', () => {
    expect(traceKey('k'.repeat(200), limits)).toMatchObject({ value: 'k'.repeat(128) });
    expect(traceKey('k'.repeat(200), limits).warnings).toHaveLength(1);
    const wide = traceKey('k'.repeat(5000), { ...limits, maxKeyLength: 4000 });
    expect(wide.value).toHaveLength(MAX_TRACE_KEY_LENGTH);
    expect(wide.warnings).toHaveLength(2);
    expect(traceKey('short', limits)).toEqual({ value: 'short', warnings: [] });
  });

  it('starting with "$" are kept with a warning', () => {
    expect(traceKeyWarnings('$x')).toEqual(['trace key [$x] starts with "$", which the server strips']);
    expect(traceKeyWarnings('x$')).toEqual([]);
  });
});

describe('custom metrics (spec l. 3999-4008, 4095-4116)', () => {
  it('keep finite numbers under valid keys; remove long, reserved, empty and non-number entries; warn about "$" and "."', () => {
    const m = customMetrics({ memory: 200, '': 1, ['x'.repeat(33)]: 1, duration: 5, response_code: 1, bad: 'no', nan: Number.NaN, '$cash': 1, 'a.b': 2, '9lives': 3 }, limits);
    expect(m.value).toEqual({ memory: 200, $cash: 1, 'a.b': 2, '9lives': 3 });
    expect(m.warnings.join('\n')).toMatch(/empty key/);
    expect(m.warnings.join('\n')).toMatch(/longer than 32/);
    expect(m.warnings.join('\n')).toMatch(/\[duration\] is reserved/);
    expect(m.warnings.join('\n')).toMatch(/\[bad\] must be a finite number, got \[string\]/);
    expect(m.warnings.join('\n')).toMatch(/\[\$cash\] starts with "\$"/);
    expect(m.warnings.join('\n')).toMatch(/\[a\.b\] contains "\."/);
    expect(m.warnings.join('\n')).toMatch(/\[9lives\] does not match/);
  });

  it('cut keys to maxKeyLength first, and keep at most maxSegmentationValues entries (the first)', () => {
    expect(customMetrics({ abcdef: 1 }, { ...limits, maxKeyLength: 3 }).value).toEqual({ abc: 1 });
    const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`m${i}`, i]));
    const kept = customMetrics(many, { ...limits, maxSegmentationValues: 3 });
    expect(kept.value).toEqual({ m0: 0, m1: 1, m2: 2 });
    expect(kept.warnings).toEqual(['custom metrics have more than 3 entries, 2 dropped']);
  });

  it('null and undefined are none; other non-objects are ignored with a warning; `__proto__` stays a key', () => {
    expect(customMetrics(null, limits)).toEqual({ value: {}, warnings: [] });
    expect(customMetrics(undefined, limits)).toEqual({ value: {}, warnings: [] });
    expect(customMetrics([1], limits).warnings).toEqual(['custom metrics must be an object of numbers, got [array]; metrics ignored']);
    expect(customMetrics(5, limits).value).toEqual({});
    const proto = customMetrics(JSON.parse('{"__proto__": 7}'), limits).value;
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });

  it('a throwing getter or proxy is a warning, not an exception', () => {
    const getter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('x'); } });
    expect(customMetrics(getter, limits).value).toEqual({});
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('x'); } });
    expect(customMetrics(proxy, limits).warnings).toEqual(['custom metrics could not be read; metrics ignored']);
  });
});

describe('network values (spec l. 4019-4023)', () => {
  it('response code: an integer in 100-599, else 0', () => {
    expect([100, 599, 99, 600, 200.5, Number.NaN, '200', null].map((c) => responseCode(c).value)).toEqual([100, 599, 0, 0, 0, 0, 0, 0]);
  });

  it('payload sizes: negative, non-finite or non-number become 0; fractions are dropped', () => {
    expect([5, 0, -1, Number.POSITIVE_INFINITY, 'x', 2.7].map((s) => payloadSize('size', s).value)).toEqual([5, 0, 0, 0, 0, 2]);
    expect(payloadSize('request payload size', -1).warnings).toEqual(['request payload size must not be negative, got [-1]; 0 sent']);
  });

  it('timestamps: swapped when the start is after the end; null when one is not a timestamp', () => {
    expect(networkTimes(10, 5)).toEqual({ value: { startMs: 5, endMs: 10 }, warnings: ['start timestamp [10] is after end timestamp [5]; swapped'] });
    expect(networkTimes(5, 10)).toEqual({ value: { startMs: 5, endMs: 10 }, warnings: [] });
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1, '5', null, undefined]) expect(networkTimes(bad, 10)).toBeNull();
  });
});

describe('the apm param (spec l. 4118-4153)', () => {
  it('has type, name, apm_metrics, stz and etz, in the order of the samples', () => {
    expect(apmParam(deviceTrace('app_start', 1584698900000, 1584698903200))).toBe(
      '{"type":"device","name":"app_start","apm_metrics":{"duration":3200},"stz":1584698900000,"etz":1584698903200}',
    );
    expect(apmParam(customTrace('forLoopProfiling_1', 0, 10, { memory: 200 }))).toBe(
      '{"type":"device","name":"forLoopProfiling_1","apm_metrics":{"duration":10,"memory":200},"stz":0,"etz":10}',
    );
    expect(apmParam(networkTrace('/count.ly/about', { responseCode: 300, requestPayloadSize: 70, responsePayloadSize: 120 }, 0, 1330))).toBe(
      '{"type":"network","name":"/count.ly/about","apm_metrics":{"response_time":1330,"response_payload_size":120,"response_code":300,"request_payload_size":70},"stz":0,"etz":1330}',
    );
  });

  it('a custom trace never carries a reserved metric the caller slipped in', () => {
    expect(customTrace('t', 0, 5, { duration: 99, response_time: 1, ok: 1 }).apm_metrics).toEqual({ duration: 5, ok: 1 });
  });
});

describe('validation is total (properties)', () => {
  const limitsArb = fc.record({
    maxKeyLength: fc.integer({ min: 1, max: 3000 }),
    maxValueSize: fc.constant(256),
    maxSegmentationValues: fc.integer({ min: 1, max: 10 }),
    maxBreadcrumbCount: fc.constant(100),
    maxStackTraceLinesPerThread: fc.constant(30),
    maxStackTraceLineLength: fc.constant(200),
  });

  it('custom metrics: any value gives finite numbers under short, unreserved keys, within the entry limit', () => {
    const metricsArb = fc.oneof(fc.anything(), fc.dictionary(fc.string({ maxLength: 40 }), fc.oneof(fc.double(), fc.integer(), fc.anything())));
    fc.assert(
      fc.property(metricsArb, limitsArb, (raw, l) => {
        const { value, warnings } = customMetrics(raw, l);
        const keys = Object.keys(value);
        expect(keys.length).toBeLessThanOrEqual(l.maxSegmentationValues);
        for (const k of keys) {
          expect(k.length).toBeGreaterThan(0);
          expect(k.length).toBeLessThanOrEqual(Math.min(MAX_METRIC_KEY_LENGTH, l.maxKeyLength));
          expect(RESERVED_METRIC_KEYS).not.toContain(k);
          expect(Number.isFinite(value[k])).toBe(true);
        }
        for (const w of warnings) expect(typeof w).toBe('string');
      }),
    );
  });

  it('network values and times: any values give a valid trace', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), fc.oneof(fc.double(), fc.anything()), fc.oneof(fc.double(), fc.anything()), (code, req, res, s, e) => {
        const v = networkValues(code, req, res).value;
        expect(v.responseCode === 0 || (v.responseCode >= 100 && v.responseCode <= 599)).toBe(true);
        expect(v.requestPayloadSize).toBeGreaterThanOrEqual(0);
        expect(v.responsePayloadSize).toBeGreaterThanOrEqual(0);
        const times = networkTimes(s, e);
        if (times === null) return;
        const t = JSON.parse(apmParam(networkTrace('k', v, times.value.startMs, times.value.endMs)));
        expect(t.apm_metrics.response_time).toBe(t.etz - t.stz);
        expect(t.apm_metrics.response_time).toBeGreaterThanOrEqual(0);
        for (const n of Object.values(t.apm_metrics)) expect(Number.isFinite(n)).toBe(true);
      }),
    );
  });

  it('trace keys: never longer than maxKeyLength or 2048, the same key always gives the same result', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 4000 }), limitsArb, (key, l) => {
        const a = traceKey(key, l);
        expect(a.value.length).toBeLessThanOrEqual(Math.min(l.maxKeyLength, MAX_TRACE_KEY_LENGTH));
        expect(traceKey(key, l)).toEqual(a);
        expect(key.startsWith(a.value)).toBe(true);
      }),
    );
  });

  it('durations are never negative, whatever the instants', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 45 }), fc.integer({ min: 0, max: 2 ** 45 }), (s, e) => {
        expect(deviceTrace('x', s, e).apm_metrics.duration).toBeGreaterThanOrEqual(0);
        expect(customTrace('x', s, e, {}).apm_metrics.duration).toBeGreaterThanOrEqual(0);
        expect(networkTrace('x', { responseCode: 200, requestPayloadSize: 0, responsePayloadSize: 0 }, s, e).apm_metrics.response_time).toBe(Math.abs(e - s));
      }),
    );
  });
});
