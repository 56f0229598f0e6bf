/**
 * The events machine (spec: Events, Internal Events, Timed Events, Event Queue, Experimental,
 * SDK Behavior Settings filters).
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the emitted commands
 * - model: every shortest path of the chart (abstracted: queue length, timed keys, consent,
 *   foreground, threshold) and one more step of every event, replayed on an actor, checking
 *   the queue ledger after each step; together they take every transition of the chart
 * - property: random records, flushes, threshold changes, consent changes, device-ID changes,
 *   timed events, lifecycle and clock advances (the flushInterval delay fires): the enqueued
 *   batches are the accepted events, in order, none lost or duplicated, each batch ≤
 *   threshold; persisted − unpersisted = pending; consent gates per the internal-event table;
 *   timed durations are end − start
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { DEFAULT_LIMITS, resolveConfig } from '../../../src/config.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { typedSettings } from '../../../src/domain/behavior-settings.js';
import { consentFeatureFor } from '../../../src/domain/events.js';
import { ConsentFeatures, type ConsentState, type Instant, type Segmentation, type WireEvent } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/log.js';
import { instantAt } from '../../../src/protocol/time.js';
import {
  eventsInputFrom,
  eventsListensTo,
  eventsMachine,
  type EventsCommand,
  type EventsEvent,
  type EventsInput,
} from '../../../src/features/events/machine.js';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof eventsMachine>;
type Cmd = EventsCommand;

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (ms: number): Instant => instantAt(T0 + ms);
const consent = (given: boolean, over: Partial<ConsentState> = {}): ConsentState =>
  ({ ...Object.fromEntries(ConsentFeatures.map((f) => [f, given])), ...over }) as ConsentState;
const ALL = consent(true);

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

let seq = 0;
const ev = {
  record: (key: string, ms = 0, opts: { count?: number; sum?: number; dur?: number; segmentation?: Segmentation; id?: string } = {}): EventsEvent => ({
    type: 'events.record',
    key,
    at: at(ms),
    id: opts.id ?? `e${(seq += 1)}`,
    ...opts,
  }),
  internal: (key: string, ms = 0, opts: { segmentation?: Segmentation; dur?: number; id?: string; extra?: { pvid?: string; cvid?: string } } = {}): EventsEvent => ({
    type: 'event.record',
    key,
    count: 1,
    at: at(ms),
    id: opts.id ?? `i${(seq += 1)}`,
    ...opts,
  }),
  start: (key: string, ms = 0): EventsEvent => ({ type: 'events.start', key, at: at(ms) }),
  end: (key: string, ms = 0, opts: { count?: number; sum?: number; segmentation?: Segmentation; id?: string } = {}): EventsEvent => ({
    type: 'events.end',
    key,
    at: at(ms),
    id: opts.id ?? `t${(seq += 1)}`,
    ...opts,
  }),
  cancel: (key: string): EventsEvent => ({ type: 'events.cancel', key }),
  flush: (ms = 0): EventsEvent => ({ type: 'flush.requested', at: at(ms) }),
  idChanging: (): EventsEvent => ({ type: 'identity.changing', from: 'a', to: 'b' }),
  consentChanging: (before: ConsentState, after: ConsentState): EventsEvent => ({ type: 'consent.changing', before, after }),
  consentChanged: (before: ConsentState, after: ConsentState): EventsEvent => ({ type: 'consent.changed', before, after }),
  settings: (settings: BehaviorSettings): EventsEvent => ({ type: 'settings.updated', settings }),
  view: (currentViewId: string, currentViewName: string, previousViewId = '', previousViewName = ''): EventsEvent => ({
    type: 'view.changed',
    currentViewId,
    currentViewName,
    previousViewId,
    previousViewName,
  }),
  fg: (ms = 0): EventsEvent => ({ type: 'app.visible', at: at(ms) }),
  bg: (ms = 0): EventsEvent => ({ type: 'app.hidden', at: at(ms) }),
  discard: (): EventsEvent => ({ type: 'events.discardQueue' }),
};

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

function run(inp: EventsInput, ...events: EventsEvent[]): { snap: Snap; cmds: Cmd[] } {
  const [s0, a0] = initialTransition(eventsMachine, inp);
  let snap = s0;
  const cmds = commands(a0);
  for (const e of events) {
    const [next, actions] = transition(eventsMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds };
}

const batchParamsOf = (events: WireEvent[]): Record<string, string> => ({ events: JSON.stringify(events) });
const persisted = (cmds: Cmd[]): WireEvent[] => cmds.flatMap((c) => (c.type === 'events.persist' ? c.events : []));
const batches = (cmds: Cmd[]): WireEvent[][] =>
  cmds.flatMap((c) => (c.type === 'request.enqueue' ? [JSON.parse(c.params.events ?? '[]') as WireEvent[]] : []));
const logs = (cmds: Cmd[], level?: string): string[] => cmds.flatMap((c) => (c.type === 'log' && (!level || c.level === level) ? [c.message] : []));
const only = (c: Cmd[]): WireEvent => {
  const p = persisted(c);
  expect(p).toHaveLength(1);
  return p[0] as WireEvent;
};

describe('eventsMachine: input', () => {
  it('listens to consent, identity, view, settings, lifecycle, session and flush broadcasts', () => {
    expect([...eventsListensTo].sort()).toEqual([
      'app.hidden',
      'app.visible',
      'consent.changed',
      'consent.changing',
      'flush.requested',
      'identity.changing',
      'session.beginning',
      'session.ending',
      'session.updating',
      'settings.updated',
      'view.changed',
    ]);
  });

  it('builds the input from config, stored events and consent', () => {
    const log = createLogger({ console: false });
    const config = resolveConfig(
      { url: 'https://x.test', appKey: 'k', eventQueueThreshold: 7, experimental: { visibilityTracking: true, previousNameRecording: true } },
      log,
    );
    const stored = [{ key: 'a', count: 1, timestamp: 1, hour: 0, dow: 0, id: 's1' }];
    expect(eventsInputFrom(config, stored, ALL)).toEqual({
      consent: ALL,
      threshold: 7,
      flushIntervalSeconds: 60,
      limits: config.limits,
      visibilityTracking: true,
      previousNameRecording: true,
      storedEvents: stored,
      foreground: true,
      settings: {},
      storedOwner: null,
    });
    expect(eventsInputFrom(config, [], ALL, { foreground: false, settings: { eqs: 3 } })).toMatchObject({ foreground: false, settings: { eqs: 3 } });
  });

  it('queues the stored events of a cleared device ID at once, stamped with that ID', () => {
    const log = createLogger({ console: false });
    const config = resolveConfig({ url: 'https://x.test', appKey: 'k' }, log);
    const stored = [{ key: 'a', count: 1, timestamp: 1, hour: 0, dow: 0, id: 's1' }];
    const owner = { deviceId: 'old', deviceIdType: 'DEVELOPER_SUPPLIED' as const };
    const actor = createActor(eventsMachine, { input: eventsInputFrom(config, stored, ALL, { storedOwner: owner }) });
    const seen: unknown[] = [];
    actor.on('*', (c) => seen.push(c));
    actor.start();
    expect(seen).toContainEqual(expect.objectContaining({ type: 'request.enqueue', identity: owner }));
    expect(seen).toContainEqual({ type: 'events.unpersist', ids: ['s1'] });
    expect(actor.getSnapshot().context.pending).toEqual([]);
    expect(actor.getSnapshot().context.storedOwner).toBeNull();
    actor.stop();
  });
});

describe('eventsMachine: recording', () => {
  it('records a custom event with the spec fields and persists it at once', () => {
    const { snap, cmds } = run(input(), ev.record('login', 5, { id: 'id1' }));
    const t = at(5);
    expect(cmds).toEqual([
      {
        type: 'events.persist',
        events: [{ key: 'login', count: 1, sum: 0, dur: 0, timestamp: t.timestamp, hour: t.hour, dow: t.dow, id: 'id1', cvid: '', peid: '' }],
      },
    ]);
    expect(snap.value).toBe('holding');
    expect(snap.context.pending.map((e) => e.id)).toEqual(['id1']);
  });

  it('keeps count, sum, dur and segmentation as given', () => {
    const e = only(run(input(), ev.record('purchase', 0, { count: 2, sum: 2.99, dur: 30, segmentation: { screen: 'main' } })).cmds);
    expect(e).toMatchObject({ key: 'purchase', count: 2, sum: 2.99, dur: 30, segmentation: { screen: 'main' } });
  });

  it('corrects a zero, negative or fractional count to 1 with a warning', () => {
    for (const count of [0, -5, 1.5]) {
      const { cmds } = run(input(), ev.record('x', 0, { count }));
      expect(only(cmds).count).toBe(1);
      expect(logs(cmds, 'warning')).toEqual([`record, count [${count}] must be a positive integer, using 1`]);
    }
  });

  it('negative dur and non-finite sum fall back to 0 with warnings', () => {
    const { cmds } = run(input(), ev.record('x', 0, { dur: -1, sum: Number.NaN }));
    expect(only(cmds)).toMatchObject({ sum: 0, dur: 0 });
    expect(logs(cmds, 'warning')).toHaveLength(2);
  });

  it('truncates custom event keys and segmentation by the limits, with warnings', () => {
    const limits = { ...DEFAULT_LIMITS, maxKeyLength: 4, maxValueSize: 3, maxSegmentationValues: 2 };
    const { cmds } = run(input({ limits }), ev.record('abcdefgh', 0, { segmentation: { keylong: 'value', b: 1, c: 2 } }));
    const e = only(cmds);
    expect(e.key).toBe('abcd');
    expect(e.segmentation).toEqual({ keyl: 'val', b: 1 });
    const warnings = logs(cmds, 'warning');
    expect(warnings[0]).toBe('record, event key [abcd...] truncated to 4 chars');
    expect(warnings.every((w) => w.startsWith('record, '))).toBe(true);
    expect(warnings.length).toBeGreaterThanOrEqual(3);
  });

  it('drops unsupported segmentation types with a warning, for custom and internal events', () => {
    const seg = { ok: 'y', bad: { nested: 1 }, fn: null } as unknown as Segmentation;
    const custom = run(input(), ev.record('x', 0, { segmentation: seg })).cmds;
    expect(only(custom).segmentation).toEqual({ ok: 'y' });
    expect(logs(custom, 'warning')).toHaveLength(2);
    const internal = run(input(), ev.internal('[CLY]_star_rating', 0, { segmentation: seg })).cmds;
    expect(only(internal).segmentation).toEqual({ ok: 'y' });
  });

  it('applies no limits to internal events', () => {
    const limits = { ...DEFAULT_LIMITS, maxKeyLength: 2, maxValueSize: 2, maxSegmentationValues: 1 };
    const e = only(run(input({ limits }), ev.internal('[CLY]_view', 0, { segmentation: { name: 'Settings', visit: '1', segment: 'Web' } })).cmds);
    expect(e.key).toBe('[CLY]_view');
    expect(e.segmentation).toEqual({ name: 'Settings', visit: '1', segment: 'Web' });
  });

  it('peid: custom events chain their IDs from ""; internal events neither carry nor move it', () => {
    const { cmds } = run(input(), ev.record('a', 0, { id: 'A' }), ev.internal('[CLY]_orientation', 1, { id: 'O' }), ev.record('b', 2, { id: 'B' }));
    const [a, o, b] = persisted(cmds);
    expect(a?.peid).toBe('');
    expect(o?.peid).toBeUndefined();
    expect(b?.peid).toBe('A');
  });

  it('cvid on every event but view events; pvid on view events (from the view machine, else the current view)', () => {
    const { cmds } = run(
      input(),
      ev.view('v1', 'Home'),
      ev.record('a', 0),
      ev.internal('[CLY]_orientation', 1),
      ev.internal('[CLY]_view', 2, { extra: { pvid: 'v0' }, segmentation: { name: 'Home', visit: '1' } }),
      ev.internal('[CLY]_view', 3, { segmentation: { name: 'Home' } }),
      ev.internal('[CLY]_nps', 4, { extra: { cvid: 'given' } }),
    );
    const [a, o, v, v2, n] = persisted(cmds);
    expect(a).toMatchObject({ cvid: 'v1' });
    expect(o).toMatchObject({ cvid: 'v1' });
    expect(v).toMatchObject({ pvid: 'v0' });
    expect(v?.cvid).toBeUndefined();
    expect(v2).toMatchObject({ pvid: 'v1' });
    expect(n).toMatchObject({ cvid: 'given' });
  });

  it('records each event with the time of its own `at`', () => {
    const { cmds } = run(input(), ev.record('a', 1000), ev.record('b', 3_600_000 * 5));
    const [a, b] = persisted(cmds);
    expect(a).toMatchObject({ timestamp: at(1000).timestamp, hour: at(1000).hour, dow: at(1000).dow });
    expect(b).toMatchObject({ timestamp: at(3_600_000 * 5).timestamp, hour: at(3_600_000 * 5).hour });
  });
});

describe('eventsMachine: consent', () => {
  const noEvents = consent(true, { events: false });
  const onlyEvents = consent(false, { events: true });

  it('custom events need "events"', () => {
    const { cmds } = run(input({ consent: noEvents }), ev.record('a'));
    expect(persisted(cmds)).toEqual([]);
    expect(logs(cmds, 'debug')).toEqual(['record, consent for "events" is not given; event [a] ignored']);
  });

  it('internal events need their own feature, never "events" (spec examples 1-3)', () => {
    expect(persisted(run(input({ consent: onlyEvents }), ev.record('[CLY]_view')).cmds)).toEqual([]);
    expect(persisted(run(input({ consent: consent(false, { events: true, views: true }) }), ev.record('[CLY]_view')).cmds)).toHaveLength(1);
    expect(persisted(run(input({ consent: consent(false, { views: true }) }), ev.record('[CLY]_view')).cmds)).toHaveLength(1);
  });

  it('each internal event is gated by its table entry', () => {
    const table: Array<[string, keyof ConsentState, Segmentation?]> = [
      ['[CLY]_nps', 'feedback'],
      ['[CLY]_survey', 'feedback'],
      ['[CLY]_star_rating', 'star-rating'],
      ['[CLY]_orientation', 'users'],
      ['[CLY]_push_action', 'push'],
      ['[CLY]_action', 'clicks', { type: 'click' }],
      ['[CLY]_action', 'scrolls', { type: 'scroll' }],
    ];
    for (const [key, feature, segmentation] of table) {
      const opts = segmentation ? { segmentation } : {};
      expect(persisted(run(input({ consent: consent(false, { [feature]: true }) }), ev.internal(key, 0, opts)).cmds), key).toHaveLength(1);
      expect(persisted(run(input({ consent: consent(true, { [feature]: false }) }), ev.internal(key, 0, opts)).cmds), key).toEqual([]);
    }
  });

  it('consent is checked at record time: a recorded event goes out after the consent is removed', () => {
    const { snap, cmds } = run(
      input(),
      ev.record('a', 0, { id: 'A' }),
      ev.consentChanging(ALL, noEvents),
      ev.consentChanged(ALL, noEvents),
      ev.record('b', 1),
    );
    expect(batches(cmds).map((b) => b.map((e) => e.id))).toEqual([['A']]);
    expect(cmds.filter((c) => c.type === 'events.unpersist')).toEqual([{ type: 'events.unpersist', ids: ['A'] }]);
    expect(snap.context.pending).toEqual([]);
    expect(snap.context.consent.events).toBe(false);
  });

  it('giving consent does not flush; it lets later events through', () => {
    const { snap, cmds } = run(
      input({ consent: noEvents }),
      ev.internal('[CLY]_view', 0, { segmentation: { visit: '1' } }),
      ev.consentChanging(noEvents, ALL),
      ev.consentChanged(noEvents, ALL),
      ev.record('b', 1),
    );
    expect(batches(cmds)).toEqual([]);
    expect(snap.context.pending.map((e) => e.key)).toEqual(['[CLY]_view', 'b']);
  });
});

describe('eventsMachine: queue and threshold', () => {
  it('combines one request when the threshold is reached, then unpersists its events', () => {
    const { snap, cmds } = run(input({ threshold: 3 }), ev.record('a', 0, { id: '1' }), ev.record('b', 1, { id: '2' }), ev.record('c', 2, { id: '3' }));
    expect(cmds.map((c) => c.type)).toEqual(['events.persist', 'events.persist', 'events.persist', 'broadcast', 'request.enqueue', 'events.unpersist']);
    expect(batches(cmds)[0]?.map((e) => e.key)).toEqual(['a', 'b', 'c']);
    expect(cmds[5]).toEqual({ type: 'events.unpersist', ids: ['1', '2', '3'] });
    expect(snap.value).toBe('empty');
  });

  it('flush.requested combines everything pending in batches of at most the threshold', () => {
    const events = Array.from({ length: 7 }, (_, i) => ev.record(`k${i}`, i));
    const { snap, cmds } = run(input({ threshold: 3, settings: {} }), ev.settings({ eqs: 100 }), ...events, ev.settings({ eqs: 3 }), ev.flush());
    // lowering eqs to 3 sends the two full batches at once, the flush the rest
    expect(batches(cmds).map((b) => b.map((e) => e.key))).toEqual([['k0', 'k1', 'k2'], ['k3', 'k4', 'k5'], ['k6']]);
    expect(snap.value).toBe('empty');
  });

  it('a flush with nothing pending does nothing', () => {
    expect(run(input(), ev.flush()).cmds).toEqual([]);
  });

  it('NPS, survey and push actions flush at once; star rating does not', () => {
    for (const key of ['[CLY]_nps', '[CLY]_survey', '[CLY]_push_action']) {
      const { cmds } = run(input(), ev.record('a'), ev.internal(key, 1));
      expect(batches(cmds).map((b) => b.map((e) => e.key)), key).toEqual([['a', key]]);
    }
    expect(batches(run(input(), ev.record('a'), ev.internal('[CLY]_star_rating', 1)).cmds)).toEqual([]);
  });

  it('at boot, stored events all go into requests of at most the threshold, without being persisted again', () => {
    const stored = Array.from({ length: 5 }, (_, i) => ({ key: `s${i}`, count: 1, timestamp: i, hour: 0, dow: 0, id: `s${i}` }));
    const small = run(input({ storedEvents: stored.slice(0, 2), threshold: 3 }));
    expect(small.cmds).toEqual([{ type: 'broadcast', event: { type: 'events.batching' } }, { type: 'request.enqueue', params: batchParamsOf(stored.slice(0, 2)) }, { type: 'events.unpersist', ids: ['s0', 's1'] }]);
    expect(small.snap.value).toBe('empty');
    const big = run(input({ storedEvents: stored, threshold: 2 }));
    expect(big.cmds.map((c) => c.type)).toEqual(['broadcast', 'request.enqueue', 'events.unpersist', 'request.enqueue', 'events.unpersist', 'request.enqueue', 'events.unpersist']);
    expect(batches(big.cmds).map((b) => b.map((e) => e.id))).toEqual([['s0', 's1'], ['s2', 's3'], ['s4']]);
    expect(big.snap.context.pending).toEqual([]);
    const viaSettings = run(input({ storedEvents: stored, settings: { eqs: 5 } }));
    expect(batches(viaSettings.cmds)).toHaveLength(1);
  });

  it('queue.flushQueues discards what is pending and clears the store', () => {
    const { snap, cmds } = run(input(), ev.record('a'), ev.discard());
    expect(cmds.at(-1)).toEqual({ type: 'events.clearStore' });
    expect(snap.context.pending).toEqual([]);
    expect(snap.value).toBe('empty');
  });

  it('identity.changing queues what is pending under the old ID and clears timed events', () => {
    const { snap, cmds } = run(input(), ev.start('t', 0), ev.record('a', 1), ev.idChanging(), ev.end('t', 5));
    expect(batches(cmds).map((b) => b.map((e) => e.key))).toEqual([['a']]);
    expect(snap.context.timed).toEqual({});
    expect(logs(cmds, 'debug')).toContain('identity, device ID changes without merge; 1 timed event(s) cleared');
    expect(logs(cmds, 'warning')).toEqual(['end, no timed event [t] is running; call ignored']);
    expect(run(input(), ev.idChanging()).cmds).toEqual([]);
  });
});

describe('eventsMachine: behavior settings', () => {
  it('cet=false stops custom events, not internal ones', () => {
    const { cmds } = run(input(), ev.settings({ cet: false }), ev.record('a'), ev.internal('[CLY]_view', 0, { segmentation: { visit: '1' } }));
    expect(persisted(cmds).map((e) => e.key)).toEqual(['[CLY]_view']);
    expect(logs(cmds, 'debug')).toEqual(['record, custom event tracking is disabled by the server settings; event [a] ignored']);
  });

  it('tracking=false stops every event', () => {
    const { cmds } = run(input({ settings: { tracking: false } }), ev.record('a'), ev.internal('[CLY]_view'));
    expect(persisted(cmds)).toEqual([]);
    expect(logs(cmds, 'debug')).toHaveLength(2);
  });

  it('event filters apply to custom events only (on the truncated key)', () => {
    const limits = { ...DEFAULT_LIMITS, maxKeyLength: 3 };
    const { cmds } = run(
      input({ limits }),
      ev.settings({ eb: ['bad', '[CLY]_view'] }),
      ev.record('badly'),
      ev.record('ok'),
      ev.internal('[CLY]_view', 0, { segmentation: { visit: '1' } }),
    );
    expect(persisted(cmds).map((e) => e.key)).toEqual(['ok', '[CLY]_view']);
    expect(logs(cmds, 'debug')).toEqual(['record, event [bad] is filtered out by the server settings; ignored']);
    const white = run(input(), ev.settings({ ew: ['ok'] }), ev.record('no'), ev.record('ok')).cmds;
    expect(persisted(white).map((e) => e.key)).toEqual(['ok']);
  });

  it('segmentation filters: sb/sw for every custom event, esb/esw per event; not for internal events', () => {
    const { cmds } = run(
      input(),
      ev.settings({ sb: ['secret'], esw: { buy: ['price'] } }),
      ev.record('buy', 0, { segmentation: { price: 1, color: 'red', secret: 's' } }),
      ev.record('other', 0, { segmentation: { price: 1, color: 'red', secret: 's' } }),
      ev.internal('[CLY]_star_rating', 0, { segmentation: { secret: 's' } }),
    );
    const [buy, other, rating] = persisted(cmds);
    expect(buy?.segmentation).toEqual({ price: 1 });
    expect(other?.segmentation).toEqual({ price: 1, color: 'red' });
    expect(rating?.segmentation).toEqual({ secret: 's' });
    expect(logs(cmds, 'debug')).toEqual([
      'record, segmentation [["color","secret"]] of event [buy] removed by the server settings',
      'record, segmentation [["secret"]] of event [other] removed by the server settings',
    ]);
  });

  it('the server limits lkl/lvs/lsv replace the configured ones; a later update without them restores them', () => {
    const { cmds } = run(input(), ev.settings({ lkl: 2 }), ev.record('abc'), ev.settings({}), ev.record('abc'));
    expect(persisted(cmds).map((e) => e.key)).toEqual(['ab', 'abc']);
  });

  it('reads the decoded settings as they are: invalid values never reach it (the decoder drops and warns)', () => {
    const { snap, cmds } = run(input({ threshold: 4 }), ev.settings(typedSettings({ eqs: -1, cet: 'x', lkl: 3 }).settings));
    expect(cmds).toEqual([]);
    expect(snap.context.threshold).toBe(4);
    expect(snap.context.customEvents).toBe(true);
    expect(snap.context.limits.maxKeyLength).toBe(3);
  });

  it('sui sets the flush interval; an update without it restores the configured one', () => {
    const { snap } = run(input({ flushIntervalSeconds: 30 }), ev.settings({ sui: 5 }));
    expect(snap.context.flushIntervalSeconds).toBe(5);
    expect(run(input({ flushIntervalSeconds: 30 }), ev.settings({ sui: 5 }), ev.settings({})).snap.context.flushIntervalSeconds).toBe(30);
  });
});

describe('eventsMachine: timed events', () => {
  it('records with the START time and dur = end − start in seconds', () => {
    const { snap, cmds } = run(input(), ev.start('load', 1000), ev.end('load', 3500, { count: 2, sum: 5, segmentation: { a: 'b' }, id: 'T' }));
    const e = only(cmds);
    const s = at(1000);
    expect(e).toMatchObject({ key: 'load', count: 2, sum: 5, dur: 2.5, segmentation: { a: 'b' }, timestamp: s.timestamp, hour: s.hour, dow: s.dow, id: 'T' });
    expect(snap.context.timed).toEqual({});
  });

  it('ignores a duplicate start, an unknown end and an unknown cancel, with warnings', () => {
    const { snap, cmds } = run(input(), ev.start('a', 0), ev.start('a', 10), ev.end('b'), ev.cancel('b'), ev.end('a', 2000));
    expect(logs(cmds, 'warning')).toEqual([
      'start, timed event [a] is already running; call ignored',
      'end, no timed event [b] is running; call ignored',
      'cancel, no timed event [b] is running; call ignored',
    ]);
    expect(only(cmds).dur).toBe(2);
    expect(snap.context.timed).toEqual({});
  });

  it('cancel removes the timed event without recording it; it may start again', () => {
    const { cmds } = run(input(), ev.start('a', 0), ev.cancel('a'), ev.end('a', 10), ev.start('a', 20), ev.end('a', 1020));
    expect(logs(cmds, 'warning')).toEqual(['end, no timed event [a] is running; call ignored']);
    expect(only(cmds)).toMatchObject({ dur: 1, timestamp: at(20).timestamp });
  });

  it('end without consent returns without recording and the timed event keeps running', () => {
    const noEvents = consent(true, { events: false });
    const { snap, cmds } = run(input({ consent: noEvents }), ev.start('a', 0), ev.end('a', 1000));
    expect(persisted(cmds)).toEqual([]);
    expect(logs(cmds, 'debug')).toEqual(['end, consent for "events" is not given; timed event [a] not recorded']);
    expect(Object.keys(snap.context.timed)).toEqual(['a']);
  });

  it('timed events follow every record rule (truncation, cet)', () => {
    const limits = { ...DEFAULT_LIMITS, maxKeyLength: 2 };
    expect(only(run(input({ limits }), ev.start('abc', 0), ev.end('abc', 1)).cmds).key).toBe('ab');
    expect(persisted(run(input({ settings: { cet: false } }), ev.start('a'), ev.end('a', 1)).cmds)).toEqual([]);
  });
});

describe('eventsMachine: experimental keys', () => {
  it('cly_v is 1 in the foreground and 0 in the background, on every event but view end events', () => {
    const { cmds } = run(
      input({ visibilityTracking: true }),
      ev.record('a'),
      ev.bg(),
      ev.record('b'),
      ev.internal('[CLY]_view', 0, { segmentation: { name: 'v', visit: '1' } }),
      ev.internal('[CLY]_view', 0, { segmentation: { name: 'v' }, dur: 3 }),
      ev.fg(),
      ev.internal('[CLY]_orientation', 0, { segmentation: { mode: 'portrait' } }),
    );
    const [a, b, vs, ve, o] = persisted(cmds);
    expect(a?.segmentation).toEqual({ cly_v: 1 });
    expect(b?.segmentation).toEqual({ cly_v: 0 });
    expect(vs?.segmentation).toEqual({ name: 'v', visit: '1', cly_v: 0 });
    expect(ve?.segmentation).toEqual({ name: 'v' });
    expect(o?.segmentation).toEqual({ mode: 'portrait', cly_v: 1 });
  });

  it('starts in the background when the platform says so; app.visible / app.hidden set it', () => {
    const { cmds } = run(input({ visibilityTracking: true, foreground: false }), ev.bg(), ev.record('a'), ev.fg(), ev.record('b'));
    expect(persisted(cmds).map((e) => e.segmentation?.cly_v)).toEqual([0, 1]);
  });

  it('an internal event keeps its own cly_v; a custom event cannot set it', () => {
    const { cmds } = run(
      input({ visibilityTracking: true }),
      ev.internal('[CLY]_view', 0, { segmentation: { visit: '1', cly_v: 0 } }),
      ev.record('a', 0, { segmentation: { cly_v: 0 } }),
    );
    expect(persisted(cmds).map((e) => e.segmentation?.cly_v)).toEqual([0, 1]);
  });

  it('without the flags no experimental key is added', () => {
    const e = only(run(input(), ev.bg(), ev.record('a')).cmds);
    expect(e.segmentation).toBeUndefined();
  });

  it('cly_pen and cly_cvn on custom events; cly_pvn on view events unless given', () => {
    const { cmds } = run(
      input({ previousNameRecording: true }),
      ev.record('first'),
      ev.view('v1', 'Home'),
      ev.internal('[CLY]_orientation', 0),
      ev.record('second'),
      ev.internal('[CLY]_view', 0, { segmentation: { name: 'Cart', visit: '1' } }),
      ev.view('v2', 'Cart', 'v1', 'Home'),
      ev.internal('[CLY]_view', 0, { segmentation: { name: 'Cart' } }),
      ev.internal('[CLY]_view', 0, { segmentation: { name: 'Cart', cly_pvn: 'given' } }),
    );
    const [first, orientation, second, vs, ve, given] = persisted(cmds);
    expect(first?.segmentation).toEqual({ cly_pen: '', cly_cvn: '' });
    expect(orientation?.segmentation).toBeUndefined();
    expect(second?.segmentation).toEqual({ cly_pen: 'first', cly_cvn: 'Home' });
    expect(vs?.segmentation).toEqual({ name: 'Cart', visit: '1', cly_pvn: 'Home' });
    expect(ve?.segmentation).toEqual({ name: 'Cart', cly_pvn: 'Home' });
    expect(given?.segmentation).toEqual({ name: 'Cart', cly_pvn: 'given' });
  });
});

// ---- the queue ledger, shared by the model-based and property tests -------------------

/**
 * Follows the commands like the event store and the request queue would: `outstanding` is
 * what the store holds (persisted, not unpersisted, not cleared), `sent` the concatenation of
 * the enqueued batches. Checks every batch against the threshold and against the head of the
 * store, and that each batch is unpersisted right after it is enqueued.
 */
