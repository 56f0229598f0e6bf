/**
 * `countly.views`: argument checks and warnings, the events sent to the view machine, and
 * the return values of `start`/`startAutoStopped` read from a real view machine.
 */
import { describe, expect, it } from 'vitest';
import { createViewsApi } from '../../../src/features/views/api.js';
import { DEFAULT_LIMITS } from '../../../src/config.js';
import { ConsentFeatures, type ConsentState, type Segmentation } from '../../../src/domain/types.js';
import type { RecordInternalEventCommand } from '../../../src/effects/commands.js';
import { viewMachine, type ViewInput } from '../../../src/features/views/machine.js';
import { testContext } from '../api-context.js';
import { forFeature } from '../../../src/runtime/api-context.js';
import { viewsFeature } from '../../../src/features/views/index.js';

const consent = (views: boolean): ConsentState => ({ ...Object.fromEntries(ConsentFeatures.map((f) => [f, true])), views }) as ConsentState;

const viewInput = (over: Partial<ViewInput> = {}): ViewInput => ({
  platformName: 'Node',
  consent: consent(true),
  limits: { ...DEFAULT_LIMITS },
  globalSegmentation: {},
  restartManualViews: true,
  trackOrientation: true,
  previousNameRecording: false,
  foreground: true,
  orientation: null,
  idSeed: 'seed',
  ...over,
});

function setup(over: Partial<ViewInput> = {}) {
  const t = testContext({ views: { machine: viewMachine, input: viewInput(over) } });
  const views = createViewsApi(forFeature(t.ctx, viewsFeature));
  const warnings = () => t.lines.filter((l) => l.level === 'warning').map((l) => l.line);
  const recorded = () => t.commands.filter((c): c is RecordInternalEventCommand => (c as { type: string }).type === 'event.record');
  return { t, views, warnings, recorded };
}

