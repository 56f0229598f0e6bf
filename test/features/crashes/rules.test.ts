/**
 * The crash rules (SDK guide l. 600–777, 4505–4577): properties of the limits, of the text a
 * thrown value gives, and of `_ob` over random filter edits — the bits are exactly the fields
 * the filter changed, and a limit never sets one.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits, type ResolvedConfig } from '../../../src/config.js';
import type { Segmentation } from '../../../src/domain/types.js';
import type { CrashCommand } from '../../../src/features/crashes/commands.js';
import { createCrashData } from '../../../src/features/crashes/crash-data.js';
import { prepareCrash } from '../../../src/features/crashes/effect.js';
import { CRASH_FIELDS, describeThrown, fingerprint, limitErrorText, MAX_STACK_TRACE_CHARS, mergeCrashSegmentation, OB_BITS, withBreadcrumb, type CrashFields } from '../../../src/features/crashes/rules.js';
import { createLogger } from '../../../src/log.js';
import { instantAt } from '../../../src/protocol/time.js';
import type { CrashData } from '../../../src/types.js';

const limitsArb: fc.Arbitrary<Limits> = fc.record({
  maxKeyLength: fc.integer({ min: 1, max: 20 }),
  maxValueSize: fc.integer({ min: 1, max: 20 }),
  maxSegmentationValues: fc.integer({ min: 1, max: 10 }),
  maxBreadcrumbCount: fc.integer({ min: 1, max: 10 }),
  maxStackTraceLinesPerThread: fc.integer({ min: 1, max: 2000 }),
  maxStackTraceLineLength: fc.integer({ min: 1, max: 5000 }),
});
const scalar = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean());
const segArb: fc.Arbitrary<Segmentation> = fc.dictionary(fc.string({ maxLength: 25 }), fc.oneof(scalar, fc.array(scalar, { maxLength: 3 })), { maxKeys: 15 });

describe('crash limits', () => {
  it('property: the _error text has at most ltlpt lines of at most ltl chars, 20,000 chars in all, and is a line-wise prefix', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 300 }), { minLength: 1, maxLength: 60 }), limitsArb, (lines, limits) => {
        const out = limitErrorText(lines.join('\n'), limits).value;
        expect(out.length).toBeLessThanOrEqual(MAX_STACK_TRACE_CHARS);
        const kept = out.split('\n');
        expect(kept.length).toBeLessThanOrEqual(limits.maxStackTraceLinesPerThread);
        kept.forEach((line, i) => {
          expect(line.length).toBeLessThanOrEqual(limits.maxStackTraceLineLength);
          if (i < kept.length - 1) expect(lines[i]!.startsWith(line)).toBe(true);
        });
      }),
    );
  });

  it('cuts a huge trace to 20,000 chars in all', () => {
    const out = limitErrorText(Array.from({ length: 1500 }, () => 'x'.repeat(200)).join('\n'), { ...DEFAULT_LIMITS, maxStackTraceLinesPerThread: 1500 });
    expect(out.value).toHaveLength(MAX_STACK_TRACE_CHARS);
    expect(out.warnings).toContain('stack trace cut to 20000 chars');
  });

  it('property: merged segmentation — at most lsv entries, keys ≤ lkl, string values ≤ lvs, a call key present before the cut beats the global one', () => {
    fc.assert(
      fc.property(segArb, segArb, limitsArb, (global, call, limits) => {
        const { segmentation } = mergeCrashSegmentation(global, call, limits);
        const keys = Object.keys(segmentation);
        expect(keys.length).toBeLessThanOrEqual(limits.maxSegmentationValues);
        for (const k of keys) {
          expect(k.length).toBeLessThanOrEqual(limits.maxKeyLength);
          const v = segmentation[k];
          if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(limits.maxValueSize);
        }
        const big = { ...limits, maxKeyLength: 100, maxValueSize: 100, maxSegmentationValues: 100 };
        const whole = mergeCrashSegmentation(global, call, big).segmentation;
        for (const k of Object.keys(call)) expect(whole[k]).toEqual(call[k]);
      }),
    );
  });

  it('property: breadcrumbs — the newest lbc kept in order, each cut to lvs', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 40 }), { maxLength: 30 }), limitsArb, (texts, limits) => {
        let list: string[] = [];
        for (const t of texts) list = withBreadcrumb(list, t, limits).value;
        expect(list).toEqual(texts.slice(-limits.maxBreadcrumbCount).map((t) => t.slice(0, limits.maxValueSize)));
      }),
    );
  });
});

describe('thrown values', () => {
  it('property: any value gives a string and never throws', () => {
    fc.assert(fc.property(fc.anything({ withBigInt: true, withMap: true, withSet: true, withNullPrototype: true }), (v) => {
      expect(typeof describeThrown(v)).toBe('string');
    }));
  });

  it('reads Errors (with and without the message in the stack), strings, cycles and hostile objects', () => {
    const e = new Error('msg');
    expect(describeThrown(e).startsWith('Error: msg\n')).toBe(true);
    expect(describeThrown({ name: 'TypeError', message: 'm', stack: '@file.js:1:2' })).toBe('TypeError: m\n@file.js:1:2');
    expect(describeThrown('text')).toBe('text');
    const cyclic: Record<string, unknown> = {};
    cyclic.me = cyclic;
    expect(describeThrown(cyclic)).toBe('[object Object]');
    const hostile = new Proxy({}, { get: () => { throw new Error('x'); }, getPrototypeOf: () => { throw new Error('x'); } });
    expect(typeof describeThrown(hostile)).toBe('string');
    expect(describeThrown(Symbol('s'))).toBe('Symbol(s)');
  });
});

describe('CrashData', () => {
  const base: CrashFields = { stackTrace: 'Error: e', segmentation: { a: 1 }, breadcrumbs: ['b'], metrics: { _os: 'X' }, fatal: false };

  it('setters refuse invalid values with a warning; getters give the live values', () => {
    const warnings: string[] = [];
    const { data, read } = createCrashData(base, (m) => warnings.push(m));
    for (const bad of [null, undefined, 1, [], 'x']) {
      (data as unknown as Record<string, unknown>).segmentation = bad;
      (data as unknown as Record<string, unknown>).metrics = bad;
    }
    for (const bad of [null, undefined, 1, ['ok', 2], 'x']) (data as unknown as Record<string, unknown>).breadcrumbs = bad;
    for (const bad of [null, undefined, 1, '', '  ']) (data as unknown as Record<string, unknown>).stackTrace = bad;
    for (const bad of [null, undefined, 1, 'true']) (data as unknown as Record<string, unknown>).fatal = bad;
    expect(read()).toEqual(base);
    expect(warnings.length).toBe(5 + 5 + 5 + 5 + 4);
    data.segmentation.added = 'x';
    expect(read().segmentation).toEqual({ a: 1, added: 'x' });
  });
});

/** One edit a filter may make to one field. */
type Edit = { field: (typeof CRASH_FIELDS)[number]; kind: 'same' | 'different' | 'inPlace' | 'invalid' };
const editArb: fc.Arbitrary<Edit> = fc.record({ field: fc.constantFrom(...CRASH_FIELDS), kind: fc.constantFrom('same', 'different', 'inPlace', 'invalid') });