class Ledger {
  outstanding: WireEvent[] = [];
  sent: WireEvent[] = [];
  accepted: WireEvent[] = [];
  discarded: WireEvent[] = [];

  constructor(stored: WireEvent[] = []) {
    this.outstanding = [...stored];
    this.accepted = [...stored];
  }

  apply(cmds: Cmd[], threshold: number, consentAt: ConsentState): void {
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i] as Cmd;
      if (c.type === 'events.persist') {
        for (const e of c.events) {
          const segmentation = e.segmentation as Record<string, unknown> | undefined;
          expect(consentAt[consentFeatureFor(e.key, segmentation)], `${e.key} recorded without consent`).toBe(true);
          this.outstanding.push(e);
          this.accepted.push(e);
        }
      } else if (c.type === 'request.enqueue') {
        const batch = JSON.parse(c.params.events ?? '[]') as WireEvent[];
        expect(Object.keys(c.params)).toEqual(['events']);
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length, 'a batch is at most the threshold').toBeLessThanOrEqual(threshold);
        expect(batch, 'a batch is the head of the stored queue').toEqual(this.outstanding.slice(0, batch.length));
        const next = cmds[i + 1];
        expect(next, 'the request is written before its events are removed').toEqual({ type: 'events.unpersist', ids: batch.map((e) => e.id) });
        this.sent.push(...batch);
      } else if (c.type === 'events.unpersist') {
        const ids = this.outstanding.slice(0, c.ids.length).map((e) => e.id);
        expect(ids).toEqual(c.ids);
        this.outstanding = this.outstanding.slice(c.ids.length);
      } else if (c.type === 'events.clearStore') {
        this.discarded.push(...this.outstanding);
        this.outstanding = [];
      }
    }
  }

  check(snap: Snap): void {
    expect(snap.context.pending, 'persisted − unpersisted = pending').toEqual(this.outstanding);
    expect([...this.sent, ...this.discarded, ...this.outstanding].length).toBe(this.accepted.length);
    const order = (list: WireEvent[]) => list.map((e) => e.id);
    // Nothing lost, duplicated or reordered: sent + still pending, with discards removed, = accepted.
    const gone = new Set(order(this.discarded));
    expect([...order(this.sent), ...order(this.outstanding)]).toEqual(order(this.accepted).filter((id) => !gone.has(id)));
    expect(snap.value).toBe(snap.context.pending.length > 0 ? 'holding' : 'empty');
    expect(snap.context.pending.length, 'a full batch never waits').toBeLessThan(snap.context.threshold);
  }
}

