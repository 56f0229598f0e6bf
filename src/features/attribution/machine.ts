/**
 * Attribution (spec 001: Attribution, l. 4421-4503): direct attribution (`campaign_id` /
 * `campaign_user`, or `attribution_data` for the `_special_test` type) and indirect
 * attribution (`aid={...}`), each "in a separate request" (l. 4429) through the request
 * queue. The namespace validates and cleans the values (`rules.ts`); the machine decides
 * whether `attribution` consent allows the request (l. 4431).
 *
 * States: `active` (one state; what it decides is whether consent allows the request).
 */
import { assertEvent, enqueueActions, setup } from 'xstate';
import type { Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';

export interface AttributionInput {
  /** `attribution` consent at boot. */
  consent: boolean;
}

export interface AttributionContext {
  consent: boolean;
}

export type AttributionEvent =
  /** `campaign_id` (+ `campaign_user`) or `attribution_data`, already validated. */
  | { type: 'attribution.direct'; params: Readonly<Record<string, string>>; at: Instant }
  /** `aid`: the JSON object of the valid pairs. */
  | { type: 'attribution.indirect'; aid: string; at: Instant }
  | (Extract<Broadcast, { type: 'consent.changed' }> & { at?: Instant });

export type AttributionCommand = Extract<Command, { type: 'request.enqueue' | 'log' }>;

export const attributionListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze(['consent.changed'] as const);

export const attributionMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as AttributionInput,
      context: {} as AttributionContext,
      events: {} as AttributionEvent,
      emitted: {} as AttributionCommand,
    },
    guards: {
      consented: ({ context }) => context.consent,
    },
    actions: {
      queueDirect: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'attribution.direct');
        enqueue.emit({ type: 'request.enqueue', params: { ...event.params }, at: event.at });
      }),
      queueIndirect: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'attribution.indirect');
        enqueue.emit({ type: 'request.enqueue', params: { aid: event.aid }, at: event.at });
      }),
      refuse: enqueueActions(({ event, enqueue }) => {
        const fn = event.type === 'attribution.indirect' ? 'recordIndirect' : 'recordDirect';
        enqueue.emit({ type: 'log', level: 'warning', module: 'Attribution', message: `${fn}, no "attribution" consent; call ignored` });
      }),
      storeConsent: enqueueActions(({ event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        enqueue.assign({ consent: event.after.attribution });
      }),
    },
  }).createMachine({
    id: 'attribution',
    context: ({ input }) => ({ consent: input.consent }),
    initial: 'active',
    states: {
      active: {
        on: {
          'attribution.direct': [{ guard: 'consented', actions: 'queueDirect' }, { actions: 'refuse' }],
          'attribution.indirect': [{ guard: 'consented', actions: 'queueIndirect' }, { actions: 'refuse' }],
          'consent.changed': { actions: 'storeConsent' },
        },
      },
    },
}))();
