/**
 * Application Performance Monitoring (spec: SDK guide l. 3946-4161). Every data point is one
 * request with an `apm=` JSON param, queued as soon as it is known (l. 4120-4122): a custom
 * trace when it ends, a network trace when it is recorded, the app start once, and each
 * foreground / background period when it ends. Everything needs "apm" consent (l. 4161);
 * removing it cancels the running traces and network requests. Running traces live in
 * memory only (l. 4157): they are lost at shutdown.
 *
 * Times come from the events: the namespace stamps each call, the lifecycle stamps
 * `app.visible` / `app.hidden`, and the boot moment arrives in `input`. Durations are the
 * differences of those instants, never negative.
 *
 * States (parallel):
 * - `appStart`: `booting` → `off` (tracking disabled) | `waitingForCall`
 *   (`manualAppLoadedTrigger`: `setAppIsLoaded` ends it, l. 4058-4065) | `waitingForForeground`
 *   (ended by the first `app.visible`) | `recorded` (in the foreground at boot: recorded at
 *   boot; and after either wait).
 * - `visibility`: `booting` → `off` | `foreground` ⇄ `background` (each `app.hidden` /
 *   `app.visible` queues the period that just ended, l. 4067-4075).
 * Custom traces and two-step network requests are context (`traces`, `requests`), handled
 * at the root.
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import {
  APP_IN_BACKGROUND,
  APP_IN_FOREGROUND,
  APP_START,
  apmParam,
  customTrace,
  deviceTrace,
  networkRequestKey,
  networkTrace,
  type ApmTrace,
  type NetworkValues,
} from '../../domain/apm.js';
import type { Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';
import { param } from '../../log.js';
import { setOwn } from '../../protocol/encode.js';

const MODULE = 'APM';

export interface ApmInput {
  /** "apm" consent at boot. */
  consent: boolean;
  appStartTracking: boolean;
  foregroundBackgroundTracking: boolean;
  manualAppLoadedTrigger: boolean;
  /** When the app started (ms), if the developer knows better than the SDK's init. */
  appStartTimestampOverride: number | null;
  /** The app is in the foreground at boot. */
  foreground: boolean;
  /** The moment of init. */
  bootAt: Instant;
}

export interface ApmContext {
  consent: boolean;
  appStartTracking: boolean;
  foregroundBackgroundTracking: boolean;
  manualAppLoadedTrigger: boolean;
  /** The app was in the foreground at boot. */
  foregroundAtBoot: boolean;
  /** Where the app start is measured from: the override, else init (ms). */
  appStartMs: number;
  /** Init (ms): the earliest end an app start can have. */
  bootMs: number;
  /** Running custom traces: key → start (ms). */
  traces: Record<string, number>;
  /** Running two-step network requests: `key|uniqueId` → start (ms). */
  requests: Record<string, number>;
  /** When the current foreground or background period began (ms). */
  periodStartMs: number;
}

/** A network trace's values as the namespace checked them. */
type NetworkFields = NetworkValues & { key: string };

export type ApmEvent =
  | { type: 'apm.startTrace'; key: string; at: Instant }
  | { type: 'apm.endTrace'; key: string; metrics: Readonly<Record<string, number>>; at: Instant }
  | { type: 'apm.cancelTrace'; key: string }
  | { type: 'apm.cancelAllTraces' }
  | (NetworkFields & { type: 'apm.recordNetworkTrace'; startMs: number; endMs: number; at: Instant })
  | { type: 'apm.startNetworkRequest'; key: string; uniqueId: string; at: Instant }
  | (NetworkFields & { type: 'apm.endNetworkRequest'; uniqueId: string; at: Instant })
  | { type: 'apm.appLoaded'; at: Instant }
  | (Extract<Broadcast, { type: 'consent.changed' }> & { at?: Instant })
  | Extract<Broadcast, { type: 'app.visible' | 'app.hidden' }>;

export type ApmCommand = Extract<Command, { type: 'request.enqueue' | 'log' }>;

export const apmListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze(['consent.changed', 'app.visible', 'app.hidden'] as const);

export function initialApmContext(input: ApmInput): ApmContext {
  const bootMs = input.bootAt.timestamp;
  return {
    consent: input.consent,
    appStartTracking: input.appStartTracking,
    foregroundBackgroundTracking: input.foregroundBackgroundTracking,
    manualAppLoadedTrigger: input.manualAppLoadedTrigger,
    foregroundAtBoot: input.foreground,
    appStartMs: input.appStartTimestampOverride ?? bootMs,
    bootMs,
    traces: {},
    requests: {},
    periodStartMs: bootMs,
  };
}

/** A copy of `record` with `key` set (an own data key even for `__proto__`). */
function withEntry(record: Readonly<Record<string, number>>, key: string, value: number): Record<string, number> {
  const next = { ...record };
  setOwn(next, key, value);
  return next;
}

