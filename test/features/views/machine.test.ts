/**
 * The view machine (spec: View Tracking): start/stop/pause/resume, segmentation rules,
 * the first-view flag, background/foreground restarts, consent, settings and orientation.
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the recorded events
 * - model: every shortest path of the chart, and one more step of every event (calls on
 *   running and on remembered views alike), replayed on an actor with a simulated clock,
 *   checking the view invariants after each step
 * - property: random view calls, lifecycle, sessions and consent: every started view ends
 *   at most once, `start` "1" at most once per session, durations never negative
 * - property: random view calls interleaved with background/foreground and device-ID
 *   changes: a view the host stopped never starts again, valid calls on remembered views
 *   are not warned about, the host's pause and added segmentation survive a restart
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { Platform } from '../../../src/adapters/types.js';
import { DEFAULT_LIMITS, resolveConfig } from '../../../src/config.js';
import { ConsentFeatures, type ConsentState, type Instant, type Segmentation } from '../../../src/domain/types.js';
import type { RecordInternalEventCommand } from '../../../src/effects/commands.js';
import { createLogger } from '../../../src/log.js';
import { instantAt } from '../../../src/protocol/time.js';
import {
  readViewSettings,
  viewInputFrom,
  viewListensTo,
  viewMachine,
  type ViewCommand,
  type ViewEvent,
  type ViewInput,
} from '../../../src/features/views/machine.js';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { readPlatformFacts } from '../../../src/runtime/boot.js';

type Snap = SnapshotFrom<typeof viewMachine>;
type Cmd = ViewCommand;

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (ms: number): Instant => instantAt(T0 + ms);
const consent = (given: boolean, over: Partial<ConsentState> = {}): ConsentState =>
  ({ ...Object.fromEntries(ConsentFeatures.map((f) => [f, given])), ...over }) as ConsentState;
const ALL = consent(true);
const NO_VIEWS = consent(true, { views: false });

const input = (over: Partial<ViewInput> = {}): ViewInput => ({
  platformName: 'Android',
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

const ev = {
  auto: (id: string, name: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.startAutoStopped',
    id,
    name,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  start: (id: string, name: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.start',
    id,
    name,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  stopByName: (name: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.stopByName',
    name,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  stopById: (id: string, ms: number, segmentation?: Segmentation): ViewEvent => ({
    type: 'views.stopById',
    id,
    at: at(ms),
    ...(segmentation ? { segmentation } : {}),
  }),
  pause: (id: string, ms: number): ViewEvent => ({ type: 'views.pause', id, at: at(ms) }),
  resume: (id: string, ms: number): ViewEvent => ({ type: 'views.resume', id, at: at(ms) }),
  stopAll: (ms: number, segmentation?: Segmentation): ViewEvent => ({ type: 'views.stopAll', at: at(ms), ...(segmentation ? { segmentation } : {}) }),
  began: (ms: number): ViewEvent => ({ type: 'session.began', at: at(ms) }),
  ended: (ms: number): ViewEvent => ({ type: 'session.ended', at: at(ms) }),
  fg: (ms: number): ViewEvent => ({ type: 'app.visible', at: at(ms) }),
  bg: (ms: number): ViewEvent => ({ type: 'app.hidden', at: at(ms) }),
  removeViews: (ms?: number): ViewEvent[] => [
    { type: 'consent.changing', before: ALL, after: NO_VIEWS, ...(ms === undefined ? {} : { at: at(ms) }) },
    { type: 'consent.changed', before: ALL, after: NO_VIEWS, ...(ms === undefined ? {} : { at: at(ms) }) },
  ],
  giveViews: (ms?: number): ViewEvent => ({ type: 'consent.changed', before: NO_VIEWS, after: ALL, ...(ms === undefined ? {} : { at: at(ms) }) }),
  settings: (settings: Record<string, unknown>, ms?: number): ViewEvent => ({
    type: 'settings.updated',
    settings,
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
  idChanging: (ms?: number): ViewEvent => ({ type: 'identity.changing', from: 'a', to: 'b', ...(ms === undefined ? {} : { at: at(ms) }) }),
  idChanged: (merged: boolean, ms?: number): ViewEvent => ({
    type: 'identity.changed',
    deviceId: 'b',
    deviceIdType: 'DEVELOPER_SUPPLIED',
    merged,
    previousId: 'a',
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
};

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: Cmd }).event);
}

function run(inp: ViewInput, ...events: ViewEvent[]): { snap: Snap; cmds: Cmd[] } {
  const [s0, a0] = initialTransition(viewMachine, inp);
  let snap = s0;
  const cmds = commands(a0);
  for (const e of events) {
    const [next, actions] = transition(viewMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds };
}

const records = (cmds: Cmd[], key = '[CLY]_view'): RecordInternalEventCommand[] =>
  cmds.flatMap((c) => (c.type === 'event.record' && c.key === key ? [c] : []));
/** `start name` / `end name dur`, for reading sequences at a glance. */
const story = (cmds: Cmd[]): string[] =>
  records(cmds).map((r) => (r.dur === undefined ? `start ${String(r.segmentation?.name)}` : `end ${String(r.segmentation?.name)} ${r.dur}`));
