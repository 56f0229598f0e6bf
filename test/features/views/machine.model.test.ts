/**
 * The view machine, model-based: every shortest path of the chart, and one more step of every
 * event (calls on running and on remembered views alike), replayed on an actor with a
 * simulated clock, checking the view invariants after each step; and a check that the paths
 * take every transition of the chart.
 */
import { describe, expect, it } from 'vitest';
import { createActor, transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { viewMachine, type ViewEvent, type ViewInput } from '../../../src/features/views/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { ALL, T0, at, check, commands, consent, ev, input, type Cmd, type Snap, type ViewLedger } from './harness.js';

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
    // Automatic views are off in these inputs: a navigation only takes its transition (the
    // automatic rules have their own tests in page-views.*.test.ts).
    { type: 'views.navigated', location: { href: 'https://x.test/a', pathname: '/a' }, initial: false, at: at(0) },
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
    foreground: c.foreground,
    consent: c.consent.views,
    vt: c.viewTracking,
  });
}

const filterEvents = (s: Snap, e: ViewEvent): boolean => {
  const c = s.context;
  if ((e.type === 'views.start' || e.type === 'views.startAutoStopped') && c.running.length >= 2) return false;
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
