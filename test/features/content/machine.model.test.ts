/**
 * The content zone machine over its statechart (spec 001: Content Zone l. 1346-1604; jte
 * l. 4766): every shortest path and every simple path of a reduced event set from
 * `xstate/graph`, replayed on an actor driven by a simulated clock. At each step:
 *
 * - a timer step fires exactly after its named delay (nothing 1 ms earlier): the first entry
 *   4 s, then the interval, 2 × the interval after content closed, 1 s between journey
 *   retries, 200 ms for the resize message;
 * - no fetch while content or a feedback widget is shown, none without consent or with a
 *   temporary device ID, and no flush while `rcz` is off;
 * - `overlay.shown` / `overlay.closed` alternate and match the `showing` state;
 * - a journey is retried at most 3 times.
 */
import { describe, expect, it } from 'vitest';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { contentMachine, type ContentEvent } from '../../../src/features/content/machine.js';
import {
  AFTER_FETCH,
  AFTER_RESIZE,
  AFTER_RETRY,
  NO_CONTENT,
  T0,
  closed,
  consent,
  enter,
  exit,
  fetchFailed,
  fetched,
  flushed,
  input,
  journey,
  messaged,
  newDeviceId,
  overlay,
  preview,
  refresh,
  settings,
  startActor,
  tempId,
  type Cmd,
  type Snap,
} from './helpers.js';

const LATE = T0 + 10_000;
const timer = (type: string) => ({ type }) as unknown as ContentEvent;

/** The events possible in a state, with the tags and show IDs the state expects. */
function eventsFor(s: Snap, full: boolean): ContentEvent[] {
  const c = s.context;
  const out: ContentEvent[] = [enter(T0 + 1_000), enter(LATE), exit(LATE), refresh(LATE), journey('buy', LATE), consent(false), overlay(true), overlay(false)];
  if (full) out.push(preview('p1', LATE), consent(true), newDeviceId(false), tempId(), settings({ rcz: false }), settings({}), settings({ ecz: true }));
  if (s.matches('waiting')) out.push(timer(AFTER_FETCH));
  if (s.matches('retrying')) out.push(timer(AFTER_RETRY));
  if (s.matches({ showing: 'resizing' })) out.push(timer(AFTER_RESIZE));
  if (s.matches('fetching') && c.tag !== null) out.push(fetched(c.tag, undefined, 200, LATE), fetched(c.tag, NO_CONTENT, 200, LATE), fetchFailed(c.tag, LATE));
  if (s.matches('flushing') && c.tag !== null) out.push(flushed(c.tag, true, LATE), flushed(c.tag, false, LATE));
  if (c.show !== null) {
    out.push(closed(c.show.id, LATE), messaged(c.show.id, { event: [{ key: 'k' }], close: 1 }), messaged(c.show.id, { resize_me: { p: { x: 0, y: 0, w: 1, h: 1 } } }));
    if (full) out.push({ type: 'content.viewportChanged', showId: c.show.id }, messaged(c.show.id, { close: 1 }, 'https://elsewhere.example'));
  }
  return out;
}

function abstractState(s: Snap): string {
  const c = s.context;
  return JSON.stringify({
    v: s.value,
    zone: c.inZone,
    fb: c.feedbackShown,
    consent: c.consent,
    temp: c.temporaryId,
    rcz: c.refreshAllowed,
    ecz: c.enterAfterInit,
    late: c.now - c.bootAt >= 4_000,
    journey: c.journey?.retriesLeft ?? null,
    preview: c.previewId !== null,
    acted: c.show?.acted ?? null,
    wait: c.waitMs / c.intervalMs,
  });
}

const DELAYS: Record<string, (s: Snap) => number> = {
  [AFTER_FETCH]: (s) => s.context.waitMs,
  [AFTER_RETRY]: () => 1_000,
  [AFTER_RESIZE]: () => 200,
};

/** How often the timing rules were actually met on the paths (each must be). */
const checked = { closeWaits: 0, initialDelays: 0 };