// ---- model-based paths ---------------------------------------------------------------

const NO_EVENTS = consent(true, { events: false });
const NO_VIEWS = consent(true, { views: false });

function modelEvents(s: Snap): EventsEvent[] {
  const c = s.context.consent;
  return [
    ev.record('a', 0, { id: 'x' }),
    { type: 'events.recordMany', records: [ev.record('a', 0, { id: 'm' }), ev.record('b', 0, { id: 'n' })] } as EventsEvent,
    ev.internal('[CLY]_view', 0, { id: 'x', segmentation: { visit: '1' } }),
    ev.internal('[CLY]_nps', 0, { id: 'x' }),
    ev.start('t', 0),
    ev.end('t', 1000, { id: 'x' }),
    ev.cancel('t'),
    ev.flush(),
    { type: 'session.beginning', at: at(0) },
    { type: 'session.updating', at: at(0) },
    { type: 'session.ending', at: at(0) },
    ev.idChanging(),
    ev.discard(),
    ev.consentChanging(c, c.events ? NO_EVENTS : ALL),
    ev.consentChanged(c, c.events ? NO_EVENTS : ALL),
    ev.consentChanged(c, c.views ? NO_VIEWS : ALL),
    ev.settings({ eqs: s.context.threshold === 2 ? 3 : 2 }),
    ev.view('v1', 'Home'),
    ev.fg(),
    ev.bg(),
    // The flushInterval delay firing (only `holding` has it).
    { type: 'xstate.after.flushInterval.events.holding' } as unknown as EventsEvent,
  ];
}

