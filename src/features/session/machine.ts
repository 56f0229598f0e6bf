/**
 * Sessions (spec: Sessions): `begin_session`, periodic `session_duration` updates and
 * `end_session`, in three modes.
 *
 * - automatic (default): `app.visible` begins a session, `app.hidden` ends it. The lifecycle
 *   machine counts visible components and broadcasts those only on 0→1 and 1→0 (spec:
 *   Automatic Session Tracking; an unbalanced background is refused there, once). Init in
 *   the foreground begins at once. Updates every `sessionUpdateInterval` seconds.
 * - manual (`manualSessions: true`): only `session.begin/update/end` from the API.
 * - hybrid (`manualSessions: 'hybrid'`): manual begin/end, automatic updates.
 *
 * A device-ID change without merge (`identity.changing`) ends a running session in every
 * mode, so it is queued under the old ID; an automatic session begins again under the new ID
 * (`identity.changed`), a manual or hybrid one waits for the developer's `begin()` (see
 * docs/sessions.md).
 *
 * States: `idle` ⇄ `running` (`running.timed` re-enters itself on every update tick,
 * `running.untimed` in manual mode). Every request is a `request.enqueue` command; a begin's
 * carries `metrics: true` (the queue effect adds the device metrics, read at that moment) and
 * also broadcasts `session.began`, an end `session.ended`. Right before every session request
 * it broadcasts `session.beginning` / `session.updating` / `session.ending`, so the events
 * recorded before it are queued first, whatever causes it (a call, the lifecycle, a tick,
 * consent, a device ID, `st: false`).
 *
 * `sessions.*` calls the mode does not allow are refused once, at the root; `idle` and
 * `running` handle only the calls their mode allows, so each log message has one call site.
 *
 * Durations: each request reports the seconds since the last session request, rounded to
 * the nearest second, and carries the difference to the next one. So the parts of a
 * session always add up to its length rounded to the second.
 */
import { and, assign, enqueueActions, setup } from 'xstate';
import type { ResolvedConfig } from '../../config.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import type { ConsentState, Instant, PlatformFacts } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';

export type SessionMode = 'automatic' | 'manual' | 'hybrid';

export interface SessionInput {
  mode: SessionMode;
  /** Seconds between automatic updates (spec: default 60, minimum 1). */
  updateIntervalSeconds: number;
  /** Whether the app is in the foreground at init. */
  foreground: boolean;
  /** When the SDK started: the time of a session begun at init. Without it nothing begins at init. */
  startedAt: Instant | null;
  consent: ConsentState;
  /** Location params for the first `begin_session` (later ones come from `location.changed`). */
  location?: Record<string, string>;
  /** Behavior settings known at boot, decoded (`st`, `tracking`, `sui`). */
  settings?: BehaviorSettings;
}

/** What `sessionInputFrom` needs besides config, platform and consent. */
export interface SessionBoot {
  /** The moment the SDK starts (a session begun at init is stamped with it). */
  at: Instant;
  /** The location params of the location machine at boot (`{ location: '' }` when not allowed). */
  location?: Record<string, string>;
  /** Behavior settings known at boot (provided and stored), decoded. */
  settings?: BehaviorSettings;
}

export interface SessionContext {
  mode: SessionMode;
  /** The update interval for the next tick (changed by `sui`). */
  intervalSeconds: number;
  /** The interval the running update timer was armed with. */
  armedIntervalSeconds: number;
  /** The app is visible (the last of `app.visible` / `app.hidden`), for `getState().session.foreground`. */
  foreground: boolean;
  consent: ConsentState;
  /** Server settings `st` and `tracking` (spec: SDK Behavior Settings). */
  sessionTracking: boolean;
  tracking: boolean;
  location: Record<string, string>;
  /** When the running session began (ms), or null. */
  beganAtMs: number | null;
  /** The time the last session request accounted up to (ms), or null when idle. */
  lastReportMs: number | null;
  /** Milliseconds accounted but not yet reported (the part of a second each update leaves). */
  carryMs: number;
  /** The latest moment the machine was told about: the stand-in for broadcasts without `at`. */
  lastAt: Instant | null;
  /** Health: begin/update/end calls out of order (spec: Manual Session Tracking > Precautions). */
  outOfOrderCalls: number;
}

