/**
 * The events feature's pure steps (src/domain/events-steps.ts), without a machine:
 * - unit: boot, flush, settings, consent, identity, foreground, discard, timed events
 * - property: over any sequence of records, bursts, flushes, threshold changes, consent and
 *   device-ID changes, discards and timed events, the requests carry exactly the accepted
 *   events (none lost or duplicated, in order), each batch is at most the threshold and is
 *   the head of the store, the store holds exactly the pending list, and a full batch never
 *   waits; a burst is the same as one record per entry; no step changes the context it is given
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../../src/config.js';
import { consentFeatureFor } from '../../src/domain/events.js';
import { initialEventsContext, type EventsContext, type EventsInput, type EventsOutput, type RecordRequest, type Step } from '../../src/domain/events-state.js';
import {
  applySettings,
  bootFlush,
  cancelTimed,
  consentChanged,
  consentChanging,
  discard,
  endTimed,
  flush,
  identityChanging,
  record,
  recordMany,
  setForeground,
  startTimed,
  viewChanged,
} from '../../src/domain/events-steps.js';
import { ConsentFeatures, type ConsentState, type WireEvent } from '../../src/domain/types.js';
import { instantAt } from '../../src/protocol/time.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (ms: number) => instantAt(T0 + ms);
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
  ...over,
});
const ctx = (over: Partial<EventsInput> = {}): EventsContext => initialEventsContext(input(over));
const rec = (key: string, id: string, ms = 0, more: Partial<RecordRequest> = {}): RecordRequest => ({ key, id, at: at(ms), ...more });
const wire = (id: string): WireEvent => ({ key: id, count: 1, sum: 0, dur: 0, timestamp: T0, hour: 10, dow: 4, id });

const batchesOf = (cmds: EventsOutput[]): string[][] =>
  cmds.flatMap((c) => (c.type === 'request.enqueue' ? [(JSON.parse(c.params.events ?? '[]') as WireEvent[]).map((e) => e.id)] : []));

/** Runs steps in order, threading the context. */
function chain(c: EventsContext, ...steps: Array<(c: EventsContext) => Step>): Step {
  const commands: EventsOutput[] = [];
  let context = c;
  for (const s of steps) {
    const out = s(context);
    context = out.context;
    commands.push(...out.commands);
  }
  return { context, commands };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('boot', () => {
  it('stored events all go into requests of at most the threshold', () => {
    const out = bootFlush(ctx({ threshold: 2, storedEvents: ['a', 'b', 'c'].map(wire) }));
    expect(batchesOf(out.commands)).toEqual([['a', 'b'], ['c']]);
    // Other features (pending user details) hear `events.batching` first.
    expect(out.commands.map((c) => c.type)).toEqual(['broadcast', 'request.enqueue', 'events.unpersist', 'request.enqueue', 'events.unpersist']);
    expect(out.context.pending).toEqual([]);
  });

  it("those of a cleared device ID go under that ID, once", () => {
    const owner = { deviceId: 'old', deviceIdType: 'DEVELOPER_SUPPLIED' as const };
    const out = bootFlush(ctx({ storedEvents: [wire('a')], storedOwner: owner }));
    expect(out.commands[0]).toMatchObject({ type: 'log', level: 'debug' });
    expect(out.commands[1]).toEqual({ type: 'broadcast', event: { type: 'events.batching' } });
    expect(out.commands[2]).toMatchObject({ type: 'request.enqueue', identity: owner });
    expect(out.context.storedOwner).toBeNull();
  });

  it('nothing stored: nothing to do', () => {
    const c = ctx();
    expect(bootFlush(c)).toEqual({ context: c, commands: [] });
  });
});

describe('flushes and what other features say', () => {
  it('flush sends everything in batches of at most the threshold; with nothing pending it does nothing', () => {
    const out = chain(ctx({ threshold: 2 }), (c) => recordMany(c, ['a', 'b', 'c'].map((k) => rec(k, k))), flush);
    expect(batchesOf(out.commands)).toEqual([['a', 'b'], ['c']]);
    const empty = ctx();
    expect(flush(empty)).toEqual({ context: empty, commands: [] });
  });

  it('a lower eqs sends the full batches at once; a later update without it restores the configured threshold', () => {
    const out = chain(ctx({ threshold: 10 }), (c) => recordMany(c, ['a', 'b', 'c'].map((k) => rec(k, k))), (c) => applySettings(c, { eqs: 2 }));
    expect(batchesOf(out.commands)).toEqual([['a', 'b']]);
    expect(out.context.pending.map((e) => e.id)).toEqual(['c']);
    expect(applySettings(out.context, {}).context.threshold).toBe(10);
  });

  it('identityChanging: pending under the old ID first, then the timed events are cleared', () => {
    const out = chain(ctx(), (c) => startTimed(c, 't', at(0)), (c) => record(c, 'record', rec('a', 'a')), identityChanging);
    expect(out.commands.map((c) => c.type)).toEqual(['events.persist', 'broadcast', 'request.enqueue', 'events.unpersist', 'log']);
    expect(out.context.timed).toEqual({});
  });

  it('consentChanging flushes only when a consent is lost; consentChanged stores it', () => {
    const c = record(ctx(), 'record', rec('a', 'a')).context;
    expect(consentChanging(c, { before: consent(false), after: ALL }).commands).toEqual([]);
    expect(batchesOf(consentChanging(c, { before: ALL, after: consent(true, { push: false }) }).commands)).toEqual([['a']]);
    expect(consentChanged(c, consent(false)).context.consent).toEqual(consent(false));
  });

  it('setForeground sets cly_v of later events; viewChanged their view IDs', () => {
    const c = setForeground(ctx({ visibilityTracking: true }), false).context;
    const v = viewChanged(c, { currentViewId: 'v1', previousViewId: '', currentViewName: 'Home', previousViewName: '' }).context;
    const out = record(v, 'record', rec('a', 'a'));
    expect(out.context.pending[0]).toMatchObject({ segmentation: { cly_v: 0 }, cvid: 'v1' });
    expect(setForeground(v, false).context).toBe(v);
  });

  it('discard drops what is pending and clears the store', () => {
    const out = chain(ctx(), (c) => record(c, 'record', rec('a', 'a')), discard);
    expect(out.context.pending).toEqual([]);
    expect(out.commands.at(-1)).toEqual({ type: 'events.clearStore' });
  });

  it('timed: end records at the start with dur = end − start; cancel forgets; unknown keys warn', () => {
    const out = chain(ctx(), (c) => startTimed(c, 't', at(1000)), (c) => endTimed(c, { key: 't', at: at(3500), id: 'T' }));
    expect(out.context.pending[0]).toMatchObject({ key: 't', dur: 2.5, timestamp: T0 + 1000, id: 'T' });
    expect(cancelTimed(startTimed(ctx(), 't', at(0)).context, 't').context.timed).toEqual({});
    expect(cancelTimed(ctx(), 'x').commands).toMatchObject([{ type: 'log', level: 'warning' }]);
  });
});

// ---- properties ----------------------------------------------------------------------

type Op =
  | { op: 'record'; key: string; count: number }
  | { op: 'burst'; keys: string[] }
  | { op: 'start' | 'end' | 'cancel'; key: string }
  | { op: 'flush' | 'changeId' | 'discard' | 'fg' | 'bg' }
  | { op: 'eqs'; n: number | undefined }
  | { op: 'consent'; feature: keyof ConsentState; given: boolean };

const KEYS = ['buy', 'login', '[CLY]_view', '[CLY]_nps', '[CLY]_star_rating', '[CLY]_orientation', '[CLY]_push_action', '[CLY]_action', ''];
const FEATURES = ['events', 'views', 'feedback', 'star-rating', 'users', 'push', 'clicks'] as const;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('record' as const), key: fc.constantFrom(...KEYS), count: fc.integer({ min: -1, max: 3 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('burst' as const), keys: fc.array(fc.constantFrom(...KEYS), { maxLength: 12 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('start' as const, 'end' as const, 'cancel' as const), key: fc.constantFrom('t1', 't2') }) },
  { weight: 3, arbitrary: fc.constantFrom('flush' as const, 'changeId' as const, 'discard' as const, 'fg' as const, 'bg' as const).map((op) => ({ op })) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('eqs' as const), n: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('consent' as const), feature: fc.constantFrom(...FEATURES), given: fc.boolean() }) },
);

