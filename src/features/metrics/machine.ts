/**
 * Manual device metrics (spec: Device Metrics > recordMetrics): `metrics.record(overrides)`
 * queues a request holding only `metrics=` — the SDK's metrics, then the config's
 * `metricOverride`, then the call's overrides on top. The metrics are read from the platform
 * when the request is queued (the queue effect does the reading: "fetched from device on
 * demand"). Requires `metrics` consent ("Only manual recording metrics require metrics
 * consent"); metrics sent with `begin_session` belong to sessions and need none.
 *
 * States: `active` (one state; what it decides is whether consent allows the request).
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import type { Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';

export interface MetricsInput {
  /** `metrics` consent at boot. */
  consent: boolean;
}

export interface MetricsContext {
  consent: boolean;
}

export type MetricsEvent =
  | { type: 'metrics.record'; overrides: Readonly<Record<string, string>>; at: Instant }
  | (Extract<Broadcast, { type: 'consent.changed' }> & { at?: Instant });

export type MetricsCommand = Extract<Command, { type: 'request.enqueue' | 'log' }>;

export const metricsListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze(['consent.changed'] as const);

export const metricsMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as MetricsInput,
      context: {} as MetricsContext,
      events: {} as MetricsEvent,
      emitted: {} as MetricsCommand,
    },
    guards: {
      consented: ({ context }) => context.consent,
    },
    actions: {
      queueMetrics: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'metrics.record');
        enqueue.emit({ type: 'request.enqueue', params: {}, at: event.at, metrics: { ...event.overrides } });
      }),
      refuse: enqueueActions(({ enqueue }) => {
        enqueue.emit({ type: 'log', level: 'warning', module: 'Metrics', message: 'record, no "metrics" consent; call ignored' });
      }),
      storeConsent: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        enqueue.assign({ consent: event.after.metrics });
      }),
    },
  }).createMachine({
    id: 'metrics',
    context: ({ input }) => ({ consent: input.consent }),
    initial: 'active',
    states: {
      active: {
        on: {
          'metrics.record': [{ guard: 'consented', actions: 'queueMetrics' }, { actions: 'refuse' }],
          'consent.changed': { actions: 'storeConsent' },
        },
      },
    },
}))();
