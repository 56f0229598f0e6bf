/**
 * The consent machine (spec: User Consent).
 *
 * - unit: actors on a simulated clock (the `consentFlush` coalescing is a 0-ms delay),
 *   asserting the two-phase broadcasts and the `consent=` requests
 * - model: every shortest path over the chart (abstracted), replayed on an actor with the
 *   delay fired by `clock.advance(0)`; every transition of the chart is taken
 * - property: after any sequence of give/remove/set/group calls, ticks and flushes, every
 *   `consent=` request equals the model's full state, exactly one request leaves per tick
 *   with changes, and `consent.changing` always precedes `consent.changed` with the same
 *   before/after
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { resolveConfig } from '../../../src/config.js';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import { ConsentFeatures, type ConsentFeature, type ConsentState, type Instant } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/log.js';
import { instantAt } from '../../../src/protocol/time.js';
import {
  consentInputFrom,
  consentListensTo,
  consentMachine,
  type ConsentCommand,
  type ConsentEvent,
  type ConsentInput,
} from '../../../src/features/consent/machine.js';

type Snap = SnapshotFrom<typeof consentMachine>;
type Cmd = ConsentCommand;

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const at = (ms = 0): Instant => instantAt(T0 + ms);
const FLUSH = 'xstate.after.consentFlush.consent.pending';

function start(input: ConsentInput) {
  const clock = simulatedClock(T0);
  const actor = createActor(consentMachine, { input, clock });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  return { actor, clock, cmds, take: () => cmds.splice(0) };
}

const requests = (cmds: Cmd[]): ConsentState[] =>
  cmds.flatMap((c) => (c.type === 'request.enqueue' ? [JSON.parse(c.params.consent!) as ConsentState] : []));
const broadcasts = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'broadcast' ? [c.event] : []));
const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [`${c.level}: ${c.message}`] : []));
const state = (given: ConsentFeature[]): ConsentState => withConsent(allConsent(false), given, true);

const give = (features: string[], ms = 1): ConsentEvent => ({ type: 'consent.give', features, at: at(ms) });
const remove = (features: string[], ms = 1): ConsentEvent => ({ type: 'consent.remove', features, at: at(ms) });

describe('consentMachine: unit', () => {
  it('listens to identity changes, settings and flushes', () => {
    expect([...consentListensTo].sort()).toEqual(['flush.requested', 'identity.changing', 'settings.updated']);
  });

  it('without required consent everything is allowed and calls only record the wish', () => {
    const { actor, clock, take } = start({ required: false, given: [] });
    clock.advance(0);
    expect(take()).toEqual([]);
    actor.send(remove(['sessions']));
    clock.advance(0);
    const cmds = take();
    expect(broadcasts(cmds)).toEqual([]);
    expect(requests(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['debug: remove, consent is not required: every feature is allowed; recorded in case the server requires it']);
    expect(actor.getSnapshot().context.given).toEqual(allConsent(true));
    expect(actor.getSnapshot().context.requested.sessions).toBe(false);
  });

  it('with required consent, the config list is given at init and announced in one request', () => {
    const { actor, clock, take } = start({ required: true, given: ['sessions', 'events'] });
    expect(actor.getSnapshot().context.given).toEqual(state(['sessions', 'events']));
    expect(take()).toEqual([]);
    clock.advance(0);
    expect(take()).toEqual([{ type: 'request.enqueue', params: { consent: JSON.stringify(state(['sessions', 'events'])) } }]);
  });

  it('the request holds the full state of all 17 features, in wire order', () => {
    const { actor, clock, take } = start({ required: true, given: [] });
    clock.advance(0);
    take();
    actor.send(give(['star-rating', 'remote-config']));
    clock.advance(0);
    const [req] = take().filter((c) => c.type === 'request.enqueue');
    expect(req).toEqual({ type: 'request.enqueue', params: { consent: JSON.stringify(state(['star-rating', 'remote-config'])) }, at: at(1) });
    expect(Object.keys(JSON.parse((req as { params: Record<string, string> }).params.consent!))).toEqual([...ConsentFeatures]);
  });

  it('tells every change in two phases, before then after, with the same before/after', () => {
    const { actor, clock, take } = start({ required: true, given: ['views'] });
    clock.advance(0);
    take();
    actor.send(remove(['views']));
    const cmds = take();
    expect(broadcasts(cmds)).toEqual([
      { type: 'consent.changing', before: state(['views']), after: state([]), at: at(1) },
      { type: 'consent.changed', before: state(['views']), after: state([]), at: at(1) },
    ]);
    expect(requests(cmds)).toEqual([]);
  });

  it('changes in the same tick coalesce into one request with the state at its end', () => {
    const { actor, clock, take } = start({ required: true, given: [] });
    clock.advance(0);
    take();
    actor.send(give(['sessions'], 1));
    actor.send(give(['events'], 2));
    actor.send(remove(['sessions'], 3));
    const beforeTick = take();
    expect(broadcasts(beforeTick).filter((b) => b.type === 'consent.changed')).toHaveLength(3);
    expect(requests(beforeTick)).toEqual([]);
    clock.advance(0);
    const cmds = take();
    expect(cmds).toEqual([{ type: 'request.enqueue', params: { consent: JSON.stringify(state(['events'])) }, at: at(3) }]);
    // The next tick's change is a request of its own.
    actor.send(give(['views'], 4));
    clock.advance(0);
    expect(requests(take())).toEqual([state(['events', 'views'])]);
  });

  it('a call that changes nothing is ignored: no broadcast, no request', () => {
    const { actor, clock, take } = start({ required: true, given: ['sessions'] });
    clock.advance(0);
    take();
    actor.send(give(['sessions']));
    actor.send(remove(['views']));
    clock.advance(0);
    const cmds = take();
    expect(broadcasts(cmds)).toEqual([]);
    expect(requests(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['debug: give, nothing changes for [["sessions"]]', 'debug: remove, nothing changes for [["views"]]']);
  });

  it('giveAll / removeAll', () => {
    const { actor, clock, take } = start({ required: true, given: [] });
    actor.send({ type: 'consent.giveAll', at: at(1) });
    clock.advance(0);
    expect(requests(take())).toEqual([allConsent(true)]);
    actor.send({ type: 'consent.removeAll', at: at(2) });
    clock.advance(0);
    expect(requests(take())).toEqual([allConsent(false)]);
  });

  it('unknown names are warned about and left out', () => {
    const { actor, clock, take } = start({ required: true, given: [] });
    clock.advance(0);
    take();
    actor.send(give(['nope', 'events', 'starRating']));
    clock.advance(0);
    const cmds = take();
    expect(logs(cmds)).toEqual(['warning: give, unknown feature or group [nope] ignored', 'warning: give, unknown feature or group [starRating] ignored']);
    expect(requests(cmds)).toEqual([state(['events'])]);
  });

  it('feature groups: create, give and remove by group name, set by group', () => {
    const { actor, clock, take } = start({ required: true, given: [] });
    clock.advance(0);
    take();
    actor.send({ type: 'consent.createGroup', name: 'activity', features: ['sessions', 'events', 'views', 'views', 'bogus'] });
    expect(logs(take())).toEqual(['warning: createFeatureGroup, unknown feature [bogus] left out of group [activity]']);
    expect(actor.getSnapshot().context.groups).toEqual({ activity: ['sessions', 'events', 'views'] });
    actor.send(give(['activity', 'crashes']));
    clock.advance(0);
    expect(requests(take())).toEqual([state(['sessions', 'events', 'views', 'crashes'])]);
    actor.send({ type: 'consent.setGroup', name: 'activity', given: false, at: at(2) });
    clock.advance(0);
    expect(requests(take())).toEqual([state(['crashes'])]);
    actor.send(remove(['activity']));
    expect(broadcasts(take())).toEqual([]);
  });

  it('refuses groups named like a feature, groups without features, and unknown groups', () => {
    const { actor, clock, take } = start({ required: true, given: [] });
    clock.advance(0);
    take();
    actor.send({ type: 'consent.createGroup', name: 'events', features: ['views'] });
    actor.send({ type: 'consent.createGroup', name: 'empty', features: ['x'] });
    actor.send({ type: 'consent.setGroup', name: 'missing', given: true, at: at(1) });
    expect(logs(take())).toEqual([
      'warning: createFeatureGroup, [events] is a feature name and cannot name a group; call ignored',
      'warning: createFeatureGroup, unknown feature [x] left out of group [empty]',
      'warning: createFeatureGroup, group [empty] has no valid feature; call ignored',
      'warning: setFeatureGroup, unknown group [missing]; call ignored',
    ]);
    expect(actor.getSnapshot().context.groups).toEqual({});
    // An unknown group while a request is owed is refused too.
    actor.send(give(['events']));
    actor.send({ type: 'consent.setGroup', name: 'missing', given: true, at: at(2) });
    expect(logs(take())).toContain('warning: setFeatureGroup, unknown group [missing]; call ignored');
  });

  it('a device-ID change without merge removes all consent without a request; an owed request leaves first', () => {
    const { actor, clock, take } = start({ required: true, given: ['sessions', 'location'] });
    actor.send(give(['events']));
    actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: at(5) });
    const cmds = take();
    // The owed request (state before the change) leaves before consent is cleared: under the old ID.
    expect(cmds.map((c) => (c.type === 'broadcast' ? c.event.type : c.type))).toEqual([
      'consent.changing',
      'consent.changed',
      'request.enqueue',
      'consent.changing',
      'consent.changed',
    ]);
    expect(requests(cmds)).toEqual([state(['sessions', 'events', 'location'])]);
    expect(broadcasts(cmds).slice(2)).toEqual([
      { type: 'consent.changing', before: state(['sessions', 'events', 'location']), after: allConsent(false), at: at(5) },
      { type: 'consent.changed', before: state(['sessions', 'events', 'location']), after: allConsent(false), at: at(5) },
    ]);
    clock.advance(0);
    expect(take()).toEqual([]);
    expect(actor.getSnapshot().context.given).toEqual(allConsent(false));
  });

  it('a device-ID change with nothing given changes nothing; without required consent everything stays allowed', () => {
    const req = start({ required: true, given: [] });
    req.clock.advance(0);
    req.take();
    req.actor.send({ type: 'identity.changing', from: 'a', to: 'b' });
    expect(req.take()).toEqual([]);
    const free = start({ required: false, given: [] });
    free.actor.send({ type: 'identity.changing', from: 'a', to: 'b' });
    expect(free.take()).toEqual([]);
    expect(free.actor.getSnapshot().context.given).toEqual(allConsent(true));
  });

  it('the server setting cr=true turns consent on (what was asked for applies); it never turns it off', () => {
    const { actor, clock, take } = start({ required: false, given: ['sessions'] });
    actor.send(give(['events']));
    take();
    actor.send({ type: 'settings.updated', settings: { cr: true } });
    let cmds = take();
    expect(logs(cmds)).toEqual(['info: settings, the server requires consent (cr); features without consent stop']);
    expect(broadcasts(cmds)).toEqual([
      { type: 'consent.changing', before: allConsent(true), after: state(['sessions', 'events']) },
      { type: 'consent.changed', before: allConsent(true), after: state(['sessions', 'events']) },
    ]);
    clock.advance(0);
    expect(requests(take())).toEqual([state(['sessions', 'events'])]);
    actor.send({ type: 'settings.updated', settings: { cr: false } });
    actor.send({ type: 'settings.updated', settings: { cr: true } });
    clock.advance(0);
    cmds = take();
    expect(cmds).toEqual([]);
    expect(actor.getSnapshot().context.required).toBe(true);
  });

  it('cr=true with everything already asked for announces the state without a change', () => {
    const { actor, clock, take } = start({ required: false, given: [...ConsentFeatures] });
    actor.send({ type: 'settings.updated', settings: { cr: true } });
    expect(broadcasts(take())).toEqual([]);
    clock.advance(0);
    expect(requests(take())).toEqual([allConsent(true)]);
  });

  it('a queue flush sends an owed request at once', () => {
    const { actor, clock, take } = start({ required: true, given: [] });
    actor.send(give(['events'], 3));
    take();
    actor.send({ type: 'flush.requested', at: at(4) });
    expect(take()).toEqual([{ type: 'request.enqueue', params: { consent: JSON.stringify(state(['events'])) }, at: at(3) }]);
    clock.advance(0);
    expect(take()).toEqual([]);
    actor.send({ type: 'flush.requested', at: at(5) });
    expect(take()).toEqual([]);
  });

  it('consentInputFrom reads the config and the settings known at boot', () => {
    const log = createLogger({ console: false });
    expect(consentInputFrom(resolveConfig({ url: 'https://x.y', appKey: 'k', requiresConsent: true, consent: ['views'] }, log))).toEqual({
      required: true,
      given: ['views'],
    });
    expect(consentInputFrom(resolveConfig({ url: 'https://x.y', appKey: 'k' }, log), { settings: { cr: true } }).required).toBe(true);
    expect(consentInputFrom(resolveConfig({ url: 'https://x.y', appKey: 'k', consent: 'all' }, log)).given).toHaveLength(17);
  });
});

// ---- model-based paths ---------------------------------------------------------------

const MODEL_EVENTS = [
  give(['sessions']),
  remove(['sessions']),
  give(['grp']),
  { type: 'consent.giveAll', at: at(1) },
  { type: 'consent.removeAll', at: at(1) },
  { type: 'consent.createGroup', name: 'grp', features: ['views', 'events'] },
  { type: 'consent.setGroup', name: 'grp', given: true, at: at(1) },
  { type: 'consent.setGroup', name: 'none', given: true, at: at(1) },
  { type: 'identity.changing', from: 'a', to: 'b' },
  { type: 'settings.updated', settings: { cr: true } },
  { type: 'flush.requested', at: at(1) },
  { type: FLUSH },
] as ConsentEvent[];

const abstractState = (s: Snap): string =>
  `${JSON.stringify(s.value)}|${s.context.required}|${JSON.stringify(s.context.given)}|${JSON.stringify(s.context.requested)}|${Object.keys(s.context.groups).join()}`;

/** Replays a path on an actor; the delayed flush is a clock tick. Checks the rules on every step. */
function replay(inp: ConsentInput, steps: ReadonlyArray<{ event: { type: string } }>): void {
  const { actor, clock, cmds } = start(inp);
  let owed = actor.getSnapshot().value === 'pending';
  for (const step of steps) {
    if (step.event.type === 'xstate.init') continue;
    const before = cmds.length;
    if (step.event.type === FLUSH) clock.advance(0);
    else actor.send(step.event as ConsentEvent);
    const fresh = cmds.slice(before);
    const snap = actor.getSnapshot();
    checkPhases(fresh);
    const sent = requests(fresh);
    // A request leaves exactly when one was owed and the tick, a flush or an ID change came.
    expect(sent.length).toBeLessThanOrEqual(1);
    if (sent.length === 1) {
      expect(owed).toBe(true);
      owed = false;
    }
    if (fresh.some((c) => c.type === 'broadcast' && c.event.type === 'consent.changed') && step.event.type !== 'identity.changing') owed = true;
    if (step.event.type === 'settings.updated' && snap.context.required && sent.length === 0 && snap.value === 'pending') owed = true;
    expect(snap.value === 'pending').toBe(owed);
    if (sent.length === 1 && step.event.type !== 'identity.changing') expect(sent[0]).toEqual(snap.context.given);
  }
  actor.stop();
}

