/**
 * APM machine (spec: SDK guide l. 3946-4161): unit tests of the pure transitions, every
 * shortest and simple path of the statechart replayed with its rules checked after each
 * step (and every transition taken), and fast-check properties over random call sequences
 * against a small model.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import type { ApmTrace } from '../../../src/domain/apm.js';
import type { Instant } from '../../../src/domain/types.js';
import { apmMachine, type ApmCommand, type ApmEvent, type ApmInput } from '../../../src/features/apm/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof apmMachine>;
const T0 = Date.UTC(2026, 0, 1);
const at = (ms = 0): Instant => instantAt(T0 + ms);

const emitted = (actions: ReadonlyArray<{ type: string; params?: unknown }>): ApmCommand[] =>
  emittedCommands<ApmCommand>(actions);
const traces = (cmds: readonly ApmCommand[]): ApmTrace[] =>
  cmds.flatMap((c) => (c.type === 'request.enqueue' ? [JSON.parse(c.params.apm!) as ApmTrace] : []));
const warnings = (cmds: readonly ApmCommand[]): string[] => cmds.flatMap((c) => (c.type === 'log' && c.level === 'warning' ? [c.message] : []));

const input = (over: Partial<ApmInput> = {}): ApmInput => ({
  consent: true,
  appStartTracking: false,
  foregroundBackgroundTracking: false,
  manualAppLoadedTrigger: false,
  appStartTimestampOverride: null,
  foreground: true,
  bootAt: at(0),
  ...over,
});

const ev = {
  start: (key: string, ms: number): ApmEvent => ({ type: 'apm.startTrace', key, at: at(ms) }),
  end: (key: string, ms: number, metrics: Record<string, number> = {}): ApmEvent => ({ type: 'apm.endTrace', key, metrics, at: at(ms) }),
  cancel: (key: string): ApmEvent => ({ type: 'apm.cancelTrace', key }),
  cancelAll: (): ApmEvent => ({ type: 'apm.cancelAllTraces' }),
  network: (key: string, startMs: number, endMs: number, ms = endMs): ApmEvent => ({
    type: 'apm.recordNetworkTrace',
    key,
    responseCode: 200,
    requestPayloadSize: 10,
    responsePayloadSize: 20,
    startMs: T0 + startMs,
    endMs: T0 + endMs,
    at: at(ms),
  }),
  startRequest: (key: string, uniqueId: string, ms: number): ApmEvent => ({ type: 'apm.startNetworkRequest', key, uniqueId, at: at(ms) }),
  endRequest: (key: string, uniqueId: string, ms: number): ApmEvent => ({
    type: 'apm.endNetworkRequest',
    key,
    uniqueId,
    responseCode: 404,
    requestPayloadSize: 1,
    responsePayloadSize: 2,
    at: at(ms),
  }),
  loaded: (ms: number): ApmEvent => ({ type: 'apm.appLoaded', at: at(ms) }),
  visible: (ms: number): ApmEvent => ({ type: 'app.visible', at: at(ms) }),
  hidden: (ms: number): ApmEvent => ({ type: 'app.hidden', at: at(ms) }),
  consent: (given: boolean, ms?: number): ApmEvent => ({
    type: 'consent.changed',
    before: withConsent(allConsent(true), ['apm'], !given),
    after: withConsent(allConsent(true), ['apm'], given),
    ...(ms === undefined ? {} : { at: at(ms) }),
  }),
};

function run(init: ApmInput, ...events: ApmEvent[]): { snap: Snap; cmds: ApmCommand[] } {
  const [first, initActions] = initialTransition(apmMachine, init);
  let snap = first;
  const cmds: ApmCommand[] = emitted(initActions);
  for (const e of events) {
    const [next, actions] = transition(apmMachine, snap, e);
    snap = next;
    cmds.push(...emitted(actions));
  }
  return { snap, cmds };
}

describe('apm machine: custom traces', () => {
  it('queues one device trace when a started trace ends: duration from the stamped instants, duration first', () => {
    const { cmds, snap } = run(input(), ev.start('loop', 100), ev.end('loop', 350, { memory: 200 }));
    expect(cmds).toEqual([
      {
        type: 'request.enqueue',
        params: { apm: JSON.stringify({ type: 'device', name: 'loop', apm_metrics: { duration: 250, memory: 200 }, stz: T0 + 100, etz: T0 + 350 }) },
        at: at(350),
      },
    ]);
    expect(snap.context.traces).toEqual({});
  });

  it('ignores a second start of a running trace (its start is kept), and an end without a start, with warnings', () => {
    const { cmds } = run(input(), ev.start('a', 0), ev.start('a', 50), ev.end('a', 100), ev.end('a', 200));
    expect(traces(cmds).map((t) => t.apm_metrics.duration)).toEqual([100]);
    expect(warnings(cmds)).toEqual(['startTrace, trace [a] is already running; call ignored', 'endTrace, no trace [a] is running; call ignored']);
  });

  it('cancels one trace or all custom traces without a request; network requests survive cancelAllTraces', () => {
    const { cmds, snap } = run(input(), ev.start('a', 0), ev.start('b', 0), ev.startRequest('n', '1', 0), ev.cancel('a'), ev.end('a', 5), ev.cancelAll(), ev.end('b', 5), ev.cancel('zz'));
    expect(traces(cmds)).toEqual([]);
    expect(snap.context.requests).toEqual({ 'n|1': T0 });
    expect(warnings(cmds)).toEqual([
      'endTrace, no trace [a] is running; call ignored',
      'endTrace, no trace [b] is running; call ignored',
      'cancelTrace, no trace [zz] is running; call ignored',
    ]);
  });

  it('keeps a `__proto__` key as a plain trace key', () => {
    const { cmds, snap } = run(input(), ev.start('__proto__', 0));
    expect(Object.hasOwn(snap.context.traces, '__proto__')).toBe(true);
    expect(traces(run(input(), ev.start('__proto__', 0), ev.end('__proto__', 9)).cmds)[0]!.name).toBe('__proto__');
    expect(cmds).toEqual([]);
  });

  it('never measures a negative duration, even from out-of-order instants', () => {
    const [t] = traces(run(input(), ev.start('a', 500), ev.end('a', 100)).cmds);
    expect(t).toMatchObject({ apm_metrics: { duration: 0 }, stz: T0 + 500, etz: T0 + 500 });
  });
});

describe('apm machine: network traces', () => {
  it('queues a one-shot network trace in the spec field order', () => {
    const [t] = traces(run(input(), ev.network('/about', 1000, 2330)).cmds);
    expect(JSON.stringify(t)).toBe(
      JSON.stringify({
        type: 'network',
        name: '/about',
        apm_metrics: { response_time: 1330, response_payload_size: 20, response_code: 200, request_payload_size: 10 },
        stz: T0 + 1000,
        etz: T0 + 2330,
      }),
    );
  });

  it('swaps a start after the end, and applies the value rules again (code 0, sizes ≥ 0)', () => {
    const e = { ...ev.network('/x', 500, 100), responseCode: 700, requestPayloadSize: -5, responsePayloadSize: Number.NaN } as ApmEvent;
    expect(traces(run(input(), e).cmds)[0]).toMatchObject({
      apm_metrics: { response_time: 400, response_code: 0, request_payload_size: 0, response_payload_size: 0 },
      stz: T0 + 100,
      etz: T0 + 500,
    });
  });

  it('tracks two-step requests by `key|uniqueId`, so concurrent requests to one key are separate', () => {
    const { cmds, snap } = run(input(), ev.startRequest('/api', '1', 0), ev.startRequest('/api', '2', 10), ev.endRequest('/api', '2', 30), ev.endRequest('/api', '1', 100));
    expect(traces(cmds).map((t) => [t.name, t.apm_metrics.response_time, t.apm_metrics.response_code])).toEqual([
      ['/api', 20, 404],
      ['/api', 100, 404],
    ]);
    expect(snap.context.requests).toEqual({});
  });

  it('warns about a duplicate start and an end without a start', () => {
    const { cmds } = run(input(), ev.startRequest('/a', 'x', 0), ev.startRequest('/a', 'x', 5), ev.endRequest('/a', 'y', 9));
    expect(warnings(cmds)).toEqual([
      'startNetworkRequest, request [/a|x] is already running; call ignored',
      'endNetworkRequest, no request [/a|y] is running; call ignored',
    ]);
  });
});

describe('apm machine: app start', () => {
  it('in the foreground at boot: recorded at boot, from the override (or init)', () => {
    const { cmds, snap } = run(input({ appStartTracking: true, appStartTimestampOverride: T0 - 3200 }));
    expect(traces(cmds)).toEqual([{ type: 'device', name: 'app_start', apm_metrics: { duration: 3200 }, stz: T0 - 3200, etz: T0 }]);
    expect(snap.value).toMatchObject({ appStart: 'recorded' });
    expect(traces(run(input({ appStartTracking: true })).cmds)[0]!.apm_metrics.duration).toBe(0);
  });

  it('in the background at boot: from init to the first app.visible, once', () => {
    const { cmds } = run(input({ appStartTracking: true, foreground: false }), ev.visible(1500), ev.hidden(2000), ev.visible(2500));
    expect(traces(cmds)).toEqual([{ type: 'device', name: 'app_start', apm_metrics: { duration: 1500 }, stz: T0, etz: T0 + 1500 }]);
  });

  it('with the manual trigger: from init to setAppIsLoaded, once; the foreground does not end it', () => {
    const { cmds } = run(input({ appStartTracking: true, manualAppLoadedTrigger: true, foreground: false }), ev.visible(100), ev.loaded(900), ev.loaded(1000));
    expect(traces(cmds)).toEqual([{ type: 'device', name: 'app_start', apm_metrics: { duration: 900 }, stz: T0, etz: T0 + 900 }]);
    expect(warnings(cmds)).toEqual(['setAppIsLoaded, the app start is already recorded; call ignored']);
  });

  it('refuses setAppIsLoaded without the manual trigger or without app start tracking', () => {
    expect(warnings(run(input({ appStartTracking: true }), ev.loaded(5)).cmds)).toEqual([
      'setAppIsLoaded, the manual trigger is not enabled (apm.manualAppLoadedTrigger); call ignored',
    ]);
    expect(warnings(run(input({ appStartTracking: true, foreground: false }), ev.loaded(5)).cmds)).toEqual([
      'setAppIsLoaded, the manual trigger is not enabled (apm.manualAppLoadedTrigger); call ignored',
    ]);
    const off = run(input({ manualAppLoadedTrigger: true }), ev.loaded(5));
    expect(traces(off.cmds)).toEqual([]);
    expect(warnings(off.cmds)).toEqual(['setAppIsLoaded, app start tracking is not enabled (apm.appStartTracking); call ignored']);
  });

  it('a setAppIsLoaded replayed from before boot ends at boot; an override after the end is refused', () => {
    const early = run(input({ appStartTracking: true, manualAppLoadedTrigger: true, appStartTimestampOverride: T0 - 100 }), ev.loaded(-50));
    expect(traces(early.cmds)[0]).toMatchObject({ apm_metrics: { duration: 100 }, etz: T0 });
    expect(early.cmds[0]).not.toHaveProperty('at');
    const future = run(input({ appStartTracking: true, manualAppLoadedTrigger: true, appStartTimestampOverride: T0 + 10_000 }), ev.loaded(50));
    expect(traces(future.cmds)).toEqual([]);
    expect(warnings(future.cmds)[0]).toMatch(/^setAppIsLoaded, appStartTimestampOverride \[\d+\] is after the app loaded/);
  });

  it('is not recorded without consent (a warning for the manual call, info at boot)', () => {
    const boot = run(input({ appStartTracking: true, consent: false }));
    expect(traces(boot.cmds)).toEqual([]);
    expect(boot.cmds).toEqual([{ type: 'log', level: 'info', module: 'APM', message: 'appStart, app start not recorded: no "apm" consent' }]);
    const manual = run(input({ appStartTracking: true, manualAppLoadedTrigger: true, consent: false }), ev.loaded(5));
    expect(warnings(manual.cmds)).toEqual(['setAppIsLoaded, app start not recorded: no "apm" consent']);
  });
});

describe('apm machine: foreground and background', () => {
  it('queues each period when it ends, from boot on', () => {
    const { cmds } = run(input({ foregroundBackgroundTracking: true }), ev.hidden(1000), ev.visible(4000), ev.hidden(4500));
    expect(traces(cmds)).toEqual([
      { type: 'device', name: 'app_in_foreground', apm_metrics: { duration: 1000 }, stz: T0, etz: T0 + 1000 },
      { type: 'device', name: 'app_in_background', apm_metrics: { duration: 3000 }, stz: T0 + 1000, etz: T0 + 4000 },
      { type: 'device', name: 'app_in_foreground', apm_metrics: { duration: 500 }, stz: T0 + 4000, etz: T0 + 4500 },
    ]);
  });

  it('starts in the background when the app is hidden at boot; does nothing when disabled', () => {
    expect(traces(run(input({ foregroundBackgroundTracking: true, foreground: false }), ev.visible(700)).cmds)[0]).toMatchObject({ name: 'app_in_background', apm_metrics: { duration: 700 } });
    expect(run(input(), ev.hidden(1), ev.visible(2)).cmds).toEqual([]);
  });

  it('sends no period without consent; a period running when consent arrives counts from consent', () => {
    const { cmds } = run(input({ foregroundBackgroundTracking: true, consent: false }), ev.hidden(100), ev.consent(true, 300), ev.visible(1000));
    expect(traces(cmds)).toEqual([{ type: 'device', name: 'app_in_background', apm_metrics: { duration: 700 }, stz: T0 + 300, etz: T0 + 1000 }]);
  });
});

describe('apm machine: consent', () => {
  it('refuses every recording call without consent, with a warning naming the function', () => {
    const { cmds } = run(input({ consent: false }), ev.start('a', 0), ev.end('a', 1), ev.network('/n', 0, 1), ev.startRequest('/n', '1', 0), ev.endRequest('/n', '1', 1));
    expect(traces(cmds)).toEqual([]);
    expect(warnings(cmds)).toEqual(['startTrace', 'endTrace', 'recordNetworkTrace', 'startNetworkRequest', 'endNetworkRequest'].map((fn) => `${fn}, no "apm" consent; call ignored`));
  });

  it('removing consent cancels running traces and network requests: nothing is sent for them, even after consent returns', () => {
    const { cmds, snap } = run(input(), ev.start('a', 0), ev.startRequest('/n', '1', 0), ev.consent(false, 5), ev.consent(true, 6), ev.end('a', 10), ev.endRequest('/n', '1', 10));
    expect(traces(cmds)).toEqual([]);
    expect(cmds[0]).toEqual({ type: 'log', level: 'info', module: 'APM', message: 'consent, "apm" removed: 2 running trace(s) cancelled' });
    expect(snap.context).toMatchObject({ traces: {}, requests: {}, consent: true });
  });

  it('ignores consent changes of other features', () => {
    const other: ApmEvent = { type: 'consent.changed', before: allConsent(true), after: withConsent(allConsent(true), ['events'], false) };
    const { snap } = run(input(), ev.start('a', 0), other);
    expect(snap.context.traces).toEqual({ a: T0 });
  });
});

/** The rules every step must keep, whatever the path. */
function checkStep(before: Snap, event: ApmEvent, after: Snap, cmds: readonly ApmCommand[]): void {
  const sent = traces(cmds);
  for (const t of sent) {
    expect(['device', 'network']).toContain(t.type);
    expect(t.stz).toBeLessThanOrEqual(t.etz);
    for (const v of Object.values(t.apm_metrics)) expect(v).toBeGreaterThanOrEqual(0);
    const measured = t.type === 'network' ? t.apm_metrics.response_time : t.apm_metrics.duration;
    expect(measured).toBe(t.etz - t.stz);
  }
  // a request only with consent, at most one per step
  if (!before.context.consent) expect(sent).toEqual([]);
  expect(sent.length).toBeLessThanOrEqual(1);
  // a custom trace is sent exactly when a running one ends
  if (event.type === 'apm.endTrace') expect(sent.length).toBe(before.context.consent && Object.hasOwn(before.context.traces, event.key) ? 1 : 0);
  // without consent nothing runs
  if (!after.context.consent) {
    expect(after.context.traces).toEqual({});
    expect(after.context.requests).toEqual({});
  }
}

