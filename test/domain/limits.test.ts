import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS, type Limits } from '../../src/config.js';
import {
  cutText,
  limitBreadcrumbs,
  limitCrashMessage,
  limitStackTrace,
  sanitizeSegmentation,
  truncateKey,
  truncateValue,
} from '../../src/domain/limits.js';
import { encodeParams } from '../../src/protocol/encode.js';

const limits = (over: Partial<Limits> = {}): Limits => ({ ...DEFAULT_LIMITS, ...over });
const isWellFormed = (s: string): boolean => {
  try {
    encodeURIComponent(s);
    return true;
  } catch {
    return false;
  }
};

describe('cutText', () => {
  it('never splits a surrogate pair', () => {
    expect(cutText('ab😀c', 3)).toBe('ab');
    expect(cutText('ab😀c', 4)).toBe('ab😀');
    expect(cutText('abc', 0)).toBe('');
  });

  it('gives a prefix of at most max units, at least max - 1, well-formed if the input was', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), fc.nat({ max: 70 }), (text, max) => {
        const out = cutText(text, max);
        expect(text.startsWith(out)).toBe(true);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out.length).toBeGreaterThanOrEqual(Math.min(text.length, max) - 1);
        if (text.length <= max) expect(out).toBe(text);
        if (isWellFormed(text)) expect(isWellFormed(out)).toBe(true);
      }),
    );
  });
});

describe('truncateKey / truncateValue', () => {
  it('keeps short text and warns when it cuts', () => {
    expect(truncateKey('k'.repeat(128), limits())).toEqual({ value: 'k'.repeat(128), warnings: [] });
    expect(truncateKey('abcdef', limits({ maxKeyLength: 3 }))).toEqual({
      value: 'abc',
      warnings: ['key [abc...] truncated to 3 chars'],
    });
    expect(truncateValue('v'.repeat(257), limits())).toEqual({
      value: 'v'.repeat(256),
      warnings: [`value [${'v'.repeat(256)}...] truncated to 256 chars`],
    });
  });
});

describe('sanitizeSegmentation', () => {
  it('keeps strings, finite numbers, booleans and arrays of those', () => {
    const seg = { s: 'x', n: 1.5, b: false, a: ['x', 2, true] };
    expect(sanitizeSegmentation(seg, limits())).toEqual({ segmentation: seg, warnings: [] });
  });

  it('drops unsupported values with a warning each', () => {
    const out = sanitizeSegmentation(
      { nul: null, obj: {}, nan: Number.NaN, inf: Infinity, fn: () => 1, u: undefined, ok: 'y' },
      limits(),
    );
    expect(out.segmentation).toEqual({ ok: 'y' });
    expect(out.warnings).toEqual([
      'segmentation [nul] has unsupported value type [null], dropped',
      'segmentation [obj] has unsupported value type [object], dropped',
      'segmentation [nan] has unsupported value type [NaN], dropped',
      'segmentation [inf] has unsupported value type [Infinity], dropped',
      'segmentation [fn] has unsupported value type [function], dropped',
      'segmentation [u] has unsupported value type [undefined], dropped',
    ]);
  });

  it('drops unsupported array items and cuts string items', () => {
    const out = sanitizeSegmentation({ a: ['abcd', null, 1, {}, Number.NaN, [1]] }, limits({ maxValueSize: 2 }));
    expect(out.segmentation).toEqual({ a: ['ab', 1] });
    expect(out.warnings).toEqual([
      'segmentation value of [a] truncated to 2 chars',
      'segmentation [a] had 4 unsupported array item(s), dropped',
    ]);
  });

  it('cuts keys and string values', () => {
    const out = sanitizeSegmentation({ abcdef: 'uvwxyz' }, limits({ maxKeyLength: 3, maxValueSize: 4 }));
    expect(out.segmentation).toEqual({ abc: 'uvwx' });
    expect(out.warnings).toEqual(['key [abc...] truncated to 3 chars', 'segmentation value of [abcdef] truncated to 4 chars']);
  });

  it('lets the later key win when cutting makes keys collide', () => {
    const out = sanitizeSegmentation({ abc1: 1, other: 2, abc2: 3 }, limits({ maxKeyLength: 3 }));
    expect(out.segmentation).toEqual({ abc: 3, oth: 2 });
    expect(Object.keys(out.segmentation)).toEqual(['abc', 'oth']);
    expect(out.warnings).toContain('segmentation key [abc2] collides with [abc] after truncation, later value kept');
  });

  it('keeps the first maxSegmentationValues entries and says how many were dropped', () => {
    const seg = Object.fromEntries(Array.from({ length: 105 }, (_, i) => [`k${i}`, i]));
    const out = sanitizeSegmentation(seg, limits());
    expect(Object.keys(out.segmentation)).toEqual(Array.from({ length: 100 }, (_, i) => `k${i}`));
    expect(out.warnings).toEqual(['segmentation has more than 100 entries, 5 dropped']);
  });

  it('does not count dropped values against the limit, and still lets a colliding key overwrite at the limit', () => {
    const out = sanitizeSegmentation({ bad: null, aa1: 1, bb: 2, aa2: 3, cc: 4 }, limits({ maxSegmentationValues: 2, maxKeyLength: 2 }));
    expect(out.segmentation).toEqual({ aa: 3, bb: 2 });
    expect(out.warnings.at(-1)).toBe('segmentation has more than 2 entries, 1 dropped');
  });

  it('gives {} for non-objects (silently for undefined)', () => {
    expect(sanitizeSegmentation(undefined, limits())).toEqual({ segmentation: {}, warnings: [] });
    expect(sanitizeSegmentation(null, limits()).warnings).toEqual(['segmentation must be an object, got [null], ignored']);
    expect(sanitizeSegmentation(['a'], limits()).warnings).toEqual(['segmentation must be an object, got [array], ignored']);
    expect(sanitizeSegmentation('x', limits()).warnings).toEqual(['segmentation must be an object, got [string], ignored']);
    expect(sanitizeSegmentation(7, limits()).segmentation).toEqual({});
  });

  it('keeps a __proto__ key as data, never as a prototype', () => {
    const input = JSON.parse('{"__proto__":"x","a":1}') as unknown;
    const out = sanitizeSegmentation(input, limits());
    expect(Object.keys(out.segmentation)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(out.segmentation)).toBe(Object.prototype);
  });

  it('always respects every limit and keeps only allowed, encodable values', () => {
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string({ maxLength: 40 }), fc.double(), fc.boolean(), fc.object()), { maxLength: 5 }),
      fc.object(),
    );
    const lim = fc.record({
      maxKeyLength: fc.integer({ min: 1, max: 10 }),
      maxValueSize: fc.integer({ min: 1, max: 20 }),
      maxSegmentationValues: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 15 }), value, { maxKeys: 15 }), lim, (seg, l) => {
        const { segmentation, warnings } = sanitizeSegmentation(seg, limits(l));
        const entries = Object.entries(segmentation);
        expect(entries.length).toBeLessThanOrEqual(l.maxSegmentationValues);
        for (const [k, v] of entries) {
          expect(k.length).toBeLessThanOrEqual(l.maxKeyLength);
          const items = Array.isArray(v) ? v : [v];
          for (const item of items) {
            expect(['string', 'number', 'boolean']).toContain(typeof item);
            if (typeof item === 'number') expect(Number.isFinite(item)).toBe(true);
            if (typeof item === 'string') expect(item.length).toBeLessThanOrEqual(l.maxValueSize);
          }
        }
        expect(() => encodeParams({ segmentation: JSON.stringify(segmentation) })).not.toThrow();
        // an untouched input gives no warnings, and a touched one at least one
        const untouched = JSON.stringify(segmentation) === JSON.stringify(seg);
        if (warnings.length === 0) expect(untouched).toBe(true);
      }),
    );
  });
});

