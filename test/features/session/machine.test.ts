/**
 * The session machine (spec: Sessions): automatic, manual and hybrid sessions, updates,
 * durations, consent, device-ID changes and server settings.
 *
 * - unit: pure `initialTransition()` / `transition()` and actors on a simulated clock,
 *   asserting the emitted commands
 * - model: every shortest path of the chart (per mode) replayed on an actor, checking the
 *   request sequence and the durations after each step
 * - property: random lifecycle, manual calls, consent, identity, settings and clock moves:
 *   the session requests form a valid sequence and the durations add up
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { Platform } from '../../../src/adapters/types.js';
import { resolveConfig } from '../../../src/config.js';
import { ConsentFeatures, type ConsentState, type Instant } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/log.js';
import { instantAt } from '../../../src/protocol/time.js';
import {
  readSessionSettings,
  sessionInputFrom,
  sessionListensTo,
  sessionMachine,
  type SessionCommand,
  type SessionEvent,
  type SessionInput,
  type SessionMode,
} from '../../../src/features/session/machine.js';
import { readPlatformFacts } from '../../../src/runtime/boot.js';

type Snap = SnapshotFrom<typeof sessionMachine>;
type Cmd = SessionCommand;

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (ms: number): Instant => instantAt(T0 + ms);
const consent = (given: boolean, over: Partial<ConsentState> = {}): ConsentState =>
  ({ ...Object.fromEntries(ConsentFeatures.map((f) => [f, given])), ...over }) as ConsentState;
const ALL = consent(true);
const NONE = consent(false);
const TICK = 'xstate.after.updateInterval.session.running.timed';

const input = (over: Partial<SessionInput> = {}): SessionInput => ({
  mode: 'automatic',
  updateIntervalSeconds: 60,
  foreground: true,
  startedAt: at(0),
  consent: ALL,
  location: {},
  settings: {},
  ...over,
});

const ev = {
  begin: (ms: number): SessionEvent => ({ type: 'session.begin', at: at(ms) }),
  update: (ms: number): SessionEvent => ({ type: 'session.update', at: at(ms) }),
  end: (ms: number): SessionEvent => ({ type: 'session.end', at: at(ms) }),
  fg: (ms: number): SessionEvent => ({ type: 'app.visible', at: at(ms) }),
  bg: (ms: number): SessionEvent => ({ type: 'app.hidden', at: at(ms) }),
  removeSessions: (ms?: number): SessionEvent[] => [
    { type: 'consent.changing', before: ALL, after: consent(true, { sessions: false }), ...(ms === undefined ? {} : { at: at(ms) }) },
    { type: 'consent.changed', before: ALL, after: consent(true, { sessions: false }), ...(ms === undefined ? {} : { at: at(ms) }) },
  ],
  giveSessions: (ms?: number): SessionEvent => ({
    type: 'consent.changed',
    before: consent(true, { sessions: false }),
    after: ALL,
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
  idChanging: (ms?: number): SessionEvent => ({ type: 'identity.changing', from: 'a', to: 'b', ...(ms === undefined ? {} : { at: at(ms) }) }),
  idChanged: (merged: boolean, ms?: number): SessionEvent => ({
    type: 'identity.changed',
    deviceId: 'b',
    deviceIdType: 'DEVELOPER_SUPPLIED',
    merged,
    previousId: 'a',
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
  settings: (settings: Record<string, unknown>, ms?: number): SessionEvent => ({
    type: 'settings.updated',
    settings,
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
};

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: Cmd }).event);
}

/** Pure: feeds events through `transition()`. */
function run(inp: SessionInput, ...events: SessionEvent[]): { snap: Snap; cmds: Cmd[] } {
  const [s0, a0] = initialTransition(sessionMachine, inp);
  let snap = s0;
  const cmds = commands(a0);
  for (const e of events) {
    const [next, actions] = transition(sessionMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds };
}

/** An actor on a simulated clock starting at T0. */
function startActor(inp: SessionInput) {
  const clock = simulatedClock(T0);
  const actor = createActor(sessionMachine, { clock, input: inp });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  const now = () => instantAt(clock.now());
  return { actor, clock, cmds, now };
}

/** The session requests, as short strings. */
function requests(cmds: Cmd[]): string[] {
  return cmds.flatMap((c) => {
    if (c.type !== 'request.enqueue') return [];
    const p = c.params;
    if (p.begin_session) return ['begin'];
    if (p.end_session) return [`end ${p.session_duration}`];
    return [`update ${p.session_duration}`];
  });
}
const broadcasts = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'broadcast' ? [c.event.type] : []));
const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [`${c.level}: ${c.message}`] : []));
const running = (snap: { value: unknown }): boolean => typeof snap.value === 'object' && snap.value !== null && 'running' in snap.value;