function abstractState(s: Snap): string {
  const c = s.context;
  return JSON.stringify({
    value: s.value,
    pending: c.pending.length,
    timed: Object.keys(c.timed),
    events: c.consent.events,
    views: c.consent.views,
    foreground: c.foreground,
    threshold: c.threshold,
  });
}

// The lifecycle machine sends app.visible / app.hidden only on a change.
const filterEvents = (s: Snap, e: EventsEvent): boolean => !(e.type === 'app.visible' && s.context.foreground) && !(e.type === 'app.hidden' && !s.context.foreground);

/** Replays steps on an actor with fresh IDs, checking the ledger after each step. */
function replay(inp: EventsInput, events: EventsEvent[]): Ledger {
  const actor = createActor(eventsMachine, { input: inp, clock: simulatedClock(T0) });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  const ledger = new Ledger(inp.storedEvents);
  ledger.apply(cmds.splice(0), actor.getSnapshot().context.threshold, actor.getSnapshot().context.consent);
  let n = 0;
  for (const e of events) {
    const consentBefore = actor.getSnapshot().context.consent;
    const fresh =
      e.type === 'events.recordMany'
        ? ({ ...e, records: e.records.map((r) => ({ ...r, id: `${r.id}${(n += 1)}` })) } as EventsEvent)
        : 'id' in e
          ? ({ ...e, id: `${e.id}${(n += 1)}` } as EventsEvent)
          : e;
    actor.send(fresh);
    const snap = actor.getSnapshot();
    ledger.apply(cmds.splice(0), snap.context.threshold, consentBefore);
    ledger.check(snap);
  }
  actor.stop();
  return ledger;
}