type WithOptionalAt<T> = T & { at?: Instant };

/** Broadcasts the session machine hears. Those without `at` may carry one; it makes durations exact. */
export type SessionBroadcast =
  | Extract<Broadcast, { type: 'app.visible' | 'app.hidden' | 'location.changed' }>
  | WithOptionalAt<Extract<Broadcast, { type: 'consent.changing' | 'consent.changed' | 'identity.changing' | 'identity.changed' | 'settings.updated' }>>;

export type SessionEvent =
  | { type: 'session.begin'; at: Instant }
  | { type: 'session.update'; at: Instant }
  | { type: 'session.end'; at: Instant }
  | SessionBroadcast;

export type SessionCommand = Extract<Command, { type: 'request.enqueue' | 'broadcast' | 'log' }>;

/** The broadcasts the router must deliver to the session machine. */
export const sessionListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze([
  'app.visible',
  'app.hidden',
  'consent.changing',
  'consent.changed',
  'identity.changing',
  'identity.changed',
  'location.changed',
  'settings.updated',
]);

const MODULE = 'Sessions';

/** The session input from the resolved config and the platform's facts at boot. */
export function sessionInputFrom(config: ResolvedConfig, platform: Pick<PlatformFacts, 'foreground'>, consent: ConsentState, boot?: SessionBoot): SessionInput {
  const foreground = platform.foreground;
  return {
    mode: config.manualSessions === 'hybrid' ? 'hybrid' : config.manualSessions ? 'manual' : 'automatic',
    updateIntervalSeconds: config.sessionUpdateIntervalSeconds,
    foreground,
    startedAt: boot?.at ?? null,
    consent,
    location: boot?.location ?? {},
    settings: boot?.settings ?? {},
  };
}

export function initialSessionContext(input: SessionInput): SessionContext {
  // `sui` arrives decoded (whole seconds, ≥ 1): the decoder dropped and warned about invalid values.
  const settings = input.settings ?? {};
  const interval = settings.sui ?? (Number.isInteger(input.updateIntervalSeconds) && input.updateIntervalSeconds >= 1 ? input.updateIntervalSeconds : 60);
  return {
    mode: input.mode,
    intervalSeconds: interval,
    armedIntervalSeconds: interval,
    foreground: input.foreground,
    consent: input.consent,
    sessionTracking: settings.st ?? true,
    tracking: settings.tracking ?? true,
    location: { ...(input.location ?? {}) },
    beganAtMs: null,
    lastReportMs: null,
    carryMs: 0,
    lastAt: input.startedAt,
    outOfOrderCalls: 0,
  };
}

const atOf = (event: SessionEvent): Instant | undefined => ('at' in event ? event.at : undefined);

/** The moment of an event; for a broadcast without `at`, the latest moment known. */
function momentOf(context: SessionContext, event: SessionEvent): Instant | undefined {
  const at = atOf(event);
  if (at) return at;
  if (!context.lastAt) return undefined;
  const known = Math.max(context.lastAt.timestamp, context.lastReportMs ?? 0);
  return { ...context.lastAt, timestamp: known };
}

const canBegin = (c: SessionContext): boolean => c.consent.sessions && c.sessionTracking && c.tracking;

/** A begin needs a moment: the event's, or one known before. */
const knowsTime = (c: SessionContext, event: SessionEvent): boolean => atOf(event) !== undefined || c.lastAt !== null;

/** Whether `settings.updated` leaves session tracking on. */
const trackingAfter = (c: SessionContext, settings: BehaviorSettings): boolean => (settings.st ?? c.sessionTracking) && (settings.tracking ?? c.tracking);

const warning = (message: string): SessionCommand => ({ type: 'log', level: 'warning', module: MODULE, message });