describe('sessionMachine: input', () => {
  const log = createLogger({ console: false });
  const platform = (over: Partial<Platform> = {}): Platform => ({ name: 'Test', metrics: () => ({ _os: 'Test', _device: 'd' }), ...over });
  const throwing = (): never => {
    throw new Error('no');
  };

  it('listens to lifecycle, consent, identity, location and settings broadcasts', () => {
    expect([...sessionListensTo].sort()).toEqual([
      'app.hidden',
      'app.visible',
      'consent.changed',
      'consent.changing',
      'identity.changed',
      'identity.changing',
      'location.changed',
      'settings.updated',
    ]);
  });

  it('builds the input from config, platform and boot, without reading the metrics', () => {
    const config = resolveConfig(
      { url: 'https://x.test', appKey: 'k', sessionUpdateInterval: 30, appVersion: '2.1', metricOverride: { _device: 'over', extra: 'x' } },
      log,
    );
    // Metrics are read when each begin_session is queued (test/effects/queue.effect.test.ts).
    const inp = sessionInputFrom(config, readPlatformFacts(platform({ metrics: throwing })), ALL, { at: at(5), location: { location: '' }, settings: { sui: 10 } });
    expect(inp).toEqual({
      mode: 'automatic',
      updateIntervalSeconds: 30,
      foreground: true,
      startedAt: at(5),
      consent: ALL,
      location: { location: '' },
      settings: { sui: 10 },
    });
  });

  it.each([
    [true, 'manual'],
    ['hybrid', 'hybrid'],
    [false, 'automatic'],
  ] as const)('manualSessions %s → mode %s', (manualSessions, mode) => {
    const config = resolveConfig({ url: 'https://x.test', appKey: 'k', manualSessions }, log);
    expect(sessionInputFrom(config, readPlatformFacts(platform()), ALL).mode).toBe(mode);
  });

  it('reads the foreground state of the platform and survives a throwing platform', () => {
    const config = resolveConfig({ url: 'https://x.test', appKey: 'k' }, log);
    expect(sessionInputFrom(config, readPlatformFacts(platform({ isForeground: () => false })), ALL).foreground).toBe(false);
    const broken = sessionInputFrom(config, readPlatformFacts(platform({ isForeground: throwing })), ALL);
    expect(broken.foreground).toBe(true);
    expect(broken.startedAt).toBeNull();
  });

  it('reads st, tracking and sui, rejecting invalid values', () => {
    expect(readSessionSettings({ st: false, tracking: true, sui: 5, other: 1 })).toEqual({
      settings: { st: false, tracking: true, sui: 5 },
      rejected: [],
    });
    expect(readSessionSettings({ st: 'no', tracking: 0, sui: 0.5 }).rejected).toEqual(['st', 'tracking', 'sui']);
    expect(readSessionSettings({ sui: 0 }).rejected).toEqual(['sui']);
  });
});