function apply(crash: CrashData, edit: Edit, n: number): void {
  const c = crash as unknown as Record<string, unknown>;
  if (edit.kind === 'invalid') {
    c[edit.field] = null;
    return;
  }
  const same = edit.kind === 'same';
  switch (edit.field) {
    case 'stackTrace':
      crash.stackTrace = same ? `${crash.stackTrace}` : `${crash.stackTrace}!${n}`;
      break;
    case 'fatal':
      crash.fatal = same ? crash.fatal : !crash.fatal;
      break;
    case 'segmentation':
      if (edit.kind === 'inPlace') crash.segmentation[`k${n}`] = n;
      else crash.segmentation = same ? { ...crash.segmentation } : { ...crash.segmentation, [`k${n}`]: n };
      break;
    case 'breadcrumbs':
      if (edit.kind === 'inPlace') crash.breadcrumbs.push(`c${n}`);
      else crash.breadcrumbs = same ? [...crash.breadcrumbs] : [...crash.breadcrumbs, `c${n}`];
      break;
    case 'metrics':
      if (edit.kind === 'inPlace') crash.metrics[`_m${n}`] = n;
      else crash.metrics = same ? { ...crash.metrics } : { ...crash.metrics, [`_m${n}`]: n };
      break;
  }
}

const prepare = (filter: ((c: CrashData) => boolean) | undefined, crash: CrashFields, limits: Limits = DEFAULT_LIMITS) => {
  const config = { crashes: { autoReport: false, segmentation: {}, filter } } as unknown as ResolvedConfig;
  const command: Extract<CrashCommand, { type: 'crash.prepare' }> = { type: 'crash.prepare', id: 1, at: instantAt(0), crash, limits };
  const result = prepareCrash(command, { config, log: createLogger({ console: false }), metrics: () => '{"_os":"P","_app_version":"1"}', platform: undefined });
  return (result as { crash: Record<string, unknown> | null }).crash;
};

