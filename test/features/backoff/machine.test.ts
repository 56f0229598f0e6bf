/**
 * The backoff mechanism (spec: Backoff Mechanism; SDK Behavior Settings bom*; Health Checks
 * bom/cbom): the 3-stage check, the pause as a named delay, the broadcasts, the settings
 * and the counters.
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the emitted commands
 * - actor: `createActor` with a simulated clock, to follow the pause
 * - model: shortest and simple paths replayed on an actor, invariants checked at each step
 * - property: random responses, settings and clock moves
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { simulatedClock } from '../../../src/adapters/clock.js';
import {
  backoffListensTo,
  backoffMachine,
  DEFAULT_BACKOFF_SETTINGS,
  readBackoffSettings,
  shouldBackOff,
  type BackoffCommand,
  type BackoffEvent,
  type BackoffInput,
} from '../../../src/features/backoff/machine.js';

type Snap = SnapshotFrom<typeof backoffMachine>;
type Cmd = BackoffCommand;

const T0 = Date.UTC(2026, 0, 1);
const OK_BODY = '{"result":"Success"}';
const AFTER_PAUSE = 'xstate.after.backoffDuration.backoff.backingOff.pausing';

const input = (over: Partial<BackoffInput> = {}): BackoffInput => ({ enabled: true, maxQueueSize: 1000, ...over });

interface Response {
  elapsedMs?: number;
  queueLength?: number;
  /** completedAt − createdAt */
  ageMs?: number;
  status?: number;
  body?: string;
  completedAt?: number;
}
/** A response; by default one that triggers the backoff with the default settings. */
const response = (r: Response = {}): BackoffEvent => {
  const completedAt = r.completedAt ?? T0;
  return {
    type: 'transport.succeeded',
    seq: 1,
    status: r.status ?? 200,
    body: r.body ?? OK_BODY,
    elapsedMs: r.elapsedMs ?? 10_000,
    createdAt: completedAt - (r.ageMs ?? 1000),
    completedAt,
    queueLength: r.queueLength ?? 0,
  };
};
const slow = (over: Response = {}) => response(over);
const fast = (over: Response = {}) => response({ elapsedMs: 50, ...over });
const settings = (s: Record<string, unknown>): BackoffEvent => ({ type: 'settings.updated', settings: s });

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: Cmd }).event);
}

function run(inp: BackoffInput, ...events: BackoffEvent[]): { snap: Snap; cmds: Cmd[]; last: Cmd[] } {
  const [s0, a0] = initialTransition(backoffMachine, inp);
  let snap = s0;
  let last = commands(a0);
  const cmds = [...last];
  for (const e of events) {
    const [next, actions] = transition(backoffMachine, snap, e);
    snap = next;
    last = commands(actions);
    cmds.push(...last);
  }
  return { snap, cmds, last };
}

const broadcasts = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'broadcast' ? [c.event] : []));
const logs = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'log' ? [c] : []));