describe('sessionMachine: automatic sessions', () => {
  it('begins at once when initialized in the foreground, asking for metrics, with location', () => {
    const { snap, cmds } = run(input({ location: { country_code: 'DE', city: 'Berlin' } }));
    expect(running(snap)).toBe(true);
    expect(cmds).toEqual([
      { type: 'request.enqueue', params: { begin_session: '1', country_code: 'DE', city: 'Berlin' }, metrics: true, at: at(0) },
      { type: 'broadcast', event: { type: 'session.began', at: at(0) } },
    ]);
  });

  it('stays idle when initialized in the background, without consent, or without a start time', () => {
    for (const inp of [input({ foreground: false }), input({ consent: NONE }), input({ startedAt: null }), input({ settings: { st: false } })]) {
      const { snap, cmds } = run(inp);
      expect(snap.value).toBe('idle');
      expect(cmds).toEqual([]);
    }
  });

  it('begins only on 0→1 visible components and ends only on 1→0', () => {
    const { snap, cmds } = run(input({ foreground: false }), ev.fg(0), ev.fg(1000), ev.bg(2000), ev.fg(3000), ev.bg(4000), ev.bg(10_400));
    expect(requests(cmds)).toEqual(['begin', 'end 10']);
    expect(snap.value).toBe('idle');
    expect(snap.context.visible).toBe(0);
    expect(snap.context.foreground).toBe(false);
  });

  it('ignores unbalanced background calls with an error log', () => {
    const { snap, cmds } = run(input({ foreground: false }), ev.bg(0), ev.fg(1000), ev.bg(2000), ev.bg(3000));
    expect(requests(cmds)).toEqual(['begin', 'end 1']);
    expect(logs(cmds).filter((l) => l.startsWith('error'))).toHaveLength(2);
    expect(snap.context.visible).toBe(0);
  });

  it('begins again after the background, with the latest location', () => {
    const { cmds } = run(input(), ev.bg(5000), { type: 'location.changed', params: { location: '' } }, ev.fg(20_000));
    const begins = cmds.filter((c) => c.type === 'request.enqueue' && c.params.begin_session);
    expect(begins[1]).toEqual({ type: 'request.enqueue', params: { begin_session: '1', location: '' }, metrics: true, at: at(20_000) });
    expect(broadcasts(cmds)).toEqual(['session.began', 'session.ending', 'session.ended', 'session.began']);
  });

  it('warns that manual calls need manual session control', () => {
    const { cmds } = run(input(), ev.begin(1), ev.update(2), ev.end(3), ev.bg(4), ev.begin(5), ev.update(6), ev.end(7));
    expect(requests(cmds)).toEqual(['begin', 'end 0']);
    expect(logs(cmds)).toEqual([
      'warning: begin, manual session control is not enabled; call ignored',
      'warning: update, manual session control is not enabled; call ignored',
      'warning: end, manual session control is not enabled; call ignored',
      'warning: begin, manual session control is not enabled; call ignored',
      'warning: update, manual session control is not enabled; call ignored',
      'warning: end, manual session control is not enabled; call ignored',
    ]);
  });

  it('reproduces the 2 min 30 s session: begin, 60, 60, end with 30 (spec: Sessions)', () => {
    const { clock, cmds, actor, now } = startActor(input());
    clock.advance(150_000);
    actor.send({ type: 'app.hidden', at: now() });
    expect(requests(cmds)).toEqual(['begin', 'update 60', 'update 60', 'end 30']);
    expect(cmds.filter((c) => c.type === 'request.enqueue').map((c) => c.params)).toEqual([
      { begin_session: '1' },
      { session_duration: '60' },
      { session_duration: '60' },
      { end_session: '1', session_duration: '30' },
    ]);
  });

  it('sends no updates while idle and stops the timer on end', () => {
    const { clock, cmds, actor, now } = startActor(input());
    clock.advance(10_000);
    actor.send({ type: 'app.hidden', at: now() });
    clock.advance(600_000);
    expect(requests(cmds)).toEqual(['begin', 'end 10']);
  });

  it('rounds the end to the nearest second so the parts add up', () => {
    const { clock, cmds, actor, now } = startActor(input({ updateIntervalSeconds: 1 }));
    clock.advance(2600);
    actor.send({ type: 'app.hidden', at: now() });
    expect(requests(cmds)).toEqual(['begin', 'update 1', 'update 1', 'end 1']);
  });
});

describe('sessionMachine: manual sessions', () => {
  const manual = (over: Partial<SessionInput> = {}) => input({ mode: 'manual', ...over });

  it('does not react to the lifecycle', () => {
    const { snap, cmds } = run(manual({ foreground: false }), ev.fg(0), ev.bg(1000), ev.fg(2000));
    expect(cmds).toEqual([]);
    expect(snap.value).toBe('idle');
    expect(snap.context.visible).toBe(1);
  });

  it('begins, updates with the carried remainder and ends', () => {
    const { snap, cmds } = run(manual(), ev.begin(0), ev.update(1500), ev.update(2999), ev.end(3200));
    // 1.5 s → 2 (carry -0.5), +1.499 s → 0.999 → 1 (carry -0.001), +0.201 → 0.2 → 0 ⇒ 3 = round(3.2)
    expect(requests(cmds)).toEqual(['begin', 'update 2', 'update 1', 'end 0']);
    expect(snap.value).toBe('idle');
    expect(cmds[0]).toEqual({ type: 'request.enqueue', params: { begin_session: '1' }, metrics: true, at: at(0) });
    expect(cmds.at(-2)).toEqual({ type: 'request.enqueue', params: { end_session: '1', session_duration: '0' }, at: at(3200) });
  });

  it('a few ms of timestamp jitter do not shift a second between the parts', () => {
    // The API's unique timestamps may run a few ms ahead of the clock.
    const { cmds } = run(manual(), ev.begin(3), ev.update(60_000), ev.update(120_001), ev.end(150_000));
    expect(requests(cmds)).toEqual(['begin', 'update 60', 'update 60', 'end 30']);
  });

  it('sends no automatic updates', () => {
    const { actor, clock, cmds, now } = startActor(manual());
    actor.send({ type: 'session.begin', at: now() });
    clock.advance(300_000);
    actor.send({ type: 'session.end', at: now() });
    expect(requests(cmds)).toEqual(['begin', 'end 300']);
  });

  it('ignores and counts out-of-order calls with a warning', () => {
    const { snap, cmds } = run(manual(), ev.update(0), ev.end(1), ev.begin(2), ev.begin(3), ev.end(4));
    expect(requests(cmds)).toEqual(['begin', 'end 0']);
    expect(logs(cmds)).toEqual([
      'warning: update, no session is running; call ignored',
      'warning: end, no session is running; call ignored',
      'warning: begin, a session is already running; call ignored',
    ]);
    expect(snap.context.outOfOrderCalls).toBe(3);
  });

  it('needs sessions consent and session tracking to begin', () => {
    expect(logs(run(manual({ consent: NONE }), ev.begin(0)).cmds)).toEqual(['warning: begin, "sessions" consent is not given; call ignored']);
    expect(logs(run(manual({ settings: { st: false } }), ev.begin(0)).cmds)).toEqual([
      'warning: begin, session tracking is disabled by the server settings; call ignored',
    ]);
    expect(logs(run(manual({ settings: { tracking: false } }), ev.begin(0)).cmds)).toHaveLength(1);
  });

  it('does not begin when consent is given, and keeps the session over a device-ID change', () => {
    const { snap, cmds } = run(manual({ consent: consent(true, { sessions: false }) }), ev.giveSessions(0), ev.begin(1000), ev.idChanging(2000), ev.idChanged(false, 2000));
    expect(requests(cmds)).toEqual(['begin']);
    expect(running(snap)).toBe(true);
  });

  it('ends the session when consent is removed', () => {
    const { snap, cmds } = run(manual(), ev.begin(0), ...ev.removeSessions(4000));
    expect(requests(cmds)).toEqual(['begin', 'end 4']);
    expect(snap.value).toBe('idle');
  });
});

