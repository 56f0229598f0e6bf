/**
 * The pool machine (src/backend/machine.ts): pure transitions, the timer on a simulated
 * clock, and every shortest/simple path of its graph replayed with its rules checked.
 */
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { simulatedClock } from '../../src/adapters/clock.js';
import { poolMachine, type PoolMachineCommand, type PoolMachineEvent } from '../../src/backend/machine.js';
import { instantAt } from '../../src/protocol/time.js';
import { emittedCommands } from '../helpers/machines.js';

const input = { flushIntervalMs: 60_000 };
const request = { appKey: 'a', deviceId: 'd', at: instantAt(1_700_000_000_000), params: { end_session: '1', session_duration: '5' } };

describe('pool machine: transitions', () => {
  it('starts running with nothing to do', () => {
    const [state, actions] = initialTransition(poolMachine, input);
    expect(state.value).toBe('running');
    expect(emittedCommands(actions)).toEqual([]);
  });

  it('a threshold empties the part of the pool its level covers', () => {
    const [s0] = initialTransition(poolMachine, input);
    const levels = [
      ['device', { kind: 'device', appKey: 'a', deviceId: 'd' }],
      ['app', { kind: 'app', appKey: 'a' }],
      ['server', { kind: 'all' }],
    ] as const;
    for (const [level, scope] of levels) {
      const [s1, actions] = transition(poolMachine, s0, { type: 'pool.reached', level, appKey: 'a', deviceId: 'd' });
      expect(emittedCommands(actions)).toEqual([{ type: 'pool.take', scope, reason: level }]);
      expect(s1.context.takes[level]).toBe(1);
    }
  });

  it("a device's request goes after its pooled events", () => {
    const [s0] = initialTransition(poolMachine, input);
    const [, actions] = transition(poolMachine, s0, { type: 'backend.request', request });
    expect(emittedCommands(actions)).toEqual([
      { type: 'pool.take', scope: { kind: 'device', appKey: 'a', deviceId: 'd' }, reason: 'order' },
      { type: 'backend.store', request },
    ]);
  });

  it('flush empties everything; stop empties everything once and ends', () => {
    const [s0] = initialTransition(poolMachine, input);
    const [s1, a1] = transition(poolMachine, s0, { type: 'backend.flush' });
    expect(emittedCommands(a1)).toEqual([{ type: 'pool.take', scope: { kind: 'all' }, reason: 'flush' }]);
    expect(s1.value).toBe('running');
    const [s2, a2] = transition(poolMachine, s1, { type: 'backend.stop' });
    expect(emittedCommands(a2)).toEqual([{ type: 'pool.take', scope: { kind: 'all' }, reason: 'shutdown' }]);
    expect(s2.value).toBe('stopped');
    expect(s2.status).toBe('done');
  });

  it('the timer dumps the pool every flushInterval on the injected clock', () => {
    const clock = simulatedClock();
    const actor = createActor(poolMachine, { input: { flushIntervalMs: 10_000 }, clock });
    const seen: PoolMachineCommand[] = [];
    actor.on('*', (c) => seen.push(c as PoolMachineCommand));
    actor.start();
    clock.advance(9_999);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual([{ type: 'pool.take', scope: { kind: 'all' }, reason: 'timer' }]);
    clock.advance(10_000);
    expect(seen.length).toBe(2);
    actor.send({ type: 'backend.stop' });
    clock.advance(60_000);
    expect(seen.map((c) => c.type === 'pool.take' && c.reason)).toEqual(['timer', 'timer', 'shutdown']);
    expect(actor.getSnapshot().context.takes.timer).toBe(2);
  });
});

describe('pool machine: model paths', () => {
  const AFTER = 'xstate.after.flushInterval.backendPool.running';
  const events: PoolMachineEvent[] = [
    { type: 'pool.reached', level: 'device', appKey: 'a', deviceId: 'd' },
    { type: 'pool.reached', level: 'server', appKey: 'a', deviceId: 'd' },
    { type: 'backend.request', request },
    { type: 'backend.flush' },
    { type: 'backend.stop' },
  ];
  const options = { input, events, serializeState: (s: { value: unknown; context: { takes: Record<string, number> } }) => JSON.stringify([s.value, Math.min(1, s.context.takes.flush ?? 0)]) };

  /** Replays a path on an actor with a simulated clock, checking the machine's rules after each step. */
  function replay(steps: ReadonlyArray<{ event: { type: string } }>): void {
    const clock = simulatedClock();
    const actor = createActor(poolMachine, { input, clock });
    const seen: PoolMachineCommand[] = [];
    actor.on('*', (c) => seen.push(c as PoolMachineCommand));
    actor.start();
    for (const { event } of steps) {
      const before = seen.length;
      const stopped = actor.getSnapshot().status === 'done';
      if (event.type === AFTER) clock.advance(input.flushIntervalMs);
      else if (event.type !== 'xstate.init') actor.send(event as PoolMachineEvent);
      const now = seen.slice(before);
      // Rule: nothing is decided after stop.
      if (stopped) expect(now).toEqual([]);
      // Rule: a device's request is always preceded by a take of that device.
      now.forEach((c, i) => {
        if (c.type === 'backend.store') expect(now[i - 1]).toEqual({ type: 'pool.take', scope: { kind: 'device', appKey: 'a', deviceId: 'd' }, reason: 'order' });
      });
      // Rule: stop, flush and the timer take everything.
      if (!stopped && ['backend.stop', 'backend.flush', AFTER].includes(event.type)) expect(now).toEqual([expect.objectContaining({ type: 'pool.take', scope: { kind: 'all' } })]);
    }
    actor.stop();
  }

  it('replays every shortest path', () => {
    const paths = getShortestPaths(poolMachine, options as never);
    expect(paths.length).toBeGreaterThan(1);
    for (const p of paths) replay(p.steps);
  });

  it('replays every simple path', () => {
    const paths = getSimplePaths(poolMachine, options as never);
    expect(paths.length).toBeGreaterThan(1);
    for (const p of paths) replay(p.steps);
  });
});
