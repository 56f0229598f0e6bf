/**
 * The lifecycle machine (spec: Sessions > Automatic Session Tracking, lines 1290–1300): one
 * counter of visible components for the whole SDK; `app.visible` only on 0→1, `app.hidden`
 * only on 1→0; an unbalanced background is ignored with an error log (line 1300: "Unbalanced
 * lifecycle calls (counter going negative) should be ignored with an error log").
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the emitted commands
 * - model: every shortest and every simple path (counter bounded by the event filter)
 *   replayed on an actor from `path.steps`; the broadcasts match the counter at each step,
 *   and every transition of the chart is taken
 * - property: over any sequence of foreground/background calls the broadcasts alternate
 *   visible/hidden and are exactly what a plain counter model says
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { Instant } from '../../../src/domain/types.js';
import { instantAt } from '../../../src/protocol/time.js';
import { lifecycleListensTo, lifecycleMachine, type LifecycleCommand, type LifecycleEvent, type LifecycleInput } from '../../../src/features/lifecycle/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof lifecycleMachine>;
type Cmd = LifecycleCommand;

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (ms: number): Instant => instantAt(T0 + ms);
const fg = (ms = 0): LifecycleEvent => ({ type: 'lifecycle.foreground', at: at(ms) });
const bg = (ms = 0): LifecycleEvent => ({ type: 'lifecycle.background', at: at(ms) });
const UNBALANCED = 'background, the app went to the background more often than to the foreground; call ignored';

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

/** Pure: feeds events through `transition()`. */
function run(inp: LifecycleInput, ...events: LifecycleEvent[]): { snap: Snap; cmds: Cmd[] } {
  const [s0, a0] = initialTransition(lifecycleMachine, inp);
  let snap = s0;
  const cmds = commands(a0);
  for (const e of events) {
    const [next, actions] = transition(lifecycleMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds };
}

const announced = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'broadcast' ? [c.event.type] : []));
const errors = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [`${c.level}: [${c.module}] ${c.message}`] : []));

describe('lifecycleMachine: unit', () => {
  it('hears no broadcast: it is where app.visible / app.hidden start', () => {
    expect(lifecycleListensTo).toEqual([]);
  });

  it('the foreground at boot counts as one visible component, announced by nobody', () => {
    expect(run({ foreground: true })).toMatchObject({ snap: { value: 'visible', context: { visible: 1 } }, cmds: [] });
    expect(run({ foreground: false })).toMatchObject({ snap: { value: 'hidden', context: { visible: 0 } }, cmds: [] });
  });

  it('broadcasts app.visible on 0→1 and app.hidden on 1→0 only, with the moment of the call', () => {
    const { snap, cmds } = run({ foreground: false }, fg(1), fg(2), bg(3), fg(4), bg(5), bg(6));
    expect(cmds).toEqual([
      { type: 'broadcast', event: { type: 'app.visible', at: at(1) } },
      { type: 'broadcast', event: { type: 'app.hidden', at: at(6) } },
    ]);
    expect(snap.value).toBe('hidden');
    expect(snap.context.visible).toBe(0);
  });

  it('a component recreated (background then foreground of another) announces nothing', () => {
    expect(run({ foreground: true }, fg(1), bg(2), fg(3), bg(4)).cmds).toEqual([]);
  });

  it('ignores an unbalanced background with an error log; the counter never goes negative', () => {
    const { snap, cmds } = run({ foreground: false }, bg(1), bg(2), fg(3), bg(4), bg(5));
    expect(announced(cmds)).toEqual(['app.visible', 'app.hidden']);
    expect(errors(cmds)).toEqual([`error: [Lifecycle] ${UNBALANCED}`, `error: [Lifecycle] ${UNBALANCED}`, `error: [Lifecycle] ${UNBALANCED}`]);
    expect(snap.context.visible).toBe(0);
  });

  it('after an unbalanced background the next foreground still begins: 0→1', () => {
    expect(announced(run({ foreground: true }, bg(1), bg(2), fg(3)).cmds)).toEqual(['app.hidden', 'app.visible']);
  });
});

// ---- model-based -----------------------------------------------------------------------

const MAX = 3;
const EVENTS: LifecycleEvent[] = [fg(), bg()];
/** Bounds the counter so the graph is finite: a fourth visible component adds no new behaviour. */
const filterEvents = (s: Snap, e: LifecycleEvent): boolean => !(e.type === 'lifecycle.foreground' && s.context.visible >= MAX);
const serializeState = (s: Snap): string => `${JSON.stringify(s.value)}|${s.context.visible}`;