describe('sessionMachine: hybrid sessions', () => {
  const hybrid = input({ mode: 'hybrid' });

  it('begins and ends manually, updates automatically, ignores update()', () => {
    const { actor, clock, cmds, now } = startActor(hybrid);
    expect(cmds).toEqual([]);
    actor.send({ type: 'session.begin', at: now() });
    clock.advance(65_000);
    actor.send({ type: 'session.update', at: now() });
    actor.send({ type: 'app.hidden', at: now() });
    clock.advance(5_000);
    actor.send({ type: 'session.end', at: now() });
    expect(requests(cmds)).toEqual(['begin', 'update 60', 'end 10']);
    expect(logs(cmds)).toEqual(['warning: update, ignored in hybrid mode: updates are automatic']);
  });

  it('warns about update() while idle too', () => {
    expect(logs(run(hybrid, ev.update(0)).cmds)).toEqual(['warning: update, ignored in hybrid mode: updates are automatic']);
  });
});

describe('sessionMachine: consent, identity and settings', () => {
  it('ends on consent removal (changing) and begins when consent is given in the foreground', () => {
    const { snap, cmds } = run(input(), ...ev.removeSessions(7000), ev.giveSessions(9000));
    expect(requests(cmds)).toEqual(['begin', 'end 7', 'begin']);
    expect(running(snap)).toBe(true);
    expect(snap.context.beganAtMs).toBe(T0 + 9000);
  });

  it('ends when only consent.changed arrives', () => {
    const [, changed] = ev.removeSessions(3000);
    const { cmds, snap } = run(input(), changed as SessionEvent);
    expect(requests(cmds)).toEqual(['begin', 'end 3']);
    expect(snap.context.consent.sessions).toBe(false);
  });

  it('does not begin when consent is given in the background', () => {
    const { snap } = run(input({ foreground: false, consent: consent(true, { sessions: false }) }), ev.giveSessions(0));
    expect(snap.value).toBe('idle');
    expect(snap.context.consent.sessions).toBe(true);
  });

  it('ends before a device-ID change without merge and begins under the new ID', () => {
    const { snap, cmds } = run(input(), ev.idChanging(12_000), ev.idChanged(false, 12_001));
    expect(requests(cmds)).toEqual(['begin', 'end 12', 'begin']);
    expect(running(snap)).toBe(true);
  });

  it('does nothing on a merge', () => {
    const { cmds } = run(input(), ev.idChanged(true, 5));
    expect(requests(cmds)).toEqual(['begin']);
  });

  it('does not begin under the new ID when the change removed consent', () => {
    const { snap, cmds } = run(input(), ev.idChanging(1000), ...ev.removeSessions(1000), ev.idChanged(false, 1000));
    expect(requests(cmds)).toEqual(['begin', 'end 1']);
    expect(snap.value).toBe('idle');
  });

  it('st=false ends the session and blocks new ones; st=true begins again in the foreground', () => {
    const { snap, cmds } = run(input(), ev.settings({ st: false }, 3000), ev.bg(4000), ev.fg(5000), ev.settings({ st: true }, 6000));
    expect(requests(cmds)).toEqual(['begin', 'end 3', 'begin']);
    expect(running(snap)).toBe(true);
  });

  it('tracking=false stops session tracking too', () => {
    const { snap, cmds } = run(input(), ev.settings({ tracking: false }, 2000));
    expect(requests(cmds)).toEqual(['begin', 'end 2']);
    expect(snap.value).toBe('idle');
  });

  it('settings that change nothing keep the session', () => {
    const { snap, cmds } = run(input(), ev.settings({ st: true, sui: 30 }, 2000));
    expect(requests(cmds)).toEqual(['begin']);
    expect(snap.context.intervalSeconds).toBe(30);
  });

  it('warns about invalid settings and keeps the current values', () => {
    const { snap, cmds } = run(input(), ev.settings({ sui: -1, st: 'x' }));
    expect(logs(cmds)).toEqual(['warning: settings, invalid st [x] ignored', 'warning: settings, invalid sui [-1] ignored']);
    expect(snap.context.intervalSeconds).toBe(60);
    expect(snap.context.sessionTracking).toBe(true);
  });

  it('sui changes the interval from the next tick on', () => {
    const { actor, clock, cmds, now } = startActor(input());
    clock.advance(10_000);
    actor.send({ type: 'settings.updated', settings: { sui: 20 } });
    clock.advance(50_000); // the first tick keeps its 60 s
    expect(requests(cmds)).toEqual(['begin', 'update 60']);
    clock.advance(40_000);
    expect(requests(cmds)).toEqual(['begin', 'update 60', 'update 20', 'update 20']);
    clock.advance(5_000);
    actor.send({ type: 'app.hidden', at: now() });
    expect(requests(cmds).at(-1)).toBe('end 5');
  });

  it('the interval from stored settings wins over the config', () => {
    const { clock, cmds } = startActor(input({ settings: { sui: 15 } }));
    clock.advance(30_000);
    expect(requests(cmds)).toEqual(['begin', 'update 15', 'update 15']);
  });

  it('broadcasts without `at` end with the latest known moment and let the queue stamp the request', () => {
    const { cmds } = run(input({ mode: 'manual' }), ev.begin(0), ev.update(4200), ev.idChanging(), ...ev.removeSessions());
    const end = cmds.find((c) => c.type === 'request.enqueue' && c.params.end_session);
    expect(end).toEqual({ type: 'request.enqueue', params: { end_session: '1', session_duration: '0' } });
    expect(cmds.at(-1)).toEqual({ type: 'broadcast', event: { type: 'session.ended', at: at(4200) } });
  });

  it('a begin from a broadcast without `at` uses the latest known moment', () => {
    const { cmds } = run(input({ consent: consent(true, { sessions: false }) }), ev.giveSessions());
    expect(cmds[0]).toMatchObject({ type: 'request.enqueue', params: { begin_session: '1' }, at: at(0) });
  });

  it('a broadcast without `at` cannot begin when no moment is known', () => {
    const { snap } = run(input({ startedAt: null, consent: consent(true, { sessions: false }) }), ev.giveSessions());
    expect(snap.value).toBe('idle');
  });
});