describe('limitBreadcrumbs', () => {
  it('drops the oldest over maxBreadcrumbCount', () => {
    const list = Array.from({ length: 103 }, (_, i) => `b${i}`);
    const out = limitBreadcrumbs(list, limits());
    expect(out.value).toEqual(list.slice(3));
    expect(out.warnings).toEqual(['breadcrumbs over the limit of 100, 3 oldest dropped']);
  });

  it('cuts each text to maxValueSize and drops non-strings', () => {
    const out = limitBreadcrumbs(['abcdef', 7 as unknown as string, 'ok'], limits({ maxValueSize: 3 }));
    expect(out.value).toEqual(['abc', 'ok']);
    expect(out.warnings).toEqual(['breadcrumb [abc...] truncated to 3 chars', 'breadcrumb [7] is not a string, dropped']);
  });

  it('keeps the newest in order, within both limits', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 30 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), (list, count, size) => {
        const out = limitBreadcrumbs(list, limits({ maxBreadcrumbCount: count, maxValueSize: size }));
        expect(out.value).toEqual(list.slice(Math.max(0, list.length - count)).map((t) => cutText(t, size)));
        expect(out.warnings.length === 0).toBe(list.length <= count && list.every((t) => t.length <= size));
      }),
    );
  });
});

describe('limitStackTrace', () => {
  it('keeps the first maxStackTraceLinesPerThread lines, each cut to maxStackTraceLineLength', () => {
    const trace = ['Error: boom', '    at a (x.js:1:1)', '    at b (y.js:2:2)', '    at c'].join('\r\n');
    const out = limitStackTrace(trace, limits({ maxStackTraceLinesPerThread: 3, maxStackTraceLineLength: 12 }));
    expect(out.value).toBe('Error: boom\n    at a (x.\n    at b (y.');
    expect(out.warnings).toEqual([
      'stack trace has 4 lines, kept the first 3',
      '2 stack trace line(s) truncated to 12 chars',
    ]);
  });

  it('leaves a trace within limits alone', () => {
    expect(limitStackTrace('a\nb', limits())).toEqual({ value: 'a\nb', warnings: [] });
  });

  it('never exceeds either limit', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 50 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 30 }), (lines, n, len) => {
        const trace = lines.map((l) => l.replace(/[\r\n]/g, '')).join('\n');
        const out = limitStackTrace(trace, limits({ maxStackTraceLinesPerThread: n, maxStackTraceLineLength: len }));
        const kept = out.value.split('\n');
        expect(kept.length).toBeLessThanOrEqual(n);
        for (const l of kept) expect(l.length).toBeLessThanOrEqual(len);
        expect(trace.split('\n').slice(0, n).map((l) => cutText(l, len))).toEqual(kept);
      }),
    );
  });
});

describe('limitCrashMessage', () => {
  it('cuts the message to maxStackTraceLineLength', () => {
    expect(limitCrashMessage('x'.repeat(201), limits()).value).toBe('x'.repeat(200));
    expect(limitCrashMessage('short', limits())).toEqual({ value: 'short', warnings: [] });
  });
});