/** consent.changing is always followed at once by consent.changed with the same before/after. */
function checkPhases(cmds: Cmd[]): void {
  const bs = broadcasts(cmds);
  for (let i = 0; i < bs.length; i++) {
    const b = bs[i]!;
    if (b.type === 'consent.changing') {
      const next = bs[i + 1];
      expect(next?.type).toBe('consent.changed');
      expect(next).toMatchObject({ before: b.before, after: b.after });
    }
    if (b.type === 'consent.changed') expect(bs[i - 1]?.type).toBe('consent.changing');
  }
}

describe('consentMachine: model-based paths', () => {
  const taken = new Set<string>();
  const inputs: ConsentInput[] = [
    { required: true, given: ['views'] },
    { required: false, given: ['sessions'] },
  ];
  for (const inp of inputs) {
    it(`every shortest path (required ${inp.required}), and one more step of every event, keeps the rules`, () => {
      const paths = getShortestPaths(consentMachine, { input: inp, events: MODEL_EVENTS, serializeState: abstractState as never });
      expect(paths.length).toBeGreaterThan(10);
      for (const path of paths) {
        replay(inp, path.steps);
        for (const event of MODEL_EVENTS) {
          for (const t of takenTransitions(consentMachine, path.state, event)) taken.add(t);
          const [next] = transition(consentMachine, path.state, event);
          replay(inp, [...path.steps, { event, state: next }]);
        }
      }
    });
  }

  it('the paths take every transition of the chart', () => {
    const missing = [...allTransitions(consentMachine)].filter((t) => !taken.has(t));
    expect(missing).toEqual([]);
  });
});