function withoutEntry(record: Readonly<Record<string, number>>, key: string): Record<string, number> {
  const next = { ...record };
  delete next[key];
  return next;
}

const request = (trace: ApmTrace, at: Instant): ApmCommand => ({ type: 'request.enqueue', params: { apm: apmParam(trace) }, at });
const warning = (message: string): ApmCommand => ({ type: 'log', level: 'warning', module: MODULE, message });
const NO_CONSENT = 'no "apm" consent; call ignored';

export const apmMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as ApmInput,
      context: {} as ApmContext,
      events: {} as ApmEvent,
      emitted: {} as ApmCommand,
    },
    guards: {
      consented: ({ context }) => context.consent,
      appStartOff: ({ context }) => !context.appStartTracking,
      visibilityOff: ({ context }) => !context.foregroundBackgroundTracking,
      manualTrigger: ({ context }) => context.manualAppLoadedTrigger,
      foregroundAtBoot: ({ context }) => context.foregroundAtBoot,
    },
    actions: {
      startTrace: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'apm.startTrace');
        // spec l. 3983: a trace already running keeps its start.
        if (Object.hasOwn(context.traces, event.key)) enqueue.emit(warning(`startTrace, trace ${param(event.key)} is already running; call ignored`));
        else enqueue.assign({ traces: withEntry(context.traces, event.key, event.at.timestamp) });
      }),
      endTrace: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'apm.endTrace');
        if (!Object.hasOwn(context.traces, event.key)) {
          enqueue.emit(warning(`endTrace, no trace ${param(event.key)} is running; call ignored`));
          return;
        }
        const startMs = context.traces[event.key]!;
        enqueue.assign({ traces: withoutEntry(context.traces, event.key) });
        enqueue.emit(request(customTrace(event.key, startMs, event.at.timestamp, event.metrics), event.at));
      }),
      cancelTrace: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'apm.cancelTrace');
        if (Object.hasOwn(context.traces, event.key)) enqueue.assign({ traces: withoutEntry(context.traces, event.key) });
        else enqueue.emit(warning(`cancelTrace, no trace ${param(event.key)} is running; call ignored`));
      }),
      // spec l. 4038: custom traces only; two-step network requests keep running.
      cancelAllTraces: enqueueActions(({ enqueue }) => {
        enqueue.assign({ traces: {} });
      }),
      recordNetworkTrace: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'apm.recordNetworkTrace');
        enqueue.emit(request(networkTrace(event.key, event, event.startMs, event.endMs), event.at));
      }),
      startNetworkRequest: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'apm.startNetworkRequest');
        const key = networkRequestKey(event.key, event.uniqueId);
        if (Object.hasOwn(context.requests, key)) {
          enqueue.emit(warning(`startNetworkRequest, request ${param(key)} is already running; call ignored`));
        } else enqueue.assign({ requests: withEntry(context.requests, key, event.at.timestamp) });
      }),
      endNetworkRequest: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'apm.endNetworkRequest');
        const key = networkRequestKey(event.key, event.uniqueId);
        if (!Object.hasOwn(context.requests, key)) {
          enqueue.emit(warning(`endNetworkRequest, no request ${param(key)} is running; call ignored`));
          return;
        }
        const startMs = context.requests[key]!;
        enqueue.assign({ requests: withoutEntry(context.requests, key) });
        enqueue.emit(request(networkTrace(event.key, event, startMs, event.at.timestamp), event.at));
      }),
      /**
       * spec l. 4063-4065: from init (or the override) to the moment the app is loaded. A call
       * replayed from before boot ends at boot; an override after that moment cannot be right.
       */
      recordAppStart: enqueueActions(({ context, event, enqueue }, params: { fn: string; level: 'warning' | 'info' }) => {
        const endMs = Math.max(context.bootMs, 'at' in event && event.at ? event.at.timestamp : context.bootMs);
        if (!context.consent) {
          enqueue.emit({ type: 'log', level: params.level, module: MODULE, message: `${params.fn}, app start not recorded: no "apm" consent` });
          return;
        }
        if (context.appStartMs > endMs) {
          enqueue.emit(warning(`${params.fn}, appStartTimestampOverride [${context.appStartMs}] is after the app loaded [${endMs}]; app start not recorded`));
          return;
        }
        const at = 'at' in event && event.at && event.at.timestamp >= endMs ? event.at : null;
        const trace = deviceTrace(APP_START, context.appStartMs, endMs);
        enqueue.emit(at ? request(trace, at) : { type: 'request.enqueue', params: { apm: apmParam(trace) } });
      }),
      recordPeriod: enqueueActions(({ context, event, enqueue }, params: { name: string }) => {
        assertEvent(event, ['app.visible', 'app.hidden']);
        if (context.consent) enqueue.emit(request(deviceTrace(params.name, context.periodStartMs, event.at.timestamp), event.at));
        enqueue.assign({ periodStartMs: Math.max(context.periodStartMs, event.at.timestamp) });
      }),
      storeConsent: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        const given = event.after.apm;
        if (given === context.consent) return;
        if (!given) {
          // "The SDK immediately stops collecting data": running traces are dropped, not sent.
          const running = Object.keys(context.traces).length + Object.keys(context.requests).length;
          if (running > 0) enqueue.emit({ type: 'log', level: 'info', module: MODULE, message: `consent, "apm" removed: ${running} running trace(s) cancelled` });
          enqueue.assign({ consent: false, traces: {}, requests: {} });
          return;
        }
        // Only data collected after consent may be sent: the current period starts now.
        enqueue.assign({ consent: true, periodStartMs: event.at ? Math.max(context.periodStartMs, event.at.timestamp) : context.periodStartMs });
      }),
      refuse: enqueueActions(({ enqueue }, params: { fn: string }) => {
        enqueue.emit(warning(`${params.fn}, ${NO_CONSENT}`));
      }),
      refuseNotManual: enqueueActions(({ enqueue }) => {
        enqueue.emit(warning('setAppIsLoaded, the manual trigger is not enabled (apm.manualAppLoadedTrigger); call ignored'));
      }),
      warn: enqueueActions(({ enqueue }, params: { message: string }) => {
        enqueue.emit(warning(params.message));
      }),
    },
  }).createMachine({
    id: 'apm',
    context: ({ input }) => initialApmContext(input),
    type: 'parallel',
    on: {
      'apm.startTrace': [{ guard: 'consented', actions: 'startTrace' }, { actions: { type: 'refuse', params: { fn: 'startTrace' } } }],
      'apm.endTrace': [{ guard: 'consented', actions: 'endTrace' }, { actions: { type: 'refuse', params: { fn: 'endTrace' } } }],
      'apm.cancelTrace': { actions: 'cancelTrace' },
      'apm.cancelAllTraces': { actions: 'cancelAllTraces' },
      'apm.recordNetworkTrace': [
        { guard: 'consented', actions: 'recordNetworkTrace' },
        { actions: { type: 'refuse', params: { fn: 'recordNetworkTrace' } } },
      ],
      'apm.startNetworkRequest': [
        { guard: 'consented', actions: 'startNetworkRequest' },
        { actions: { type: 'refuse', params: { fn: 'startNetworkRequest' } } },
      ],
      'apm.endNetworkRequest': [
        { guard: 'consented', actions: 'endNetworkRequest' },
        { actions: { type: 'refuse', params: { fn: 'endNetworkRequest' } } },
      ],
      'consent.changed': { actions: 'storeConsent' },
    },
    states: {
      appStart: {
        initial: 'booting',
        states: {
          booting: {
            always: [
              { guard: 'appStartOff', target: 'off' },
              { guard: 'manualTrigger', target: 'waitingForCall' },
              // Already in the foreground at init: the app is loaded now.
              { guard: 'foregroundAtBoot', target: 'recorded', actions: { type: 'recordAppStart', params: { fn: 'appStart', level: 'info' } } },
              { target: 'waitingForForeground' },
            ],
          },
          off: {
            on: {
              'apm.appLoaded': { actions: { type: 'warn', params: { message: 'setAppIsLoaded, app start tracking is not enabled (apm.appStartTracking); call ignored' } } },
            },
          },
          waitingForCall: {
            on: {
              'apm.appLoaded': { target: 'recorded', actions: { type: 'recordAppStart', params: { fn: 'setAppIsLoaded', level: 'warning' } } },
            },
          },
          waitingForForeground: {
            on: {
              'app.visible': { target: 'recorded', actions: { type: 'recordAppStart', params: { fn: 'appStart', level: 'info' } } },
              'apm.appLoaded': { actions: 'refuseNotManual' },
            },
          },
          recorded: {
            on: {
              'apm.appLoaded': [
                { guard: 'manualTrigger', actions: { type: 'warn', params: { message: 'setAppIsLoaded, the app start is already recorded; call ignored' } } },
                { actions: 'refuseNotManual' },
              ],
            },
          },
        },
      },
      visibility: {
        initial: 'booting',
        states: {
          booting: {
            always: [{ guard: 'visibilityOff', target: 'off' }, { guard: 'foregroundAtBoot', target: 'foreground' }, { target: 'background' }],
          },
          off: {},
          foreground: {
            on: { 'app.hidden': { target: 'background', actions: { type: 'recordPeriod', params: { name: APP_IN_FOREGROUND } } } },
          },
          background: {
            on: { 'app.visible': { target: 'foreground', actions: { type: 'recordPeriod', params: { name: APP_IN_BACKGROUND } } } },
          },
        },
      },
    },
}))();
