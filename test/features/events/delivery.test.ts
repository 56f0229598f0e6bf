/**
 * When queued events go into a request (verification issue item 15: recorded events waited
 * for a flush, a threshold or a session end). On a simulated clock, the events machine
 * combines what waits:
 * (a) right before every session request: `session.beginning`, `session.updating`,
 *     `session.ending` (the session machine broadcasts them right before it queues
 *     begin_session / session_duration / end_session; the router delivers them to events first)
 * (b) at the latest `sessionUpdateInterval` seconds (the server's `sui` overrides) after the
 *     first event started waiting: a named delay armed on entering `holding`, not a ticking timer
 * (c) at boot, when an earlier run left stored events.
 */
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { DEFAULT_LIMITS, resolveConfig } from '../../../src/config.js';
import { ConsentFeatures, type ConsentState, type WireEvent } from '../../../src/domain/types.js';
import type { Broadcast } from '../../../src/effects/commands.js';
import { eventsFeature } from '../../../src/features/events/index.js';
import { eventsInputFrom, eventsMachine, type EventsCommand, type EventsEvent, type EventsInput } from '../../../src/features/events/machine.js';
import { createLogger } from '../../../src/log.js';
import { instantAt } from '../../../src/protocol/time.js';
import { createRouter, listenersOf } from '../../../src/runtime/router.js';
import { features } from '../../../src/features/index.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const ALL = Object.fromEntries(ConsentFeatures.map((f) => [f, true])) as unknown as ConsentState;
const NONE = Object.fromEntries(ConsentFeatures.map((f) => [f, false])) as unknown as ConsentState;

const input = (over: Partial<EventsInput> = {}): EventsInput => ({
  consent: ALL,
  threshold: 100,
  flushIntervalSeconds: 60,
  limits: { ...DEFAULT_LIMITS },
  visibilityTracking: false,
  previousNameRecording: false,
  storedEvents: [],
  foreground: true,
  settings: {},
  ...over,
});

/** An events actor on a simulated clock; `record(key)` stamps the event with the clock's time. */
function harness(inp: EventsInput = input()) {
  const clock = simulatedClock(T0);
  const actor = createActor(eventsMachine, { input: inp, clock });
  const commands: EventsCommand[] = [];
  actor.on('*', (c) => commands.push(c));
  actor.start();
  let n = 0;
  return {
    clock,
    actor,
    record(key: string): void {
      actor.send({ type: 'events.record', key, at: instantAt(clock.now()), id: `${key}-${(n += 1)}` });
    },
    send: (e: EventsEvent): void => actor.send(e),
    /** The keys of each request queued since the last call. */
    takeBatches(): string[][] {
      const out = commands.splice(0).flatMap((c) => (c.type === 'request.enqueue' ? [(JSON.parse(c.params.events ?? '[]') as WireEvent[]).map((e) => e.key)] : []));
      return out;
    },
  };
}

const sessionBroadcasts: Array<Extract<Broadcast, { type: 'session.beginning' | 'session.updating' | 'session.ending' }>['type']> = [
  'session.beginning',
  'session.updating',
  'session.ending',
];

describe('(a) right before every session request', () => {
  for (const type of sessionBroadcasts) {
    it(`${type} queues every waiting event, in batches of at most the threshold`, () => {
      const h = harness(input({ threshold: 2 }));
      for (const k of ['a', 'b', 'c']) h.record(k);
      expect(h.takeBatches()).toEqual([['a', 'b']]);
      h.send({ type, at: instantAt(h.clock.now()) });
      expect(h.takeBatches()).toEqual([['c']]);
      expect(h.actor.getSnapshot().value).toBe('empty');
      // Nothing waits: nothing to queue, and no interval flush later.
      h.send({ type, at: instantAt(h.clock.now()) });
      h.clock.advance(120_000);
      expect(h.takeBatches()).toEqual([]);
      h.actor.stop();
    });
  }

  it('the router delivers them to the events machine', () => {
    const route = createRouter(listenersOf(features));
    for (const type of sessionBroadcasts) {
      expect(eventsFeature.listensTo).toContain(type);
      expect(route(type)).toContain('events');
    }
  });
});

