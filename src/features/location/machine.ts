/**
 * Location (spec: Recording Location): a cache of country code, city, GPS coordinates and IP
 * address, held in memory only, sent with every `begin_session` or as its own request.
 *
 * - The cache is replaced as a whole by each `set` (spec: Storage — values not given are
 *   cleared too) and stays until replaced: the spec's test scenarios send the same location
 *   with every later `begin_session`, not only the next one.
 * - What the next `begin_session` carries is announced with `location.changed { params }`
 *   whenever it changes (the session machine attaches it): the cache, or `location=""`
 *   (erasure) without location consent, when disabled, or when the server's `lt` /
 *   `tracking` settings are off (spec: "Automatic Begin Session requests should behave like this").
 * - `set` after init also queues a location request now (spec: instance setLocation) when a
 *   session is running (automatic sessions), when there is no session consent, session
 *   tracking is off or sessions are manual/hybrid, or when it re-enables location. That
 *   request never carries `ip_address`: the server uses an IP only with `begin_session`
 *   (write API: "ip_address parameter can only be used with the begin_session request").
 *   When only an IP address is left, no such request is queued.
 * - `location=""` is queued on `disable()` (even without consent), when location consent is
 *   removed, and at init when neither location nor session consent allows otherwise.
 *
 * States: `booting` (init announcement) → `enabled` ⇄ `disabled` (config `location: false`
 * or `disable()`; a later `set` re-enables).
 */