const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [c.message] : []));
const changes = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'broadcast' && c.event.type === 'view.changed' ? [c.event] : []));

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

  it('reads vt, tracking and the segmentation limits', () => {
    expect(readViewSettings({ vt: false, tracking: true, lkl: 5, lvs: 6, lsv: 7, x: 1 })).toEqual({
      settings: { vt: false, tracking: true, limits: { maxKeyLength: 5, maxValueSize: 6, maxSegmentationValues: 7 } },
      rejected: [],
    });
    expect(readViewSettings({ vt: 1, lkl: 0, lsv: 'x' }).rejected).toEqual(['vt', 'lkl', 'lsv']);
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

describe('viewMachine: background and foreground', () => {
  it('stops every view on background and restarts them on foreground with their start segmentation', () => {
    const { snap, cmds } = run(
      input(),
      ev.began(0),
      ev.auto('a', 'A', 0, { s: 1 }),
      ev.start('m', 'M', 0),
      { type: 'views.addSegmentationById', id: 'a', segmentation: { added: 1 } },
      ev.bg(10_000),
      ev.ended(10_000),
      ev.began(20_000),
      ev.fg(20_000),
    );
    expect(story(cmds)).toEqual(['start A', 'start M', 'end A 10', 'end M 10', 'start A', 'start M']);
    const restarted = records(cmds).slice(4);
    expect(restarted.map((r) => r.id)).toEqual(['seed-1', 'seed-2']);
    expect(restarted[0]?.segmentation).toEqual({ s: 1, name: 'A', visit: '1', segment: 'Android', start: '1' });
    expect(snap.value).toEqual({ active: 'foreground' });
    expect(snap.context.running.map((v) => [v.id, v.originalId, v.autoStopped])).toEqual([
      ['seed-1', 'a', true],
      ['seed-2', 'm', false],
    ]);
  });

  it('does not restart manual views with restartManualViews: false', () => {
    const { cmds } = run(input({ restartManualViews: false }), ev.auto('a', 'A', 0), ev.start('m', 'M', 0), ev.bg(1000), ev.fg(2000));
    expect(story(cmds)).toEqual(['start A', 'start M', 'end A 1', 'end M 1', 'start A']);
  });

  it('counts visible components: only 1→0 stops and only 0→1 restarts', () => {
    const { cmds, snap } = run(input(), ev.start('a', 'A', 0), ev.fg(1000), ev.bg(2000), ev.bg(3000), ev.bg(3500), ev.fg(4000), ev.fg(5000));
    expect(story(cmds)).toEqual(['start A', 'end A 3', 'start A']);
    expect(snap.context.visible).toBe(2);
  });

  it('views started in the background run and stop normally', () => {
    const { cmds } = run(input({ foreground: false }), ev.start('a', 'A', 0), ev.fg(1000), ev.stopById('a', 2000));
    expect(story(cmds)).toEqual(['start A', 'end A 2']);
  });

  it('a device-ID change without merge ends the views under the old ID and starts them again', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.idChanging(3000), ev.idChanged(false, 3000));
    expect(story(cmds)).toEqual(['start A', 'end A 3', 'start A']);
  });

  it('a merge changes nothing; in the background the views wait for the foreground', () => {
    expect(story(run(input(), ev.start('a', 'A', 0), ev.idChanged(true, 1)).cmds)).toEqual(['start A']);
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.idChanging(2000), ev.idChanged(false, 2000), ev.fg(3000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A']);
  });
});

const warnings = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' && c.level === 'warning' ? [c.message] : []));

describe('viewMachine: remembered views (background, device-ID change)', () => {
  it('stopById forgets a remembered view: no second end event, no restart, no warning', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.start('b', 'B', 0), ev.bg(2000), ev.stopById('a', 3000, { late: 1 }), ev.fg(4000));
    expect(story(cmds)).toEqual(['start A', 'start B', 'end A 2', 'end B 2', 'start B']);
    expect(warnings(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['stopById, view [a] already ended when it was suspended; forgotten, it will not start again']);
    expect(snap.context.running.map((v) => v.originalId)).toEqual(['b']);
    expect(snap.context.suspended).toEqual([]);
  });

  it('stopById also accepts the ID the remembered view ended with (a restarted view)', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.fg(2000), ev.bg(3000), ev.stopById('seed-1', 4000), ev.fg(5000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 1']);
    expect(warnings(cmds)).toEqual([]);
  });

  it('stopByName forgets the last remembered view with that name; a running one goes first', () => {
    const { cmds, snap } = run(
      input({ foreground: true }),
      ev.start('a1', 'Same', 0),
      ev.start('a2', 'Same', 0),
      ev.bg(1000),
      ev.start('r', 'Same', 1000),
      ev.stopByName('Same', 2000),
      ev.stopByName('Same', 2000),
      ev.fg(3000),
    );
    expect(story(cmds)).toEqual(['start Same', 'start Same', 'end Same 1', 'end Same 1', 'start Same', 'end Same 1', 'start Same']);
    expect(records(cmds)[5]?.id).toBe('r');
    expect(snap.context.running.map((v) => v.originalId)).toEqual(['a1']);
    expect(warnings(cmds)).toEqual([]);
  });

  it('stopAll forgets every remembered view and ends the running ones', () => {
    const { cmds, snap } = run(input(), ev.auto('a', 'A', 0), ev.start('m', 'M', 0), ev.bg(1000), ev.start('r', 'R', 1000), ev.stopAll(3000), ev.fg(4000));
    expect(story(cmds)).toEqual(['start A', 'start M', 'end A 1', 'end M 1', 'start R', 'end R 2']);
    expect(snap.context.running).toEqual([]);
    expect(snap.context.suspended).toEqual([]);
    expect(warnings(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['stopAll, 2 remembered view(s) forgotten; they will not start again']);
  });

  it('a view paused while remembered restarts paused: start event sent, clock stopped until resume', () => {
    const { cmds, snap } = run(input(), ev.start('a', 'A', 0), ev.bg(4000), ev.pause('a', 5000), ev.fg(10_000));
    expect(story(cmds)).toEqual(['start A', 'end A 4', 'start A']);
    expect(snap.context.running).toMatchObject([{ id: 'seed-1', originalId: 'a', paused: true, resumedAtMs: null, elapsedMs: 0 }]);
    const later = run(input(), ev.start('a', 'A', 0), ev.bg(4000), ev.pause('a', 5000), ev.fg(10_000), ev.resume('a', 70_000), ev.stopById('a', 73_000));
    expect(story(later.cmds)).toEqual(['start A', 'end A 4', 'start A', 'end A 3']);
    const never = run(input(), ev.start('a', 'A', 0), ev.bg(4000), ev.pause('a', 5000), ev.fg(10_000), ev.stopById('a', 99_000));
    expect(story(never.cmds)).toEqual(['start A', 'end A 4', 'start A', 'end A 0']);
  });

  it('a view paused before the background stays paused; resume while remembered restarts it running', () => {
    const paused = run(input(), ev.start('a', 'A', 0), ev.pause('a', 1000), ev.bg(5000), ev.fg(6000), ev.stopById('a', 9000));
    expect(story(paused.cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 0']);
    const resumed = run(input(), ev.start('a', 'A', 0), ev.pause('a', 1000), ev.bg(5000), ev.resume('a', 5500), ev.fg(6000), ev.stopById('a', 9000));
    expect(story(resumed.cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 3']);
    expect(warnings(resumed.cmds)).toEqual([]);
  });

  it('warns on pausing a paused remembered view and resuming a running one', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.resume('a', 2000), ev.pause('a', 3000), ev.pause('a', 4000));
    expect(warnings(cmds)).toEqual(['resume, view [a] is not paused; call ignored', 'pause, view [a] is already paused; call ignored']);
  });

  it('addSegmentation on a remembered view reaches the end event of the restarted view; reserved keys stay protected', () => {
    const { cmds } = run(
      input({ globalSegmentation: { g: 1 } }),
      ev.start('a', 'A', 0, { s: 1 }),
      { type: 'views.addSegmentationById', id: 'a', segmentation: { before: 1 } },
      ev.bg(1000),
      { type: 'views.addSegmentationById', id: 'a', segmentation: { byId: 1, name: 'hijack', s: 2 } },
      { type: 'views.addSegmentationByName', name: 'A', segmentation: { byName: 1, dur: 99 } },
      ev.fg(2000),
      ev.stopById('a', 5000, { stop: 1 }),
    );
    const rec = records(cmds);
    expect(rec.map((r) => r.segmentation)).toEqual([
      { g: 1, s: 1, name: 'A', visit: '1', segment: 'Android' },
      { g: 1, s: 1, before: 1, name: 'A', segment: 'Android' },
      // spec: the original start segmentation is re-applied on restart.
      { g: 1, s: 1, name: 'A', visit: '1', segment: 'Android' },
      { g: 1, s: 2, byId: 1, byName: 1, stop: 1, name: 'A', segment: 'Android' },
    ]);
    expect(rec[3]?.dur).toBe(3);
    expect(warnings(cmds)).toEqual([
      'addSegmentationById, segmentation key [name] is reserved for views and was dropped',
      'addSegmentationByName, segmentation key [dur] is reserved for views and was dropped',
    ]);
  });

  it('an ID of a remembered view is still in use', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.start('a', 'B', 2000), ev.fg(3000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A']);
    expect(warnings(cmds)).toEqual(['start, view ID [a] is already in use; call ignored']);
  });

  it('views suspended by a device-ID change follow the same rules', () => {
    // In the foreground: the pause survives the change; a view stopped in between does not come back.
    const fg = run(
      input(),
      ev.start('a', 'A', 0),
      ev.start('b', 'B', 0),
      ev.pause('a', 1000),
      ev.idChanging(2000),
      ev.stopById('b', 2000),
      { type: 'views.addSegmentationByName', name: 'A', segmentation: { k: 1 } },
      ev.idChanged(false, 2000),
      ev.stopById('a', 9000),
    );
    expect(story(fg.cmds)).toEqual(['start A', 'start B', 'end A 1', 'end B 2', 'start A', 'end A 0']);
    expect(records(fg.cmds)[5]?.segmentation).toMatchObject({ k: 1 });
    expect(warnings(fg.cmds)).toEqual([]);
    // In the background: stopped before the foreground, never restarted.
    const bg = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.idChanging(2000), ev.idChanged(false, 2000), ev.stopAll(2500), ev.fg(3000));
    expect(story(bg.cmds)).toEqual(['start A', 'end A 1']);
  });
});

describe('viewMachine: consent and settings', () => {
  it('removing views consent stops every view first, then refuses calls', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ev.fg(2000), ...ev.removeViews(5000), ev.start('b', 'B', 6000), ev.stopAll(7000));
    expect(story(cmds)).toEqual(['start A', 'end A 1', 'start A', 'end A 3']);
    expect(logs(cmds)).toEqual(['start, "views" consent is not given; call ignored', 'stopAll, "views" consent is not given; call ignored']);
    expect(snap.value).toBe('inactive');
    expect(snap.context.running).toEqual([]);
  });

  it('forgets views waiting for the foreground when consent goes', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.bg(1000), ...ev.removeViews(2000), ev.giveViews(3000), ev.fg(4000));
    expect(story(cmds)).toEqual(['start A', 'end A 1']);
  });

  it('stops views when consent.changed arrives without its changing phase', () => {
    const [, changed] = ev.removeViews(2000);
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), changed as ViewEvent);
    expect(story(cmds)).toEqual(['start A', 'end A 2']);
    expect(snap.value).toBe('inactive');
  });

  it('giving views consent activates tracking', () => {
    const { snap, cmds } = run(input({ consent: NO_VIEWS }), ev.giveViews(0), ev.start('a', 'A', 0));
    expect(story(cmds)).toEqual(['start A']);
    expect(snap.value).toEqual({ active: 'foreground' });
  });

  it('vt=false stops view tracking and vt=true resumes it', () => {
    const { snap, cmds } = run(input(), ev.start('a', 'A', 0), ev.settings({ vt: false }, 2000), ev.start('b', 'B', 3000), ev.settings({ vt: true }), ev.start('c', 'C', 4000));
    expect(story(cmds)).toEqual(['start A', 'end A 2', 'start C']);
    expect(logs(cmds)).toEqual(['start, view tracking is disabled by the server settings; call ignored']);
    expect(snap.value).toEqual({ active: 'foreground' });
  });

  it('tracking=false stops view tracking too; vt=true without consent stays inactive', () => {
    expect(run(input(), ev.settings({ tracking: false })).snap.value).toBe('inactive');
    expect(run(input({ consent: NO_VIEWS }), ev.settings({ vt: true })).snap.value).toBe('inactive');
    expect(run(input({ settings: { vt: false } }), ev.giveViews(0)).snap.value).toBe('inactive');
  });

  it('applies server limits and warns about invalid settings', () => {
    const { cmds } = run(input(), ev.settings({ lkl: 3, vt: 'x' }), ev.start('a', 'ABCDEF', 0));
    expect(story(cmds)).toEqual(['start ABC']);
    expect(logs(cmds)[0]).toBe('settings, invalid vt [x] ignored');
  });

  it('a broadcast without `at` ends views at the latest known moment', () => {
    const { cmds } = run(input(), ev.start('a', 'A', 0), ev.start('b', 'B', 4000), ...ev.removeViews());
    expect(records(cmds).slice(2).map((r) => [r.dur, r.at])).toEqual([
      [4, at(4000)],
      [0, at(4000)],
    ]);
  });

  it('without any known moment a broadcast cannot stop or restart views with a duration', () => {
    const { snap, cmds } = run(input(), ...ev.removeViews());
    expect(cmds).toEqual([]);
    expect(snap.value).toBe('inactive');
    const bg = run(input(), ev.settings({ vt: true }), ev.idChanging(), ev.idChanged(false));
    expect(bg.cmds).toEqual([]);
  });
});

