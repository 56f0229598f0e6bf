/**
 * The backoff mechanism (spec: Backoff Mechanism; SDK Behavior Settings bom*; Health Checks
 * bom/cbom): the 3-stage check, the pause as a named delay, the broadcasts, the settings
 * and the counters.
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the emitted commands
 * - actor: `createActor` with a simulated clock, to follow the pause
 * Paths and properties: machine.model.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import {
  backoffListensTo,
  backoffMachine,
  DEFAULT_BACKOFF_SETTINGS,
  readBackoffSettings,
  shouldBackOff,
  type BackoffEvent,
} from '../../../src/features/backoff/machine.js';
import { T0, input, response, slow, fast, settings, run, broadcasts, logs, startActor } from './helpers.js';

describe('backoffMachine: unit', () => {
  it('hears the settings broadcast (transport results reach it on a fixed route)', () => {
    expect(backoffListensTo).toEqual(['settings.updated']);
  });

  it('ignores failed sends: no answer, no judgement (the router delivers them too)', () => {
    const [s0] = initialTransition(backoffMachine, input());
    const [s1, actions] = transition(backoffMachine, s0, {
      type: 'transport.failed',
      seq: 1,
      reason: 'timeout',
      elapsedMs: 30_000,
      createdAt: T0,
      completedAt: T0 + 30_000,
      queueLength: 0,
    } as unknown as BackoffEvent);
    expect(s1.value).toBe('watching');
    expect(actions).toEqual([]);
    expect(s1.context).toEqual(s0.context);
  });

  it('starts watching with the spec defaults and zero counters', () => {
    const { snap, cmds } = run(input());
    expect(snap.value).toBe('watching');
    expect(cmds).toEqual([]);
    expect(snap.context.settings).toEqual({ bom: true, bom_at: 10, bom_rqp: 0.5, bom_ra: 24, bom_d: 60 });
    expect(snap.context).toMatchObject({ total: 0, consecutive: 0, maxConsecutive: 0, untilMs: null });
  });

  it('backs off when all three checks pass and announces the end time', () => {
    const { snap, last } = run(input(), slow({ completedAt: T0 + 5 }));
    expect(snap.value).toEqual({ backingOff: 'pausing' });
    expect(broadcasts(last)).toEqual([{ type: 'backoff.started', untilMs: T0 + 5 + 60_000 }]);
    expect(logs(last)).toEqual([
      { type: 'log', level: 'warning', module: 'Backoff', message: 'backoff, server slow (10000 ms, 0 queued), pausing for 60 s' },
    ]);
    expect(snap.context).toMatchObject({ total: 1, consecutive: 1, maxConsecutive: 1, untilMs: T0 + 5 + 60_000 });
  });

  describe('the 3-stage check (boundaries)', () => {
    const ctx = run(input()).snap.context;
    it.each([
      ['response time exactly bom_at', { elapsedMs: 10_000 }, true],
      ['response time just under bom_at', { elapsedMs: 9_999 }, false],
      ['queue exactly at bom_rqp', { queueLength: 500 }, true],
      ['queue just over bom_rqp', { queueLength: 501 }, false],
      ['request exactly bom_ra old', { ageMs: 24 * 3_600_000 }, true],
      ['request just older than bom_ra', { ageMs: 24 * 3_600_000 + 1 }, false],
      ['request of unknown age', { ageMs: Number.NaN }, false],
      ['a non-2xx response', { status: 500 }, false],
      ['a 2xx without "result"', { body: '{}' }, false],
    ])('%s → %s', (_, r, expected) => {
      expect(shouldBackOff(ctx, response(r) as Extract<BackoffEvent, { type: 'transport.succeeded' }>)).toBe(expected);
    });
  });

  it('a response that is not delivered neither triggers nor breaks a run', () => {
    const { snap, cmds } = run(input(), slow(), slow({ status: 503 }), slow({ body: 'x' }));
    expect(broadcasts(cmds)).toEqual([{ type: 'backoff.started', untilMs: T0 + 60_000 }]);
    expect(snap.context).toMatchObject({ total: 1, consecutive: 1 });
  });

  it('never backs off when disabled by config, and leaves the counters alone', () => {
    const { snap, cmds } = run(input({ enabled: false }), slow(), slow(), fast());
    expect(snap.value).toBe('watching');
    expect(cmds).toEqual([]);
    expect(snap.context).toMatchObject({ total: 0, consecutive: 0, maxConsecutive: 0 });
    // Server settings cannot turn it back on.
    expect(run(input({ enabled: false }), settings({ bom: true }), slow()).snap.value).toBe('watching');
  });

  it('never backs off when the server turns it off (bom: false)', () => {
    const { snap, cmds } = run(input(), settings({ bom: false }), slow());
    expect(snap.value).toBe('watching');
    expect(cmds).toEqual([]);
    expect(run(input({ settings: { bom: false } }), slow()).snap.value).toBe('watching');
  });

  it('turning it off during a pause ends the pause at once', () => {
    const { snap, last } = run(input(), slow(), settings({ bom: false }));
    expect(snap.value).toBe('watching');
    expect(broadcasts(last)).toEqual([{ type: 'backoff.ended' }]);
    expect(snap.context.untilMs).toBeNull();
  });

  it('other settings during a pause keep it', () => {
    const { snap, last } = run(input(), slow(), settings({ bom_d: 5, bom: true }));
    expect(snap.value).toEqual({ backingOff: 'pausing' });
    expect(last).toEqual([]);
    expect(snap.context.settings.bom_d).toBe(5);
  });

  it('applies valid bom* settings and rqs', () => {
    const { snap } = run(input(), settings({ bom_at: 2, bom_rqp: 0.1, bom_ra: 1, bom_d: 30, rqs: 50, lt: false }));
    expect(snap.context.settings).toEqual({ bom: true, bom_at: 2, bom_rqp: 0.1, bom_ra: 1, bom_d: 30 });
    expect(snap.context.maxQueueSize).toBe(50);
    // The new values drive the check: 5 of 50 queued is 10 %, 2 s is slow now.
    expect(run(input(), settings({ bom_at: 2, bom_rqp: 0.1, rqs: 50 }), slow({ elapsedMs: 2000, queueLength: 5 })).snap.value).toEqual({
      backingOff: 'pausing',
    });
    expect(run(input(), settings({ bom_at: 2, bom_rqp: 0.1, rqs: 50 }), slow({ elapsedMs: 2000, queueLength: 6 })).snap.value).toBe(
      'watching',
    );
  });

  it('absent keys keep the current value, and no settings key is warned about here', () => {
    const { snap, cmds } = run(input(), settings({ bom_d: 30 }), settings({ rqs: 20 }), settings({}));
    expect(snap.context.settings).toEqual({ ...DEFAULT_BACKOFF_SETTINGS, bom_d: 30 });
    expect(snap.context.maxQueueSize).toBe(20);
    expect(logs(cmds)).toEqual([]);
  });

  it('readBackoffSettings picks the bom* keys that are present', () => {
    expect(readBackoffSettings({ bom_rqp: 1, bom: false, rqs: 5, lt: true })).toEqual({ bom_rqp: 1, bom: false });
    expect(readBackoffSettings({})).toEqual({});
  });

  it('cleans the input: boot settings apply, invalid sizes and counters take the defaults', () => {
    const { snap } = run({
      enabled: true,
      maxQueueSize: 0,
      settings: { bom_d: 15 },
      counters: { total: 4, maxConsecutive: 9 },
    });
    expect(snap.context.settings).toEqual({ ...DEFAULT_BACKOFF_SETTINGS, bom_d: 15 });
    expect(snap.context.maxQueueSize).toBe(1000);
    // cbom can never exceed bom.
    expect(snap.context).toMatchObject({ total: 4, maxConsecutive: 4, consecutive: 0 });
    expect(run({ enabled: true, maxQueueSize: 10, counters: { total: -1, maxConsecutive: 1.5 } }).snap.context).toMatchObject({
      total: 0,
      maxConsecutive: 0,
    });
  });

  describe('health-check counters (bom = total, cbom = maxConsecutive)', () => {
    it('counts runs of triggering responses, broken by a delivered non-triggering one', () => {
      // T T F T T T F T  → bom 6, cbom 3, current run 1
      const { snap } = run(input(), slow(), slow(), fast(), slow(), slow(), slow(), fast(), slow());
      expect(snap.context).toMatchObject({ total: 6, maxConsecutive: 3, consecutive: 1 });
    });

    it('resets on backoff.resetCounters', () => {
      const { snap } = run(input(), slow(), slow(), { type: 'backoff.resetCounters' });
      expect(snap.context).toMatchObject({ total: 0, maxConsecutive: 0, consecutive: 0 });
      expect(snap.value).toEqual({ backingOff: 'pausing' });
    });
  });

  it('a slow answer during the pause restarts it without an end in between', () => {
    const { snap, last } = run(input(), slow({ completedAt: T0 }), slow({ completedAt: T0 + 1000 }));
    expect(broadcasts(last)).toEqual([{ type: 'backoff.started', untilMs: T0 + 61_000 }]);
    expect(snap.context.untilMs).toBe(T0 + 61_000);
    const fastOne = run(input(), slow(), fast());
    expect(fastOne.last).toEqual([]);
    expect(fastOne.snap.value).toEqual({ backingOff: 'pausing' });
    expect(fastOne.snap.context.consecutive).toBe(0);
  });
});

describe('backoffMachine: actor with a simulated clock', () => {
  it('pauses for bom_d seconds, then broadcasts the end', () => {
    const { actor, clock, seen } = startActor(input());
    actor.send(slow());
    clock.advance(59_999);
    expect(actor.getSnapshot().value).toEqual({ backingOff: 'pausing' });
    clock.advance(1);
    expect(actor.getSnapshot().value).toBe('watching');
    expect(seen.at(-1)).toEqual({ at: T0 + 60_000, cmd: { type: 'broadcast', event: { type: 'backoff.ended' } } });
    expect(actor.getSnapshot().context.untilMs).toBeNull();
    actor.stop();
  });

  it('the pause length comes from the settings', () => {
    const { actor, clock, seen } = startActor(input({ settings: { bom_d: 2 } }));
    actor.send(slow());
    clock.advance(2000);
    expect(broadcasts(seen.map((s) => s.cmd))).toEqual([
      { type: 'backoff.started', untilMs: T0 + 2000 },
      { type: 'backoff.ended' },
    ]);
    actor.stop();
  });

  it('a restarted pause runs its full length from the new answer', () => {
    const { actor, clock } = startActor(input());
    actor.send(slow());
    clock.advance(30_000);
    actor.send(slow({ completedAt: clock.now() }));
    clock.advance(59_999);
    expect(actor.getSnapshot().value).toEqual({ backingOff: 'pausing' });
    clock.advance(1);
    expect(actor.getSnapshot().value).toBe('watching');
    actor.stop();
  });
});