function startActor(inp: BackoffInput) {
  const clock = simulatedClock(T0);
  const actor = createActor(backoffMachine, { clock, input: inp });
  const seen: Array<{ at: number; cmd: Cmd }> = [];
  actor.on('*', (c) => seen.push({ at: clock.now(), cmd: c as Cmd }));
  actor.start();
  return { actor, clock, seen };
}

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
    const { snap } = run(input(), settings({ bom_at: 2, bom_rqp: 0.1, bom_ra: 1, bom_d: 30, rqs: 50, other: 'x' }));
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

  it('ignores invalid settings with a warning, keeping the current value', () => {
    const { snap, cmds } = run(
      input(),
      settings({ bom: 'yes', bom_at: -1, bom_rqp: 1.5, bom_ra: Number.NaN, bom_d: '60', rqs: 0 }),
    );
    expect(snap.context.settings).toEqual(DEFAULT_BACKOFF_SETTINGS);
    expect(snap.context.maxQueueSize).toBe(1000);
    expect(logs(cmds).map((l) => l.message)).toEqual([
      'settings, invalid bom [yes] ignored, keeping [true]',
      'settings, invalid bom_at [-1] ignored, keeping [10]',
      'settings, invalid bom_rqp [1.5] ignored, keeping [0.5]',
      'settings, invalid bom_ra [NaN] ignored, keeping [24]',
      'settings, invalid bom_d [60] ignored, keeping [60]',
      'settings, invalid rqs [0] ignored, keeping [1000]',
    ]);
    expect(logs(cmds).every((l) => l.level === 'warning')).toBe(true);
  });

  it('readBackoffSettings accepts the range ends of bom_rqp and skips absent keys', () => {
    expect(readBackoffSettings({ bom_rqp: 0 })).toEqual({ settings: { bom_rqp: 0 }, rejected: [] });
    expect(readBackoffSettings({ bom_rqp: 1, bom: false })).toEqual({ settings: { bom_rqp: 1, bom: false }, rejected: [] });
    expect(readBackoffSettings({ bom_d: 0, bom_at: Infinity })).toEqual({ settings: {}, rejected: ['bom_at', 'bom_d'] });
  });

  it('cleans the input: invalid stored settings and sizes take the defaults', () => {
    const { snap } = run({
      enabled: true,
      maxQueueSize: 0,
      settings: { bom_at: -3, bom_d: 15 },
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

// ---------------------------------------------------------------------------------------
// Model-based paths.

const MODEL_EVENTS: BackoffEvent[] = [
  slow(),
  fast(),
  slow({ status: 500 }),
  settings({ bom: false }),
  settings({ bom: true }),
  { type: 'backoff.resetCounters' },
  { type: AFTER_PAUSE } as unknown as BackoffEvent,
];

/** Counters beyond 2 add nothing new to the chart. */
function abstractState(s: Snap): string {
  const c = s.context;
  return JSON.stringify({
    value: s.value,
    bom: c.settings.bom,
    run: Math.min(c.consecutive, 2),
    max: Math.min(c.maxConsecutive, 2),
    counted: c.total > 0,
  });
}

const modelOptions = {
  input: input(),
  events: MODEL_EVENTS,
  serializeState: (s: Snap) => abstractState(s),
  filterEvents: (s: Snap, e: BackoffEvent) => (e.type as string) !== AFTER_PAUSE || typeof s.value === 'object',
};

function replay(steps: ReadonlyArray<{ event: BackoffEvent; state: Snap }>): void {
  const { actor, clock, seen } = startActor(modelOptions.input);
  let pausing = false;
  for (const step of steps) {
    const before = seen.length;
    const e = step.event;
    if ((e.type as string) === AFTER_PAUSE) clock.advance(actor.getSnapshot().context.settings.bom_d * 1000);
    else if (e.type === 'transport.succeeded') actor.send({ ...e, completedAt: clock.now(), createdAt: clock.now() - 1000 });
    else actor.send(e);
    const snap = actor.getSnapshot();
    for (const { cmd } of seen.slice(before)) {
      if (cmd.type !== 'broadcast') continue;
      if (cmd.event.type === 'backoff.ended') {
        expect(pausing, 'an end follows a start').toBe(true);
        pausing = false;
      } else {
        expect(snap.context.enabled && snap.context.settings.bom, 'no start while disabled').toBe(true);
        pausing = true;
      }
    }
    const c = snap.context;
    expect(c.total).toBeGreaterThanOrEqual(c.maxConsecutive);
    expect(c.maxConsecutive).toBeGreaterThanOrEqual(c.consecutive);
    expect(c.consecutive).toBeGreaterThanOrEqual(0);
    expect(typeof snap.value === 'object', 'backingOff exactly while a pause was announced').toBe(pausing);
    expect(c.untilMs !== null).toBe(pausing);
    expect(abstractState(snap), 'the actor follows the model').toBe(abstractState(step.state));
  }
  actor.stop();
}

describe('backoffMachine: model-based paths', () => {
  it('every shortest path keeps the invariants', () => {
    const paths = getShortestPaths(backoffMachine, modelOptions);
    expect(new Set(paths.map((p) => JSON.stringify(p.state.value)))).toEqual(
      new Set(['"watching"', '{"backingOff":"pausing"}']),
    );
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) replay(p.steps);
  });

  it('every simple path keeps the invariants', () => {
    const paths = getSimplePaths(backoffMachine, modelOptions);
    expect(paths.length).toBeGreaterThan(100);
    for (const p of paths) replay(p.steps);
  });
});

// ---------------------------------------------------------------------------------------
// Properties.

type Op =
  | { op: 'respond'; elapsedMs: number; queueLength: number; ageMs: number; status: number }
  | { op: 'settings'; settings: Record<string, unknown> }
  | { op: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('respond' as const),
      elapsedMs: fc.integer({ min: 0, max: 30_000 }),
      queueLength: fc.integer({ min: 0, max: 1200 }),
      ageMs: fc.integer({ min: -1000, max: 48 * 3_600_000 }),
      status: fc.constantFrom(200, 200, 200, 201, 500, 302),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('settings' as const),
      settings: fc.record(
        {
          bom: fc.oneof(fc.boolean(), fc.constant('no')),
          bom_at: fc.oneof(fc.integer({ min: -1, max: 20 }), fc.constant(Number.NaN)),
          bom_rqp: fc.double({ min: -0.5, max: 1.5, noNaN: true }),
          bom_ra: fc.integer({ min: 0, max: 48 }),
          bom_d: fc.integer({ min: 0, max: 120 }),
        },
        { requiredKeys: [] },
      ),
    }),
  },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 150_000 }).map((ms) => ({ op: 'advance' as const, ms })) },
);