import { enqueueActions, setup } from 'xstate';
import type { LocationInput as LocationValues, ResolvedConfig } from '../../config.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import { initialConsent } from '../../domain/consent.js';
import type { ConsentState, Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';

export type { LocationValues };

export interface LocationMachineInput {
  /** The config location: the cache at init; `false` starts disabled. */
  location: LocationValues | false | undefined;
  consent: ConsentState;
  /** Automatic sessions (not manual, not hybrid). */
  automaticSessions: boolean;
  /** Behavior settings known at boot, decoded (`lt`, `st`, `tracking`). */
  settings?: BehaviorSettings;
}

export interface LocationContext {
  cache: LocationValues;
  disabled: boolean;
  consent: { location: boolean; sessions: boolean };
  automaticSessions: boolean;
  /** A session is running (between `session.began` and `session.ended`). */
  sessionRunning: boolean;
  /** Server settings (spec: SDK Behavior Settings): `lt` location tracking, `st` session tracking, `tracking`. */
  lt: boolean;
  st: boolean;
  tracking: boolean;
  /** What the last `location.changed` announced. */
  params: Record<string, string>;
}

type WithOptionalAt<T> = T & { at?: Instant };

export type LocationEvent =
  | { type: 'location.set'; location: LocationValues; at: Instant }
  | { type: 'location.disable'; at: Instant }
  | WithOptionalAt<Extract<Broadcast, { type: 'consent.changing' | 'consent.changed' | 'settings.updated' }>>
  | Extract<Broadcast, { type: 'session.began' | 'session.ended' }>;

export type LocationCommand = Extract<Command, { type: 'request.enqueue' | 'broadcast' | 'log' }>;

/** The broadcasts the router must deliver to the location machine. */
export const locationListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze([
  'consent.changing',
  'consent.changed',
  'session.began',
  'session.ended',
  'settings.updated',
] as const);

const MODULE = 'Location';

/** The location input from the resolved config, the consent at boot and the settings known at boot. */
export function locationInputFrom(
  config: ResolvedConfig,
  consent: ConsentState = initialConsent(config),
  boot: { settings?: BehaviorSettings } = {},
): LocationMachineInput {
  return {
    location: config.location === false ? false : config.location ? { ...config.location } : undefined,
    consent,
    automaticSessions: config.manualSessions === false,
    settings: boot.settings ?? {},
  };
}

export function initialLocationContext(input: LocationMachineInput): LocationContext {
  const settings = input.settings ?? {};
  const context: LocationContext = {
    cache: input.location ? { ...input.location } : {},
    disabled: input.location === false,
    consent: { location: input.consent.location, sessions: input.consent.sessions },
    automaticSessions: input.automaticSessions,
    sessionRunning: false,
    lt: settings.lt ?? true,
    st: settings.st ?? true,
    tracking: settings.tracking ?? true,
    params: {},
  };
  return { ...context, params: beginSessionLocation(context) };
}

/** The location params of a request: empty values are omitted (spec: Networking and Params). */
export function locationParams(cache: LocationValues, withIp: boolean): Record<string, string> {
  const params: Record<string, string> = {};
  if (cache.countryCode) params.country_code = cache.countryCode;
  if (cache.city) params.city = cache.city;
  if (cache.gps) params.location = cache.gps;
  if (withIp && cache.ipAddress) params.ip_address = cache.ipAddress;
  return params;
}

const locationAllowed = (c: LocationContext): boolean => c.consent.location && !c.disabled && c.lt && c.tracking;

/**
 * What the next `begin_session` carries (spec: "Should add cached location information to
 * itself if (location consent given) and (location tracking is on); should add location=""
 * if (no location consent) or (location tracking off)").
 */
export function beginSessionLocation(context: LocationContext): Record<string, string> {
  return locationAllowed(context) ? locationParams(context.cache, true) : { location: '' };
}

/** The params for `SessionBoot.location`: what the first `begin_session` carries. */
export function locationParamsAtBoot(input: LocationMachineInput): Record<string, string> {
  return initialLocationContext(input).params;
}

const log = (level: 'warning' | 'info' | 'debug', message: string): LocationCommand => ({ type: 'log', level, module: MODULE, message });
const erasure = (at?: Instant): LocationCommand => ({ type: 'request.enqueue', params: { location: '' }, ...(at ? { at } : {}) });
const unpaired = (cache: LocationValues): boolean => (cache.city !== undefined) !== (cache.countryCode !== undefined);

/** Announces the `begin_session` params when they differ from the last announcement. */
function announce(next: LocationContext, enqueue: { emit(c: LocationCommand): void; assign(p: Partial<LocationContext>): void }): void {
  const params = beginSessionLocation(next);
  if (JSON.stringify(params) === JSON.stringify(next.params)) return;
  enqueue.assign({ params });
  enqueue.emit({ type: 'broadcast', event: { type: 'location.changed', params } });
}

export const locationMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as LocationContext,
      events: {} as LocationEvent,
      input: {} as LocationMachineInput,
      emitted: {} as LocationCommand,
    },
    guards: {
      startsDisabled: ({ context }) => context.disabled,
      noLocationConsent: ({ context }) => !context.consent.location,
      trackingOff: ({ context }) => !(context.lt && context.tracking),
    },
    actions: {
      announceInit: enqueueActions(({ context, enqueue }) => {
        if (unpaired(context.cache)) {
          enqueue.emit(log('warning', 'createCountly, location city and country code should be given together'));
        }
        // spec: "SDK records an empty location request at the end of init if (no location consent
        // or location tracking off) and (no session consent)" — no begin_session would carry it.
        if (!locationAllowed(context) && !context.consent.sessions) enqueue.emit(erasure());
        enqueue.emit({ type: 'broadcast', event: { type: 'location.changed', params: context.params } });
      }),
      warnNoConsent: enqueueActions(({ enqueue }) => {
        enqueue.emit(log('warning', 'set, "location" consent is not given; call ignored'));
      }),
      logTrackingOff: enqueueActions(({ enqueue }) => {
        enqueue.emit(log('info', 'set, location tracking is disabled by the server settings (lt); call ignored'));
      }),
      /** spec: instance setLocation — replace the cache; queue a request now where no begin_session will carry it. */
      store: enqueueActions(({ context, event, enqueue }, params: { reenabled: boolean }) => {
        if (event.type !== 'location.set') return;
        const cache: LocationValues = { ...event.location };
        if (unpaired(cache)) enqueue.emit(log('warning', 'set, city and country code should be given together'));
        const next: LocationContext = { ...context, cache, disabled: false };
        enqueue.assign({ cache, disabled: false });
        const sendNow =
          params.reenabled || !context.automaticSessions || !context.consent.sessions || !(context.st && context.tracking) || context.sessionRunning;
        if (sendNow) {
          const request = locationParams(cache, false);
          if (Object.keys(request).length > 0) enqueue.emit({ type: 'request.enqueue', params: request, at: event.at });
          else enqueue.emit(log('debug', 'set, only an IP address was given: it goes with the next begin_session'));
        }
        announce(next, enqueue);
      }),
      /** spec: disableLocation — the erasure request is queued even without consent. */
      erase: enqueueActions(({ event, enqueue }) => {
        enqueue.emit(erasure('at' in event ? event.at : undefined));
      }),
      disable: enqueueActions(({ context, enqueue }) => {
        enqueue.emit(log('info', 'disable, location is disabled and its values cleared'));
        const next: LocationContext = { ...context, cache: {}, disabled: true };
        enqueue.assign({ cache: {}, disabled: true });
        announce(next, enqueue);
      }),
      logDisableWithoutConsent: enqueueActions(({ enqueue }) => {
        enqueue.emit(log('warning', 'disable, "location" consent is not given: only the erasure request is queued'));
      }),
      /** Idempotent: `consent.changing` applies the change, `consent.changed` finds nothing left to do. */
      applyConsent: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'consent.changing' && event.type !== 'consent.changed') return;
        const consent = { location: event.after.location, sessions: event.after.sessions };
        let next: LocationContext = { ...context, consent };
        enqueue.assign({ consent });
        if (context.consent.location && !consent.location) {
          // spec: "Location consent removal: records an empty location request"; the values go too.
          enqueue.emit(erasure(event.at));
          next = { ...next, cache: {} };
          enqueue.assign({ cache: {} });
        }
        announce(next, enqueue);
      }),
      trackSession: enqueueActions(({ event, enqueue }) => {
        enqueue.assign({ sessionRunning: event.type === 'session.began' });
      }),
      applySettings: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'settings.updated') return;
        // Decoded settings: a key is absent, or a valid boolean (the decoder warned about the rest).
        const s = event.settings;
        const next: LocationContext = { ...context, lt: s.lt ?? context.lt, st: s.st ?? context.st, tracking: s.tracking ?? context.tracking };
        enqueue.assign({ lt: next.lt, st: next.st, tracking: next.tracking });
        announce(next, enqueue);
      }),
    },
  }).createMachine({
    id: 'location',
    context: ({ input }) => initialLocationContext(input),
    initial: 'booting',
    on: {
      // Both phases: params must be current before the session reacts to `consent.changed`.
      'consent.changing': { actions: 'applyConsent' },
      'consent.changed': { actions: 'applyConsent' },
      'session.began': { actions: 'trackSession' },
      'session.ended': { actions: 'trackSession' },
      'settings.updated': { actions: 'applySettings' },
    },
    states: {
      booting: {
        always: [
          { guard: 'startsDisabled', target: 'disabled', actions: 'announceInit' },
          { target: 'enabled', actions: 'announceInit' },
        ],
      },
      enabled: {
        on: {
          'location.set': [
            { guard: 'noLocationConsent', actions: 'warnNoConsent' },
            { guard: 'trackingOff', actions: 'logTrackingOff' },
            { actions: { type: 'store', params: { reenabled: false } } },
          ],
          'location.disable': [
            { guard: 'noLocationConsent', actions: ['logDisableWithoutConsent', 'erase'] },
            { target: 'disabled', actions: ['erase', 'disable'] },
          ],
        },
      },
      disabled: {
        on: {
          'location.set': [
            { guard: 'noLocationConsent', actions: 'warnNoConsent' },
            { guard: 'trackingOff', actions: 'logTrackingOff' },
            // spec: setLocation "Re-enables location tracking (if disabled)" and then sends it.
            { target: 'enabled', actions: { type: 'store', params: { reenabled: true } } },
          ],
          'location.disable': [
            { guard: 'noLocationConsent', actions: ['logDisableWithoutConsent', 'erase'] },
            { actions: ['erase', 'disable'] },
          ],
        },
      },
    },
}))();