/** The moment `ms`, with the calendar fields of the latest known moment (a tick has no event of its own). */
const momentAtMs = (c: SessionContext, ms: number): Instant | undefined => (c.lastAt ? { ...c.lastAt, timestamp: ms } : undefined);

/**
 * Splits elapsed milliseconds into whole seconds to report (rounded to the nearest) and the
 * rest to carry to the next report (between -500 and 500 ms). Rounding, not flooring: the
 * unique timestamps of the API may sit a few ms after the clock, and 59.998 s is a minute.
 */
function settle(totalMs: number): { seconds: number; carryMs: number } {
  const seconds = Math.max(0, Math.round(totalMs / 1000));
  return { seconds, carryMs: totalMs - seconds * 1000 };
}

export const sessionMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as SessionContext,
      events: {} as SessionEvent,
      input: {} as SessionInput,
      emitted: {} as SessionCommand,
    },
    delays: {
      updateInterval: ({ context }) => context.intervalSeconds * 1000,
    },
    guards: {
      isAutomatic: ({ context }) => context.mode === 'automatic',
      isHybrid: ({ context }) => context.mode === 'hybrid',
      isManual: ({ context }) => context.mode === 'manual',
      /** `begin()` / `end()` work (manual and hybrid). */
      hasManualControl: ({ context }) => context.mode !== 'automatic',
      hasAutoUpdates: ({ context }) => context.mode !== 'manual',
      noConsent: ({ context }) => !context.consent.sessions,
      trackingOff: ({ context }) => !(context.sessionTracking && context.tracking),
      beginsAtInit: ({ context }) => context.mode === 'automatic' && context.foreground && context.lastAt !== null && canBegin(context),
      beginsOnForeground: ({ context }) => context.mode === 'automatic' && canBegin(context),
      losesConsent: ({ event }) => event.type === 'consent.changing' && event.before.sessions && !event.after.sessions,
      lacksConsent: ({ event }) => event.type === 'consent.changed' && !event.after.sessions,
      gainsConsentInForeground: ({ context, event }) =>
        event.type === 'consent.changed' &&
        context.mode === 'automatic' &&
        context.foreground &&
        !event.before.sessions &&
        event.after.sessions &&
        context.sessionTracking &&
        context.tracking &&
        knowsTime(context, event),
      beginsUnderNewIdentity: ({ context, event }) =>
        event.type === 'identity.changed' && !event.merged && context.mode === 'automatic' && context.foreground && canBegin(context) && knowsTime(context, event),
      settingsStopTracking: ({ context, event }) => event.type === 'settings.updated' && !trackingAfter(context, event.settings),
      settingsStartTracking: ({ context, event }) =>
        event.type === 'settings.updated' &&
        trackingAfter(context, event.settings) &&
        !(context.sessionTracking && context.tracking) &&
        context.mode === 'automatic' &&
        context.foreground &&
        context.consent.sessions &&
        knowsTime(context, event),
    },
    actions: {
      warn: enqueueActions(({ enqueue }, params: { message: string }) => {
        enqueue.emit(warning(params.message));
      }),
      countOutOfOrder: assign({ outOfOrderCalls: ({ context }) => context.outOfOrderCalls + 1 }),
      /** `app.visible` / `app.hidden`: the lifecycle machine already balanced them. */
      markForeground: assign(({ context, event }) => ({ foreground: true, lastAt: atOf(event) ?? context.lastAt })),
      markBackground: assign(({ context, event }) => ({ foreground: false, lastAt: atOf(event) ?? context.lastAt })),
      storeConsent: assign(({ context, event }) => (event.type === 'consent.changed' ? { consent: event.after } : { consent: context.consent })),
      storeLocation: assign(({ context, event }) => ({ location: event.type === 'location.changed' ? { ...event.params } : context.location })),
      applySettings: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'settings.updated') return;
        const settings = event.settings;
        enqueue.assign({
          sessionTracking: settings.st ?? context.sessionTracking,
          tracking: settings.tracking ?? context.tracking,
          // The running timer keeps its interval: a new `sui` applies from the next tick.
          intervalSeconds: settings.sui ?? context.intervalSeconds,
        });
      }),
      begin: enqueueActions(({ context, event, enqueue }) => {
        // At init the event is `xstate.init`: the moment is then the boot time (`lastAt`).
        const at = momentOf(context, event);
        if (!at) return;
        // spec: Sessions > Starting a Session — begin_session carries metrics and location.
        // spec: Device Metrics — metrics are read from the device on demand: the queue effect
        // reads them when it queues this request (`metrics: true`), so each session has fresh ones.
        // Events recorded before the begin are queued first (the events machine hears `session.beginning`).
        enqueue.emit({ type: 'broadcast', event: { type: 'session.beginning', at } });
        enqueue.emit({
          type: 'request.enqueue',
          params: { begin_session: '1', ...context.location },
          metrics: true,
          at,
        });
        enqueue.assign({ beganAtMs: at.timestamp, lastReportMs: at.timestamp, carryMs: 0, lastAt: at });
        enqueue.emit({ type: 'broadcast', event: { type: 'session.began', at } });
      }),
      armInterval: assign({ armedIntervalSeconds: ({ context }) => context.intervalSeconds }),
      /** An update tick comes exactly one armed interval after the last session request. */
      reportTick: enqueueActions(({ context, enqueue }) => {
        const elapsedMs = context.armedIntervalSeconds * 1000;
        const { seconds, carryMs } = settle(elapsedMs + context.carryMs);
        const at = momentAtMs(context, (context.lastReportMs ?? 0) + elapsedMs);
        if (at) enqueue.emit({ type: 'broadcast', event: { type: 'session.updating', at } });
        enqueue.emit({ type: 'request.enqueue', params: { session_duration: String(seconds) } });
        enqueue.assign({ lastReportMs: (context.lastReportMs ?? 0) + elapsedMs, carryMs });
      }),
      reportUpdate: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'session.update') return;
        const elapsedMs = event.at.timestamp - (context.lastReportMs ?? event.at.timestamp);
        const { seconds, carryMs } = settle(elapsedMs + context.carryMs);
        enqueue.emit({ type: 'broadcast', event: { type: 'session.updating', at: event.at } });
        enqueue.emit({ type: 'request.enqueue', params: { session_duration: String(seconds) }, at: event.at });
        enqueue.assign({ lastReportMs: event.at.timestamp, carryMs, lastAt: event.at });
      }),
      end: enqueueActions(({ context, event, enqueue }) => {
        const exact = atOf(event);
        const at = momentOf(context, event);
        const lastReportMs = context.lastReportMs ?? 0;
        const endMs = at?.timestamp ?? lastReportMs;
        // spec: Sessions > Ending a Session — the seconds since the last session request.
        const { seconds } = settle(endMs - lastReportMs + context.carryMs);
        // The events machine combines what is pending into requests as it hears this, so the
        // session's events are queued before its end_session (in every mode, on every path).
        if (at) enqueue.emit({ type: 'broadcast', event: { type: 'session.ending', at } });
        enqueue.emit({
          type: 'request.enqueue',
          params: { end_session: '1', session_duration: String(seconds) },
          // Without a moment the queue stamps the request when it is performed.
          ...(exact ? { at: exact } : {}),
        });
        enqueue.assign({ beganAtMs: null, lastReportMs: null, carryMs: 0, lastAt: at ?? context.lastAt });
        if (at) enqueue.emit({ type: 'broadcast', event: { type: 'session.ended', at } });
      }),
    },
  }).createMachine({
    id: 'session',
    context: ({ input }) => initialSessionContext(input),
    initial: 'booting',
    on: {
      'location.changed': { actions: 'storeLocation' },
      'app.visible': { actions: 'markForeground' },
      'app.hidden': { actions: 'markBackground' },
      // Calls the mode refuses, in any state: `idle` and `running` leave them to the root.
      'session.begin': { guard: 'isAutomatic', actions: { type: 'warn', params: { message: 'begin, manual session control is not enabled; call ignored' } } },
      'session.update': [
        { guard: 'isAutomatic', actions: { type: 'warn', params: { message: 'update, manual session control is not enabled; call ignored' } } },
        { guard: 'isHybrid', actions: { type: 'warn', params: { message: 'update, ignored in hybrid mode: updates are automatic' } } },
      ],
      'session.end': { guard: 'isAutomatic', actions: { type: 'warn', params: { message: 'end, manual session control is not enabled; call ignored' } } },
    },
    states: {
      booting: {
        // spec: Automatic Session Tracking > Precautions — init in the foreground begins at once.
        always: [{ guard: 'beginsAtInit', target: 'running', actions: 'begin' }, { target: 'idle' }],
      },
      idle: {
        on: {
          'session.begin': [
            {
              guard: and(['hasManualControl', 'noConsent']),
              actions: { type: 'warn', params: { message: 'begin, "sessions" consent is not given; call ignored' } },
            },
            {
              guard: and(['hasManualControl', 'trackingOff']),
              actions: { type: 'warn', params: { message: 'begin, session tracking is disabled by the server settings; call ignored' } },
            },
            { guard: 'hasManualControl', target: 'running', actions: 'begin' },
          ],
          'session.update': {
            guard: 'isManual',
            actions: ['countOutOfOrder', { type: 'warn', params: { message: 'update, no session is running; call ignored' } }],
          },
          'session.end': {
            guard: 'hasManualControl',
            actions: ['countOutOfOrder', { type: 'warn', params: { message: 'end, no session is running; call ignored' } }],
          },
          'app.visible': { guard: 'beginsOnForeground', target: 'running', actions: ['markForeground', 'begin'] },
          // spec: Automatic Session Tracking > Precautions — consent given in the foreground begins one.
          'consent.changed': [
            { guard: 'gainsConsentInForeground', target: 'running', actions: ['storeConsent', 'begin'] },
            { actions: 'storeConsent' },
          ],
          // spec: Device ID Management — without merge, a new session begins under the new ID.
          'identity.changed': { guard: 'beginsUnderNewIdentity', target: 'running', actions: 'begin' },
          'settings.updated': [
            { guard: 'settingsStartTracking', target: 'running', actions: ['applySettings', 'begin'] },
            { actions: 'applySettings' },
          ],
        },
      },
      running: {
        initial: 'choosing',
        on: {
          'session.begin': {
            guard: 'hasManualControl',
            actions: ['countOutOfOrder', { type: 'warn', params: { message: 'begin, a session is already running; call ignored' } }],
          },
          'session.update': { guard: 'isManual', actions: 'reportUpdate' },
          'session.end': { guard: 'hasManualControl', target: 'idle', actions: 'end' },
          'app.hidden': { guard: 'isAutomatic', target: 'idle', actions: ['markBackground', 'end'] },
          // spec: Automatic Session Tracking > Precautions — consent withdrawal ends the session
          // (on `changing`, while the end request may still be sent).
          'consent.changing': { guard: 'losesConsent', target: 'idle', actions: 'end' },
          // Should a removal arrive without its `changing` phase, the session still ends.
          'consent.changed': [{ guard: 'lacksConsent', target: 'idle', actions: ['end', 'storeConsent'] }, { actions: 'storeConsent' }],
          // spec line 1302 — "Changing the device ID without merge should end the current
          // session". In every mode: a manual session left running would end under the new ID,
          // with the old ID's time (docs/sessions.md: the manual-mode reading of line 2117).
          'identity.changing': { target: 'idle', actions: 'end' },
          'settings.updated': [
            { guard: 'settingsStopTracking', target: 'idle', actions: ['applySettings', 'end'] },
            { actions: 'applySettings' },
          ],
        },
        states: {
          choosing: {
            always: [{ guard: 'hasAutoUpdates', target: 'timed' }, { target: 'untimed' }],
          },
          timed: {
            entry: 'armInterval',
            after: { updateInterval: { target: 'timed', reenter: true, actions: 'reportTick' } },
          },
          untimed: {},
        },
      },
    },
}))();
