/**
 * The location machine (spec: Recording Location).
 *
 * The spec's test scenarios and the machine wired with sessions and consent: wired.test.ts.
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the commands: the cache,
 *   separate requests, erasure, consent, settings, re-enabling, warnings
 * - model: every shortest path over the chart with consent, session and settings events,
 *   replayed on an actor: the announced params always match the state, a separate request
 *   never carries `ip_address`, and every transition is taken
 */
import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { T0 } from '../identity-harness.js';
import { resolveConfig } from '../../../src/config.js';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import type { ConsentState, Instant } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/log.js';
import { instantAt } from '../../../src/protocol/time.js';
import {
  beginSessionLocation,
  locationInputFrom,
  locationListensTo,
  locationMachine,
  locationParams,
  locationParamsAtBoot,
  type LocationCommand,
  type LocationEvent,
  type LocationMachineInput,
  type LocationValues,
} from '../../../src/features/location/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof locationMachine>;
type Cmd = LocationCommand;

const at = (ms = 0): Instant => instantAt(T0 + ms);
const ALL = allConsent(true);
const without = (...features: Array<keyof ConsentState>): ConsentState => withConsent(ALL, features, false);

const CITY = { countryCode: 'us', city: 'Panama' };
const GPS = '56.42345,123.45325';
const IP = '192.168.88.33';

// ---- unit -----------------------------------------------------------------------------

const input = (over: Partial<LocationMachineInput> = {}): LocationMachineInput => ({
  location: undefined,
  consent: ALL,
  automaticSessions: true,
  settings: {},
  ...over,
});

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

function run(inp: LocationMachineInput, ...events: LocationEvent[]): { snap: Snap; cmds: Cmd[]; boot: Cmd[] } {
  const [s0, a0] = initialTransition(locationMachine, inp);
  let snap = s0;
  const cmds: Cmd[] = [];
  for (const e of events) {
    const [next, actions] = transition(locationMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds, boot: commands(a0) };
}

const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [`${c.level}: ${c.message}`] : []));
const set = (location: LocationValues, ms = 1): LocationEvent => ({ type: 'location.set', location, at: at(ms) });

describe('locationMachine: unit', () => {
  it('listens to consent, session and settings broadcasts', () => {
    expect([...locationListensTo].sort()).toEqual(['consent.changed', 'consent.changing', 'session.began', 'session.ended', 'settings.updated']);
  });

  it('announces what the first begin_session carries at init', () => {
    const { boot, snap } = run(input({ location: { ...CITY, ipAddress: IP } }));
    expect(boot).toEqual([
      { type: 'broadcast', event: { type: 'location.changed', params: { country_code: 'us', city: 'Panama', ip_address: IP } } },
    ]);
    expect(snap.value).toBe('enabled');
  });

  it('warns when city and country code are not given together, at init and on set', () => {
    const { boot, cmds } = run(input({ location: { city: 'Riga' } }), set({ countryCode: 'lv' }));
    expect(logs(boot)).toEqual(['warning: createCountly, location city and country code should be given together']);
    expect(logs(cmds)).toEqual(['warning: set, city and country code should be given together']);
  });

  it('replaces the cache as a whole on every set', () => {
    const { snap } = run(input({ location: { ...CITY, gps: GPS } }), set({ ipAddress: IP }));
    expect(snap.context.cache).toEqual({ ipAddress: IP });
    expect(snap.context.params).toEqual({ ip_address: IP });
  });

  it('a separate request never carries ip_address', () => {
    const { cmds } = run(input({ automaticSessions: false }), set({ gps: GPS, ipAddress: IP, countryCode: 'lv', city: 'Riga' }));
    expect(cmds.filter((c) => c.type === 'request.enqueue')).toEqual([
      { type: 'request.enqueue', params: { country_code: 'lv', city: 'Riga', location: GPS }, at: at(1) },
    ]);
  });

  it('sends at once when session tracking is off on the server', () => {
    const { cmds } = run(input({ settings: { st: false } }), set({ gps: GPS }));
    expect(cmds.some((c) => c.type === 'request.enqueue')).toBe(true);
  });

  it('disable() without location consent still queues the erasure, and changes nothing else', () => {
    const { snap, cmds } = run(input({ consent: without('location'), location: CITY }), { type: 'location.disable', at: at(1) });
    expect(cmds).toEqual([
      { type: 'log', level: 'warning', module: 'Location', message: 'disable, "location" consent is not given: only the erasure request is queued' },
      { type: 'request.enqueue', params: { location: '' }, at: at(1) },
    ]);
    expect(snap.value).toBe('enabled');
  });

  it('disable() twice erases twice', () => {
    const { cmds, snap } = run(input(), { type: 'location.disable', at: at(1) }, { type: 'location.disable', at: at(2) });
    expect(cmds.filter((c) => c.type === 'request.enqueue')).toHaveLength(2);
    expect(snap.value).toBe('disabled');
  });

  it('consent given again changes the announcement but queues nothing', () => {
    const removed = without('location');
    const { cmds } = run(
      input({ location: CITY }),
      { type: 'consent.changing', before: ALL, after: removed },
      { type: 'consent.changed', before: ALL, after: removed },
      { type: 'consent.changing', before: removed, after: ALL },
      { type: 'consent.changed', before: removed, after: ALL },
    );
    expect(cmds.filter((c) => c.type === 'request.enqueue')).toEqual([{ type: 'request.enqueue', params: { location: '' } }]);
    // The cache went with the consent: nothing but an empty announcement is left.
    expect(cmds.filter((c) => c.type === 'broadcast').map((c) => (c as { event: { params: unknown } }).event.params)).toEqual([{ location: '' }, {}]);
  });

  it('helpers: locationParams, beginSessionLocation, locationParamsAtBoot, locationInputFrom', () => {
    expect(locationParams({ countryCode: 'a', city: 'b', gps: 'c', ipAddress: 'd' }, false)).toEqual({ country_code: 'a', city: 'b', location: 'c' });
    expect(locationParamsAtBoot(input({ consent: without('location'), location: CITY }))).toEqual({ location: '' });
    const [s] = initialTransition(locationMachine, input({ location: CITY }));
    expect(beginSessionLocation(s.context)).toEqual({ country_code: 'us', city: 'Panama' });
    const log = createLogger({ console: false });
    const config = resolveConfig({ url: 'https://x.y', appKey: 'k', manualSessions: 'hybrid', location: false, requiresConsent: true }, log);
    expect(locationInputFrom(config)).toEqual({ location: false, consent: allConsent(false), automaticSessions: false, settings: {} });
    expect(locationInputFrom(resolveConfig({ url: 'https://x.y', appKey: 'k' }, log), ALL, { settings: { lt: false } }).settings).toEqual({ lt: false });
  });

  it('runs as an actor', () => {
    const actor = createActor(locationMachine, { input: input() }).start();
    actor.send(set({ gps: GPS }));
    expect(actor.getSnapshot().context.params).toEqual({ location: GPS });
    actor.stop();
  });
});

