/**
 * The feedback machine as a whole (spec 001: User Feedback l. 3443–3751): every shortest and
 * simple path of its chart from `xstate/graph`, replayed on an actor with the rules checked
 * after each step, transition coverage, and a fast-check property over random sequences.
 *
 * Rules: `overlay.shown` / `overlay.closed` alternate and bracket exactly the `showing` state;
 * nothing is requested, shown or recorded without `feedback` consent or in temporary-ID mode;
 * a present's `onFinished` and `onClosed` are called at most once each, `onClosed` only after
 * the widget was handed to the platform; a refused present never touches the one in progress.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { feedbackMachine, type FeedbackEmitted, type FeedbackEvent } from '../../../src/features/feedback/machine.js';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { ev, input, NPS } from './helpers.js';

type Snap = SnapshotFrom<typeof feedbackMachine>;

/** The events offered in a state: answers name the tags actually pending; tokens say whether the present may start. */
function eventsFor(s: Snap): FeedbackEvent[] {
  const idle = s.matches('idle');
  const fin = idle ? 'F' : 'F-busy';
  const clo = idle ? 'C' : 'C-busy';
  const presentTag = s.context.presenting?.tag ?? 'fb:none';
  const requestTag = Object.keys(s.context.requests)[0] ?? 'fb:none';
  return [
    ev.present(null, null, fin, clo),
    ev.present(NPS, null, fin, clo),
    ev.present(null, 'missing', fin, clo),
    ev.list(),
    ev.data(),
    { type: 'feedback.rate', rating: { widgetId: 'w', rating: 3, contactMe: false }, at: { timestamp: 1, hour: 0, dow: 0, tz: 0 }, id: 'x' },
    ev.consent(false, ['star-rating']),
    ev.answered(presentTag),
    ev.answered(presentTag, '{"result":[]}'),
    ev.failed(presentTag),
    ev.answered(requestTag),
    ev.failed(requestTag),
    ev.answered('rc:1'),
    { type: 'feedback.shown' },
    { type: 'feedback.showFailed', reason: 'no UI' },
    ev.close(),
    ev.message('https://countly_action_event/?cly_x_action_event=1&action=link&link=https%3A%2F%2Fa.b&close=1'),
    ev.message('https://countly_action_event/?cly_x_action_event=1&action=link&link=https%3A%2F%2Fa.b'),
    { type: 'feedback.closed' },
    ev.consent(false),
    ev.consent(true),
    ev.identity(true),
    ev.identity(false),
    ev.report(null),
  ];
}

const abstract = (s: Snap): string =>
  JSON.stringify({ v: s.value, consent: s.context.consent, rating: s.context.starRating, temp: s.context.temporary, requests: Math.min(Object.keys(s.context.requests).length, 1) });

/** The overlay's life and consent only: simple paths over every event would not end. */
const CORE = new Set(['feedback.present', 'direct.answered', 'direct.failed', 'feedback.shown', 'feedback.showFailed', 'feedback.message', 'feedback.closed', 'consent.changed']);
const coreEventsFor = (s: Snap): FeedbackEvent[] =>
  eventsFor(s).filter((e) => CORE.has(e.type) && !(e.type === 'feedback.present' && e.match === 'missing') && !(e.type === 'direct.answered' && e.tag === 'rc:1') && !(e.type === 'consent.changed' && !e.after['star-rating']));

const options = { input: input(), events: eventsFor, serializeState: abstract, serializeEvent: (e: FeedbackEvent) => JSON.stringify(e) };

/** Replays `events` on an actor, checking the rules after each step; returns the transitions taken. */
function replay(events: readonly FeedbackEvent[], taken?: Set<string>): void {
  const actor = createActor(feedbackMachine, { input: input() });
  const seen: FeedbackEmitted[] = [];
  actor.on('*', (c) => void seen.push(c as FeedbackEmitted));
  actor.start();
  let overlay = false;
  let finished = 0;
  let closed = 0;
  let handed = false;
  for (const e of events) {
    const before = actor.getSnapshot();
    const allowed = before.context.consent && !before.context.temporary;
    if (taken) for (const t of takenTransitions(feedbackMachine, before, e)) taken.add(t);
    if (before.matches('idle')) {
      finished = 0;
      closed = 0;
      handed = false;
    }
    const from = seen.length;
    actor.send(e);
    const snap = actor.getSnapshot();
    for (const c of seen.slice(from)) {
      if (c.type === 'broadcast' && c.event.type === 'overlay.shown') {
        expect(overlay, 'overlay.shown twice').toBe(false);
        overlay = true;
      }
      if (c.type === 'broadcast' && c.event.type === 'overlay.closed') {
        expect(overlay, 'overlay.closed without shown').toBe(true);
        overlay = false;
      }
      if (c.type === 'direct.request' || c.type === 'feedback.show' || (c.type === 'event.record' && c.key !== '[CLY]_star_rating')) {
        expect(allowed, `${c.type} while blocked`).toBe(true);
      }
      if (c.type === 'feedback.show') handed = true;
      if (c.type === 'callback.invoke') {
        expect(c.token, 'a refused present never reaches the callbacks of the one in progress').not.toBe('C-busy');
        if (c.token === 'F') finished += 1;
        if (c.token === 'C') {
          closed += 1;
          expect(handed, 'onClosed only after the widget was handed over').toBe(true);
        }
      }
    }
    expect(finished).toBeLessThanOrEqual(1);
    expect(closed).toBeLessThanOrEqual(1);
    expect(snap.matches('showing'), 'overlay announced exactly while showing').toBe(overlay);
    expect(snap.context.presenting === null, 'something is presented exactly when not idle').toBe(snap.matches('idle'));
    expect(snap.status).toBe('active');
  }
  actor.stop();
}

describe('feedbackMachine: model-based paths', () => {
  it('every shortest path keeps the rules, and together they take every transition', () => {
    const paths = getShortestPaths(feedbackMachine, options);
    const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    expect(values).toEqual(new Set(['"idle"', '"fetching"', '{"showing":"opening"}', '{"showing":"open"}', '{"showing":"closing"}']));
    const taken = new Set<string>();
    for (const p of paths) replay(p.steps.map((s) => s.event), taken);
    // Paths plus one step of every offered event from every reached state cover the chart.
    for (const p of paths) for (const e of eventsFor(p.state)) for (const t of takenTransitions(feedbackMachine, p.state, e)) taken.add(t);
    expect([...allTransitions(feedbackMachine)].filter((t) => !taken.has(t))).toEqual([]);
  });

  it('every simple path keeps the rules', () => {
    const paths = getSimplePaths(feedbackMachine, { ...options, events: coreEventsFor, serializeState: (s: Snap) => JSON.stringify({ v: s.value, consent: s.context.consent }) });
    expect(paths.length).toBeGreaterThan(50);
    for (const p of paths) replay(p.steps.map((s) => s.event));
  });
});

describe('feedbackMachine: property', () => {
  it('any sequence of calls, answers, UI results and mode changes keeps the rules', () => {
    const actorEvents = fc.array(fc.integer({ min: 0, max: 24 }), { maxLength: 40 });
    fc.assert(
      fc.property(actorEvents, (picks) => {
        // Each pick chooses among the events offered in the state reached so far.
        const actor = createActor(feedbackMachine, { input: input() });
        actor.start();
        const events: FeedbackEvent[] = [];
        for (const i of picks) {
          const offered = eventsFor(actor.getSnapshot());
          const e = offered[i % offered.length]!;
          events.push(e);
          actor.send(e);
        }
        actor.stop();
        replay(events);
      }),
      { numRuns: 300 },
    );
  });
});