describe('apm machine: every path of the statechart', () => {
  const pathEvents: ApmEvent[] = [
    ev.start('a', 100),
    ev.end('a', 100),
    ev.cancel('a'),
    ev.cancelAll(),
    ev.network('/n', 50, 100, 100),
    ev.startRequest('/n', '1', 100),
    ev.endRequest('/n', '1', 100),
    ev.loaded(100),
    ev.visible(100),
    ev.hidden(100),
    ev.consent(true, 100),
    ev.consent(false, 100),
  ];
  const simpleGroups: ApmEvent[][] = [
    [ev.start('a', 100), ev.end('a', 100), ev.cancel('a'), ev.cancelAll(), ev.consent(true, 100), ev.consent(false, 100)],
    [ev.startRequest('/n', '1', 100), ev.endRequest('/n', '1', 100), ev.network('/n', 50, 100, 100), ev.cancelAll(), ev.consent(true, 100), ev.consent(false, 100)],
    [ev.loaded(100), ev.visible(100), ev.hidden(100), ev.consent(true, 100), ev.consent(false, 100)],
  ];
  const taken = new Set<string>();
  const inputs: ApmInput[] = [];
  for (const appStartTracking of [false, true])
    for (const manualAppLoadedTrigger of [false, true])
      for (const foreground of [false, true])
        for (const consent of [false, true])
          inputs.push(input({ appStartTracking, manualAppLoadedTrigger, foreground, consent, foregroundBackgroundTracking: foreground !== manualAppLoadedTrigger }));

  for (const init of inputs) {
    it(`keeps the rules on every shortest path and every simple path per concern (${JSON.stringify({ ...init, bootAt: undefined })})`, () => {
      // Shortest paths over every event; simple paths (which grow exponentially) per concern.
      const paths = [
        ...getShortestPaths(apmMachine, { events: pathEvents, input: init }),
        ...simpleGroups.flatMap((events) => getSimplePaths(apmMachine, { events, input: init })),
      ];
      expect(paths.length).toBeGreaterThan(0);
      for (const path of paths) {
        const [first, initActions] = initialTransition(apmMachine, init);
        let snap = first;
        let appStarts = traces(emitted(initActions)).filter((t) => t.name === 'app_start').length;
        for (const step of path.steps) {
          const e = step.event as ApmEvent;
          if ((e.type as string) === 'xstate.init') continue;
          for (const t of takenTransitions(apmMachine, snap, e)) taken.add(t);
          const [next, actions] = transition(apmMachine, snap, e);
          const cmds = emitted(actions);
          checkStep(snap, e, next, cmds);
          appStarts += traces(cmds).filter((t) => t.name === 'app_start').length;
          snap = next;
        }
        expect(appStarts).toBeLessThanOrEqual(1);
        // One more step with each event from where the path ends: transitions that leave the
        // state as it was (warnings, refusals) are on no path.
        for (const e of pathEvents) {
          for (const t of takenTransitions(apmMachine, snap, e)) taken.add(t);
          const [next, actions] = transition(apmMachine, snap, e);
          checkStep(snap, e, next, emitted(actions));
        }
      }
    });
  }

  it('the paths take every transition of the chart', () => {
    expect([...allTransitions(apmMachine)].filter((t) => !taken.has(t))).toEqual([]);
  });
});

