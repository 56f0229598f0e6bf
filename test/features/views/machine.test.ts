/**
 * The view machine (spec: View Tracking), unit tests through pure `initialTransition()` /
 * `transition()`: input, starting and stopping, segmentation rules and limits.
 * Lifecycle, remembered views, consent, settings and orientation: machine.lifecycle.test.ts;
 * model-based paths: machine.model.test.ts; properties: machine.property.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Platform } from '../../../src/adapters/types.js';
import { DEFAULT_LIMITS, resolveConfig } from '../../../src/config.js';
import type { Segmentation } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/log.js';
import { viewInputFrom, viewListensTo } from '../../../src/features/views/machine.js';
import { readPlatformFacts } from '../../../src/runtime/boot.js';
import { ALL, NO_VIEWS, at, changes, ev, input, logs, records, run, story } from './harness.js';

describe('viewMachine: input', () => {
  const log = createLogger({ console: false });
  it('listens to lifecycle, session, consent, identity and settings broadcasts', () => {
    expect([...viewListensTo].sort()).toEqual([
      'app.hidden',
      'app.visible',
      'consent.changed',
      'consent.changing',
      'identity.changed',
      'identity.changing',
      'session.began',
      'session.ended',
      'settings.updated',
      'views.navigated',
    ]);
  });

  it('builds the input from config, platform and boot', () => {
    const config = resolveConfig(
      {
        url: 'https://x.test',
        appKey: 'k',
        limits: { maxKeyLength: 10 },
        views: { globalSegmentation: { g: 1 }, restartManualViews: false, trackOrientation: false },
        experimental: { previousNameRecording: true },
      },
      log,
    );
    const platform: Platform = { name: 'Web', metrics: () => ({}), isForeground: () => false, orientation: () => 'landscape' };
    expect(viewInputFrom(config, readPlatformFacts(platform), ALL, { idSeed: 'abc', settings: { vt: false } })).toEqual({
      platformName: 'Web',
      consent: ALL,
      limits: config.limits,
      globalSegmentation: { g: 1 },
      restartManualViews: false,
      trackOrientation: false,
      previousNameRecording: true,
      foreground: false,
      orientation: 'landscape',
      idSeed: 'abc',
      settings: { vt: false },
      automatic: false,
      shortNames: false,
      exclusions: [],
    });
    const throwing: Platform = {
      name: 'X',
      metrics: () => ({}),
      isForeground: () => {
        throw new Error('no');
      },
    };
    expect(viewInputFrom(config, readPlatformFacts(throwing), ALL)).toMatchObject({ foreground: true, orientation: null, idSeed: 'cly', settings: {} });
  });

  it('reads the typed vt, tracking and segmentation limits of the boot settings', () => {
    const { snap } = run(input({ settings: { vt: true, tracking: true, lkl: 5, lvs: 6, lsv: 7 } }));
    expect(snap.context.limits).toMatchObject({ maxKeyLength: 5, maxValueSize: 6, maxSegmentationValues: 7 });
    expect(snap.value).toEqual({ active: 'foreground' });
  });

  it('starts active in the foreground, or inactive without consent or with vt=false', () => {
    expect(run(input()).snap.value).toEqual({ active: 'foreground' });
    expect(run(input({ foreground: false })).snap.value).toEqual({ active: 'background' });
    expect(run(input({ consent: NO_VIEWS })).snap.value).toBe('inactive');
    expect(run(input({ settings: { vt: false } })).snap.value).toBe('inactive');
  });
});

describe('viewMachine: starting and stopping', () => {
  it('records the start event of the first view of a session', () => {
    const { snap, cmds } = run(input(), ev.began(0), ev.auto('v1', 'Home', 1000, { a: 'b' }));
    expect(records(cmds)).toEqual([
      {
        type: 'event.record',
        key: '[CLY]_view',
        count: 1,
        segmentation: { a: 'b', name: 'Home', visit: '1', segment: 'Android', start: '1' },
        at: at(1000),
        id: 'v1',
        extra: { pvid: '' },
      },
    ]);
    expect(changes(cmds)).toEqual([{ type: 'view.changed', currentViewId: 'v1', previousViewId: '', currentViewName: 'Home', previousViewName: '' }]);
    expect(snap.context.running.map((v) => v.id)).toEqual(['v1']);
  });

  it('reproduces view1 60 s → view2 30 s (000: views)', () => {
    const { cmds } = run(input(), ev.began(0), ev.auto('id1', 'view1', 0), ev.auto('id2', 'view2', 60_000), ev.stopAll(90_000));
    const rec = records(cmds);
    expect(rec.map((r) => ({ dur: r.dur, segmentation: r.segmentation, id: r.id, pvid: r.extra?.pvid }))).toEqual([
      { dur: undefined, segmentation: { name: 'view1', visit: '1', segment: 'Android', start: '1' }, id: 'id1', pvid: '' },
      { dur: 60, segmentation: { name: 'view1', segment: 'Android' }, id: 'id1', pvid: '' },
      { dur: undefined, segmentation: { name: 'view2', visit: '1', segment: 'Android' }, id: 'id2', pvid: 'id1' },
      { dur: 30, segmentation: { name: 'view2', segment: 'Android' }, id: 'id2', pvid: 'id1' },
    ]);
    expect(rec.map((r) => r.at)).toEqual([at(0), at(60_000), at(60_000), at(90_000)]);
  });

  it('sets start only while a session runs, once per session', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.began(1), ev.start('b', 'B', 2), ev.start('c', 'C', 3), ev.ended(4), ev.began(5), ev.start('d', 'D', 6));
    expect(records(cmds).map((r) => r.segmentation?.start)).toEqual([undefined, '1', undefined, '1']);
  });

  it('runs many manual views at once and stops the last started by name', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'Same', 0), ev.start('b', 'Same', 1000), ev.start('c', 'Other', 2000), ev.stopByName('Same', 5000));
    expect(story(cmds)).toEqual(['start Same', 'start Same', 'start Other', 'end Same 4']);
    expect(records(cmds).at(-1)?.id).toBe('b');
    expect(snap.context.running.map((v) => v.id)).toEqual(['a', 'c']);
  });

  it('stops by ID with extra segmentation, merged over the start and added segmentation', () => {
    const { cmds } = run(
      input({ globalSegmentation: { g: 'global', s: 'global' } }),
      ev.start('a', 'A', 0, { s: 'start', k: 1 }),
      { type: 'views.addSegmentationById', id: 'a', segmentation: { added: true } },
      { type: 'views.addSegmentationByName', name: 'A', segmentation: { byName: 'x' } },
      ev.stopById('a', 2500, { k: 2 }),
    );
    expect(records(cmds)[0]?.segmentation).toEqual({ g: 'global', s: 'start', k: 1, name: 'A', visit: '1', segment: 'Android' });
    expect(records(cmds)[1]).toMatchObject({
      dur: 3,
      segmentation: { g: 'global', s: 'start', k: 2, added: true, byName: 'x', name: 'A', segment: 'Android' },
    });
  });

  it('warns about unknown names and IDs', () => {
    const { cmds } = run(
      input(),
      ev.stopByName('nope', 0),
      ev.stopById('nope', 0),
      ev.pause('nope', 0),
      ev.resume('nope', 0),
      { type: 'views.addSegmentationById', id: 'nope', segmentation: { a: 1 } },
      { type: 'views.addSegmentationByName', name: 'nope', segmentation: { a: 1 } },
    );
    expect(records(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual([
      'stopByName, no running view with name [nope]; call ignored',
      'stopById, no running view with ID [nope]; call ignored',
      'pause, no running view with ID [nope]; call ignored',
      'resume, no running view with ID [nope]; call ignored',
      'addSegmentationById, no running or remembered view with ID [nope] to add segmentation to; call ignored',
      'addSegmentationByName, no running or remembered view with name [nope] to add segmentation to; call ignored',
    ]);
  });

  it('ignores a view ID already in use', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.start('a', 'B', 1));
    expect(logs(cmds)).toEqual(['start, view ID [a] is already in use; call ignored']);
    expect(snap.context.running).toHaveLength(1);
  });

  it('a new auto-stopped view stops only the previous auto-stopped one', () => {
    const { snap, cmds } = run(input(), ev.start('m', 'Manual', 0), ev.auto('a1', 'A1', 0), ev.auto('a2', 'A2', 10_000));
    expect(story(cmds)).toEqual(['start Manual', 'start A1', 'end A1 10', 'start A2']);
    expect(snap.context.running.map((v) => v.id)).toEqual(['m', 'a2']);
  });

  it('stopAll stops every view with the given segmentation', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.auto('b', 'B', 1000), ev.stopAll(3000, { why: 'all' }));
    expect(story(cmds)).toEqual(['start A', 'start B', 'end A 3', 'end B 2']);
    expect(records(cmds).slice(2).map((r) => r.segmentation?.why)).toEqual(['all', 'all']);
    expect(snap.context.running).toEqual([]);
  });

  it('pause and resume leave paused time out of the duration', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.pause('a', 10_000), ev.resume('a', 70_000), ev.stopById('a', 75_000));
    expect(story(cmds)).toEqual(['start A', 'end A 15']);
  });

  it('a view stopped while paused reports the time before the pause', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.pause('a', 4_000), ev.stopById('a', 99_000));
    expect(story(cmds)).toEqual(['start A', 'end A 4']);
  });

  it('warns on pausing a paused view and resuming a running one', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.resume('a', 1), ev.pause('a', 2), ev.pause('a', 3));
    expect(logs(cmds)).toEqual(['resume, view [a] is not paused; call ignored', 'pause, view [a] is already paused; call ignored']);
  });

  it('reserved keys cannot be overridden and limits apply', () => {
    const { cmds } = run(
      input({ limits: { ...DEFAULT_LIMITS, maxKeyLength: 5, maxValueSize: 3 }, globalSegmentation: { name: 'x', segment: 'y', ok: 1 } }),
      ev.start('a', 'LongViewName', 0, { visit: '0', start: '0', bounce: 1, exit: 1, view: 'v', domain: 'd', dur: 5, mine: 'abcdef', nested: {} as never }),
    );
    expect(records(cmds)[0]?.segmentation).toEqual({ ok: 1, mine: 'abc', name: 'LongV', visit: '1', segment: 'Android' });
    const messages = logs(cmds);
    expect(messages).toContain('start, view name key [LongV...] truncated to 5 chars');
    expect(messages).toContain('start, segmentation key [visit] is reserved for views and was dropped');
    expect(messages).toContain('start, segmentation key [dur] is reserved for views and was dropped');
    expect(messages.some((m) => m.startsWith('start, segmentation value of [mine] truncated'))).toBe(true);
    expect(messages.some((m) => m.startsWith('start, segmentation [nested] has unsupported value type'))).toBe(true);
  });

  it('caps the merged developer segmentation of every view event at maxSegmentationValues; SDK keys do not count (spec 001 l.1706–1709, l.4534–4542)', () => {
    const keys = (prefix: string, n: number): Segmentation => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]));
    const { cmds } = run(
      input({ globalSegmentation: keys('g', 80) }),
      ev.began(0),
      ev.start('a', 'A', 0, keys('s', 80)),
      { type: 'views.addSegmentationById', id: 'a', segmentation: keys('x', 80) },
      ev.stopById('a', 1000, keys('t', 80)),
    );
    const [start, end] = records(cmds);
    const custom = (seg: Record<string, unknown> | undefined) => Object.keys(seg ?? {}).filter((k) => !['name', 'visit', 'start', 'segment'].includes(k));
    // Global first, then start, then added, then stop: the first 100 keys are kept.
    expect(custom(start?.segmentation)).toEqual([...Object.keys(keys('g', 80)), ...Object.keys(keys('s', 20))]);
    expect(start?.segmentation).toMatchObject({ name: 'A', visit: '1', segment: 'Android', start: '1' });
    expect(custom(end?.segmentation)).toHaveLength(100);
    expect(end?.segmentation).toMatchObject({ name: 'A', segment: 'Android', g79: 79, s19: 19 });
    expect(end?.segmentation).not.toHaveProperty('s20');
    expect(logs(cmds)).toContain('start, segmentation of view [A] has more than 100 entries (global, start, added and stop merged), 60 dropped');
    expect(logs(cmds)).toContain('addSegmentationById, segmentation of view [A] would have more than 100 entries, 60 dropped');
    expect(logs(cmds)).toContain('stopById, segmentation of view [A] has more than 100 entries (global, start, added and stop merged), 160 dropped');
  });

  it('a later layer overrides a kept key in its place; the server lsv applies to the merged map', () => {
    const { cmds } = run(input({ globalSegmentation: { a: 1, b: 1 } }), ev.settings({ lsv: 2 }), ev.start('v', 'V', 0, { b: 2, c: 2 }), ev.stopById('v', 1000, { a: 3, d: 3 }));
    expect(records(cmds).map((r) => r.segmentation)).toEqual([
      { a: 1, b: 2, name: 'V', visit: '1', segment: 'Android' },
      { a: 3, b: 2, name: 'V', segment: 'Android' },
    ]);
  });

  it('start events carry no dur and no sum; end events carry dur only (spec 001 l.1923–1955)', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.stopById('a', 2000));
    const [start, end] = records(cmds);
    expect(start && Object.keys(start).sort()).toEqual(['at', 'count', 'extra', 'id', 'key', 'segmentation', 'type']);
    expect(end && Object.keys(end).sort()).toEqual(['at', 'count', 'dur', 'extra', 'id', 'key', 'segmentation', 'type']);
  });

  it('stopByName finds a view by its name before truncation', () => {
    const { cmds } = run(input({ limits: { ...DEFAULT_LIMITS, maxKeyLength: 4 } }), ev.start('a', 'Settings', 0), ev.stopByName('Settings', 1000));
    expect(story(cmds)).toEqual(['start Sett', 'end Sett 1']);
  });

  it('global segmentation is set, updated and applied to start and end events', () => {
    const { cmds } = run(
      input({ globalSegmentation: { a: 1 } }),
      { type: 'views.updateGlobalSegmentation', segmentation: { b: 2 } },
      ev.start('v', 'V', 0),
      { type: 'views.setGlobalSegmentation', segmentation: { c: 3, name: 'no' } },
      ev.stopById('v', 1000),
    );
    expect(records(cmds)[0]?.segmentation).toMatchObject({ a: 1, b: 2 });
    expect(records(cmds)[1]?.segmentation).toEqual({ c: 3, name: 'V', segment: 'Android' });
    expect(logs(cmds)).toEqual(['setGlobalSegmentation, segmentation key [name] is reserved for views and was dropped']);
  });

  it('records the previous view name with previousNameRecording', () => {
    const { cmds } = run(input({ previousNameRecording: true }), ev.auto('a', 'A', 0), ev.auto('b', 'B', 1000));
    expect(records(cmds).map((r) => r.segmentation?.cly_pvn)).toEqual(['', '', 'A']);
  });

  it('answers to the original ID after a restart', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.fg(5000), ev.pause('a', 6000), ev.stopById('a', 9000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 1']);
    expect(records(cmds)[2]?.id).toBe('seed-1');
    expect(snap.context.running).toEqual([]);
  });
});