describe('sessionMachine: events go before end_session', () => {
  const flush = (ms: number): Cmd => ({ type: 'broadcast', event: { type: 'session.ending', at: at(ms) } });
  const endAt = (seconds: number, ms?: number): Cmd => ({
    type: 'request.enqueue',
    params: { end_session: '1', session_duration: String(seconds) },
    ...(ms === undefined ? {} : { at: at(ms) }),
  });
  const ended = (ms: number): Cmd => ({ type: 'broadcast', event: { type: 'session.ended', at: at(ms) } });
  /** The commands from the first `session.ending` on. */
  const fromFlush = (cmds: Cmd[]): Cmd[] => cmds.slice(cmds.findIndex((c) => c.type === 'broadcast' && c.event.type === 'session.ending'));

  it('manual end(): session.ending, then end_session, then session.ended', () => {
    const { cmds } = run(input({ mode: 'manual' }), ev.begin(0), ev.end(3000));
    expect(fromFlush(cmds)).toEqual([flush(3000), endAt(3, 3000), ended(3000)]);
  });

  it('hybrid end(): session.ending, then end_session', () => {
    const { cmds } = run(input({ mode: 'hybrid' }), ev.begin(0), ev.end(5000));
    expect(fromFlush(cmds)).toEqual([flush(5000), endAt(5, 5000), ended(5000)]);
  });

  it('an end caused by consent removal (changing, or changed alone) flushes first', () => {
    for (const mode of ['automatic', 'manual', 'hybrid'] as const) {
      const inp = input({ mode });
      const [changing, changed] = ev.removeSessions(4000);
      for (const removal of [[changing, changed], [changed]] as SessionEvent[][]) {
        const { cmds } = run(inp, ...(mode === 'automatic' ? [] : [ev.begin(0)]), ...removal);
        expect(fromFlush(cmds), `${mode}, ${removal.length} phase(s)`).toEqual([flush(4000), endAt(4, 4000), ended(4000)]);
      }
    }
  });

  it('an end caused by st=false or tracking=false flushes first', () => {
    for (const mode of ['automatic', 'manual', 'hybrid'] as const) {
      for (const settings of [{ st: false }, { tracking: false }]) {
        const { cmds } = run(input({ mode }), ...(mode === 'automatic' ? [] : [ev.begin(0)]), ev.settings(settings, 2000));
        expect(fromFlush(cmds), mode).toEqual([flush(2000), endAt(2, 2000), ended(2000)]);
      }
    }
  });

  it('automatic ends (background, device-ID change) flush first too', () => {
    expect(fromFlush(run(input(), ev.bg(6000)).cmds)).toEqual([flush(6000), endAt(6, 6000), ended(6000)]);
    const { cmds } = run(input(), ev.idChanging(7000));
    expect(fromFlush(cmds)).toEqual([flush(7000), endAt(7, 7000), ended(7000)]);
  });

  it('an end without its own moment flushes at the latest known moment; the queue stamps the request', () => {
    const { cmds } = run(input({ mode: 'manual' }), ev.begin(0), ev.update(4200), ...ev.removeSessions());
    expect(fromFlush(cmds)).toEqual([flush(4200), endAt(0), ended(4200)]);
  });

  it('nothing is flushed when no session ends', () => {
    const { cmds } = run(input({ mode: 'manual' }), ev.end(0), ev.begin(1000), ev.update(2000), ...ev.removeSessions(3000), ev.end(4000));
    expect(broadcasts(cmds).filter((b) => b === 'session.ending')).toHaveLength(1);
  });
});

