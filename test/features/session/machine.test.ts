/**
 * The session machine (spec: Sessions): automatic, manual and hybrid sessions, updates,
 * durations, the input. Consent, identity, settings and the broadcasts before session
 * requests: machine.broadcasts.test.ts; paths and properties: machine.model.test.ts.
 *
 * Pure `initialTransition()` / `transition()` and actors on a simulated clock, asserting the
 * emitted commands.
 */
import { describe, expect, it } from 'vitest';
import type { Platform } from '../../../src/adapters/types.js';
import { resolveConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/log.js';
import { sessionInputFrom, sessionListensTo, type SessionInput } from '../../../src/features/session/machine.js';
import { readPlatformFacts } from '../../../src/runtime/boot.js';
import { ALL, at, broadcasts, consent, ev, input, logs, NONE, requests, run, running, startActor } from './helpers.js';

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

  it('reads st, tracking and sui from the decoded settings at boot', () => {
    const { snap } = run(input({ settings: { st: true, tracking: true, sui: 5 } }));
    expect(snap.context).toMatchObject({ sessionTracking: true, tracking: true, intervalSeconds: 5 });
    expect(run(input({ settings: { tracking: false } })).snap.context).toMatchObject({ sessionTracking: true, tracking: false, intervalSeconds: 60 });
  });
});

describe('sessionMachine: automatic sessions', () => {
  it('begins at once when initialized in the foreground, asking for metrics, with location', () => {
    const { snap, cmds } = run(input({ location: { country_code: 'DE', city: 'Berlin' } }));
    expect(running(snap)).toBe(true);
    expect(cmds).toEqual([
      { type: 'broadcast', event: { type: 'session.beginning', at: at(0) } },
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

  it('app.visible begins a session and app.hidden ends it: the lifecycle machine already counted the components', () => {
    const { snap, cmds } = run(input({ foreground: false }), ev.fg(0), ev.bg(10_400), ev.fg(20_000), ev.bg(21_000));
    expect(requests(cmds)).toEqual(['begin', 'end 10', 'begin', 'end 1']);
    expect(snap.value).toBe('idle');
    expect(snap.context.foreground).toBe(false);
    expect(snap.context).not.toHaveProperty('visible');
  });

  it('keeps the foreground flag for getState() even when no session can begin, and logs nothing', () => {
    const { snap, cmds } = run(input({ foreground: false, consent: NONE }), ev.fg(0));
    expect(snap.context.foreground).toBe(true);
    expect(snap.value).toBe('idle');
    const hidden = run(input({ consent: NONE }), ev.bg(0));
    expect(hidden.snap.context.foreground).toBe(false);
    expect([...cmds, ...hidden.cmds]).toEqual([]);
  });

  it('begins again after the background, with the latest location', () => {
    const { cmds } = run(input(), ev.bg(5000), { type: 'location.changed', params: { location: '' } }, ev.fg(20_000));
    const begins = cmds.filter((c) => c.type === 'request.enqueue' && c.params.begin_session);
    expect(begins[1]).toEqual({ type: 'request.enqueue', params: { begin_session: '1', location: '' }, metrics: true, at: at(20_000) });
    expect(broadcasts(cmds)).toEqual(['session.beginning', 'session.began', 'session.ending', 'session.ended', 'session.beginning', 'session.began']);
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
    expect(snap.context.foreground).toBe(true);
    const during = run(manual(), ev.begin(0), ev.bg(1000), ev.fg(2000), ev.end(3000));
    expect(requests(during.cmds)).toEqual(['begin', 'end 3']);
  });

  it('begins, updates with the carried remainder and ends', () => {
    const { snap, cmds } = run(manual(), ev.begin(0), ev.update(1500), ev.update(2999), ev.end(3200));
    // 1.5 s → 2 (carry -0.5), +1.499 s → 0.999 → 1 (carry -0.001), +0.201 → 0.2 → 0 ⇒ 3 = round(3.2)
    expect(requests(cmds)).toEqual(['begin', 'update 2', 'update 1', 'end 0']);
    expect(snap.value).toBe('idle');
    expect(cmds[1]).toEqual({ type: 'request.enqueue', params: { begin_session: '1' }, metrics: true, at: at(0) });
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

  it('does not begin when consent is given', () => {
    const { snap, cmds } = run(manual({ consent: consent(true, { sessions: false }) }), ev.giveSessions(0));
    expect(cmds).toEqual([]);
    expect(snap.value).toBe('idle');
  });

  it('a device-ID change without merge ends the running session under the old ID; the next begin is the developer’s', () => {
    for (const mode of ['manual', 'hybrid'] as const) {
      const { snap, cmds } = run(input({ mode }), ev.begin(0), ev.idChanging(2000), ev.idChanged(false, 2000));
      // identity.changing is heard while the old ID is current: the end is stamped with it.
      expect(requests(cmds), mode).toEqual(['begin', 'end 2']);
      expect(snap.value, mode).toBe('idle');
      const again = run(input({ mode }), ev.begin(0), ev.idChanging(2000), ev.idChanged(false, 2000), ev.begin(3000));
      expect(requests(again.cmds), mode).toEqual(['begin', 'end 2', 'begin']);
      expect(again.snap.context.outOfOrderCalls, 'begin() after the change is in order').toBe(0);
    }
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