describe('viewMachine: orientation', () => {
  const orientation = (cmds: Cmd[]) => records(cmds, '[CLY]_orientation');

  it('records the initial orientation on session begin and every change', () => {
    const { cmds } = run(
      input({ orientation: 'portrait' }),
      ev.began(0),
      { type: 'orientation.changed', mode: 'portrait', at: at(1) },
      { type: 'orientation.changed', mode: 'landscape', at: at(2), id: 'o-id' },
      { type: 'orientation.changed', mode: 'portrait', at: at(3) },
    );
    expect(orientation(cmds)).toEqual([
      { type: 'event.record', key: '[CLY]_orientation', count: 1, segmentation: { mode: 'portrait' }, at: at(0), id: 'seed-1' },
      { type: 'event.record', key: '[CLY]_orientation', count: 1, segmentation: { mode: 'landscape' }, at: at(2), id: 'o-id' },
      { type: 'event.record', key: '[CLY]_orientation', count: 1, segmentation: { mode: 'portrait' }, at: at(3), id: 'seed-2' },
    ]);
  });

  it('needs users consent (not views consent) and trackOrientation', () => {
    expect(orientation(run(input({ orientation: 'portrait', consent: consent(true, { users: false }) }), ev.began(0)).cmds)).toEqual([]);
    expect(orientation(run(input({ orientation: 'portrait', trackOrientation: false }), ev.began(0)).cmds)).toEqual([]);
    expect(orientation(run(input({ orientation: 'portrait', consent: NO_VIEWS }), ev.began(0)).cmds)).toHaveLength(1);
    expect(orientation(run(input(), ev.began(0)).cmds)).toEqual([]);
  });
});

