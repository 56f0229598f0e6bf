/**
 * User consent (spec: User Consent): which features may collect and send data.
 *
 * - `requiresConsent` false: every feature is allowed; calls only record what the user
 *   asked for, which applies if the server later turns consent on (`cr`).
 * - `requiresConsent` true: everything starts denied, the config's `consent` list given.
 *
 * Every effective change is told in two phases (spec: "Two-phase consent notification"):
 * `consent.changing { before, after }` while the old state still holds (views stop and the
 * session ends while they may still send), then `consent.changed { before, after }`.
 *
 * The server learns the FULL state of all features in one `consent=` request, queued in the
 * same step as the change, between the two phases: after everything the old state let the
 * features queue (`consent.changing`), before anything the new state lets them queue
 * (`consent.changed` begins a session; later calls record events). Requests go out in
 * historical order (spec: Request Queue, line 317); coalescing rapid changes is only a
 * "may" (spec: User Consent > Networking and Params, line 4390), and
 * a request held back to coalesce would let data recorded after the change overtake it. So
 * one call that changes the state is one request; a call naming several features is one.
 * With `requiresConsent` the state at init is announced at boot, before any feature queues.
 *
 * States: `booting` (the init announcement) → `ready`.
 *
 * A device-ID change without merge removes all consent WITHOUT a consent request (spec:
 * ConsentChangeSource.DeviceIDChangedNotMerged). Consent is never persisted (spec: the host
 * app re-provides it on every init).
 */
