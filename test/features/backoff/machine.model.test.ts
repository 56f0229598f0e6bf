/**
 * The backoff machine as a whole (spec: Backoff Mechanism; SDK Behavior Settings bom*):
 *
 * - model: shortest and simple paths replayed on an actor, invariants checked at each step
 * - property: random responses, raw settings (decoded as the SDK does) and clock moves
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { typedSettings } from '../../../src/domain/behavior-settings.js';
import { backoffMachine, type BackoffEvent } from '../../../src/features/backoff/machine.js';
import { OK_BODY, AFTER_PAUSE, input, slow, fast, settings, run, startActor, type Snap } from './helpers.js';

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
  /** Raw server values, decoded as the SDK does before broadcasting them. */
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
    } else if (op.op === 'settings') actor.send(settings(typedSettings(op.settings).settings));
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
          else if (op.op === 'settings') actor.send(settings(typedSettings(op.settings).settings));
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
