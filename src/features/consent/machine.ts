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
 * The server learns the FULL state of all features in one `consent=` request. Rapid
 * changes coalesce (spec: "Multiple rapid consent changes may be coalesced"): a change
 * moves the machine to `pending`, and the request leaves after the named 0-ms delay
 * `consentFlush` — so every change made in the same tick (same task) ends up in one
 * request with the state at its end. A `queue.flush()` (`flush.requested`) or a device-ID
 * change (`identity.changing`, so the request goes under the old ID) emits it at once.
 * With `requiresConsent` the state at init is announced the same way (coalescing with calls
 * made right after init).
 *
 * A device-ID change without merge removes all consent WITHOUT a consent request (spec:
 * ConsentChangeSource.DeviceIDChangedNotMerged). Consent is never persisted (spec: the host
 * app re-provides it on every init).
 */
import { enqueueActions, setup } from 'xstate';
import type { ResolvedConfig } from '../../config.js';
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
  /** The moment of the last change waiting for its `consent=` request, if known. */
  pendingAt: Instant | null;
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
  | WithOptionalAt<Extract<Broadcast, { type: 'identity.changing' | 'settings.updated' }>>
  | Extract<Broadcast, { type: 'flush.requested' }>;

export type ConsentCommand = Extract<Command, { type: 'request.enqueue' | 'broadcast' | 'log' }>;

/** The broadcasts the router must deliver to the consent machine. */
export const consentListensTo: readonly Broadcast['type'][] = Object.freeze(['identity.changing', 'settings.updated', 'flush.requested'] as const);

const MODULE = 'Consent';

/** The consent input from the resolved config and the behavior settings known at boot. */
export function consentInputFrom(config: ResolvedConfig, boot: { settings?: Record<string, unknown> } = {}): ConsentInput {
  return { required: requiresConsent(config, boot.settings), given: [...config.consent] };
}

export function initialConsentContext(input: ConsentInput): ConsentContext {
  const requested = withConsent(allConsent(false), input.given.filter(isConsentFeature), true);
  return {
    required: input.required,
    given: input.required ? requested : allConsent(true),
    requested,
    groups: {},
    pendingAt: null,
    requests: 0,
  };
}

const log = (level: 'warning' | 'info' | 'debug', message: string): ConsentCommand => ({ type: 'log', level, module: MODULE, message });

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

export const consentMachine = setup({
  types: {
    context: {} as ConsentContext,
    events: {} as ConsentEvent,
    input: {} as ConsentInput,
    emitted: {} as ConsentCommand,
  },
  delays: {
    // Same tick: everything changed before the timer fires shares one request.
    consentFlush: 0,
  },
  guards: {
    announcesAtInit: ({ context }) => context.required,
    /** The change alters the effective state (so it is told and sent). */
    changesState: ({ context, event }) => {
      const change = changeOf(context, event);
      if (!change || !context.required) return false;
      const { features } = resolveFeatures(change.names, context.groups);
      return !sameConsent(context.given, withConsent(context.given, features, change.given));
    },
    unknownGroup: ({ context, event }) => event.type === 'consent.setGroup' && !Object.hasOwn(context.groups, event.name),
    /** `cr: true` from the server while consent is not yet required. */
    turnsRequired: ({ context, event }) => event.type === 'settings.updated' && event.settings.cr === true && !context.required,
  },
  actions: {
    /**
     * Applies a change: unknown names are warned about; the state is recorded; an effective
     * change is told in two phases. Whether a request follows is the transition's target.
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
      const at = change.at;
      enqueue.emit({ type: 'broadcast', event: { type: 'consent.changing', before, after, ...(at ? { at } : {}) } });
      enqueue.assign({ requested, given: after, pendingAt: at ?? context.pendingAt });
      enqueue.emit({ type: 'broadcast', event: { type: 'consent.changed', before, after, ...(at ? { at } : {}) } });
    }),
    /** The one `consent=` request for everything changed since the last one: the full state. */
    sendRequest: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({
        type: 'request.enqueue',
        params: { consent: consentParam(context.given) },
        ...(context.pendingAt ? { at: context.pendingAt } : {}),
      });
      enqueue.assign({ pendingAt: null, requests: context.requests + 1 });
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
      enqueue.emit({ type: 'broadcast', event: { type: 'consent.changing', before, after, ...(at ? { at } : {}) } });
      enqueue.assign({ given: after });
      enqueue.emit({ type: 'broadcast', event: { type: 'consent.changed', before, after, ...(at ? { at } : {}) } });
    }),
    /** spec: SDK Behavior Settings > cr — enforce consent as if configured; what was asked for applies. */
    turnRequired: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(log('info', 'settings, the server requires consent (cr); features without consent stop'));
      const before = context.given;
      const after = context.requested;
      enqueue.assign({ required: true });
      if (sameConsent(before, after)) return;
      enqueue.emit({ type: 'broadcast', event: { type: 'consent.changing', before, after } });
      enqueue.assign({ given: after });
      enqueue.emit({ type: 'broadcast', event: { type: 'consent.changed', before, after } });
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
      always: [{ guard: 'announcesAtInit', target: 'pending' }, { target: 'idle' }],
    },
    idle: {
      on: {
        'consent.give': [{ guard: 'changesState', target: 'pending', actions: 'applyChange' }, { actions: 'applyChange' }],
        'consent.remove': [{ guard: 'changesState', target: 'pending', actions: 'applyChange' }, { actions: 'applyChange' }],
        'consent.giveAll': [{ guard: 'changesState', target: 'pending', actions: 'applyChange' }, { actions: 'applyChange' }],
        'consent.removeAll': [{ guard: 'changesState', target: 'pending', actions: 'applyChange' }, { actions: 'applyChange' }],
        'consent.setGroup': [
          { guard: 'unknownGroup', actions: 'warnUnknownGroup' },
          { guard: 'changesState', target: 'pending', actions: 'applyChange' },
          { actions: 'applyChange' },
        ],
        'identity.changing': { actions: 'clearForNewIdentity' },
        'settings.updated': { guard: 'turnsRequired', target: 'pending', actions: 'turnRequired' },
      },
    },
    /** A `consent=` request is owed; it leaves after `consentFlush` with the state then. */
    pending: {
      after: { consentFlush: { target: 'idle', actions: 'sendRequest' } },
      on: {
        'consent.give': { actions: 'applyChange' },
        'consent.remove': { actions: 'applyChange' },
        'consent.giveAll': { actions: 'applyChange' },
        'consent.removeAll': { actions: 'applyChange' },
        'consent.setGroup': [{ guard: 'unknownGroup', actions: 'warnUnknownGroup' }, { actions: 'applyChange' }],
        // The owed request belongs to the old ID: it leaves before the consent is cleared.
        'identity.changing': { target: 'idle', actions: ['sendRequest', 'clearForNewIdentity'] },
        'flush.requested': { target: 'idle', actions: 'sendRequest' },
        // No `settings.updated` here: a request is owed only while consent is already required.
      },
    },
  },
});