describe('(b) at the latest one interval after the first event started waiting', () => {
  it('fires sessionUpdateInterval after the first waiting event, not on a tick from boot', () => {
    const h = harness();
    h.clock.advance(30_000);
    h.record('a');
    h.clock.advance(20_000);
    h.record('b');
    // a has waited 59.999 s
    h.clock.advance(39_999);
    expect(h.takeBatches()).toEqual([]);
    expect(h.actor.getSnapshot().value).toBe('holding');
    h.clock.advance(1);
    expect(h.takeBatches()).toEqual([['a', 'b']]);
    expect(h.actor.getSnapshot().value).toBe('empty');
    expect(h.actor.getSnapshot().context.pending).toEqual([]);
    h.actor.stop();
  });

  it('arms nothing while nothing waits, and re-arms from the next event', () => {
    const h = harness();
    h.clock.advance(600_000);
    expect(h.takeBatches()).toEqual([]);
    h.record('a');
    h.clock.advance(60_000);
    expect(h.takeBatches()).toEqual([['a']]);
    h.clock.advance(45_000);
    h.record('b');
    h.clock.advance(59_999);
    expect(h.takeBatches()).toEqual([]);
    h.clock.advance(1);
    expect(h.takeBatches()).toEqual([['b']]);
    h.actor.stop();
  });

  it('a flush before the interval cancels it; the next event starts a new one', () => {
    const h = harness();
    h.record('a');
    h.clock.advance(40_000);
    h.send({ type: 'session.updating', at: instantAt(h.clock.now()) });
    expect(h.takeBatches()).toEqual([['a']]);
    h.clock.advance(10_000);
    h.record('b');
    // The first timer would have fired at 60 s: it is gone.
    h.clock.advance(30_000);
    expect(h.takeBatches()).toEqual([]);
    h.clock.advance(30_000);
    expect(h.takeBatches()).toEqual([['b']]);
    h.actor.stop();
  });

  it('the configured sessionUpdateInterval sets it (2 s, as in the verification run)', () => {
    const config = resolveConfig({ url: 'https://x.test', appKey: 'k', sessionUpdateInterval: 2, manualSessions: true }, createLogger({ console: false }));
    const h = harness(eventsInputFrom(config, [], ALL));
    h.record('a');
    h.clock.advance(1_999);
    expect(h.takeBatches()).toEqual([]);
    h.clock.advance(1);
    expect(h.takeBatches()).toEqual([['a']]);
    h.actor.stop();
  });

  it("the server's sui overrides it, from the next event that starts waiting", () => {
    const h = harness(input({ flushIntervalSeconds: 60, settings: { sui: 10 } }));
    h.record('a');
    h.clock.advance(10_000);
    expect(h.takeBatches()).toEqual([['a']]);
    h.send({ type: 'settings.updated', settings: { sui: 3 } });
    h.record('b');
    h.clock.advance(3_000);
    expect(h.takeBatches()).toEqual([['b']]);
    h.send({ type: 'settings.updated', settings: {} });
    h.record('c');
    h.clock.advance(59_999);
    expect(h.takeBatches()).toEqual([]);
    h.clock.advance(1);
    expect(h.takeBatches()).toEqual([['c']]);
    h.actor.stop();
  });

  it('the last of 1,000 events goes within the interval (item 15: it stayed queued 70 s)', () => {
    const h = harness();
    const records = Array.from({ length: 1_000 }, (_, i) => ({ key: `e${i}`, at: instantAt(h.clock.now()), id: `id${i}` }));
    h.send({ type: 'events.recordMany', records });
    expect(h.takeBatches().map((b) => b.length)).toEqual(Array.from({ length: 10 }, () => 100));
    h.record('last');
    h.clock.advance(60_000);
    expect(h.takeBatches()).toEqual([['last']]);
    h.actor.stop();
  });
});

describe('(c) at boot, when stored events exist', () => {
  const stored = (n: number): WireEvent[] => Array.from({ length: n }, (_, i) => ({ key: `s${i}`, count: 1, sum: 0, dur: 0, timestamp: T0 - 1000 + i, hour: 10, dow: 4, id: `s${i}` }));

  it('queues them at once, in batches of at most the threshold, whatever the consent now', () => {
    const h = harness(input({ storedEvents: stored(5), threshold: 2, consent: NONE }));
    expect(h.takeBatches()).toEqual([['s0', 's1'], ['s2', 's3'], ['s4']]);
    expect(h.actor.getSnapshot().value).toBe('empty');
    h.clock.advance(120_000);
    expect(h.takeBatches()).toEqual([]);
    h.actor.stop();
  });

  it('with nothing stored, nothing is queued at boot', () => {
    const h = harness();
    expect(h.takeBatches()).toEqual([]);
    h.actor.stop();
  });
});
