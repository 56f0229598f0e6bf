/**
 * The remote-config machine as a whole (spec 001: Remote Config l. 2864-3131, A/B Testing
 * l. 3132-3442):
 *
 * - model: every shortest path and the simple paths of a smaller event set from
 *   `xstate/graph`, replayed with pure transitions, the feature's rules checked after each
 *   step (nothing sent without consent or in temporary-ID mode; what is stored is what the
 *   machine holds; every download ends with exactly one announcement; `downloading` exactly
 *   while a values download is in flight);
 * - property: after any sequence of full/partial downloads (answered in any order, with and
 *   without valueCaching), device-ID changes and clearAll, the values — and what storage
 *   holds — equal a simple model's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { TEMPORARY_DEVICE_ID } from '../../../src/domain/types.js';
import { RC_CHANNEL, remoteConfigMachine, type RemoteConfigCommand, type RemoteConfigEvent, type RemoteConfigInput } from '../../../src/features/remote-config/machine.js';
import type { RcStore } from '../../../src/features/remote-config/rules.js';
import { emitted, ev, input, type Snap } from './helpers.js';

/** Answers that fit each request in flight: a success and a failure. */
function answersFor(s: Snap): RemoteConfigEvent[] {
  return Object.entries(s.context.pending).flatMap(([tag, p]) => {
    const ok =
      p.kind === 'rc' ? { a: s.context.next % 2, b: 'x' }
      : p.kind === 'variants' ? { k: [{ name: 'A', value: 1 }] }
      : p.kind === 'experiments' ? [{ id: 'e', name: 'E', description: '', currentVariant: 'A', variants: { A: {} } }]
      : { result: 'Success' };
    return [ev.answered(tag, ok), ev.failed(tag)];
  });
}

function identityEvents(s: Snap): RemoteConfigEvent[] {
  const { deviceId, temporary } = s.context;
  if (temporary) return [ev.identity('dev-1', true, TEMPORARY_DEVICE_ID)];
  const other = deviceId === 'dev-1' ? 'dev-2' : 'dev-1';
  return [ev.identity(other, false, deviceId), ev.identity(other, true, deviceId), ev.identity(TEMPORARY_DEVICE_ID, false, deviceId)];
}

const FULL = (s: Snap): RemoteConfigEvent[] => [
  ev.all('cb#1'),
  ev.specific(['a']),
  ev.enroll(['a']),
  ev.variants('cb#2'),
  ev.enrollVariant('k', 'A', 'cb#3'),
  ev.clearAll(),
  ev.consent(!s.context.consent),
  ...identityEvents(s),
  ...answersFor(s),
];
const SMALL = (s: Snap): RemoteConfigEvent[] => [ev.all(), ev.consent(!s.context.consent), ...identityEvents(s).slice(0, 1), ...answersFor(s).slice(0, 2)];
/** For simple paths: the states and whether anything is in flight or stored. */
const serializeCoarse = (s: Snap): string =>
  JSON.stringify([s.value, s.context.consent, s.context.temporary, Object.keys(s.context.pending).length > 0, Object.keys(s.context.values).length > 0]);

/**
 * The chart as the rules see it: few requests in flight, values by freshness only; tags,
 * counters and which ID is current are not part of it (that keeps it finite and small).
 */
const serializeState = (s: Snap): string => {
  const values = Object.values(s.context.values);
  const pending = Object.values(s.context.pending);
  return JSON.stringify([
    s.value,
    s.context.consent,
    s.context.temporary,
    Math.min(pending.filter((p) => p.kind === 'rc').length, 2),
    [...new Set(pending.flatMap((p) => (p.kind === 'rc' ? [p.epoch === s.context.epoch] : [])))].sort(),
    [...new Set(pending.filter((p) => p.kind !== 'rc').map((p) => p.kind))].sort(),
    Math.min(values.filter((v) => v.c === 1).length, 2),
    Math.min(values.filter((v) => v.c === 0).length, 2),
  ]);
};
const filterEvents = (s: Snap, e: RemoteConfigEvent) =>
  Object.keys(s.context.pending).length < 2 || e.type === 'direct.answered' || e.type === 'direct.failed' || e.type === 'consent.changed' || e.type === 'identity.changed';

/** What storage holds after these commands. */
function persisted(before: RcStore, cmds: readonly RemoteConfigCommand[]): RcStore {
  let out = before;
  for (const c of cmds) {
    if (c.type === 'storage.set' && c.key === 'remoteConfig') out = c.value as RcStore;
    if (c.type === 'storage.delete' && c.key === 'remoteConfig') out = {};
  }
  return out;
}