describe('sessionMachine: refused calls', () => {
  it('each refusal is logged once per call, from any state', () => {
    const automatic = run(input(), ev.begin(1), ev.bg(2), ev.begin(3));
    expect(logs(automatic.cmds)).toEqual([
      'warning: begin, manual session control is not enabled; call ignored',
      'warning: begin, manual session control is not enabled; call ignored',
    ]);
    expect(automatic.snap.context.outOfOrderCalls).toBe(0);
    const hybrid = run(input({ mode: 'hybrid' }), ev.update(0), ev.begin(1), ev.update(2), ev.end(3));
    expect(logs(hybrid.cmds)).toEqual(['warning: update, ignored in hybrid mode: updates are automatic', 'warning: update, ignored in hybrid mode: updates are automatic']);
    expect(requests(hybrid.cmds)).toEqual(['begin', 'end 0']);
    expect(hybrid.snap.context.outOfOrderCalls).toBe(0);
  });

  it('hybrid counts end() without a session and begin() during one as out of order', () => {
    const { snap, cmds } = run(input({ mode: 'hybrid' }), ev.end(0), ev.begin(1), ev.begin(2));
    expect(logs(cmds)).toEqual(['warning: end, no session is running; call ignored', 'warning: begin, a session is already running; call ignored']);
    expect(snap.context.outOfOrderCalls).toBe(2);
  });
});

// ---- model-based ---------------------------------------------------------------------

const MODEL_INTERVAL = 3600;
const STEP_MS = 1234;

function modelEvents(snap: Snap): SessionEvent[] {
  const c = snap.context;
  const withoutSessions = consent(true, { sessions: false });
  const list: SessionEvent[] = [
    ev.begin(0),
    ev.update(0),
    ev.end(0),
    ev.fg(0),
    ev.bg(0),
    ev.idChanging(0),
    ev.idChanged(false, 0),
    ev.idChanged(true, 0),
    ev.settings({ st: false }, 0),
    ev.settings({ st: true }, 0),
    { type: 'location.changed', params: { location: '' } },
  ];
  if (c.consent.sessions) {
    list.push({ type: 'consent.changing', before: ALL, after: withoutSessions, at: at(0) });
    list.push({ type: 'consent.changed', before: ALL, after: withoutSessions, at: at(0) });
    list.push({ type: 'consent.changed', before: consent(true, { users: false }), after: ALL, at: at(0) });
  } else list.push(ev.giveSessions(0));
  if (running(snap) && c.mode !== 'manual') list.push({ type: TICK } as unknown as SessionEvent);
  return list;
}