/** Follows the commands as the event store and the request queue would, checking each step. */
class Ledger {
  store: WireEvent[];
  sent: WireEvent[] = [];
  accepted: WireEvent[];
  discarded: WireEvent[] = [];
  constructor(stored: WireEvent[]) {
    this.store = [...stored];
    this.accepted = [...stored];
  }
  apply(cmds: EventsOutput[], threshold: number, consentAt: ConsentState): void {
    cmds.forEach((c, i) => {
      if (c.type === 'events.persist') {
        for (const e of c.events) {
          expect(consentAt[consentFeatureFor(e.key, e.segmentation)], 'accepted only with consent').toBe(true);
          this.store.push(e);
          this.accepted.push(e);
        }
      } else if (c.type === 'request.enqueue') {
        const b = JSON.parse(c.params.events ?? '[]') as WireEvent[];
        expect(b.length).toBeGreaterThan(0);
        expect(b.length, 'a batch is at most the threshold').toBeLessThanOrEqual(threshold);
        expect(b, 'a batch is the head of the store').toEqual(this.store.slice(0, b.length));
        expect(cmds[i + 1], 'its events leave the store right after').toEqual({ type: 'events.unpersist', ids: b.map((e) => e.id) });
        this.sent.push(...b);
      } else if (c.type === 'events.unpersist') {
        expect(this.store.slice(0, c.ids.length).map((e) => e.id)).toEqual(c.ids);
        this.store = this.store.slice(c.ids.length);
      } else if (c.type === 'events.clearStore') {
        this.discarded.push(...this.store);
        this.store = [];
      }
    });
  }
  check(c: EventsContext): void {
    expect(c.pending, 'the store holds exactly the pending list').toEqual(this.store);
    const gone = new Set(this.discarded.map((e) => e.id));
    const ids = (l: WireEvent[]) => l.map((e) => e.id);
    expect([...ids(this.sent), ...ids(this.store)], 'nothing lost, duplicated or reordered').toEqual(ids(this.accepted).filter((id) => !gone.has(id)));
    expect(c.pending.length, 'a full batch never waits').toBeLessThan(c.threshold);
  }
}

