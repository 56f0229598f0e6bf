/**
 * The session machine (spec: Sessions) and the other features: consent, device-ID changes and
 * server settings start and end sessions; every session request is announced right before it
 * is queued (`session.beginning`, `session.updating`, `session.ending`), so the events recorded
 * before it are queued first (the events machine flushes on them).
 */
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../../src/features/session/machine.js';
import { at, broadcasts, consent, ev, input, logs, requests, run, running, startActor, T0, type Cmd } from './helpers.js';

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

  it('settings arrive decoded: absent keys keep the current values and nothing is warned about here', () => {
    const { snap, cmds } = run(input(), ev.settings({ sui: 30 }), ev.settings({ lt: false }));
    expect(logs(cmds)).toEqual([]);
    expect(snap.context).toMatchObject({ intervalSeconds: 30, sessionTracking: true, tracking: true });
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
    expect(cmds.slice(0, 2)).toEqual([
      { type: 'broadcast', event: { type: 'session.beginning', at: at(0) } },
      { type: 'request.enqueue', params: { begin_session: '1' }, metrics: true, at: at(0) },
    ]);
  });

  it('a broadcast without `at` cannot begin when no moment is known', () => {
    const { snap } = run(input({ startedAt: null, consent: consent(true, { sessions: false }) }), ev.giveSessions());
    expect(snap.value).toBe('idle');
  });
});

describe('sessionMachine: events go before every session request', () => {
  const flush = (ms: number): Cmd => ({ type: 'broadcast', event: { type: 'session.ending', at: at(ms) } });
  const endAt = (seconds: number, ms?: number): Cmd => ({
    type: 'request.enqueue',
    params: { end_session: '1', session_duration: String(seconds) },
    ...(ms === undefined ? {} : { at: at(ms) }),
  });
  const ended = (ms: number): Cmd => ({ type: 'broadcast', event: { type: 'session.ended', at: at(ms) } });
  /** The commands from the first `session.ending` on. */
  const fromFlush = (cmds: Cmd[]): Cmd[] => cmds.slice(cmds.findIndex((c) => c.type === 'broadcast' && c.event.type === 'session.ending'));

  /** Every session request, with the broadcast right before it. */
  const announced = (cmds: Cmd[]): string[] =>
    cmds.flatMap((c, i) => {
      if (c.type !== 'request.enqueue') return [];
      const prev = cmds[i - 1];
      const kind = c.params.begin_session ? 'begin' : c.params.end_session ? 'end' : 'update';
      return [`${prev?.type === 'broadcast' ? prev.event.type : 'nothing'} → ${kind}`];
    });

  it('session.beginning comes right before every begin_session, whatever begins it', () => {
    const causes: Array<[string, ReturnType<typeof run>]> = [
      ['init in the foreground', run(input())],
      ['foreground', run(input({ foreground: false }), ev.fg(1000))],
      ['consent given', run(input({ consent: consent(true, { sessions: false }) }), ev.giveSessions(1000))],
      ['new device ID', run(input(), ev.idChanging(1000), ev.idChanged(false, 1000))],
      ['st back on', run(input(), ev.settings({ st: false }, 1000), ev.settings({ st: true }, 2000))],
      ['begin()', run(input({ mode: 'manual' }), ev.begin(1000))],
      ['begin() hybrid', run(input({ mode: 'hybrid' }), ev.begin(1000))],
    ];
    for (const [cause, { cmds }] of causes) {
      for (const line of announced(cmds).filter((l) => l.endsWith('begin'))) expect(line, cause).toBe('session.beginning → begin');
      const beginning = cmds.filter((c) => c.type === 'broadcast' && c.event.type === 'session.beginning');
      expect(beginning.length, cause).toBe(requests(cmds).filter((r) => r === 'begin').length);
    }
    expect(run(input(), ev.fg(1000)).cmds.slice(0, 1)).toEqual([{ type: 'broadcast', event: { type: 'session.beginning', at: at(0) } }]);
  });

  it('session.updating comes right before every session_duration update: ticks and update()', () => {
    const { clock, cmds } = startActor(input({ updateIntervalSeconds: 30 }));
    clock.advance(65_000);
    expect(announced(cmds)).toEqual(['session.beginning → begin', 'session.updating → update', 'session.updating → update']);
    expect(cmds.filter((c) => c.type === 'broadcast' && c.event.type === 'session.updating')).toEqual([
      { type: 'broadcast', event: { type: 'session.updating', at: at(30_000) } },
      { type: 'broadcast', event: { type: 'session.updating', at: at(60_000) } },
    ]);
    const manual = run(input({ mode: 'manual' }), ev.begin(0), ev.update(4000), ev.end(5000));
    expect(announced(manual.cmds)).toEqual(['session.beginning → begin', 'session.updating → update', 'session.ending → end']);
    expect(manual.cmds[3]).toEqual({ type: 'broadcast', event: { type: 'session.updating', at: at(4000) } });
    // A refused update() announces nothing.
    expect(broadcasts(run(input({ mode: 'manual' }), ev.update(0)).cmds)).toEqual([]);
  });

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