// ---- model-based paths ---------------------------------------------------------------

const noLocation = without('location');
const noSessions = without('sessions');
const MODEL_EVENTS: LocationEvent[] = [
  set({ gps: GPS }),
  set({ ipAddress: IP }),
  { type: 'location.disable', at: at(1) },
  { type: 'consent.changing', before: ALL, after: noLocation },
  { type: 'consent.changed', before: ALL, after: noLocation },
  { type: 'consent.changed', before: noLocation, after: ALL },
  { type: 'consent.changed', before: ALL, after: noSessions },
  { type: 'session.began', at: at(1) },
  { type: 'session.ended', at: at(1) },
  { type: 'settings.updated', settings: { lt: false } },
  { type: 'settings.updated', settings: { lt: true, st: true } },
];

function checkStep(before: Snap, after: Snap, cmds: Cmd[]): void {
  // What begin_session will carry always matches the state, and every change is announced.
  expect(after.context.params).toEqual(beginSessionLocation(after.context));
  const announced = cmds.flatMap((c) => (c.type === 'broadcast' && c.event.type === 'location.changed' ? [c.event.params] : []));
  if (JSON.stringify(before.context.params) !== JSON.stringify(after.context.params)) expect(announced.at(-1)).toEqual(after.context.params);
  else expect(announced).toEqual([]);
  for (const c of cmds) {
    if (c.type !== 'request.enqueue') continue;
    // A separate request is the erasure or the cache without IP — never ip_address.
    expect(c.params.ip_address).toBeUndefined();
    if (c.params.location !== '') expect(c.params).toEqual(locationParams(after.context.cache, false));
  }
  // Nothing is cached without consent.
  if (!after.context.consent.location && before.context.consent.location) expect(after.context.cache).toEqual({});
}

describe('locationMachine: model-based paths', () => {
  const taken = new Set<string>();
  const inputs: Array<[string, LocationMachineInput]> = [
    ['automatic sessions, location set at init', input({ location: CITY })],
    ['manual sessions, disabled at init', input({ automaticSessions: false, location: false })],
  ];
  for (const [name, inp] of inputs) {
    it(`every shortest path (${name}), and one more step of every event, keeps the rules`, () => {
      const paths = getShortestPaths(locationMachine, { input: inp, events: MODEL_EVENTS });
      expect(paths.length).toBeGreaterThan(10);
      for (const path of paths) {
        const actor = createActor(locationMachine, { input: inp });
        const cmds: Cmd[] = [];
        actor.on('*', (c) => cmds.push(c as Cmd));
        actor.start();
        for (const step of [...path.steps.slice(1), ...MODEL_EVENTS.map((event) => ({ event }))]) {
          const before = actor.getSnapshot();
          const n = cmds.length;
          if (step === undefined) continue;
          for (const t of takenTransitions(locationMachine, before, step.event)) taken.add(t);
          actor.send(step.event as LocationEvent);
          checkStep(before, actor.getSnapshot(), cmds.slice(n));
        }
        actor.stop();
      }
    });
  }

  it('the paths take every transition of the chart', () => {
    const missing = [...allTransitions(locationMachine)].filter((t) => !taken.has(t));
    expect(missing).toEqual([]);
  });
});