describe('createViewsApi', () => {
  it('start and startAutoStopped return the new view ID', () => {
    const { views, recorded, t } = setup();
    const a = views.startAutoStopped('Home', { tab: 1 });
    const b = views.start('Cart');
    expect(a).toBe('id-1');
    expect(b).toBe('id-2');
    expect(recorded().map((r) => [r.id, r.segmentation?.name])).toEqual([
      ['id-1', 'Home'],
      ['id-2', 'Cart'],
    ]);
    expect(t.sent[0]?.event).toMatchObject({ type: 'views.startAutoStopped', id: 'id-1', name: 'Home', segmentation: { tab: 1 } });
    expect(t.sent[1]?.event).not.toHaveProperty('segmentation');
  });

  it('returns null when the machine refused the view', () => {
    const { views, t } = setup({ consent: consent(false) });
    expect(views.start('Home')).toBeNull();
    expect(views.startAutoStopped('Home')).toBeNull();
    // The machine's warnings are log commands (the log effect prints them).
    expect(t.commands).toEqual([
      { type: 'log', level: 'warning', module: 'Views', message: 'start, "views" consent is not given; call ignored' },
      { type: 'log', level: 'warning', module: 'Views', message: 'startAutoStopped, "views" consent is not given; call ignored' },
    ]);
  });

  it('returns the ID at once before the SDK is ready (the call is kept)', () => {
    const { views, t } = setup({ consent: consent(false) });
    t.ready = false;
    expect(views.start('Home')).toBe('id-1');
  });

  it.each([undefined, null, '', '   ', 42, {}])('rejects the view name %s with a warning and null', (name) => {
    const { views, warnings, t } = setup();
    expect(views.start(name as unknown as string)).toBeNull();
    expect(views.startAutoStopped(name as unknown as string)).toBeNull();
    views.stopByName(name as unknown as string);
    views.addSegmentationByName(name as unknown as string, { a: 1 });
    expect(t.sent).toEqual([]);
    expect(warnings()).toHaveLength(4);
    expect(warnings()[0]).toMatch(/^\[Countly\] \[Views\] start, view name must be a non-empty string, got \[.*\]; call ignored$/);
  });

  it.each([undefined, '', 7])('rejects the view ID %s with a warning', (id) => {
    const { views, warnings, t } = setup();
    views.stopById(id as unknown as string);
    views.pause(id as unknown as string);
    views.resume(id as unknown as string);
    views.addSegmentationById(id as unknown as string, { a: 1 });
    expect(t.sent).toEqual([]);
    expect(warnings().map((w) => w.split(',')[0])).toEqual([
      '[Countly] [Views] stopById',
      '[Countly] [Views] pause',
      '[Countly] [Views] resume',
      '[Countly] [Views] addSegmentationById',
    ]);
  });

  it('ignores optional segmentation that is not an object, and keeps the call', () => {
    const { views, warnings, t } = setup();
    const id = views.start('Home', 'nope' as unknown as Segmentation);
    expect(id).toBe('id-1');
    views.stopById(id!, [1] as unknown as Segmentation);
    views.start('Other', null as unknown as Segmentation);
    views.stopAll(5 as unknown as Segmentation);
    expect(t.sent.map((s) => s.event.type)).toEqual(['views.start', 'views.stopById', 'views.start', 'views.stopAll']);
    expect(t.sent.every((s) => !('segmentation' in s.event))).toBe(true);
    expect(warnings()).toEqual([
      '[Countly] [Views] start, segmentation must be an object, got [nope]; segmentation ignored',
      '[Countly] [Views] stopById, segmentation must be an object, got [[1]]; segmentation ignored',
      '[Countly] [Views] stopAll, segmentation must be an object, got [5]; segmentation ignored',
    ]);
  });

  it('stops, pauses, resumes and adds segmentation through the machine', () => {
    const { views, recorded, t } = setup();
    const a = views.start('A', { s: 1 })!;
    views.start('B');
    views.addSegmentationById(a, { x: 1 });
    views.addSegmentationByName('B', { y: 2 });
    views.pause(a);
    t.clock.advance(5000);
    views.resume(a);
    t.clock.advance(3000);
    views.stopById(a, { z: 3 });
    views.stopByName('B');
    views.start('C');
    views.stopAll({ all: true });
    const ends = recorded().filter((r) => r.dur !== undefined);
    expect(ends.map((r) => [r.segmentation?.name, r.dur])).toEqual([
      ['A', 3],
      ['B', 8],
      ['C', 0],
    ]);
    expect(ends[0]?.segmentation).toMatchObject({ s: 1, x: 1, z: 3 });
    expect(ends[1]?.segmentation).toMatchObject({ y: 2 });
    expect(ends[2]?.segmentation).toMatchObject({ all: true });
  });

  it('calls on views remembered in the background apply to them, without warnings', () => {
    const { views, recorded, t } = setup();
    const a = views.start('A')!;
    const b = views.start('B')!;
    views.start('C');
    t.clock.advance(2000);
    t.actors.views!.send({ type: 'app.hidden', at: t.ctx.now() });
    views.stopById(a);
    views.stopByName('C');
    views.pause(b);
    views.addSegmentationByName('B', { late: 1 });
    t.actors.views!.send({ type: 'app.visible', at: t.ctx.now() });
    t.clock.advance(5000);
    views.resume(b);
    t.clock.advance(3000);
    views.stopAll();
    const story = recorded().map((r) => [r.segmentation?.name, r.dur ?? 'start']);
    // A and C end once, when the app went to the background, and do not come back; B comes back paused.
    expect(story).toEqual([
      ['A', 'start'],
      ['B', 'start'],
      ['C', 'start'],
      ['A', 2],
      ['B', 2],
      ['C', 2],
      ['B', 'start'],
      ['B', 3],
    ]);
    expect(recorded().at(-1)?.segmentation).toMatchObject({ late: 1 });
    expect(t.commands.filter((cmd) => (cmd as { level?: string }).level === 'warning')).toEqual([]);
  });

  it('addSegmentation needs a non-empty object', () => {
    const { views, warnings, t } = setup();
    views.addSegmentationById('x', {});
    views.addSegmentationByName('x', null as unknown as Segmentation);
    expect(t.sent).toEqual([]);
    expect(warnings()).toEqual([
      '[Countly] [Views] addSegmentationById, segmentation is empty; call ignored',
      '[Countly] [Views] addSegmentationByName, segmentation must be an object, got [null]; call ignored',
    ]);
  });

  it('sets and updates the global segmentation; null is refused, {} clears', () => {
    const { views, warnings, recorded } = setup();
    views.setGlobalSegmentation({ a: 1 });
    views.updateGlobalSegmentation({ b: 2 });
    views.start('One');
    views.setGlobalSegmentation({});
    views.start('Two');
    views.setGlobalSegmentation(null as unknown as Segmentation);
    views.updateGlobalSegmentation([] as unknown as Segmentation);
    expect(recorded().map((r) => r.segmentation)).toEqual([
      { a: 1, b: 2, name: 'One', visit: '1', segment: 'Node' },
      { name: 'Two', visit: '1', segment: 'Node' },
    ]);
    expect(warnings()).toEqual([
      '[Countly] [Views] setGlobalSegmentation, segmentation must be an object, got [null]; call ignored',
      '[Countly] [Views] updateGlobalSegmentation, segmentation must be an object, got [[]]; call ignored',
    ]);
  });
});