describe('eventsMachine: model-based paths', () => {
  const taken = new Set<string>();
  const stored = [{ key: 's', count: 1, timestamp: 1, hour: 0, dow: 0, id: 's1' }];
  const inputs: Array<[string, EventsInput]> = [
    ['fresh', input({ threshold: 3 })],
    ['stored events, no consent', input({ threshold: 3, storedEvents: stored, consent: consent(false) })],
  ];
  for (const [label, inp] of inputs) {
    it(`every shortest path, and one more step of every event, keeps the queue ledger (${label})`, () => {
      const paths = getShortestPaths(eventsMachine, { input: inp, events: modelEvents, serializeState: abstractState, filterEvents });
      expect(paths.length).toBeGreaterThan(50);
      const values = new Set(paths.map((p) => JSON.stringify(p.state.value)));
      expect([...values].sort()).toEqual(['"empty"', '"holding"']);
      let sent = 0;
      for (const path of paths) {
        const steps = path.steps.map((s) => s.event);
        for (const event of modelEvents(path.state).filter((e) => filterEvents(path.state, e))) {
          for (const t of takenTransitions(eventsMachine, path.state, event)) taken.add(t);
          sent += replay(inp, [...steps, event]).sent.length;
        }
        // the actor follows the model
        const actor = createActor(eventsMachine, { input: inp, clock: simulatedClock(T0) }).start();
        for (const e of steps) actor.send(e);
        expect(abstractState(actor.getSnapshot())).toBe(abstractState(path.state));
        actor.stop();
      }
      expect(sent).toBeGreaterThan(0);
    });
  }

  it('the paths take every transition of the chart', () => {
    const missing = [...allTransitions(eventsMachine)].filter((t) => !taken.has(t));
    expect(missing).toEqual([]);
  });
});