// ---- model-based ---------------------------------------------------------------------

const STEP_MS = 1500;
// Enough for every view the filtered model can hold, running and remembered.
const IDS = ['a', 'b', 'c', 'd', 'e', 'f'];

/** The model events that target a remembered view (see `kindOf`). */
const onRemembered = new WeakSet<ViewEvent>();

function modelEvents(snap: Snap): ViewEvent[] {
  const c = snap.context;
  const used = new Set([...c.running, ...c.suspended].flatMap((v) => [v.id, v.originalId]));
  const free = IDS.find((id) => !used.has(id)) ?? 'z';
  const first = c.running[0];
  const target = first?.originalId ?? 'none';
  // Calls on a remembered view (in the background, or between identity.changing and changed).
  const remembered = c.suspended[0];
  const rememberedId = remembered?.originalId ?? 'none';
  const onIt = (e: ViewEvent): ViewEvent => {
    onRemembered.add(e);
    return e;
  };
  const list: ViewEvent[] = [
    ev.auto(free, 'Auto', 0),
    ev.start(free, 'Manual', 0, { k: 'v' }),
    ev.stopById(target, 0),
    ev.stopByName(first?.name ?? 'none', 0),
    ev.pause(target, 0),
    ev.resume(target, 0),
    ev.stopAll(0),
    { type: 'views.addSegmentationById', id: target, segmentation: { x: 1 } },
    { type: 'views.addSegmentationByName', name: 'Manual', segmentation: { y: 2 } },
    onIt(ev.stopById(rememberedId, 0)),
    onIt(ev.stopByName(remembered?.name ?? 'none', 0)),
    onIt(ev.pause(rememberedId, 0)),
    onIt(ev.resume(rememberedId, 0)),
    onIt({ type: 'views.addSegmentationById', id: rememberedId, segmentation: { x: 1 } }),
    { type: 'views.setGlobalSegmentation', segmentation: { g: 1 } },
    { type: 'views.updateGlobalSegmentation', segmentation: { h: 2 } },
    c.sessionRunning ? ev.ended(0) : ev.began(0),
    ev.fg(0),
    ev.bg(0),
    ev.idChanging(0),
    ev.idChanged(false, 0),
    ev.idChanged(true, 0),
    ev.settings({ vt: !c.viewTracking }, 0),
    ev.settings({ lkl: 64 }, 0),
    { type: 'orientation.changed', mode: c.orientation === 'portrait' ? 'landscape' : 'portrait', at: at(0) },
  ];
  if (c.consent.views) {
    list.push(...ev.removeViews(0));
    list.push({ type: 'consent.changed', before: consent(true, { users: false }), after: ALL, at: at(0) });
  } else list.push(ev.giveViews(0));
  return list;
}