/** Replays a path on an actor; `serialize` is the model's (a coarse model keeps one snapshot per class). */
function replay(steps: ReadonlyArray<{ event: ContentEvent; state: Snap }>, serialize: (s: Snap) => string = abstractState): void {
  const { actor, clock, seen } = startActor(input());
  let overlayUp = false;
  let journeyFlushes = 0;
  let lastClose: number | null = null;
  for (const step of steps) {
    const before = actor.getSnapshot();
    const from = seen.length;
    const delay = DELAYS[step.event.type as string];
    if (delay) {
      const ms = delay(before);
      if ((step.event.type as string) === AFTER_FETCH) {
        expect([0, 4_000, before.context.intervalMs, 2 * before.context.intervalMs], 'the zone waits a named delay').toContain(ms);
        // spec l. 1414: after content closed, 2 × the interval before the next fetch.
        if (lastClose !== null) {
          expect(ms).toBe(2 * before.context.intervalMs);
          checked.closeWaits += 1;
        }
        if (ms === 4_000) checked.initialDelays += 1;
      }
      if (ms > 0) {
        clock.advance(ms - 1);
        expect(seen.length, 'nothing happens 1 ms early').toBe(from);
        expect(abstractState(actor.getSnapshot())).toBe(abstractState(before));
      }
      clock.advance(ms === 0 ? 0 : 1);
    } else {
      // A coarse model keeps one snapshot per class: the request and show IDs are the actor's own.
      const e = step.event;
      const c = before.context;
      actor.send('tag' in e ? { ...e, tag: c.tag ?? e.tag } : 'showId' in e ? { ...e, showId: c.show?.id ?? e.showId } : e);
    }
    const after = actor.getSnapshot();
    const cmds: Cmd[] = seen.slice(from).map((x) => x.cmd);
    const usable = before.context.consent && !before.context.temporaryId;
    for (const cmd of cmds) {
      if (cmd.type === 'content.fetch') {
        expect(before.matches('showing') || before.context.feedbackShown, 'no fetch while content or a widget is shown').toBe(false);
        expect(usable, 'no fetch without consent or with a temporary ID').toBe(true);
      }
      if (cmd.type === 'content.flush') {
        expect(usable && before.context.refreshAllowed, 'no refresh without consent, with a temporary ID, or with rcz off').toBe(true);
        if (after.context.journey !== null) journeyFlushes += 1;
        else journeyFlushes = 0;
        expect(journeyFlushes, 'a journey tries at most 1 + 3 times').toBeLessThanOrEqual(4);
      }
      if (cmd.type === 'content.show') expect(usable).toBe(true);
      if (cmd.type === 'broadcast' && cmd.event.type === 'overlay.shown') {
        expect(overlayUp).toBe(false);
        overlayUp = true;
      }
      if (cmd.type === 'broadcast' && cmd.event.type === 'overlay.closed') {
        expect(overlayUp).toBe(true);
        overlayUp = false;
      }
    }
    if (after.context.journey === null) journeyFlushes = 0;
    // The wait that follows a close (checked when its timer fires).
    if (delay || !after.matches('waiting')) lastClose = null;
    if (cmds.some((c) => c.type === 'content.close') && after.matches('waiting')) lastClose = clock.now();
    expect(overlayUp, 'the overlay is announced exactly while showing').toBe(after.matches('showing'));
    expect(after.matches('waiting') ? after.context.inZone : true, 'the zone timer runs only in the zone').toBe(true);
    expect(serialize(after), 'the actor follows the model').toBe(serialize(step.state));
  }
  actor.stop();
}

describe('contentMachine: model-based paths on a simulated clock', () => {
  it('every shortest path keeps the rules', () => {
    const paths = getShortestPaths(contentMachine, { input: input(), events: (s: Snap) => eventsFor(s, true), serializeState: abstractState });
    const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    for (const v of ['"outside"', '"waiting"', '"fetching"', '{"showing":"steady"}', '{"showing":"resizing"}', '"flushing"', '"retrying"']) expect(values).toContain(v);
    expect(paths.length).toBeGreaterThan(200);
    for (const p of paths) replay(p.steps);
    expect(checked.closeWaits).toBeGreaterThan(0);
    expect(checked.initialDelays).toBeGreaterThan(0);
  });

  it('every simple path of the core events keeps the rules', () => {
    // Simple paths explode with every flag: the zone's core (entry, timers, answers, closes,
    // refreshes, journeys) over a coarse state; feedback, consent and settings are covered above.
    const core = (s: Snap): ContentEvent[] => {
      const c = s.context;
      const out: ContentEvent[] = [enter(T0 + 1_000), exit(LATE), refresh(LATE), journey('buy', LATE)];
      if (s.matches('waiting')) out.push(timer(AFTER_FETCH));
      if (s.matches('retrying')) out.push(timer(AFTER_RETRY));
      if (s.matches('fetching') && c.tag !== null) out.push(fetched(c.tag, undefined, 200, LATE), fetched(c.tag, NO_CONTENT, 200, LATE));
      if (s.matches('flushing') && c.tag !== null) out.push(flushed(c.tag, true, LATE), flushed(c.tag, false, LATE));
      if (c.show !== null) out.push(closed(c.show.id, LATE), messaged(c.show.id, { event: [{ key: 'k' }], close: 1 }));
      return out;
    };
    const coarse = (s: Snap) => JSON.stringify({ v: s.value, zone: s.context.inZone, late: s.context.now - s.context.bootAt >= 4_000, journey: s.context.journey !== null });
    const paths = getSimplePaths(contentMachine, { input: input(), events: core, serializeState: coarse });
    expect(paths.length).toBeGreaterThan(1_000);
    for (const p of paths) replay(p.steps, coarse);
  });
});