describe('eventsMachine: a burst of records', () => {
  it('events.recordMany is the same as one events.record per entry, persisted in one command per run', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', '', '[CLY]_nps', '[CLY]_view'), count: fc.integer({ min: -1, max: 3 }) }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        (list, threshold) => {
          const records = list.map((r, i) => ev.record(r.key, i, { id: `id${i}`, count: r.count }) as Extract<EventsEvent, { type: 'events.record' }>);
          const one = run(input({ threshold }), ...records);
          const many = run(input({ threshold }), { type: 'events.recordMany', records });
          expect(many.snap.context).toEqual(one.snap.context);
          const persisted = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'events.persist' ? c.events : []));
          expect(persisted(many.cmds)).toEqual(persisted(one.cmds));
          const rest = (cmds: Cmd[]) => cmds.filter((c) => c.type !== 'events.persist');
          expect(rest(many.cmds)).toEqual(rest(one.cmds));
          // No two persists in a row: a run of records is one storage command.
          many.cmds.forEach((c, i) => expect(c.type === 'events.persist' && many.cmds[i + 1]?.type === 'events.persist').toBe(false));
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---- properties ----------------------------------------------------------------------

type Op =
  | { op: 'record'; key: string; count: number }
  | { op: 'start' | 'end' | 'cancel'; key: string }
  | { op: 'flush' | 'changeId' | 'fg' | 'bg' | 'discard' }
  | { op: 'eqs'; n: number }
  | { op: 'consent'; feature: keyof ConsentState; given: boolean }
  | { op: 'advance'; ms: number };

const KEYS = ['buy', 'login', '[CLY]_view', '[CLY]_nps', '[CLY]_survey', '[CLY]_star_rating', '[CLY]_orientation', '[CLY]_push_action', '[CLY]_action'];
const FEATURES = ['events', 'views', 'feedback', 'star-rating', 'users', 'push', 'clicks', 'scrolls'] as const;
const TIMED = ['t1', 't2'];

const opArb = (discard: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: fc.constant('record' as const), key: fc.constantFrom(...KEYS), count: fc.integer({ min: -1, max: 3 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('start' as const, 'end' as const, 'cancel' as const), key: fc.constantFrom(...TIMED) }) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...(discard ? (['flush', 'changeId', 'fg', 'bg', 'discard'] as const) : (['flush', 'changeId', 'fg', 'bg'] as const))).map((op) => ({ op })),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('eqs' as const), n: fc.integer({ min: 1, max: 6 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('consent' as const), feature: fc.constantFrom(...FEATURES), given: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 90_000 }) }) },
  );

const timedOpArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('start' as const, 'end' as const), key: fc.constantFrom(...TIMED) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), key: fc.constantFrom(...TIMED) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('record' as const), key: fc.constantFrom(...KEYS), count: fc.constant(1) }) },
  { weight: 1, arbitrary: fc.constantFrom('flush' as const, 'changeId' as const).map((op) => ({ op })) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 90_000 }) }) },
);

interface Outcome {
  ledger: Ledger;
  snap: Snap;
  /** What the test expected to be accepted: [id, key]. */
  expected: Array<[string, string]>;
  /** Timed ends: [id, start ms, end ms]. */
  timedEnds: Array<[string, number, number]>;
}

function drive(threshold: number, initial: ConsentState, ops: Op[], visibilityTracking: boolean): Outcome {
  // The clock moves with `advance`, so the flushInterval delay fires in the runs too.
  const clock = simulatedClock(T0);
  const actor = createActor(eventsMachine, { input: input({ threshold, consent: initial, visibilityTracking }), clock });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  const ledger = new Ledger();
  let now = T0;
  let n = 0;
  let consentNow = initial;
  const timed = new Map<string, number>();
  const expected: Array<[string, string]> = [];
  const timedEnds: Array<[string, number, number]> = [];
  for (const o of ops) {
    const before = actor.getSnapshot().context.consent;
    const t = instantAt(now);
    switch (o.op) {
      case 'record': {
        const id = `r${(n += 1)}`;
        const segmentation = o.key === '[CLY]_action' ? { type: n % 2 === 0 ? 'scroll' : 'click' } : o.key === '[CLY]_view' ? { visit: '1' } : undefined;
        actor.send({ type: o.key.startsWith('[CLY]_') ? 'event.record' : 'events.record', key: o.key, count: o.count, at: t, id, ...(segmentation ? { segmentation } : {}) } as EventsEvent);
        if (consentNow[consentFeatureFor(o.key, segmentation)]) expected.push([id, o.key]);
        break;
      }
      case 'start':
        actor.send({ type: 'events.start', key: o.key, at: t });
        if (!timed.has(o.key)) timed.set(o.key, now);
        break;
      case 'end': {
        const id = `t${(n += 1)}`;
        actor.send({ type: 'events.end', key: o.key, at: t, id });
        const start = timed.get(o.key);
        if (start !== undefined && consentNow.events) {
          expected.push([id, o.key]);
          timedEnds.push([id, start, now]);
          timed.delete(o.key);
        }
        break;
      }
      case 'cancel':
        actor.send({ type: 'events.cancel', key: o.key });
        timed.delete(o.key);
        break;
      case 'flush':
        actor.send({ type: 'flush.requested', at: t });
        break;
      case 'changeId':
        actor.send({ type: 'identity.changing', from: 'a', to: 'b' });
        timed.clear();
        break;
      case 'fg':
        actor.send({ type: 'app.visible', at: t });
        break;
      case 'bg':
        actor.send({ type: 'app.hidden', at: t });
        break;
      case 'discard':
        actor.send({ type: 'events.discardQueue' });
        break;
      case 'eqs':
        actor.send({ type: 'settings.updated', settings: { eqs: o.n } });
        break;
      case 'consent': {
        const after = { ...consentNow, [o.feature]: o.given };
        actor.send({ type: 'consent.changing', before: consentNow, after });
        actor.send({ type: 'consent.changed', before: consentNow, after });
        consentNow = after;
        break;
      }
      case 'advance':
        now += o.ms;
        clock.advance(o.ms);
        break;
    }
    const snap = actor.getSnapshot();
    ledger.apply(cmds.splice(0), snap.context.threshold, before);
    ledger.check(snap);
  }
  const snap = actor.getSnapshot();
  actor.stop();
  return { ledger, snap, expected, timedEnds };
}