function runOps(threshold: number, initial: ConsentState, stored: WireEvent[], ops: Op[]): { ledger: Ledger; context: EventsContext } {
  let n = 0;
  const first = bootFlush(initialEventsContext(input({ threshold, consent: initial, storedEvents: stored, visibilityTracking: true })));
  const ledger = new Ledger(stored);
  ledger.apply(first.commands, first.context.threshold, initial);
  let c = first.context;
  for (const o of ops) {
    const before = c.consent;
    // Every step gets a frozen context: none may change what it is given.
    deepFreeze(c);
    let out: Step;
    switch (o.op) {
      case 'record':
        out = record(c, 'record', rec(o.key, `r${(n += 1)}`, n, { count: o.count, segmentation: o.key === '[CLY]_view' ? { visit: '1' } : undefined }));
        break;
      case 'burst':
        out = recordMany(c, o.keys.map((k) => rec(k, `b${(n += 1)}`, n)));
        break;
      case 'start':
        out = startTimed(c, o.key, at((n += 1)));
        break;
      case 'end':
        out = endTimed(c, { key: o.key, at: at((n += 1)), id: `t${n}` });
        break;
      case 'cancel':
        out = cancelTimed(c, o.key);
        break;
      case 'flush':
        out = flush(c);
        break;
      case 'changeId':
        out = identityChanging(c);
        break;
      case 'discard':
        out = discard(c);
        break;
      case 'fg':
      case 'bg':
        out = setForeground(c, o.op === 'fg');
        break;
      case 'eqs':
        out = applySettings(c, o.n === undefined ? {} : { eqs: o.n });
        break;
      case 'consent': {
        const after = { ...c.consent, [o.feature]: o.given };
        out = chain(c, (x) => consentChanging(x, { before: x.consent, after }), (x) => consentChanged(x, after));
        break;
      }
    }
    ledger.apply(out.commands, out.context.threshold, before);
    c = out.context;
    ledger.check(c);
  }
  return { ledger, context: c };
}

const consentArb = fc.record(Object.fromEntries(ConsentFeatures.map((f) => [f, fc.boolean()]))) as fc.Arbitrary<ConsentState>;
const storedArb = fc.integer({ min: 0, max: 12 }).map((k) => Array.from({ length: k }, (_, i) => wire(`s${i}`)));

describe('properties', () => {
  it('no accepted event is lost or duplicated, order is kept, batches ≤ threshold, and a final flush sends the rest', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), consentArb, storedArb, fc.array(opArb, { maxLength: 80 }), (threshold, initial, stored, ops) => {
        const { ledger, context } = runOps(threshold, initial, stored, ops);
        const last = flush(context);
        ledger.apply(last.commands, last.context.threshold, last.context.consent);
        ledger.check(last.context);
        expect(last.context.pending).toEqual([]);
        const gone = new Set(ledger.discarded.map((e) => e.id));
        expect(ledger.sent.map((e) => e.id)).toEqual(ledger.accepted.map((e) => e.id).filter((id) => !gone.has(id)));
      }),
      { numRuns: 300 },
    );
  });

  it('a burst is the same as one record per entry, with its persists merged into one command per run', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.constantFrom(...KEYS), { maxLength: 30 }), (threshold, keys) => {
        const records = keys.map((k, i) => rec(k, `id${i}`, i));
        const start = deepFreeze(ctx({ threshold }));
        const many = recordMany(start, records);
        const one = chain(start, ...records.map((r) => (c: EventsContext) => record(c, 'record', r)));
        expect(many.context).toEqual(one.context);
        const persisted = (cmds: EventsOutput[]) => cmds.flatMap((c) => (c.type === 'events.persist' ? c.events : []));
        expect(persisted(many.commands)).toEqual(persisted(one.commands));
        const rest = (cmds: EventsOutput[]) => cmds.filter((c) => c.type !== 'events.persist');
        expect(rest(many.commands)).toEqual(rest(one.commands));
        many.commands.forEach((c, i) => expect(c.type === 'events.persist' && many.commands[i + 1]?.type === 'events.persist').toBe(false));
      }),
      { numRuns: 200 },
    );
  });
});