type Op =
  | { op: 'start' | 'end' | 'cancel'; key: string; dt: number }
  | { op: 'cancelAll' | 'give' | 'remove' | 'visible' | 'hidden'; dt: number }
  | { op: 'startRequest' | 'endRequest'; key: string; id: string; dt: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('start' as const, 'end' as const, 'cancel' as const), key: fc.constantFrom('a', 'b', '__proto__', 'x|y'), dt: fc.nat(1000) }),
  fc.record({ op: fc.constantFrom('cancelAll' as const, 'give' as const, 'remove' as const, 'visible' as const, 'hidden' as const), dt: fc.nat(1000) }),
  fc.record({ op: fc.constantFrom('startRequest' as const, 'endRequest' as const), key: fc.constantFrom('/a', 'x'), id: fc.constantFrom('1', 'y|2'), dt: fc.nat(1000) }),
);

describe('apm machine: properties', () => {
  it('every started trace ends in at most one request, with the duration the model measured; durations are never negative', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(opArb, { maxLength: 60 }), (consent0, ops) => {
        let now = 0;
        let consent = consent0;
        const running = new Map<string, number>();
        const expected: Array<[string, number]> = [];
        const events: ApmEvent[] = [];
        for (const o of ops) {
          now += o.dt;
          switch (o.op) {
            case 'start':
              if (consent && !running.has(o.key)) running.set(o.key, now);
              events.push(ev.start(o.key, now));
              break;
            case 'end':
              if (consent && running.has(o.key)) {
                expected.push([o.key, now - running.get(o.key)!]);
                running.delete(o.key);
              }
              events.push(ev.end(o.key, now));
              break;
            case 'cancel':
              running.delete(o.key);
              events.push(ev.cancel(o.key));
              break;
            case 'cancelAll':
              running.clear();
              events.push(ev.cancelAll());
              break;
            case 'give':
            case 'remove':
              if (o.op === 'remove') running.clear();
              consent = o.op === 'give';
              events.push(ev.consent(consent, now));
              break;
            case 'visible':
              events.push(ev.visible(now));
              break;
            case 'hidden':
              events.push(ev.hidden(now));
              break;
            default:
              events.push(o.op === 'startRequest' ? ev.startRequest(o.key, o.id, now) : ev.endRequest(o.key, o.id, now));
          }
        }
        const { cmds, snap } = run(input({ consent: consent0, foregroundBackgroundTracking: true }), ...events);
        const sent = traces(cmds);
        expect(sent.filter((t) => t.type === 'device' && !t.name.startsWith('app_')).map((t) => [t.name, t.apm_metrics.duration])).toEqual(expected);
        for (const t of sent) for (const v of Object.values(t.apm_metrics)) expect(v).toBeGreaterThanOrEqual(0);
        expect(Object.keys(snap.context.traces).sort()).toEqual([...running.keys()].sort());
        expect(() => JSON.stringify(snap.context)).not.toThrow();
        expect(JSON.parse(JSON.stringify(snap.context))).toEqual(snap.context);
      }),
    );
  });

  it('two-step network requests: each start ends in at most one request; foreground and background periods tile the time', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        let now = 0;
        const events = ops.map((o): ApmEvent => {
          now += o.dt;
          if (o.op === 'startRequest') return ev.startRequest(o.key, o.id, now);
          if (o.op === 'endRequest') return ev.endRequest(o.key, o.id, now);
          if (o.op === 'visible') return ev.visible(now);
          if (o.op === 'hidden') return ev.hidden(now);
          return ev.cancelAll();
        });
        const { cmds } = run(input({ foregroundBackgroundTracking: true }), ...events);
        const sent = traces(cmds);
        const starts = events.filter((e) => e.type === 'apm.startNetworkRequest').length;
        expect(sent.filter((t) => t.type === 'network').length).toBeLessThanOrEqual(starts);
        // periods alternate and each begins where the previous ended
        const periods = sent.filter((t) => t.name.startsWith('app_in_'));
        periods.forEach((p, i) => {
          expect(p.name).toBe(i % 2 === 0 ? 'app_in_foreground' : 'app_in_background');
          expect(p.stz).toBe(i === 0 ? T0 : periods[i - 1]!.etz);
        });
      }),
    );
  });
});
