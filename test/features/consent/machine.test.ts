/**
 * The consent machine (spec: User Consent).
 *
 * - unit: actors, asserting the two-phase broadcasts and the `consent=` requests — queued in
 *   the step of the change, between `consent.changing` and `consent.changed` (historical
 *   order, spec line 317: nothing the new state allows can be queued before it)
 * - model: every shortest path over the chart (abstracted), replayed on an actor; every
 *   transition of the chart is taken
 * - property: after any sequence of give/remove/set/group calls and `cr`, every `consent=`
 *   request equals the model's full state, exactly one request per effective change, and
 *   `consent.changing` → request → `consent.changed` with the same before/after
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

function start(input: ConsentInput) {
  const actor = createActor(consentMachine, { input, clock: simulatedClock(T0) });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  return { actor, cmds, take: () => cmds.splice(0) };
}

const requests = (cmds: Cmd[]): ConsentState[] =>
  cmds.flatMap((c) => (c.type === 'request.enqueue' ? [JSON.parse(c.params.consent!) as ConsentState] : []));
const broadcasts = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'broadcast' ? [c.event] : []));
const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [`${c.level}: ${c.message}`] : []));
const state = (given: ConsentFeature[]): ConsentState => withConsent(allConsent(false), given, true);

const give = (features: string[], ms = 1): ConsentEvent => ({ type: 'consent.give', features, at: at(ms) });
const remove = (features: string[], ms = 1): ConsentEvent => ({ type: 'consent.remove', features, at: at(ms) });

describe('consentMachine: unit', () => {
  it('listens to identity changes and settings', () => {
    expect([...consentListensTo].sort()).toEqual(['identity.changing', 'settings.updated']);
  });

  it('without required consent everything is allowed and calls only record the wish', () => {
    const { actor, take } = start({ required: false, given: [] });
    expect(take()).toEqual([]);
    actor.send(remove(['sessions']));
    const cmds = take();
    expect(broadcasts(cmds)).toEqual([]);
    expect(requests(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['debug: remove, consent is not required: every feature is allowed; recorded in case the server requires it']);
    expect(actor.getSnapshot().context.given).toEqual(allConsent(true));
    expect(actor.getSnapshot().context.requested.sessions).toBe(false);
  });

  it('with required consent, the config list is given at init and announced at boot, before anything else', () => {
    const { actor, take } = start({ required: true, given: ['sessions', 'events'] });
    expect(actor.getSnapshot().context.given).toEqual(state(['sessions', 'events']));
    expect(take()).toEqual([{ type: 'request.enqueue', params: { consent: JSON.stringify(state(['sessions', 'events'])) } }]);
    expect(actor.getSnapshot().context.requests).toBe(1);
  });

  it('the request holds the full state of all 17 features, in wire order', () => {
    const { actor, take } = start({ required: true, given: [] });
    take();
    actor.send(give(['star-rating', 'remote-config']));
    const [req] = take().filter((c) => c.type === 'request.enqueue');
    expect(req).toEqual({ type: 'request.enqueue', params: { consent: JSON.stringify(state(['star-rating', 'remote-config'])) }, at: at(1) });
    expect(Object.keys(JSON.parse((req as { params: Record<string, string> }).params.consent!))).toEqual([...ConsentFeatures]);
  });

  it('tells every change in two phases with its request between them, in the same step', () => {
    const { actor, take } = start({ required: true, given: ['views'] });
    take();
    actor.send(remove(['views']));
    expect(take()).toEqual([
      { type: 'broadcast', event: { type: 'consent.changing', before: state(['views']), after: state([]), at: at(1) } },
      { type: 'request.enqueue', params: { consent: JSON.stringify(state([])) }, at: at(1) },
      { type: 'broadcast', event: { type: 'consent.changed', before: state(['views']), after: state([]), at: at(1) } },
    ]);
  });

  it('every call that changes the state is one request with the state after it; one call naming several features is one', () => {
    const { actor, take } = start({ required: true, given: [] });
    take();
    actor.send(give(['sessions', 'events'], 1));
    actor.send(remove(['sessions'], 2));
    actor.send(give(['views'], 3));
    expect(requests(take())).toEqual([state(['sessions', 'events']), state(['events']), state(['events', 'views'])]);
    expect(actor.getSnapshot().context.requests).toBe(4);
  });

  it('a call that changes nothing is ignored: no broadcast, no request', () => {
    const { actor, take } = start({ required: true, given: ['sessions'] });
    take();
    actor.send(give(['sessions']));
    actor.send(remove(['views']));
    const cmds = take();
    expect(broadcasts(cmds)).toEqual([]);
    expect(requests(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['debug: give, nothing changes for [["sessions"]]', 'debug: remove, nothing changes for [["views"]]']);
  });

  it('giveAll / removeAll', () => {
    const { actor, take } = start({ required: true, given: [] });
    take();
    actor.send({ type: 'consent.giveAll', at: at(1) });
    expect(requests(take())).toEqual([allConsent(true)]);
    actor.send({ type: 'consent.removeAll', at: at(2) });
    expect(requests(take())).toEqual([allConsent(false)]);
  });

  it('unknown names are warned about and left out', () => {
    const { actor, take } = start({ required: true, given: [] });
    take();
    actor.send(give(['nope', 'events', 'starRating']));
    const cmds = take();
    expect(logs(cmds)).toEqual(['warning: give, unknown feature or group [nope] ignored', 'warning: give, unknown feature or group [starRating] ignored']);
    expect(requests(cmds)).toEqual([state(['events'])]);
  });

  it('feature groups: create, give and remove by group name, set by group', () => {
    const { actor, take } = start({ required: true, given: [] });
    take();
    actor.send({ type: 'consent.createGroup', name: 'activity', features: ['sessions', 'events', 'views', 'views', 'bogus'] });
    expect(logs(take())).toEqual(['warning: createFeatureGroup, unknown feature [bogus] left out of group [activity]']);
    expect(actor.getSnapshot().context.groups).toEqual({ activity: ['sessions', 'events', 'views'] });
    actor.send(give(['activity', 'crashes']));
    expect(requests(take())).toEqual([state(['sessions', 'events', 'views', 'crashes'])]);
    actor.send({ type: 'consent.setGroup', name: 'activity', given: false, at: at(2) });
    expect(requests(take())).toEqual([state(['crashes'])]);
    actor.send(remove(['activity']));
    expect(broadcasts(take())).toEqual([]);
  });

  it('refuses groups named like a feature, groups without features, and unknown groups', () => {
    const { actor, take } = start({ required: true, given: [] });
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
  });

  it('a device-ID change without merge removes all consent without a request (spec: DeviceIDChangedNotMerged)', () => {
    const { actor, take } = start({ required: true, given: ['sessions', 'location'] });
    take();
    actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: at(5) });
    expect(take()).toEqual([
      { type: 'broadcast', event: { type: 'consent.changing', before: state(['sessions', 'location']), after: allConsent(false), at: at(5) } },
      { type: 'broadcast', event: { type: 'consent.changed', before: state(['sessions', 'location']), after: allConsent(false), at: at(5) } },
    ]);
    expect(actor.getSnapshot().context.given).toEqual(allConsent(false));
  });

  it('a device-ID change with nothing given changes nothing; without required consent everything stays allowed', () => {
    const req = start({ required: true, given: [] });
    req.take();
    req.actor.send({ type: 'identity.changing', from: 'a', to: 'b' });
    expect(req.take()).toEqual([]);
    const free = start({ required: false, given: [] });
    free.actor.send({ type: 'identity.changing', from: 'a', to: 'b' });
    expect(free.take()).toEqual([]);
    expect(free.actor.getSnapshot().context.given).toEqual(allConsent(true));
  });

  it('the server setting cr=true turns consent on (what was asked for applies), told with its request; it never turns it off', () => {
    const { actor, take } = start({ required: false, given: ['sessions'] });
    actor.send(give(['events']));
    take();
    actor.send({ type: 'settings.updated', settings: { cr: true } });
    expect(take()).toEqual([
      { type: 'log', level: 'info', module: 'Consent', message: 'settings, the server requires consent (cr); features without consent stop' },
      { type: 'broadcast', event: { type: 'consent.changing', before: allConsent(true), after: state(['sessions', 'events']) } },
      { type: 'request.enqueue', params: { consent: JSON.stringify(state(['sessions', 'events'])) } },
      { type: 'broadcast', event: { type: 'consent.changed', before: allConsent(true), after: state(['sessions', 'events']) } },
    ]);
    actor.send({ type: 'settings.updated', settings: { cr: false } });
    actor.send({ type: 'settings.updated', settings: { cr: true } });
    expect(take()).toEqual([]);
    expect(actor.getSnapshot().context.required).toBe(true);
  });

  it('cr=true with everything already asked for announces the state without a change', () => {
    const { actor, take } = start({ required: false, given: [...ConsentFeatures] });
    actor.send({ type: 'settings.updated', settings: { cr: true } });
    const cmds = take();
    expect(broadcasts(cmds)).toEqual([]);
    expect(requests(cmds)).toEqual([allConsent(true)]);
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
] as ConsentEvent[];

const abstractState = (s: Snap): string =>
  `${JSON.stringify(s.value)}|${s.context.required}|${JSON.stringify(s.context.given)}|${JSON.stringify(s.context.requested)}|${Object.keys(s.context.groups).join()}`;

/** Replays a path on an actor, checking the rules on every step. */
function replay(inp: ConsentInput, steps: ReadonlyArray<{ event: { type: string } }>): void {
  const { actor, cmds } = start(inp);
  checkPhases(cmds);
  for (const step of steps) {
    if (step.event.type === 'xstate.init') continue;
    const before = cmds.length;
    const wasRequired = actor.getSnapshot().context.required;
    actor.send(step.event as ConsentEvent);
    const fresh = cmds.slice(before);
    const snap = actor.getSnapshot();
    checkPhases(fresh);
    const sent = requests(fresh);
    const changed = fresh.some((c) => c.type === 'broadcast' && c.event.type === 'consent.changed');
    const turnedRequired = !wasRequired && snap.context.required;
    if (step.event.type === 'identity.changing') expect(sent, 'no request for the new ID’s cleared consent').toEqual([]);
    else expect(sent.length, 'one request exactly when the state changes (or cr turns consent on)').toBe(changed || turnedRequired ? 1 : 0);
    if (sent.length === 1) expect(sent[0]).toEqual(snap.context.given);
  }
  actor.stop();
}