function checkPath(i: RemoteConfigInput, steps: ReadonlyArray<{ event: RemoteConfigEvent }>): void {
  let [snap, actions] = initialTransition(remoteConfigMachine, i);
  let stored: RcStore = persisted(i.values, emitted(actions));
  for (const { event } of steps) {
    const before = snap;
    [snap, actions] = transition(remoteConfigMachine, snap, event);
    const cmds = emitted(actions);
    // Nothing goes out without consent or in temporary-ID mode.
    if (cmds.some((c) => c.type === 'direct.request')) expect(snap.context.consent && !snap.context.temporary).toBe(true);
    // What storage holds is what the machine holds.
    stored = persisted(stored, cmds);
    expect(stored).toEqual(snap.context.values);
    // Every download call ends in exactly one announcement: now (refused) or with its answer.
    const announced = cmds.filter((c) => c.type === 'callback.invoke' && c.token === RC_CHANNEL).length;
    if (event.type === 'rc.download') {
      const sent = cmds.filter((c) => c.type === 'direct.request' && c.params.method === 'rc').length;
      expect(sent + announced).toBe(1);
    }
    if ((event.type === 'direct.answered' || event.type === 'direct.failed') && before.context.pending[event.tag]?.kind === 'rc') expect(announced).toBe(1);
    expect(snap.matches('downloading')).toBe(Object.values(snap.context.pending).some((p) => p.kind === 'rc'));
    // A download never leaves a value it did not return marked fresh when caching it.
    for (const entry of Object.values(snap.context.values)) expect([0, 1]).toContain(entry.c);
  }
}

describe('remote-config machine: model-based paths', () => {
  const inputs: RemoteConfigInput[] = [
    input({ values: { a: { v: 0, c: 1 } } }),
    input({ automaticTriggers: true, valueCaching: true, values: { z: { v: 9, c: 1 } } }),
    input({ consent: false, automaticTriggers: true }),
    input({ temporary: true, deviceId: TEMPORARY_DEVICE_ID, automaticTriggers: true, valueCaching: true }),
  ];

  it('every shortest path keeps the rules', () => {
    let paths = 0;
    for (const i of inputs) {
      for (const path of getShortestPaths(remoteConfigMachine, { input: i, events: FULL, serializeState, filterEvents })) {
        paths++;
        checkPath(i, path.steps as ReadonlyArray<{ event: RemoteConfigEvent }>);
      }
    }
    expect(paths).toBeGreaterThan(100);
  });

  it('every simple path of a smaller event set keeps the rules', () => {
    let paths = 0;
    for (const i of inputs.slice(0, 2)) {
      for (const path of getSimplePaths(remoteConfigMachine, { input: i, events: SMALL, serializeState: serializeCoarse, filterEvents })) {
        paths++;
        checkPath(i, path.steps as ReadonlyArray<{ event: RemoteConfigEvent }>);
      }
    }
    expect(paths).toBeGreaterThan(40);
  });
});

// ---------------------------------------------------------------------------------------
// Property: the store against a simple model.

type Op =
  | { kind: 'download'; full: boolean }
  | { kind: 'answer'; index: number; values: Record<string, number> }
  | { kind: 'identity'; merged: boolean }
  | { kind: 'clearAll' };

const KEYS = ['a', 'b', 'c', 'd'];
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('download' as const), full: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('answer' as const), index: fc.nat(4), values: fc.dictionary(fc.constantFrom(...KEYS), fc.integer({ min: 0, max: 9 }), { maxKeys: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('identity' as const), merged: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clearAll' as const }) },
);

/** The model: a map of key → [value, fresh], and the downloads in flight with the user they are for. */
function model(caching: boolean, ops: readonly Op[]): Record<string, { v: unknown; c: 0 | 1 }> {
  const store = new Map<string, [unknown, boolean]>();
  const inFlight: Array<{ full: boolean; user: number }> = [];
  let user = 0;
  for (const o of ops) {
    if (o.kind === 'download') inFlight.push({ full: o.full, user });
    else if (o.kind === 'clearAll') store.clear();
    else if (o.kind === 'identity') {
      if (o.merged) continue;
      user++;
      if (caching) for (const [k, [v]] of store) store.set(k, [v, false]);
      else store.clear();
    } else {
      if (inFlight.length === 0) continue;
      const [d] = inFlight.splice(o.index % inFlight.length, 1);
      if (d!.user !== user) continue;
      if (d!.full) {
        if (caching) for (const [k, [v]] of store) store.set(k, [v, false]);
        else store.clear();
      }
      for (const [k, v] of Object.entries(o.values)) store.set(k, [v, true]);
    }
  }
  return Object.fromEntries([...store].map(([k, [v, fresh]]) => [k, { v, c: fresh ? 1 : 0 }]));
}

describe('remote-config machine: the store against a simple model', () => {
  it('after any sequence of downloads, answers, device-ID changes and clearAll, values and storage equal the model', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(op, { maxLength: 30 }), (caching, ops) => {
        let [snap, actions] = initialTransition(remoteConfigMachine, input({ valueCaching: caching }));
        let stored = persisted({}, emitted(actions));
        const inFlight: string[] = [];
        let ids = 1;
        for (const o of ops) {
          let e: RemoteConfigEvent;
          if (o.kind === 'download') e = o.full ? ev.all() : ev.specific(['a', 'b']);
          else if (o.kind === 'clearAll') e = ev.clearAll();
          else if (o.kind === 'identity') e = ev.identity(`dev-${++ids}`, o.merged, snap.context.deviceId);
          else {
            if (inFlight.length === 0) continue;
            const [tag] = inFlight.splice(o.index % inFlight.length, 1);
            e = ev.answered(tag!, o.values);
          }
          [snap, actions] = transition(remoteConfigMachine, snap, e);
          const cmds = emitted(actions);
          for (const c of cmds) if (c.type === 'direct.request') inFlight.push(c.tag);
          stored = persisted(stored, cmds);
        }
        const expected = model(caching, ops);
        expect(snap.context.values).toEqual(expected);
        expect(stored).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