import { enqueueActions, setup } from 'xstate';
import type { ResolvedConfig } from '../../config.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import {
  allConsent,
  consentParam,
  isConsentFeature,
  requiresConsent,
  resolveFeatures,
  sameConsent,
  withConsent,
} from '../../domain/consent.js';
import { ConsentFeatures, type ConsentFeature, type ConsentState, type Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';
import { param } from '../../log.js';

export interface ConsentInput {
  required: boolean;
  /** Consent given at init (config `consent`, `'all'` expanded). */
  given: ConsentFeature[];
}

export interface ConsentContext {
  /** Whether consent is enforced (config, or the server's `cr`). */
  required: boolean;
  /** The effective state every feature obeys: all true unless `required`. */
  given: ConsentState;
  /** What the app asked for; becomes effective when consent is (or gets) required. */
  requested: ConsentState;
  groups: Record<string, ConsentFeature[]>;
  /** `consent=` requests queued since boot. */
  requests: number;
}

type WithOptionalAt<T> = T & { at?: Instant };

export type ConsentEvent =
  | { type: 'consent.give'; features: string[]; at: Instant }
  | { type: 'consent.remove'; features: string[]; at: Instant }
  | { type: 'consent.giveAll'; at: Instant }
  | { type: 'consent.removeAll'; at: Instant }
  | { type: 'consent.createGroup'; name: string; features: string[] }
  | { type: 'consent.setGroup'; name: string; given: boolean; at: Instant }
  | WithOptionalAt<Extract<Broadcast, { type: 'identity.changing' | 'settings.updated' }>>;

export type ConsentCommand = Extract<Command, { type: 'request.enqueue' | 'broadcast' | 'log' }>;

/** The broadcasts the router must deliver to the consent machine. */
export const consentListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze(['identity.changing', 'settings.updated'] as const);

const MODULE = 'Consent';

/** The consent input from the resolved config and the behavior settings known at boot. */
export function consentInputFrom(config: ResolvedConfig, boot: { settings?: BehaviorSettings } = {}): ConsentInput {
  return { required: requiresConsent(config, boot.settings), given: [...config.consent] };
}

export function initialConsentContext(input: ConsentInput): ConsentContext {
  const requested = withConsent(allConsent(false), input.given.filter(isConsentFeature), true);
  return {
    required: input.required,
    given: input.required ? requested : allConsent(true),
    requested,
    groups: {},
    requests: 0,
  };
}

const log = (level: 'warning' | 'info' | 'debug', message: string): ConsentCommand => ({ type: 'log', level, module: MODULE, message });

/** spec: User Consent > Networking and Params — the full state of every feature, to `/i`. */
const consentRequest = (given: ConsentState, at?: Instant): ConsentCommand => ({
  type: 'request.enqueue',
  params: { consent: consentParam(given) },
  ...(at ? { at } : {}),
});

/** The two phases of a change (spec: "Two-phase consent notification"). */
const changing = (before: ConsentState, after: ConsentState, at?: Instant): ConsentCommand => ({
  type: 'broadcast',
  event: { type: 'consent.changing', before, after, ...(at ? { at } : {}) },
});
const changed = (before: ConsentState, after: ConsentState, at?: Instant): ConsentCommand => ({
  type: 'broadcast',
  event: { type: 'consent.changed', before, after, ...(at ? { at } : {}) },
});

/** What a change event asks for: the features, their new value, and the public function's name. */
function changeOf(context: ConsentContext, event: ConsentEvent): { fn: string; names: string[]; given: boolean; at?: Instant } | null {
  switch (event.type) {
    case 'consent.give':
      return { fn: 'give', names: event.features, given: true, at: event.at };
    case 'consent.remove':
      return { fn: 'remove', names: event.features, given: false, at: event.at };
    case 'consent.giveAll':
      return { fn: 'giveAll', names: [...ConsentFeatures], given: true, at: event.at };
    case 'consent.removeAll':
      return { fn: 'removeAll', names: [...ConsentFeatures], given: false, at: event.at };
    case 'consent.setGroup':
      return { fn: 'setFeatureGroup', names: context.groups[event.name] ?? [], given: event.given, at: event.at };
    default:
      return null;
  }
}

export const consentMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as ConsentContext,
      events: {} as ConsentEvent,
      input: {} as ConsentInput,
      emitted: {} as ConsentCommand,
    },
    guards: {
      announcesAtInit: ({ context }) => context.required,
      unknownGroup: ({ context, event }) => event.type === 'consent.setGroup' && !Object.hasOwn(context.groups, event.name),
      /** `cr: true` from the server while consent is not yet required. */
      turnsRequired: ({ context, event }) => event.type === 'settings.updated' && event.settings.cr === true && !context.required,
    },
    actions: {
      /**
       * Applies a change: unknown names are warned about; the state is recorded; an effective
       * change is told in two phases with its `consent=` request between them.
       */
      applyChange: enqueueActions(({ context, event, enqueue }) => {
        const change = changeOf(context, event);
        if (!change) return;
        const { features, unknown } = resolveFeatures(change.names, context.groups);
        for (const name of unknown) enqueue.emit(log('warning', `${change.fn}, unknown feature or group ${param(name)} ignored`));
        const requested = withConsent(context.requested, features, change.given);
        if (!context.required) {
          enqueue.assign({ requested });
          if (features.length > 0) {
            enqueue.emit(log('debug', `${change.fn}, consent is not required: every feature is allowed; recorded in case the server requires it`));
          }
          return;
        }
        const before = context.given;
        const after = withConsent(before, features, change.given);
        if (sameConsent(before, after)) {
          enqueue.assign({ requested });
          if (features.length > 0) enqueue.emit(log('debug', `${change.fn}, nothing changes for ${param(features)}`));
          return;
        }
        enqueue.emit(changing(before, after, change.at));
        enqueue.assign({ requested, given: after, requests: context.requests + 1 });
        enqueue.emit(consentRequest(after, change.at));
        enqueue.emit(changed(before, after, change.at));
      }),
      /** spec: setRequiresConsent — the state at init, announced at boot. */
      announce: enqueueActions(({ context, enqueue }) => {
        enqueue.emit(consentRequest(context.given));
        enqueue.assign({ requests: context.requests + 1 });
      }),
      createGroup: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'consent.createGroup') return;
        if (isConsentFeature(event.name)) {
          enqueue.emit(log('warning', `createFeatureGroup, ${param(event.name)} is a feature name and cannot name a group; call ignored`));
          return;
        }
        const features: ConsentFeature[] = [];
        for (const name of event.features) {
          if (isConsentFeature(name)) {
            if (!features.includes(name)) features.push(name);
          } else enqueue.emit(log('warning', `createFeatureGroup, unknown feature ${param(name)} left out of group ${param(event.name)}`));
        }
        if (features.length === 0) {
          enqueue.emit(log('warning', `createFeatureGroup, group ${param(event.name)} has no valid feature; call ignored`));
          return;
        }
        // spec: createFeatureGroup stores a named mapping; a second call replaces it.
        enqueue.assign({ groups: { ...context.groups, [event.name]: features } });
      }),
      warnUnknownGroup: enqueueActions(({ event, enqueue }) => {
        if (event.type === 'consent.setGroup') enqueue.emit(log('warning', `setFeatureGroup, unknown group ${param(event.name)}; call ignored`));
      }),
      /**
       * spec: Device ID Management > changeWithoutMerge — "REMOVES ALL CONSENT without sending
       * consent-removal requests to the server"; the features are still told, in two phases.
       */
      clearForNewIdentity: enqueueActions(({ context, event, enqueue }) => {
        const before = context.given;
        const after = context.required ? allConsent(false) : context.given;
        enqueue.assign({ requested: allConsent(false) });
        if (sameConsent(before, after)) return;
        const at = 'at' in event ? event.at : undefined;
        enqueue.emit(changing(before, after, at));
        enqueue.assign({ given: after });
        enqueue.emit(changed(before, after, at));
      }),
      /** spec: SDK Behavior Settings > cr — enforce consent as if configured; what was asked for applies. */
      turnRequired: enqueueActions(({ context, enqueue }) => {
        enqueue.emit(log('info', 'settings, the server requires consent (cr); features without consent stop'));
        const before = context.given;
        const after = context.requested;
        const changes = !sameConsent(before, after);
        enqueue.assign({ required: true, given: after, requests: context.requests + 1 });
        // The server learns the state it now enforces, whether or not it changes anything here.
        if (changes) enqueue.emit(changing(before, after));
        enqueue.emit(consentRequest(after));
        if (changes) enqueue.emit(changed(before, after));
      }),
    },
  }).createMachine({
    id: 'consent',
    context: ({ input }) => initialConsentContext(input),
    initial: 'booting',
    on: {
      'consent.createGroup': { actions: 'createGroup' },
    },
    states: {
      booting: {
        always: [{ guard: 'announcesAtInit', target: 'ready', actions: 'announce' }, { target: 'ready' }],
      },
      ready: {
        on: {
          'consent.give': { actions: 'applyChange' },
          'consent.remove': { actions: 'applyChange' },
          'consent.giveAll': { actions: 'applyChange' },
          'consent.removeAll': { actions: 'applyChange' },
          'consent.setGroup': [{ guard: 'unknownGroup', actions: 'warnUnknownGroup' }, { actions: 'applyChange' }],
          'identity.changing': { actions: 'clearForNewIdentity' },
          'settings.updated': { guard: 'turnsRequired', actions: 'turnRequired' },
        },
      },
    },
}))();