const consentArb = fc.record(Object.fromEntries(ConsentFeatures.map((f) => [f, fc.boolean()]))) as fc.Arbitrary<ConsentState>;

describe('eventsMachine: properties', () => {
  it('the enqueued batches are the accepted events in order, none lost or duplicated, each ≤ threshold', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), consentArb, fc.array(opArb(false), { minLength: 10, maxLength: 80 }), fc.boolean(), (threshold, initial, ops, vis) => {
        const { ledger, snap, expected } = drive(threshold, initial, ops, vis);
        expect(ledger.accepted.map((e) => [e.id, e.key])).toEqual(expected);
        // a final flush sends everything
        const [after, actions] = transition(eventsMachine, snap, { type: 'flush.requested', at: at(0) });
        ledger.apply(commands(actions), after.context.threshold, after.context.consent);
        ledger.check(after);
        expect(ledger.sent.map((e) => e.id)).toEqual(expected.map(([id]) => id));
        expect(new Set(ledger.sent.map((e) => e.id)).size).toBe(ledger.sent.length);
      }),
      { numRuns: 150 },
    );
  });

  it('with discards: persisted − unpersisted − cleared = pending, and what was not discarded goes out in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), consentArb, fc.array(opArb(true), { minLength: 10, maxLength: 80 }), (threshold, initial, ops) => {
        const { ledger, expected } = drive(threshold, initial, ops, false);
        expect(ledger.accepted.map((e) => e.id)).toEqual(expected.map(([id]) => id));
      }),
      { numRuns: 100 },
    );
  });

  it('timed events: dur = end − start, recorded at the start instant', () => {
    let ended = 0;
    fc.assert(
      fc.property(fc.array(timedOpArb, { minLength: 10, maxLength: 60 }), (ops) => {
        const { ledger, timedEnds } = drive(100, ALL, ops, false);
        ended += timedEnds.length;
        const byId = new Map(ledger.accepted.map((e) => [e.id, e]));
        for (const [id, start, end] of timedEnds) {
          const e = byId.get(id);
          expect(e?.dur).toBe((end - start) / 1000);
          expect(e?.timestamp).toBe(start);
        }
      }),
      { numRuns: 100 },
    );
    expect(ended, 'the runs end timed events').toBeGreaterThan(30);
  });

  it('any event map through the machine never throws, and the actor stays alive', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.string(), count: fc.anything(), sum: fc.anything(), dur: fc.anything(), segmentation: fc.anything() }), { maxLength: 10 }), (records) => {
        const actor = createActor(eventsMachine, { input: input({ threshold: 2 }) }).start();
        let i = 0;
        for (const r of records) actor.send({ type: 'events.record', ...r, at: at(i), id: `x${(i += 1)}` } as EventsEvent);
        expect(actor.getSnapshot().status).toBe('active');
        for (const e of actor.getSnapshot().context.pending) {
          expect(Number.isInteger(e.count) && e.count >= 1).toBe(true);
          expect(() => JSON.stringify(e)).not.toThrow();
        }
        actor.stop();
      }),
      { numRuns: 100 },
    );
  });
});