/** Views differ only by kind and pause; the model keeps kinds in start order and small counts. */
function abstractState(s: Snap): string {
  const c = s.context;
  return JSON.stringify({
    value: s.value,
    running: c.running.map((v) => `${v.autoStopped ? 'A' : 'M'}${v.paused ? 'p' : ''}`),
    suspended: [Math.min(c.suspended.length, 2), c.suspended.some((v) => v.autoStopped), c.suspended.some((v) => v.paused)],
    session: c.sessionRunning ? (c.firstView ? 'first' : 'later') : 'none',
    visible: c.visible,
    consent: c.consent.views,
    vt: c.viewTracking,
  });
}

const filterEvents = (s: Snap, e: ViewEvent): boolean => {
  const c = s.context;
  if ((e.type === 'views.start' || e.type === 'views.startAutoStopped') && c.running.length >= 2) return false;
  if (e.type === 'app.visible' && c.visible >= 2) return false;
  // Without a remembered view these are the unknown-ID calls already in the list.
  if (onRemembered.has(e) && c.suspended.length === 0) return false;
  if ((e.type === 'identity.changing' || e.type === 'app.hidden') && c.suspended.length + c.running.length > 2) return false;
  return true;
};

/**
 * An event without its IDs, names and times: what it does to the abstract state. A call on
 * a remembered view looks like the same call on a running one, so `modelEvents` marks it.
 */
const kindOf = (e: ViewEvent): string =>
  JSON.stringify(e, (key, value: unknown) => (['id', 'name', 'at', 'mode'].includes(key) ? undefined : value)) + (onRemembered.has(e) ? ' (remembered)' : '');

interface ViewLedger {
  started: Set<string>;
  ended: Set<string>;
  startFlags: number;
}

/** Checks recorded view events: each view ends at most once, after its start; one start flag per session. */
function check(ledger: ViewLedger, cmds: Cmd[], active: boolean): void {
  for (const c of cmds) {
    if (c.type === 'broadcast' && c.event.type === 'session.began') ledger.startFlags = 0;
    if (c.type !== 'event.record' || c.key !== '[CLY]_view') continue;
    if (c.dur === undefined) {
      expect(ledger.started.has(c.id), 'a view ID starts once').toBe(false);
      expect(c.segmentation?.visit).toBe('1');
      ledger.started.add(c.id);
      if (c.segmentation?.start === '1') ledger.startFlags += 1;
      expect(ledger.startFlags, 'start "1" at most once per session').toBeLessThanOrEqual(1);
    } else {
      expect(ledger.started.has(c.id), 'a view ends after it started').toBe(true);
      expect(ledger.ended.has(c.id), 'a view ends at most once').toBe(false);
      expect(c.dur).toBeGreaterThanOrEqual(0);
      expect(c.segmentation?.visit).toBeUndefined();
      expect(c.segmentation?.start).toBeUndefined();
      ledger.ended.add(c.id);
    }
  }
  if (!active) expect(cmds.filter((c) => c.type === 'event.record' && c.key === '[CLY]_view' && c.dur === undefined)).toEqual([]);
}

type Visit = (prefix: number, snap: Snap, ledger: ViewLedger, now: number) => void;

/**
 * Replays one path on a live actor, checking the invariants after every step; `visit` sees
 * the actor's state after each prefix (`prefix` = number of events sent).
 */
