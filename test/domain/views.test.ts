/**
 * The pure view steps (src/domain/views.ts, view-segmentation.ts), without a statechart:
 * - unit: each step's context and commands
 * - property: random host calls, background/foreground, device-ID changes and sessions applied
 *   step by step: a view is never both running and ended (nor running and remembered), every
 *   started view gets exactly one end event, view IDs are unique, start events carry no
 *   `dur`/`sum`, durations are never negative nor longer than the view lived, and no view event
 *   carries more than maxSegmentationValues developer keys
 * - property: the merged-segmentation cap and the reserved keys
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { ConsentFeatures, type ConsentState, type Instant, type Segmentation } from '../../src/domain/types.js';
import { cleanViewSegmentation, mergeViewSegmentation, RESERVED_VIEW_KEYS } from '../../src/domain/view-segmentation.js';
import {
  addSegmentationById,
  applySettings,
  foregroundRestart,
  initialViewContext,
  isAllowed,
  restartSuspended,
  sessionBegan,
  sessionEnded,
  setGlobalSegmentation,
  setPaused,
  startView,
  stopAllViews,
  stopForGood,
  stopViewById,
  stopViewByName,
  suspendForBackground,
  suspendForIdentity,
  trackingAfter,
  type Step,
  type ViewContext,
  type ViewInput,
  type ViewOutput,
} from '../../src/domain/views.js';
import { instantAt } from '../../src/protocol/time.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (ms: number): Instant => instantAt(T0 + ms);
const ALL = Object.fromEntries(ConsentFeatures.map((f) => [f, true])) as ConsentState;

const input = (over: Partial<ViewInput> = {}): ViewInput => ({
  platformName: 'Web',
  consent: ALL,
  limits: { ...DEFAULT_LIMITS },
  globalSegmentation: {},
  restartManualViews: true,
  trackOrientation: true,
  previousNameRecording: false,
  foreground: true,
  orientation: null,
  idSeed: 'seed',
  settings: {},
  ...over,
});

type Record = Extract<ViewOutput, { type: 'event.record' }>;
const views = (cmds: readonly ViewOutput[]): Record[] => cmds.flatMap((c) => (c.type === 'event.record' && c.key === '[CLY]_view' ? [c] : []));
const SDK_KEYS = ['name', 'visit', 'start', 'segment', 'cly_pvn'];
const customKeys = (r: Record): string[] => Object.keys(r.segmentation).filter((k) => !SDK_KEYS.includes(k));
const keys = (prefix: string, n: number): Segmentation => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));

describe('view steps', () => {
  it('start records a start event without dur or sum and makes the view current', () => {
    const { context, commands } = startView(sessionBegan(initialViewContext(input()), at(0)).context, { kind: 'start', id: 'v', name: 'Home', at: at(5) });
    expect(commands).toEqual([
      { type: 'event.record', key: '[CLY]_view', count: 1, segmentation: { name: 'Home', visit: '1', segment: 'Web', start: '1' }, at: at(5), id: 'v', extra: { pvid: '' } },
      { type: 'broadcast', event: { type: 'view.changed', currentViewId: 'v', previousViewId: '', currentViewName: 'Home', previousViewName: '' } },
    ]);
    expect(context).toMatchObject({ currentViewId: 'v', firstView: false, running: [{ id: 'v', resumedAtMs: T0 + 5 }] });
  });

  it('stop records the end event with dur in whole seconds, paused time excluded', () => {
    let c = startView(initialViewContext(input()), { kind: 'start', id: 'v', name: 'Home', at: at(0) }).context;
    c = setPaused(c, { fn: 'pause', id: 'v', at: at(2_000) }).context;
    c = setPaused(c, { fn: 'resume', id: 'v', at: at(60_000) }).context;
    const { context, commands } = stopViewById(c, { id: 'v', segmentation: { k: 1 }, at: at(61_600) });
    expect(commands).toEqual([
      { type: 'event.record', key: '[CLY]_view', count: 1, dur: 4, segmentation: { k: 1, name: 'Home', segment: 'Web' }, at: at(61_600), id: 'v', extra: { pvid: '' } },
    ]);
    expect(context.running).toEqual([]);
  });

  it('background remembers the views; the foreground starts them again with new IDs', () => {
    let c = startView(initialViewContext(input()), { kind: 'startAutoStopped', id: 'a', name: 'A', segmentation: { s: 1 }, at: at(0) }).context;
    const bg = suspendForBackground(c, at(3000));
    expect(views(bg.commands).map((r) => [r.id, r.dur])).toEqual([['a', 3]]);
    expect(bg.context).toMatchObject({ foreground: false, running: [], suspended: [{ id: 'a', originalId: 'a', segmentation: { s: 1 } }] });
    c = foregroundRestart(bg.context, at(4000)).context;
    expect(c).toMatchObject({ foreground: true, suspended: [], running: [{ id: 'seed-1', originalId: 'a' }], nextSeq: 2 });
    expect(stopViewByName(c, { name: 'A', at: at(5000) }).commands).toMatchObject([{ id: 'seed-1', dur: 1 }]);
  });

  it('restartManualViews: false ends manual views for good on background', () => {
    const c = startView(initialViewContext(input({ restartManualViews: false })), { kind: 'start', id: 'm', name: 'M', at: at(0) }).context;
    expect(suspendForBackground(c, at(1000)).context.suspended).toEqual([]);
  });

  it('without a known moment a broadcast ends nothing with a duration', () => {
    const c = startView(initialViewContext(input()), { kind: 'start', id: 'm', name: 'M', at: at(0) }).context;
    expect(suspendForIdentity(c, null)).toEqual({ context: c, commands: [] });
    expect(restartSuspended(c, null)).toEqual({ context: c, commands: [] });
    expect(stopForGood(c, null)).toEqual({ context: { ...c, running: [], suspended: [] }, commands: [] });
  });

  it('settings arrive typed: vt/tracking switch tracking, lkl/lvs/lsv change the limits', () => {
    const c = initialViewContext(input({ settings: { vt: false } }));
    expect(isAllowed(c)).toBe(false);
    expect(trackingAfter(c, { vt: true })).toBe(true);
    expect(trackingAfter(c, { tracking: false, vt: true })).toBe(false);
    const { context, commands } = applySettings(c, { vt: true, lkl: 4, lvs: 5, lsv: 6 });
    expect(commands).toEqual([]);
    expect(isAllowed(context)).toBe(true);
    expect(context.limits).toMatchObject({ maxKeyLength: 4, maxValueSize: 5, maxSegmentationValues: 6 });
  });

  it('updateGlobalSegmentation keeps the global segmentation within the limit', () => {
    let c = initialViewContext(input({ limits: { ...DEFAULT_LIMITS, maxSegmentationValues: 3 } }));
    c = setGlobalSegmentation(c, { replace: true, segmentation: { a: 1, b: 1 } }).context;
    const { context, commands } = setGlobalSegmentation(c, { replace: false, segmentation: { b: 2, c: 2, d: 2 } });
    expect(context.globalSegmentation).toEqual({ a: 1, b: 2, c: 2 });
    expect(commands).toMatchObject([{ level: 'warning', message: 'updateGlobalSegmentation, global segmentation has more than 3 entries, 1 dropped' }]);
  });

  it('80 global + 80 start + 80 added + 80 stop keys give 100 developer keys per event, plus the SDK keys', () => {
    let c = initialViewContext(input({ globalSegmentation: keys('g', 80) }));
    c = sessionBegan(c, at(0)).context;
    const start = startView(c, { kind: 'start', id: 'v', name: 'V', segmentation: keys('s', 80), at: at(0) });
    c = addSegmentationById(start.context, { id: 'v', segmentation: keys('x', 80) }).context;
    const end = stopViewById(c, { id: 'v', segmentation: keys('t', 80), at: at(1000) });
    for (const r of views([...start.commands, ...end.commands])) expect(customKeys(r)).toHaveLength(100);
    expect(Object.keys(views(start.commands)[0]!.segmentation)).toHaveLength(104);
    expect(Object.keys(views(end.commands)[0]!.segmentation)).toHaveLength(102);
  });
});

describe('view segmentation', () => {
  const seg = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '__proto__', 'name'), fc.integer(), { maxKeys: 8 });

  it('merging keeps at most max keys, the first ones in layer order, each with its last value', () => {
    fc.assert(
      fc.property(fc.array(seg, { maxLength: 4 }), fc.integer({ min: 0, max: 10 }), (layers, max) => {
        const { segmentation, dropped } = mergeViewSegmentation(layers, max);
        const order = [...new Set(layers.flatMap((l) => Object.keys(l)))];
        expect(Object.keys(segmentation)).toEqual(order.slice(0, max));
        expect(dropped).toBe(Math.max(0, order.length - max));
        for (const key of Object.keys(segmentation)) {
          const last = [...layers].reverse().find((l) => Object.hasOwn(l, key));
          expect(segmentation[key]).toBe(last?.[key]);
        }
        expect(Object.getPrototypeOf(segmentation)).toBe(Object.prototype);
      }),
    );
  });

  it('clean segmentation never holds a reserved key, even after cutting keys', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...RESERVED_VIEW_KEYS, 'named', 'visits', 'durx', 'ok'), fc.string(), { maxKeys: 10 }), fc.integer({ min: 1, max: 6 }), (raw, maxKeyLength) => {
        const { segmentation } = cleanViewSegmentation(raw, { ...DEFAULT_LIMITS, maxKeyLength });
        for (const key of Object.keys(segmentation)) expect(RESERVED_VIEW_KEYS).not.toContain(key);
      }),
    );
  });
});

type Op =
  | { op: 'start' | 'auto'; name: string; seg: number }
  | { op: 'stopById' | 'pause' | 'resume' | 'add'; pick: number; seg: number }
  | { op: 'stopByName'; name: string }
  | { op: 'stopAll' | 'bg' | 'fg' | 'changeId' | 'began' | 'ended' }
  | { op: 'global'; seg: number }
  | { op: 'advance'; ms: number };

const NAMES = ['Home', 'Cart', 'Settings'];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('start' as const, 'auto' as const), name: fc.constantFrom(...NAMES), seg: fc.nat(6) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('stopById' as const, 'pause' as const, 'resume' as const, 'add' as const), pick: fc.nat(9), seg: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('stopByName' as const), name: fc.constantFrom(...NAMES) }) },
  { weight: 3, arbitrary: fc.constantFrom('stopAll' as const, 'bg' as const, 'fg' as const, 'changeId' as const, 'began' as const, 'ended' as const).map((op) => ({ op })) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('global' as const), seg: fc.nat(6) }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 90_000 }).map((ms) => ({ op: 'advance' as const, ms })) },
);

describe('view steps: properties', () => {
  it('views are never both running and ended, each start gets exactly one end, IDs are unique, limits hold', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 8 }), fc.array(opArb, { maxLength: 60 }), (restartManualViews, max, ops) => {
        let c: ViewContext = initialViewContext(input({ restartManualViews, limits: { ...DEFAULT_LIMITS, maxSegmentationValues: max } }));
        const out: ViewOutput[] = [];
        const apply = (step: Step): void => {
          c = step.context;
          out.push(...step.commands);
        };
        let now = 0;
        let n = 0;
        const hostIds: string[] = [];
        const started = new Map<string, number>();
        const ended = new Set<string>();
        for (const o of ops) {
          const t = at(now);
          const pick = (k: number): string => hostIds[k % Math.max(1, hostIds.length)] ?? 'none';
          const before = out.length;
          switch (o.op) {
            case 'advance':
              now += o.ms;
              break;
            case 'start':
            case 'auto': {
              const id = `v${(n += 1)}`;
              hostIds.push(id);
              apply(startView(c, { kind: o.op === 'start' ? 'start' : 'startAutoStopped', id, name: o.name, segmentation: keys(id, o.seg), at: t }));
              break;
            }
            case 'stopById':
              apply(stopViewById(c, { id: pick(o.pick), segmentation: keys('stop', o.seg), at: t }));
              break;
            case 'pause':
            case 'resume':
              apply(setPaused(c, { fn: o.op, id: pick(o.pick), at: t }));
              break;
            case 'add':
              apply(addSegmentationById(c, { id: pick(o.pick), segmentation: keys(`add${n}`, o.seg) }));
              break;
            case 'stopByName':
              apply(stopViewByName(c, { name: o.name, at: t }));
              break;
            case 'stopAll':
              apply(stopAllViews(c, { at: t }));
              break;
            // The machine runs these only on a change of state: so does the model.
            case 'bg':
              if (c.foreground) apply(suspendForBackground(c, t));
              break;
            case 'fg':
              if (!c.foreground) apply(foregroundRestart(c, t));
              break;
            case 'changeId':
              apply(suspendForIdentity(c, t));
              if (c.foreground) apply(restartSuspended(c, t));
              break;
            case 'began':
              apply(sessionBegan(c, t));
              break;
            case 'ended':
              apply(sessionEnded(c));
              break;
            case 'global':
              apply(setGlobalSegmentation(c, { replace: false, segmentation: keys(`g${now}`, o.seg) }));
              break;
          }
          for (const r of views(out.slice(before))) {
            expect(customKeys(r).length, 'developer keys within maxSegmentationValues').toBeLessThanOrEqual(max);
            if (r.dur === undefined) {
              expect(r, 'a start event has no dur and no sum').not.toHaveProperty('dur');
              expect(r).not.toHaveProperty('sum');
              expect(started.has(r.id), 'view IDs are unique').toBe(false);
              started.set(r.id, r.at.timestamp);
            } else {
              expect(started.has(r.id), 'a view ends after it started').toBe(true);
              expect(ended.has(r.id), 'a view ends once').toBe(false);
              expect(r.dur).toBeGreaterThanOrEqual(0);
              expect(r.dur).toBeLessThanOrEqual(Math.round((r.at.timestamp - started.get(r.id)!) / 1000));
              ended.add(r.id);
            }
          }
          const running = c.running.map((v) => v.id);
          const remembered = c.suspended.flatMap((v) => [v.id, v.originalId]);
          expect(new Set(running).size, 'running IDs are unique').toBe(running.length);
          for (const id of running) {
            expect(ended.has(id), 'a running view has not ended').toBe(false);
            expect(remembered, 'a running view is not also remembered').not.toContain(id);
          }
          for (const v of c.running) expect(remembered).not.toContain(v.originalId);
          for (const v of c.suspended) expect(ended.has(v.id), 'a remembered view already ended').toBe(true);
        }
        // Every view the host started and the SDK restarted ends exactly once.
        apply(stopAllViews(c, { at: at(now) }));
        const ends = views(out).filter((r) => r.dur !== undefined).map((r) => r.id);
        expect(ends.sort()).toEqual([...started.keys()].sort());
        expect(c.running).toEqual([]);
        expect(c.suspended).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