// ---- properties ----------------------------------------------------------------------

type Op =
  | { op: 'give' | 'remove'; names: string[] }
  | { op: 'set'; names: string[]; given: boolean }
  | { op: 'giveAll' | 'removeAll' | 'tick' | 'flush' | 'cr' }
  | { op: 'group'; name: string; features: string[] }
  | { op: 'setGroup'; name: string; given: boolean };

const nameArb = fc.constantFrom<string>(...ConsentFeatures, 'g1', 'g2', 'unknown');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('give' as const, 'remove' as const), names: fc.array(nameArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), names: fc.array(nameArb, { minLength: 1, maxLength: 4 }), given: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom<Op>({ op: 'giveAll' }, { op: 'removeAll' }, { op: 'cr' }) },
  { weight: 3, arbitrary: fc.constantFrom<Op>({ op: 'tick' }, { op: 'flush' }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('group' as const), name: fc.constantFrom('g1', 'g2'), features: fc.array(fc.constantFrom(...ConsentFeatures), { maxLength: 4 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setGroup' as const), name: fc.constantFrom('g1', 'g2', 'g3'), given: fc.boolean() }) },
);

describe('consentMachine: properties', () => {
  it('every consent request equals the full state of the model; one request per tick with changes', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.subarray([...ConsentFeatures]), fc.array(opArb, { maxLength: 40 }), (required, initial, ops) => {
        const { actor, clock, cmds } = start({ required, given: initial });
        // The model: plain data, no machine.
        let modelRequired = required;
        let wish = state(initial);
        const groups = new Map<string, ConsentFeature[]>();
        let owed = required;
        const effective = (): ConsentState => (modelRequired ? wish : allConsent(true));
        const expected: ConsentState[] = [];
        const resolve = (names: string[]): ConsentFeature[] =>
          names.flatMap((n) => ((ConsentFeatures as readonly string[]).includes(n) ? [n as ConsentFeature] : (groups.get(n) ?? [])));
        const change = (features: ConsentFeature[], given: boolean, e: ConsentEvent): void => {
          const before = effective();
          wish = withConsent(wish, features, given);
          if (modelRequired && JSON.stringify(before) !== JSON.stringify(effective())) owed = true;
          actor.send(e);
        };
        const release = (): void => {
          if (owed) expected.push(effective());
          owed = false;
        };
        for (const op of ops) {
          switch (op.op) {
            case 'give':
            case 'remove':
              change(resolve(op.names), op.op === 'give', (op.op === 'give' ? give : remove)(op.names));
              break;
            case 'set':
              change(resolve(op.names), op.given, (op.given ? give : remove)(op.names));
              break;
            case 'giveAll':
              change([...ConsentFeatures], true, { type: 'consent.giveAll', at: at(1) });
              break;
            case 'removeAll':
              change([...ConsentFeatures], false, { type: 'consent.removeAll', at: at(1) });
              break;
            case 'group': {
              const valid = [...new Set(op.features)];
              if (valid.length > 0) groups.set(op.name, ConsentFeatures.filter((f) => valid.includes(f)));
              actor.send({ type: 'consent.createGroup', name: op.name, features: op.features });
              break;
            }
            case 'setGroup':
              if (groups.has(op.name)) change(groups.get(op.name)!, op.given, { type: 'consent.setGroup', name: op.name, given: op.given, at: at(1) });
              else actor.send({ type: 'consent.setGroup', name: op.name, given: op.given, at: at(1) });
              break;
            case 'cr':
              if (!modelRequired) {
                modelRequired = true;
                owed = true;
              }
              actor.send({ type: 'settings.updated', settings: { cr: true } });
              break;
            case 'tick':
              release();
              clock.advance(0);
              break;
            case 'flush':
              release();
              actor.send({ type: 'flush.requested', at: at(1) });
              break;
          }
          expect(actor.getSnapshot().context.given).toEqual(effective());
        }
        release();
        clock.advance(0);
        expect(requests(cmds)).toEqual(expected);
        checkPhases(cmds);
      }),
      { numRuns: 300 },
    );
  });
});