function replayViews(inp: ViewInput, steps: ReadonlyArray<{ event: ViewEvent; state: Snap }>, visit: Visit = () => undefined): ViewLedger {
  const clock = simulatedClock(T0);
  const actor = createActor(viewMachine, { clock, input: inp });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  const ledger: ViewLedger = { started: new Set(), ended: new Set(), startFlags: 0 };
  visit(0, actor.getSnapshot(), ledger, clock.now());
  steps.forEach((step, k) => {
    if (k === 0) return; // xstate.init
    clock.advance(STEP_MS);
    const before = cmds.length;
    // Paths share abstract states, not IDs: send the same kind of event, built from the actor's own state.
    const previous = steps[k - 1]!.state;
    const index = modelEvents(previous).findIndex((e) => kindOf(e) === kindOf(step.event));
    expect(index).toBeGreaterThanOrEqual(0);
    let e = modelEvents(actor.getSnapshot())[index]!;
    // The API gives every view a fresh ID; the model reuses a few.
    if (e.type === 'views.start' || e.type === 'views.startAutoStopped') e = { ...e, id: `u${k}` };
    if (e.type === 'session.began') ledger.startFlags = 0;
    actor.send('at' in e && e.at ? ({ ...e, at: instantAt(clock.now()) } as ViewEvent) : e);
    const snap = actor.getSnapshot();
    check(ledger, cmds.slice(before), snap.value !== 'inactive' || step.event.type.startsWith('consent'));
    expect(abstractState(snap), 'the actor follows the model').toBe(abstractState(step.state));
    const open = [...ledger.started].filter((id) => !ledger.ended.has(id)).sort();
    expect(snap.context.running.map((v) => v.id).sort(), 'running = started and not ended').toEqual(open);
    visit(k, snap, ledger, clock.now());
  });
  actor.stop();
  return ledger;
}

/** One more step of every model event from a replayed state (pure: the view machine has no timers). */
function extend(snap: Snap, ledger: ViewLedger, now: number, taken: Set<string>): void {
  for (const event of modelEvents(snap).filter((e) => filterEvents(snap, e))) {
    for (const t of takenTransitions(viewMachine, snap, event)) taken.add(t);
    let e: ViewEvent = 'at' in event && event.at ? ({ ...event, at: instantAt(now + STEP_MS) } as ViewEvent) : event;
    if (e.type === 'views.start' || e.type === 'views.startAutoStopped') e = { ...e, id: 'next' };
    const [next, actions] = transition(viewMachine, snap, e);
    const branch: ViewLedger = {
      started: new Set(ledger.started),
      ended: new Set(ledger.ended),
      startFlags: e.type === 'session.began' ? 0 : ledger.startFlags,
    };
    check(branch, commands(actions), next.value !== 'inactive' || e.type.startsWith('consent'));
    const open = [...branch.started].filter((id) => !branch.ended.has(id)).sort();
    expect(next.context.running.map((v) => v.id).sort()).toEqual(open);
  }
}

describe('viewMachine: model-based paths', () => {
  const taken = new Set<string>();
  const inputs: Array<[string, ViewInput]> = [
    ['foreground at init', input()],
    // No consent is reached from the first model; this one differs in init and in the restart rule.
    ['background at init, no manual restart', input({ foreground: false, restartManualViews: false })],
  ];
  for (const [label, inp] of inputs) {
    it(`every shortest path, and one more step of every event, keeps the view rules (${label})`, () => {
      const paths = getShortestPaths(viewMachine, { input: inp, events: modelEvents, serializeState: abstractState, filterEvents });
      expect(paths.length).toBeGreaterThan(20);
      const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
      expect([...values].sort()).toEqual(['"inactive"', '{"active":"background"}', '{"active":"foreground"}']);
      // Shortest paths form a tree: replaying the longest ones first walks every shorter one as a prefix.
      const keyOf = (steps: ReadonlyArray<{ event: ViewEvent }>, n: number) => steps.slice(1, n + 1).map((st) => kindOf(st.event)).join('>');
      const ends = new Set(paths.map((p) => keyOf(p.steps, p.steps.length - 1)));
      const done = new Set<string>();
      let views = 0;
      for (const path of [...paths].sort((a, b) => b.steps.length - a.steps.length)) {
        if (done.has(keyOf(path.steps, path.steps.length - 1))) continue;
        const ledger = replayViews(inp, path.steps, (n, snap, ledgerNow, now) => {
          const key = keyOf(path.steps, n);
          if (!ends.has(key) || done.has(key)) return;
          done.add(key);
          extend(snap, ledgerNow, now, taken);
        });
        views += ledger.started.size;
      }
      expect(done.size, 'every path was walked').toBe(ends.size);
      expect(views).toBeGreaterThan(0);
    }, 90_000);
  }

  it('the paths take every transition of the chart', () => {
    const missing = [...allTransitions(viewMachine)].filter((t) => !taken.has(t));
    expect(missing).toEqual([]);
  });
});

// ---- properties ----------------------------------------------------------------------

type ViewOp =
  | { op: 'auto' | 'start'; name: string }
  | { op: 'stopById' | 'pause' | 'resume'; pick: number }
  | { op: 'stopByName'; name: string }
  | { op: 'stopAll' | 'fg' | 'bg' | 'began' | 'ended' | 'removeConsent' | 'giveConsent' | 'changeId' | 'vtOff' | 'vtOn' }
  | { op: 'advance'; ms: number };