/** `consent.changing` → (its request) → `consent.changed`, same before/after, nothing else between. */
function checkPhases(cmds: Cmd[]): void {
  const kinds = cmds.filter((c) => c.type !== 'log');
  kinds.forEach((c, i) => {
    if (c.type !== 'broadcast' || c.event.type !== 'consent.changing') return;
    const b = c.event;
    const next = kinds[i + 1];
    const changed = next?.type === 'request.enqueue' ? kinds[i + 2] : next;
    if (next?.type === 'request.enqueue') expect(JSON.parse(next.params.consent!)).toEqual(b.after);
    expect(changed).toMatchObject({ type: 'broadcast', event: { type: 'consent.changed', before: b.before, after: b.after } });
  });
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
  | { op: 'giveAll' | 'removeAll' | 'cr' }
  | { op: 'group'; name: string; features: string[] }
  | { op: 'setGroup'; name: string; given: boolean };

const nameArb = fc.constantFrom<string>(...ConsentFeatures, 'g1', 'g2', 'unknown');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('give' as const, 'remove' as const), names: fc.array(nameArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('set' as const), names: fc.array(nameArb, { minLength: 1, maxLength: 4 }), given: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom<Op>({ op: 'giveAll' }, { op: 'removeAll' }, { op: 'cr' }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('group' as const), name: fc.constantFrom('g1', 'g2'), features: fc.array(fc.constantFrom(...ConsentFeatures), { maxLength: 4 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setGroup' as const), name: fc.constantFrom('g1', 'g2', 'g3'), given: fc.boolean() }) },
);

describe('consentMachine: properties', () => {
  it('every consent request equals the full state of the model, one per effective change, between its two phases', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.subarray([...ConsentFeatures]), fc.array(opArb, { maxLength: 40 }), (required, initial, ops) => {
        const { actor, cmds } = start({ required, given: initial });
        // The model: plain data, no machine.
        let modelRequired = required;
        let wish = state(initial);
        const groups = new Map<string, ConsentFeature[]>();
        const effective = (): ConsentState => (modelRequired ? wish : allConsent(true));
        const expected: ConsentState[] = required ? [effective()] : [];
        const resolve = (names: string[]): ConsentFeature[] =>
          names.flatMap((n) => ((ConsentFeatures as readonly string[]).includes(n) ? [n as ConsentFeature] : (groups.get(n) ?? [])));
        const change = (features: ConsentFeature[], given: boolean, e: ConsentEvent): void => {
          const before = effective();
          wish = withConsent(wish, features, given);
          if (modelRequired && JSON.stringify(before) !== JSON.stringify(effective())) expected.push(effective());
          actor.send(e);
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
                expected.push(effective());
              }
              actor.send({ type: 'settings.updated', settings: { cr: true } });
              break;
          }
          expect(actor.getSnapshot().context.given).toEqual(effective());
          // Queued at once: nothing is owed after a step.
          expect(requests(cmds)).toEqual(expected);
        }
        checkPhases(cmds);
      }),
      { numRuns: 300 },
    );
  });
});