function abstractState(s: Snap): string {
  const c = s.context;
  return JSON.stringify({
    value: s.value,
    visible: c.visible,
    consent: c.consent.sessions,
    tracking: c.sessionTracking,
    location: c.location,
  });
}

interface Ledger {
  open: { beganAt: number; reported: number } | null;
  sessions: Array<{ ms: number; reported: number }>;
}

/** Checks the new commands against the request rules and books the durations. */
function book(ledger: Ledger, cmds: Cmd[]): void {
  cmds.forEach((c, i) => {
    if (c.type === 'request.enqueue') {
      const p = c.params;
      if (p.begin_session) {
        expect(ledger.open, 'begin never twice without end').toBeNull();
        expect(c.at).toBeDefined();
        // The queue effect adds the metrics, read at that moment: the machine only asks.
        expect(c.metrics, 'a begin asks for fresh metrics').toBe(true);
        expect(p.metrics).toBeUndefined();
        ledger.open = { beganAt: c.at!.timestamp, reported: 0 };
      } else {
        expect(ledger.open, 'no update or end without begin').not.toBeNull();
        expect(c.metrics, 'only a begin asks for metrics').toBeUndefined();
        const seconds = Number(p.session_duration);
        expect(Number.isInteger(seconds) && seconds >= 0).toBe(true);
        ledger.open!.reported += seconds;
        if (p.end_session) {
          expect(c.at, 'the end carries its moment').toBeDefined();
          expect(cmds[i - 1], 'session.ending comes right before every end_session').toEqual({
            type: 'broadcast',
            event: { type: 'session.ending', at: c.at },
          });
          ledger.sessions.push({ ms: c.at!.timestamp - ledger.open!.beganAt, reported: ledger.open!.reported });
          ledger.open = null;
        }
      }
    }
  });
}

function replay(inp: SessionInput, steps: ReadonlyArray<{ event: SessionEvent; state: Snap }>): Ledger {
  const { actor, clock, cmds } = startActor(inp);
  const ledger: Ledger = { open: null, sessions: [] };
  book(ledger, cmds);
  for (const step of steps) {
    const before = cmds.length;
    if ((step.event.type as string) === TICK) clock.advance(MODEL_INTERVAL * 1000);
    else {
      clock.advance(STEP_MS);
      const e = step.event;
      actor.send('at' in e && e.at ? ({ ...e, at: instantAt(clock.now()) } as SessionEvent) : e);
    }
    const fresh = cmds.slice(before);
    book(ledger, fresh);
    const snap = actor.getSnapshot();
    expect(abstractState(snap), 'the actor follows the model').toBe(abstractState(step.state));
    expect(running(snap), 'running exactly while a session is open').toBe(ledger.open !== null);
    const began = fresh.filter((c) => c.type === 'broadcast' && c.event.type === 'session.began').length;
    const begins = fresh.filter((c) => c.type === 'request.enqueue' && c.params.begin_session).length;
    expect(began).toBe(begins);
  }
  // Close what is open, so every session's parts are checked.
  clock.advance(STEP_MS);
  const end = instantAt(clock.now());
  const before = cmds.length;
  if (inp.mode === 'automatic') while (actor.getSnapshot().context.visible > 0) actor.send({ type: 'app.hidden', at: end });
  else actor.send({ type: 'session.end', at: end });
  book(ledger, cmds.slice(before));
  expect(ledger.open).toBeNull();
  for (const s of ledger.sessions) expect(s.reported, 'the parts add up to the session').toBe(Math.round(s.ms / 1000));
  actor.stop();
  return ledger;
}

describe('sessionMachine: model-based paths', () => {
  const modes: SessionMode[] = ['automatic', 'manual', 'hybrid'];
  const taken = new Set<string>();
  for (const mode of modes) {
    for (const foreground of [true, false]) {
      it(`every shortest path, and one more step of every event, keeps the rules (${mode}, ${foreground ? 'foreground' : 'background'} at init)`, () => {
        const inp = input({ mode, foreground, updateIntervalSeconds: MODEL_INTERVAL });
        const filterEvents = (s: Snap, e: SessionEvent) => !(e.type === 'app.visible' && s.context.visible >= 2);
        const paths = getShortestPaths(sessionMachine, { input: inp, events: modelEvents, serializeState: abstractState, filterEvents });
        expect(paths.length).toBeGreaterThan(8);
        const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
        expect(values).toContain('"idle"');
        expect(values).toContain(mode === 'manual' ? '{"running":"untimed"}' : '{"running":"timed"}');
        let sessions = 0;
        for (const path of paths) {
          sessions += replay(inp, path.steps).sessions.length;
          for (const event of modelEvents(path.state).filter((e) => filterEvents(path.state, e))) {
            for (const t of takenTransitions(sessionMachine, path.state, event)) taken.add(t);
            const [next] = transition(sessionMachine, path.state, event);
            replay(inp, [...path.steps, { event, state: next }]);
          }
        }
        expect(sessions).toBeGreaterThan(0);
      });
    }
  }

  it('the paths take every transition of the chart', () => {
    const missing = [...allTransitions(sessionMachine)].filter((t) => !taken.has(t));
    expect(missing).toEqual([]);
  });
});