const NAMES = ['Home', 'Settings', 'Cart'];
const viewOpArb: fc.Arbitrary<ViewOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('auto', 'start'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<ViewOp> },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('stopById', 'pause', 'resume'), pick: fc.nat(5) }) as fc.Arbitrary<ViewOp> },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('stopByName'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<ViewOp> },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('stopAll', 'fg', 'bg', 'began', 'ended', 'removeConsent', 'giveConsent', 'changeId', 'vtOff', 'vtOn')
      .map((op) => ({ op }) as ViewOp),
  },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((ms) => ({ op: 'advance', ms }) as ViewOp) },
);

describe('viewMachine: properties', () => {
  it('every started view ends at most once, and start "1" appears at most once per session', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(viewOpArb, { maxLength: 60 }), (foreground, restartManualViews, ops) => {
        const clock = simulatedClock(T0);
        const actor = createActor(viewMachine, { clock, input: input({ foreground, restartManualViews }) });
        const cmds: Cmd[] = [];
        actor.on('*', (c) => cmds.push(c as Cmd));
        actor.start();
        const ledger: ViewLedger = { started: new Set(), ended: new Set(), startFlags: 0 };
        const startedAt = new Map<string, number>();
        const paused = new Set<string>();
        let ids = 0;
        let views = true;
        for (const o of ops) {
          const t = instantAt(clock.now());
          const known = [...ledger.started];
          const pick = (n: number) => known[n % Math.max(1, known.length)] ?? 'none';
          const before = cmds.length;
          switch (o.op) {
            case 'advance':
              clock.advance(o.ms);
              break;
            case 'auto':
            case 'start':
              actor.send({ type: o.op === 'auto' ? 'views.startAutoStopped' : 'views.start', id: `v${(ids += 1)}`, name: o.name, at: t });
              break;
            case 'stopById':
            case 'pause':
            case 'resume': {
              const id = pick(o.pick);
              if (o.op === 'pause' && actor.getSnapshot().context.running.some((v) => v.id === id && !v.paused)) paused.add(id);
              actor.send({ type: `views.${o.op}`, id, at: t });
              break;
            }
            case 'stopByName':
              actor.send({ type: 'views.stopByName', name: o.name, at: t });
              break;
            case 'stopAll':
              actor.send({ type: 'views.stopAll', at: t });
              break;
            case 'fg':
              actor.send({ type: 'app.visible', at: t });
              break;
            case 'bg':
              actor.send({ type: 'app.hidden', at: t });
              break;
            case 'began':
              ledger.startFlags = 0;
              actor.send({ type: 'session.began', at: t });
              break;
            case 'ended':
              actor.send({ type: 'session.ended', at: t });
              break;
            case 'removeConsent':
            case 'giveConsent': {
              const before = consent(true, { views });
              const after = consent(true, { views: o.op === 'giveConsent' });
              actor.send({ type: 'consent.changing', before, after, at: t });
              actor.send({ type: 'consent.changed', before, after, at: t });
              views = after.views;
              break;
            }
            case 'changeId':
              actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: t });
              actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: false, previousId: 'a', at: t });
              break;
            case 'vtOff':
            case 'vtOn':
              actor.send({ type: 'settings.updated', settings: { vt: o.op === 'vtOn' }, at: t });
              break;
          }
          const fresh = cmds.slice(before);
          for (const c of fresh) {
            if (c.type === 'event.record' && c.key === '[CLY]_view' && c.dur === undefined) startedAt.set(c.id, c.at.timestamp);
            // A view never paused lasts exactly from its start to its end.
            if (c.type === 'event.record' && c.key === '[CLY]_view' && c.dur !== undefined && !paused.has(c.id)) {
              expect(c.dur).toBe(Math.round((c.at.timestamp - (startedAt.get(c.id) ?? 0)) / 1000));
            }
          }
          check(ledger, fresh, true);
          // A view remembered as paused restarts paused under a new ID.
          for (const v of actor.getSnapshot().context.running) if (v.paused) paused.add(v.id);
          const running = actor.getSnapshot().context.running.map((v) => v.id).sort();
          expect(running).toEqual([...ledger.started].filter((id) => !ledger.ended.has(id)).sort());
          expect(running.length === 0 || views).toBe(true);
        }
        actor.stop();
      }),
      { numRuns: 300 },
    );
  });

  it('with background/foreground and device-ID changes, a view the host stopped never restarts; pause and added segmentation survive', () => {
    type HostOp =
      | { op: 'auto' | 'start'; name: string }
      | { op: 'stopById' | 'pause' | 'resume' | 'addSegmentation'; pick: number }
      | { op: 'stopByName'; name: string }
      | { op: 'stopAll' | 'fg' | 'bg' | 'idChanging' | 'idChanged' }
      | { op: 'advance'; ms: number };
    const hostOpArb: fc.Arbitrary<HostOp> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('auto', 'start'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<HostOp> },
      { weight: 5, arbitrary: fc.record({ op: fc.constantFrom('stopById', 'pause', 'resume', 'addSegmentation'), pick: fc.nat(7) }) as fc.Arbitrary<HostOp> },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('stopByName'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<HostOp> },
      { weight: 4, arbitrary: fc.constantFrom('stopAll', 'fg', 'bg', 'bg', 'idChanging', 'idChanged').map((op) => ({ op }) as HostOp) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 60_000 }).map((ms) => ({ op: 'advance', ms }) as HostOp) },
    );
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(hostOpArb, { maxLength: 60 }), (foreground, restartManualViews, ops) => {
        const clock = simulatedClock(T0);
        const actor = createActor(viewMachine, { clock, input: input({ foreground, restartManualViews }) });
        const cmds: Cmd[] = [];
        actor.on('*', (c) => cmds.push(c as Cmd));
        actor.start();
        const ledger: ViewLedger = { started: new Set(), ended: new Set(), startFlags: 0 };
        /** The IDs `start` returned, the views the host stopped, paused, and the keys added since the view's last end. */
        const hostIds: string[] = [];
        const stoppedByHost = new Set<string>();
        const hostPaused = new Map<string, boolean>();
        const addedSinceEnd = new Map<string, Set<string>>();
        let keys = 0;
        /** Every view the machine still knows (running or remembered), by the ID `start` returned. */
        const live = () => {
          const c = actor.getSnapshot().context;
          return new Map<string, { name: string; remembered: boolean }>([
            ...c.running.map((v) => [v.originalId, { name: v.name, remembered: false }] as const),
            ...c.suspended.map((v) => [v.originalId, { name: v.name, remembered: true }] as const),
          ]);
        };
        for (const o of ops) {
          const t = instantAt(clock.now());
          const before = cmds.length;
          const liveBefore = live();
          const originalOf = new Map(actor.getSnapshot().context.running.map((v) => [v.id, v.originalId]));
          const pick = (n: number) => hostIds[n % Math.max(1, hostIds.length)] ?? 'none';
          let expectQuiet = false;
          switch (o.op) {
            case 'advance':
              clock.advance(o.ms);
              break;
            case 'auto':
            case 'start': {
              const id = `v${hostIds.length + 1}`;
              hostIds.push(id);
              actor.send({ type: o.op === 'auto' ? 'views.startAutoStopped' : 'views.start', id, name: o.name, at: t });
              break;
            }
            case 'stopById': {
              const id = pick(o.pick);
              expectQuiet = liveBefore.has(id);
              actor.send({ type: 'views.stopById', id, at: t });
              stoppedByHost.add(id);
              expect(live().has(id), 'stopById forgets the view').toBe(false);
              break;
            }
            case 'stopByName': {
              actor.send({ type: 'views.stopByName', name: o.name, at: t });
              const after = live();
              const removed = [...liveBefore.keys()].filter((id) => !after.has(id));
              const named = [...liveBefore.values()].some((v) => v.name === o.name);
              expect(removed.length, 'stopByName stops one view of that name, if any').toBe(named ? 1 : 0);
              for (const id of removed) {
                expect(liveBefore.get(id)?.name).toBe(o.name);
                stoppedByHost.add(id);
              }
              expectQuiet = named;
              break;
            }
            case 'stopAll':
              actor.send({ type: 'views.stopAll', at: t });
              for (const id of liveBefore.keys()) stoppedByHost.add(id);
              expect(live().size, 'stopAll forgets every view').toBe(0);
              expectQuiet = true;
              break;
            case 'pause':
            case 'resume': {
              const id = pick(o.pick);
              const known = liveBefore.has(id);
              const was = hostPaused.get(id) ?? false;
              expectQuiet = known && was !== (o.op === 'pause');
              actor.send({ type: `views.${o.op}`, id, at: t });
              if (known) hostPaused.set(id, o.op === 'pause');
              break;
            }
            case 'addSegmentation': {
              const id = pick(o.pick);
              const key = `k${(keys += 1)}`;
              expectQuiet = liveBefore.has(id);
              actor.send({ type: 'views.addSegmentationById', id, segmentation: { [key]: 1 } });
              if (liveBefore.has(id)) addedSinceEnd.set(id, new Set([...(addedSinceEnd.get(id) ?? []), key]));
              break;
            }
            case 'fg':
              actor.send({ type: 'app.visible', at: t });
              break;
            case 'bg':
              actor.send({ type: 'app.hidden', at: t });
              break;
            case 'idChanging':
              actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: t });
              break;
            case 'idChanged':
              actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: false, previousId: 'a', at: t });
              break;
          }
          const fresh = cmds.slice(before);
          check(ledger, fresh, true);
          if (expectQuiet) expect(fresh.filter((c) => c.type === 'log' && c.level === 'warning'), 'a valid call is not warned about').toEqual([]);
          const snap = actor.getSnapshot().context;
          const originalNow = new Map(snap.running.map((v) => [v.id, v.originalId]));
          for (const r of records(fresh)) {
            if (r.dur === undefined) {
              const original = originalNow.get(r.id);
              expect(original, 'a started view is running').toBeDefined();
              expect(stoppedByHost.has(original!), `view ${String(original)} stopped by the host starts again`).toBe(false);
            } else {
              // The end event carries everything added since the previous end, in the background too.
              const original = originalOf.get(r.id) ?? r.id;
              for (const key of addedSinceEnd.get(original) ?? []) expect(r.segmentation).toHaveProperty(key, 1);
              addedSinceEnd.delete(original);
            }
          }
          for (const v of [...snap.running, ...snap.suspended]) {
            expect(v.paused, `view ${v.originalId} keeps the host's pause`).toBe(hostPaused.get(v.originalId) ?? false);
          }
          for (const v of snap.running) if (v.paused) expect(v.resumedAtMs).toBeNull();
        }
        actor.stop();
      }),
      { numRuns: 300 },
    );
  });
});