function play(enabled: boolean, ops: Op[]) {
  const { actor, clock, seen } = startActor(input({ enabled }));
  for (const op of ops) {
    if (op.op === 'respond') {
      actor.send({
        type: 'transport.succeeded',
        seq: 1,
        status: op.status,
        body: OK_BODY,
        elapsedMs: op.elapsedMs,
        createdAt: clock.now() - op.ageMs,
        completedAt: clock.now(),
        queueLength: op.queueLength,
      });
    } else if (op.op === 'settings') actor.send(settings(op.settings));
    else clock.advance(op.ms);
    const c = actor.getSnapshot().context;
    expect(c.total).toBeGreaterThanOrEqual(c.maxConsecutive);
    expect(c.maxConsecutive).toBeGreaterThanOrEqual(c.consecutive);
    expect(c.consecutive).toBeGreaterThanOrEqual(0);
    expect(actor.getSnapshot().status).toBe('active');
  }
  actor.stop();
  return { seen, context: actor.getSnapshot().context };
}

describe('backoffMachine: properties', () => {
  it('total ≥ maxConsecutive ≥ 0, and never a pause when disabled', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { seen, context } = play(false, ops);
        expect(seen.filter((s) => s.cmd.type === 'broadcast')).toEqual([]);
        expect(context.total).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('the pause lasts exactly bom_d from its (re)start, starts and ends alternate', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const { actor, clock, seen } = startActor(input());
        let open: { untilMs: number } | null = null;
        const consume = (from: number) => {
          for (const { at, cmd } of seen.slice(from)) {
            if (cmd.type !== 'broadcast') continue;
            if (cmd.event.type === 'backoff.started') {
              // A restart replaces the open pause; the pause length is read when it starts.
              const bomD = actor.getSnapshot().context.settings.bom_d;
              open = { untilMs: cmd.event.untilMs };
              expect(cmd.event.untilMs).toBe(at + bomD * 1000);
            } else {
              expect(open, 'an end follows a start').not.toBeNull();
              // Either the delay ran its length, or bom was switched off.
              if (actor.getSnapshot().context.settings.bom) expect(at).toBe(open!.untilMs);
              else expect(at).toBeLessThanOrEqual(open!.untilMs);
              open = null;
            }
          }
        };
        for (const op of ops) {
          const from = seen.length;
          if (op.op === 'respond')
            actor.send({
              type: 'transport.succeeded',
              seq: 1,
              status: op.status,
              body: OK_BODY,
              elapsedMs: op.elapsedMs,
              createdAt: clock.now() - op.ageMs,
              completedAt: clock.now(),
              queueLength: op.queueLength,
            });
          else if (op.op === 'settings') actor.send(settings(op.settings));
          else clock.advance(op.ms);
          consume(from);
          const c = actor.getSnapshot().context;
          expect(c.total).toBeGreaterThanOrEqual(c.maxConsecutive);
          expect(c.maxConsecutive).toBeGreaterThanOrEqual(c.consecutive);
          expect(open !== null).toBe(typeof actor.getSnapshot().value === 'object');
        }
        actor.stop();
      }),
      { numRuns: 200 },
    );
  });

  it('the counters follow the health-check definition', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('T', 'N', 'U'), { maxLength: 50 }), (seq) => {
        // T: triggers, N: delivered and does not trigger, U: not delivered
        const events = seq.map((k) => (k === 'T' ? slow() : k === 'N' ? fast() : slow({ status: 500 })));
        const { snap } = run(input(), ...events);
        const runs = seq.filter((k) => k !== 'U').join('').split('N');
        expect(snap.context.total).toBe(seq.filter((k) => k === 'T').length);
        expect(snap.context.maxConsecutive).toBe(Math.max(0, ...runs.map((r) => r.length)));
        expect(snap.context.consecutive).toBe(runs.at(-1)!.length);
      }),
    );
  });
});