describe('_ob', () => {
  it('property: the bits are exactly the fields whose value the filter changed', () => {
    fc.assert(
      fc.property(fc.array(editArb, { maxLength: 12 }), fc.string({ minLength: 1, maxLength: 50 }), segArb, fc.boolean(), (edits, stack, seg, fatal) => {
        const crash: CrashFields = { stackTrace: `E${stack}`, segmentation: { ...seg }, breadcrumbs: ['x'], metrics: { _run: 1 }, fatal };
        const big = { ...DEFAULT_LIMITS, maxStackTraceLineLength: 10_000, maxSegmentationValues: 1000 };
        // The oracle: the same edits on a plain copy (refused values change nothing), compared deeply with the original.
        const model = structuredClone(crash);
        edits.forEach((e, i) => {
          if (e.kind !== 'invalid') apply(model as unknown as CrashData, e, i);
        });
        const expected = CRASH_FIELDS.filter((f) => !isDeepStrictEqual(crash[f], model[f])).reduce((bits, f) => bits | OB_BITS[f], 0);
        const out = prepare(
          (data) => {
            edits.forEach((e, i) => apply(data, e, i));
            return false;
          },
          crash,
          big,
        );
        expect(out?._ob).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('the spec example: stack trace, segmentation and unhandled changed is 25; no change is 0; no filter sends no _ob', () => {
    const crash: CrashFields = { stackTrace: 'Error: e', segmentation: {}, breadcrumbs: [], metrics: {}, fatal: false };
    const out = prepare((c) => ((c.stackTrace = 'x'), (c.segmentation = { a: 1 }), (c.fatal = true), false), crash);
    expect(out?._ob).toBe(25);
    expect(prepare(() => false, crash)?._ob).toBe(0);
    expect(prepare(undefined, crash)?._ob).toBeUndefined();
  });

  it('a limit never sets a bit: the filter sees the limited crash; its own oversized edit is cut but counted', () => {
    const limits = { ...DEFAULT_LIMITS, maxStackTraceLineLength: 5, maxValueSize: 3 };
    const crash: CrashFields = { stackTrace: 'Error', segmentation: { k: 'abc' }, breadcrumbs: ['abc'], metrics: {}, fatal: false };
    expect(prepare(() => false, crash, limits)?._ob).toBe(0);
    const out = prepare((c) => ((c.breadcrumbs = ['abcdef']), false), crash, limits);
    expect(out).toMatchObject({ _ob: OB_BITS.breadcrumbs, _logs: 'abc', _error: 'Error' });
  });

  it('after the filter drops unsupported metrics and core keys, and keeps the SDK fields', () => {
    const crash: CrashFields = { stackTrace: 'Error', segmentation: {}, breadcrumbs: [], metrics: { _run: 2 }, fatal: true };
    const out = prepare((c) => ((c.metrics._error = 'spoof'), (c.metrics.nan = Number.NaN), (c.metrics.obj = {}), false), crash);
    expect(out).toEqual({ _os: 'P', _app_version: '1', _run: 2, _error: 'Error', _nonfatal: false, _ob: OB_BITS.metrics });
  });
});