// ---- properties ----------------------------------------------------------------------

type Op =
  | { op: 'fg' | 'bg' | 'begin' | 'update' | 'end' | 'removeConsent' | 'giveConsent' | 'changeId' | 'merge' | 'stOff' | 'stOn' }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('fg', 'bg').map((op) => ({ op }) as Op) },
  { weight: 2, arbitrary: fc.constantFrom('begin', 'update', 'end').map((op) => ({ op }) as Op) },
  { weight: 1, arbitrary: fc.constantFrom('removeConsent', 'giveConsent', 'changeId', 'merge', 'stOff', 'stOn').map((op) => ({ op }) as Op) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 200_000 }).map((ms) => ({ op: 'advance', ms }) as Op) },
);

describe('sessionMachine: properties', () => {
  it('any sequence gives valid session requests whose durations add up to the session time', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SessionMode>('automatic', 'manual', 'hybrid'),
        fc.boolean(),
        fc.integer({ min: 1, max: 90 }),
        fc.array(opArb, { maxLength: 60 }),
        (mode, foreground, interval, ops) => {
          const { actor, clock, cmds, now } = startActor(input({ mode, foreground, updateIntervalSeconds: interval }));
          const ledger: Ledger = { open: null, sessions: [] };
          let given = true;
          let st = true;
          // An independent oracle of automatic sessions: open while visible, consented and tracked.
          let visible = foreground ? 1 : 0;
          let oracleMs = 0;
          let since = clock.now();
          const oracleOpen = () => mode === 'automatic' && visible > 0 && given && st;
          /** Books the time since the last change, then applies the change. */
          const track = (change: () => void) => {
            if (oracleOpen()) oracleMs += clock.now() - since;
            change();
            since = clock.now();
          };
          for (const o of ops) {
            const t = now();
            switch (o.op) {
              case 'advance':
                clock.advance(o.ms);
                break;
              case 'fg':
                track(() => {
                  visible += 1;
                  actor.send({ type: 'app.visible', at: t });
                });
                break;
              case 'bg':
                track(() => {
                  if (visible > 0) visible -= 1;
                  actor.send({ type: 'app.hidden', at: t });
                });
                break;
              case 'begin':
              case 'update':
              case 'end':
                actor.send({ type: `session.${o.op}`, at: t });
                break;
              case 'removeConsent':
              case 'giveConsent': {
                const before = consent(true, { sessions: given });
                const after = consent(true, { sessions: o.op === 'giveConsent' });
                track(() => {
                  actor.send({ type: 'consent.changing', before, after, at: t });
                  actor.send({ type: 'consent.changed', before, after, at: t });
                  given = after.sessions;
                });
                break;
              }
              case 'changeId':
                actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: t });
                actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: false, previousId: 'a', at: t });
                break;
              case 'merge':
                actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: true, previousId: 'a', at: t });
                break;
              case 'stOff':
              case 'stOn':
                track(() => {
                  st = o.op === 'stOn';
                  actor.send({ type: 'settings.updated', settings: { st }, at: t });
                });
                break;
            }
          }
          // Close what is open so every session is booked.
          track(() => undefined);
          const t = now();
          if (mode === 'automatic') while (actor.getSnapshot().context.visible > 0) actor.send({ type: 'app.hidden', at: t });
          else actor.send({ type: 'session.end', at: t });
          book(ledger, cmds);
          expect(ledger.open).toBeNull();
          expect(running(actor.getSnapshot())).toBe(false);
          for (const s of ledger.sessions) expect(s.reported).toBe(Math.round(s.ms / 1000));
          if (mode === 'automatic') {
            expect(ledger.sessions.reduce((sum, s) => sum + s.ms, 0), 'sessions cover exactly the foreground time').toBe(oracleMs);
          }
          actor.stop();
        },
      ),
      { numRuns: 300 },
    );
  });
});
