/**
 * The request processor at page exit (`app.exiting`): it asks for the hand-over
 * (`requests.handOff`) exactly when sending is allowed for a flush and the last send did not
 * fail, and the exit changes nothing else — no state, no context, no other command.
 * Unit transitions, every shortest path of the chart with an exit after each step, and a
 * property over random traffic.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { requestProcessorMachine, type Hold, type RequestProcessorCommand, type RequestProcessorEvent } from '../../../src/features/processor/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof requestProcessorMachine>;

const EXIT: RequestProcessorEvent = { type: 'app.exiting', at: { timestamp: 1, hour: 0, dow: 0, tz: 0 } } as unknown as RequestProcessorEvent;
const base = { elapsedMs: 5, createdAt: 0, completedAt: 5, queueLength: 1 };
const EVENTS: RequestProcessorEvent[] = [
  { type: 'queue.changed', requests: 2, events: 0 },
  { type: 'queue.changed', requests: 0, events: 0 },
  { type: 'sending.hold', reason: 'offline' },
  { type: 'sending.release', reason: 'offline' },
  { type: 'processor.hold', reason: 'temporary-id' },
  { type: 'processor.release', reason: 'temporary-id' },
  { type: 'backoff.started', untilMs: 1 },
  { type: 'backoff.ended' },
  { type: 'processor.flush', flushId: 1 },
  { type: 'transport.succeeded', seq: 1, status: 200, body: '{"result":"Success"}', ...base },
  { type: 'transport.succeeded', seq: 1, status: 500, body: '{}', ...base },
  { type: 'transport.failed', seq: 1, reason: 'timeout', ...base },
  { type: 'transport.idle', queueLength: 0 },
];

const hardHeld = (holds: readonly Hold[]): boolean => holds.some((h) => h !== 'backoff');

/** Sends the exit to `snap` and checks the one rule; returns whether it handed over. */
function exitFrom(snap: Snap): boolean {
  const [after, actions] = transition(requestProcessorMachine, snap, EXIT);
  const cmds = emittedCommands<RequestProcessorCommand>(actions);
  const expected = !hardHeld(snap.context.holds) && snap.context.lastFailure === null;
  const handOffs = cmds.filter((c) => c.type === 'requests.handOff');
  expect(handOffs, `hand-over in ${JSON.stringify(snap.value)} with holds [${snap.context.holds.join(',')}]`).toHaveLength(expected ? 1 : 0);
  expect(cmds.filter((c) => c.type !== 'requests.handOff' && c.type !== 'log'), 'the exit asks for nothing else').toEqual([]);
  expect(after.value, 'the exit changes no state').toEqual(snap.value);
  expect(after.context, 'the exit changes no context').toEqual(snap.context);
  return expected;
}

function run(...events: RequestProcessorEvent[]): Snap {
  let [snap] = initialTransition(requestProcessorMachine, { retryCooldownMs: 60_000, queueLength: 1 });
  for (const e of events) [snap] = transition(requestProcessorMachine, snap, e);
  return snap;
}

describe('requestProcessorMachine: app.exiting', () => {
  it('hands the queue over while sending, idle, or paused only by backoff', () => {
    expect(exitFrom(run())).toBe(true); // sending the head
    expect(exitFrom(run({ type: 'transport.idle', queueLength: 0 }))).toBe(true); // idle
    expect(exitFrom(run({ type: 'transport.idle', queueLength: 0 }, { type: 'backoff.started', untilMs: 5 }))).toBe(true);
  });

  it('keeps the queue for the next visit under a hard hold or after a failed send, and says why', () => {
    expect(exitFrom(run({ type: 'transport.idle', queueLength: 0 }, { type: 'sending.hold', reason: 'offline' }))).toBe(false);
    const cooling = run({ type: 'transport.failed', seq: 1, reason: 'timeout', ...base });
    expect(cooling.value).toBe('coolingDown');
    expect(exitFrom(cooling)).toBe(false);
    const [, actions] = transition(requestProcessorMachine, cooling, EXIT);
    expect(emittedCommands<RequestProcessorCommand>(actions)).toEqual([
      { type: 'log', level: 'debug', module: 'RequestProcessor', message: 'exit, the queue stays for the next visit: the last send failed' },
    ]);
  });

  it('after a delivery that follows a failure, hands over again', () => {
    const healed = run({ type: 'transport.failed', seq: 1, reason: 'timeout', ...base }, { type: 'processor.flush', flushId: 1 }, EVENTS[9] as RequestProcessorEvent);
    expect(exitFrom(healed)).toBe(true);
  });

  it('model: on every shortest path, an exit after each step follows the rule', () => {
    const paths = getShortestPaths(requestProcessorMachine, {
      input: { retryCooldownMs: 60_000, queueLength: 1 },
      events: EVENTS,
      serializeState: (s) => JSON.stringify({ v: s.value, h: [...s.context.holds].sort(), f: s.context.lastFailure === null, n: s.context.flushes.length }),
      filterEvents: (s, e) => (e.type.startsWith('transport.') ? s.value === 'sending' : e.type === 'processor.flush' ? s.context.flushes.length < 1 : true),
    });
    expect(paths.length).toBeGreaterThan(20);
    let handed = 0;
    let kept = 0;
    for (const path of paths) for (const step of path.steps) (exitFrom(step.state as Snap) ? handed++ : kept++);
    expect(handed).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(0);
  });

  it('property: after any traffic, an exit follows the rule', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EVENTS), { maxLength: 25 }), (events) => {
        exitFrom(run(...events));
      }),
      { numRuns: 300 },
    );
  });
});