/** Replays the steps on an actor; each step's commands are what the counter says. */
function replay(inp: LifecycleInput, steps: ReadonlyArray<{ event: { type: string }; state: Snap }>): void {
  const actor = createActor(lifecycleMachine, { input: inp, clock: simulatedClock(T0) });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  let count = inp.foreground ? 1 : 0;
  for (const step of steps) {
    if (step.event.type === 'xstate.init') continue;
    const before = cmds.length;
    actor.send(step.event as LifecycleEvent);
    const fresh = cmds.slice(before);
    const expected: string[] = [];
    if (step.event.type === 'lifecycle.foreground') {
      count += 1;
      if (count === 1) expected.push('app.visible');
    } else if (count === 0) {
      expect(errors(fresh), 'an unbalanced background is refused with an error').toEqual([`error: [Lifecycle] ${UNBALANCED}`]);
    } else {
      count -= 1;
      if (count === 0) expected.push('app.hidden');
    }
    expect(announced(fresh)).toEqual(expected);
    const snap = actor.getSnapshot();
    expect(snap.context.visible).toBe(count);
    expect(snap.value).toBe(count > 0 ? 'visible' : 'hidden');
    expect(serializeState(snap), 'the actor follows the model').toBe(serializeState(step.state));
  }
  actor.stop();
}

describe('lifecycleMachine: model-based paths', () => {
  const taken = new Set<string>();
  for (const foreground of [true, false]) {
    it(`every shortest and every simple path replays on an actor (${foreground ? 'foreground' : 'background'} at boot)`, () => {
      const inp: LifecycleInput = { foreground };
      const options = { input: inp, events: EVENTS, filterEvents, serializeState: serializeState as never };
      const shortest = getShortestPaths(lifecycleMachine, options);
      const simple = getSimplePaths(lifecycleMachine, options);
      // The reachable counter values 0..MAX, each a state of its own.
      expect(shortest).toHaveLength(MAX + 1);
      expect(simple.length).toBeGreaterThanOrEqual(shortest.length);
      for (const path of [...shortest, ...simple]) {
        replay(inp, path.steps);
        for (const event of EVENTS.filter((e) => filterEvents(path.state, e))) {
          for (const t of takenTransitions(lifecycleMachine, path.state, event)) taken.add(t);
          const [next] = transition(lifecycleMachine, path.state, event);
          replay(inp, [...path.steps, { event, state: next }]);
        }
      }
    });
  }

  it('the paths take every transition of the chart', () => {
    expect([...allTransitions(lifecycleMachine)].filter((t) => !taken.has(t))).toEqual([]);
  });
});

// ---- properties --------------------------------------------------------------------------

describe('lifecycleMachine: properties', () => {
  it('over any sequence of calls the broadcasts alternate visible/hidden and match a counter model', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.boolean(), { maxLength: 80 }), (foreground, calls) => {
        const events = calls.map((isForeground, i) => (isForeground ? fg(i + 1) : bg(i + 1)));
        const { snap, cmds } = run({ foreground }, ...events);
        // The model: a counter that never goes negative, announcing 0→1 and 1→0.
        let count = foreground ? 1 : 0;
        const expected: Cmd[] = [];
        let refused = 0;
        calls.forEach((isForeground, i) => {
          if (isForeground) {
            count += 1;
            if (count === 1) expected.push({ type: 'broadcast', event: { type: 'app.visible', at: at(i + 1) } });
          } else if (count === 0) refused += 1;
          else {
            count -= 1;
            if (count === 0) expected.push({ type: 'broadcast', event: { type: 'app.hidden', at: at(i + 1) } });
          }
        });
        expect(cmds.filter((c) => c.type === 'broadcast')).toEqual(expected);
        const seen = announced(cmds);
        // Alternation, starting from the state at boot.
        seen.forEach((type, i) => {
          const startsVisible = !foreground;
          expect(type).toBe((i % 2 === 0) === startsVisible ? 'app.visible' : 'app.hidden');
        });
        expect(errors(cmds)).toHaveLength(refused);
        expect(snap.context.visible).toBe(count);
        expect(snap.value).toBe(count > 0 ? 'visible' : 'hidden');
      }),
      { numRuns: 500 },
    );
  });
});
