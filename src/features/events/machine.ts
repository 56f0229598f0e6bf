/**
 * Events (spec: Events, Event Queue, Internal Events, Timed Events, Experimental): the
 * recording rules, the event queue and its batching into `events=[...]` requests, and timed
 * events.
 *
 * Every accepted event is persisted at once (`events.persist`), so a crash between record
 * and batch loses nothing; when events are combined into a request, the machine emits
 * `request.enqueue` and then `events.unpersist` for them (the request is written before the
 * events are removed). At boot the stored events come back through `input`.
 *
 * States mirror the queue: `empty` and `holding` (events wait for the threshold or a flush).
 * Every event is handled at the root; the states follow the pending list.
 *
 * Consent is checked when an event is recorded: an event recorded while its consent was
 * given goes out even if that consent is removed before the queue is flushed.
 */
import { enqueueActions, setup } from 'xstate';
import type { Limits, ResolvedConfig } from '../../config.js';
import {
  batchParams,
  buildWireEvent,
  consentFeatureFor,
  cutBatches,
  eventAllowed,
  filterSegmentation,
  flushesAtOnce,
  isViewEndEvent,
  normalizeNumbers,
  NO_LIMITS,
  readEventSettings,
  VIEW_EVENT_KEY,
  type EventFilters,
} from '../../domain/events.js';
import { sanitizeSegmentation, truncateKey } from '../../domain/limits.js';
import type { ConsentState, DeviceIdType, Instant, LogLevel, Segmentation, WireEvent } from '../../domain/types.js';
import type { Broadcast, Command, RecordInternalEventCommand } from '../../effects/commands.js';
import { param } from '../../log.js';

const MODULE = 'Events';

export interface EventsInput {
  consent: ConsentState;
  /** `eventQueueThreshold` from config (the server's `eqs` overrides it). */
  threshold: number;
  limits: Limits;
  /** experimental.visibilityTracking: `cly_v` on events. */
  visibilityTracking: boolean;
  /** experimental.previousNameRecording: `cly_pen` / `cly_cvn` on custom events, `cly_pvn` on view events. */
  previousNameRecording: boolean;
  /** The persisted event queue as read at boot, in order. */
  storedEvents: WireEvent[];
  /** Whether the app is in the foreground at boot (default: yes). */
  foreground?: boolean;
  /** Behavior settings known at boot (provided and stored). */
  settings?: Record<string, unknown>;
  /**
   * The device ID the stored events were recorded under, when `clearStoredDeviceId` replaced it
   * at this init: they are combined at once and go out under it (spec: clearStoredDeviceId —
   * what the old ID had pending is flushed before it is cleared).
   */
  storedOwner?: { deviceId: string; deviceIdType: DeviceIdType } | null;
}

/** What `eventsInputFrom` may be given besides config, stored events and consent. */
export interface EventsBoot {
  foreground?: boolean;
  settings?: Record<string, unknown>;
  storedOwner?: { deviceId: string; deviceIdType: DeviceIdType } | null;
}

export function eventsInputFrom(config: ResolvedConfig, storedEvents: WireEvent[], consent: ConsentState, boot?: EventsBoot): EventsInput {
  return {
    consent,
    threshold: config.eventQueueThreshold,
    limits: config.limits,
    visibilityTracking: config.experimental.visibilityTracking,
    previousNameRecording: config.experimental.previousNameRecording,
    storedEvents,
    foreground: boot?.foreground ?? true,
    settings: boot?.settings ?? {},
    storedOwner: boot?.storedOwner ?? null,
  };
}

export interface EventsContext {
  consent: ConsentState;
  /** Until the boot batch: the earlier device ID the stored events belong to (see EventsInput). */
  storedOwner: { deviceId: string; deviceIdType: DeviceIdType } | null;
  /** The configured threshold and limits: what applies when the server says nothing. */
  base: { threshold: number; limits: Limits };
  threshold: number;
  limits: Limits;
  /** Server `cet`: custom events may be recorded. */
  customEvents: boolean;
  /** Server `tracking`: anything may be recorded. */
  tracking: boolean;
  filters: EventFilters;
  visibilityTracking: boolean;
  previousNameRecording: boolean;
  /** Visible components (the lifecycle counter): `cly_v` is 1 while above 0. */
  visible: number;
  /** Recorded events not yet combined into a request, in order (also in the persisted store). */
  pending: WireEvent[];
  /** Running timed events: key → start instant. */
  timed: Record<string, Instant>;
  /** spec: peid — the ID of the last custom event, '' before the first. */
  previousEventId: string;
  /** spec: cly_pen — the key of the last custom event. */
  previousEventName: string;
  currentViewId: string;
  previousViewId: string;
  currentViewName: string;
  previousViewName: string;
}

/** `countly.events.record` (the API stamps `at` and the event `id`). */
export interface EventsRecordEvent {
  type: 'events.record';
  key: string;
  count?: number;
  sum?: number;
  dur?: number;
  segmentation?: Segmentation;
  at: Instant;
  id: string;
}

export type EventsBroadcast = Extract<
  Broadcast,
  {
    type:
      | 'consent.changing'
      | 'consent.changed'
      | 'identity.changing'
      | 'view.changed'
      | 'settings.updated'
      | 'app.visible'
      | 'app.hidden'
      | 'flush.requested'
      | 'session.ending';
  }
>;

/**
 * Several `events.record` calls made in one synchronous run of the host app, in call order.
 * The SDK hands a burst of records to the machine as one event (one macrostep, one storage
 * write) at the end of the run or before any other call, so call order is kept.
 */
export interface EventsRecordManyEvent {
  type: 'events.recordMany';
  records: ReadonlyArray<Omit<EventsRecordEvent, 'type'>>;
}

export type EventsEvent =
  | EventsRecordEvent
  | EventsRecordManyEvent
  /** An internal event from another machine (views, orientation, feedback, ...). */
  | RecordInternalEventCommand
  | { type: 'events.start'; key: string; at: Instant }
  | { type: 'events.end'; key: string; at: Instant; id: string; count?: number; sum?: number; segmentation?: Segmentation }
  | { type: 'events.cancel'; key: string }
  /** `queue.flushQueues()`: the pending events are discarded. */
  | { type: 'events.discardQueue' }
  | EventsBroadcast;

export type EventsCommand = Extract<Command, { type: 'events.persist' | 'events.unpersist' | 'events.clearStore' | 'request.enqueue' | 'log' }>;

/** The broadcasts the router must deliver to the events machine. */
export const eventsListensTo: readonly Broadcast['type'][] = Object.freeze([
  'consent.changing',
  'consent.changed',
  'identity.changing',
  'view.changed',
  'settings.updated',
  'app.visible',
  'app.hidden',
  'flush.requested',
  'session.ending',
] as const);

export function initialEventsContext(input: EventsInput): EventsContext {
  const base = { threshold: input.threshold, limits: { ...input.limits } };
  const { settings } = readEventSettings(input.settings ?? {}, base);
  return {
    consent: input.consent,
    storedOwner: input.storedOwner ?? null,
    base,
    threshold: settings.threshold,
    limits: settings.limits,
    customEvents: settings.customEvents,
    tracking: settings.tracking,
    filters: settings.filters,
    visibilityTracking: input.visibilityTracking,
    previousNameRecording: input.previousNameRecording,
    visible: input.foreground === false ? 0 : 1,
    pending: [...input.storedEvents],
    timed: {},
    previousEventId: '',
    previousEventName: '',
    currentViewId: '',
    previousViewId: '',
    currentViewName: '',
    previousViewName: '',
  };
}

// ---- pure steps: (context, ...) → new context + commands -------------------------------

interface Step {
  context: EventsContext;
  commands: EventsCommand[];
}

const logAt = (level: LogLevel, message: string): EventsCommand => ({ type: 'log', level, module: MODULE, message });
const warning = (message: string): EventsCommand => logAt('warning', message);
const debug = (message: string): EventsCommand => logAt('debug', message);

/** Combines pending events into requests: full batches only, or everything (`all`). */
function batch(c: EventsContext, all: boolean, identity?: { deviceId: string; deviceIdType: DeviceIdType }): Step {
  const { batches, rest } = cutBatches(c.pending, c.threshold, all);
  if (batches.length === 0) return { context: c, commands: [] };
  const commands: EventsCommand[] = [];
  for (const b of batches) {
    commands.push({ type: 'request.enqueue', params: batchParams(b), ...(identity ? { identity } : {}) });
    commands.push({ type: 'events.unpersist', ids: b.map((e) => e.id) });
  }
  return { context: { ...c, pending: rest }, commands };
}

/** What a record needs, from the public API, another machine or a timed event's end. */
interface RecordRequest {
  key: string;
  count?: unknown;
  sum?: unknown;
  dur?: unknown;
  segmentation?: unknown;
  /** The moment the event is recorded with (a timed event: its start). */
  at: Instant;
  id: string;
  extra?: Partial<Pick<WireEvent, 'pvid' | 'cvid'>>;
}

/**
 * spec: Events > recordEvent — every rule, in order: tracking, consent (the event's own
 * feature), `cet`, key limit, event filter, numbers, segmentation (limits and filters for
 * custom events; unsupported types dropped for all), the experimental keys, the IDs; then the
 * event is queued, persisted, and the queue is combined when the threshold is reached or the
 * event flushes at once.
 */
function record(c: EventsContext, fn: string, r: RecordRequest, owned = false): Step {
  // The API validates keys; this keeps a bad internal caller from stopping the actor.
  if (typeof r.key !== 'string' || r.key === '') return { context: c, commands: [warning(`${fn}, event key must be a non-empty string, got ${param(r.key)}; ignored`)] };
  if (!c.tracking) return { context: c, commands: [debug(`${fn}, tracking is disabled by the server settings; event ${param(r.key)} ignored`)] };
  const feature = consentFeatureFor(r.key, r.segmentation);
  if (!c.consent[feature]) {
    return { context: c, commands: [debug(`${fn}, consent for "${feature}" is not given; event ${param(r.key)} ignored`)] };
  }
  const custom = feature === 'events';
  if (custom && !c.customEvents) {
    return { context: c, commands: [debug(`${fn}, custom event tracking is disabled by the server settings; event ${param(r.key)} ignored`)] };
  }
  const commands: EventsCommand[] = [];
  let key = r.key;
  if (custom) {
    // spec: SDK Internal Limits — limits apply to custom events only.
    const cut = truncateKey(r.key, c.limits);
    key = cut.value;
    for (const w of cut.warnings) commands.push(warning(`${fn}, event ${w}`));
    if (!eventAllowed(c.filters, key)) {
      return { context: c, commands: [...commands, debug(`${fn}, event ${param(key)} is filtered out by the server settings; ignored`)] };
    }
  }
  const numbers = normalizeNumbers(r);
  for (const w of numbers.warnings) commands.push(warning(`${fn}, ${w}`));
  const clean = sanitizeSegmentation(r.segmentation, custom ? c.limits : NO_LIMITS);
  for (const w of clean.warnings) commands.push(warning(`${fn}, ${w}`));
  let segmentation = clean.segmentation;
  if (custom) {
    const filtered = filterSegmentation(c.filters, key, segmentation);
    segmentation = filtered.segmentation;
    if (filtered.removed.length > 0) {
      commands.push(debug(`${fn}, segmentation ${param(filtered.removed)} of event ${param(key)} removed by the server settings`));
    }
  }
  segmentation = withExperimentalKeys(c, key, custom, segmentation);

  const view = key === VIEW_EVENT_KEY;
  // spec: Events — pvid on view events, cvid on every other event, peid on custom events.
  const ids: Partial<Pick<WireEvent, 'pvid' | 'cvid' | 'peid'>> = view
    ? { pvid: r.extra?.pvid ?? c.currentViewId }
    : { cvid: r.extra?.cvid ?? c.currentViewId };
  if (custom) ids.peid = c.previousEventId;
  const event = buildWireEvent({ key, numbers: numbers.value, segmentation, at: r.at, id: r.id, ids });

  let next: EventsContext;
  if (owned) {
    // A burst (recordMany) works on its own copy of the context: append in place.
    next = c;
    next.pending.push(event);
    if (custom) {
      next.previousEventId = event.id;
      next.previousEventName = key;
    }
  } else {
    next = { ...c, pending: [...c.pending, event] };
    if (custom) next = { ...next, previousEventId: event.id, previousEventName: key };
  }
  commands.push({ type: 'events.persist', events: [event] });
  // spec: Immediate Flush Events — NPS, survey and push actions go at once.
  const out = batch(next, flushesAtOnce(key));
  return { context: out.context, commands: [...commands, ...out.commands] };
}

/**
 * spec: Experimental — `cly_v` on every event but view end events (internal events may bring
 * their own); `cly_pen` / `cly_cvn` on custom events; `cly_pvn` on view events unless the
 * view machine set it.
 */
function withExperimentalKeys(c: EventsContext, key: string, custom: boolean, given: Segmentation): Segmentation {
  const seg: Segmentation = { ...given };
  if (c.visibilityTracking && !isViewEndEvent(key, given) && (custom || !Object.hasOwn(given, 'cly_v'))) {
    seg.cly_v = c.visible > 0 ? 1 : 0;
  }
  if (c.previousNameRecording) {
    if (custom) {
      seg.cly_pen = c.previousEventName;
      seg.cly_cvn = c.currentViewName;
    } else if (key === VIEW_EVENT_KEY && !Object.hasOwn(given, 'cly_pvn')) {
      seg.cly_pvn = isViewEndEvent(key, given) ? c.previousViewName : c.currentViewName;
    }
  }
  return seg;
}

function startTimed(c: EventsContext, key: string, at: Instant): Step {
  if (Object.hasOwn(c.timed, key)) {
    return { context: c, commands: [warning(`start, timed event ${param(key)} is already running; call ignored`)] };
  }
  return { context: { ...c, timed: { ...c.timed, [key]: at } }, commands: [] };
}

const withoutTimed = (c: EventsContext, key: string): EventsContext => {
  const timed = { ...c.timed };
  delete timed[key];
  return { ...c, timed };
};

/**
 * spec: Timed Events > endEvent — recorded with the start's timestamp, hour and day of week;
 * dur = end − start in seconds. Without consent the call returns and the timed event keeps
 * running (spec: "the call silently returns without recording").
 */
function endTimed(c: EventsContext, e: Extract<EventsEvent, { type: 'events.end' }>): Step {
  const start = Object.hasOwn(c.timed, e.key) ? c.timed[e.key] : undefined;
  if (start === undefined) return { context: c, commands: [warning(`end, no timed event ${param(e.key)} is running; call ignored`)] };
  const feature = consentFeatureFor(e.key, e.segmentation);
  if (!c.consent[feature]) {
    return { context: c, commands: [debug(`end, consent for "${feature}" is not given; timed event ${param(e.key)} not recorded`)] };
  }
  const dur = Math.max(0, (e.at.timestamp - start.timestamp) / 1000);
  return record(withoutTimed(c, e.key), 'end', { key: e.key, count: e.count, sum: e.sum, dur, segmentation: e.segmentation, at: start, id: e.id });
}

function cancelTimed(c: EventsContext, key: string): Step {
  if (!Object.hasOwn(c.timed, key)) return { context: c, commands: [warning(`cancel, no timed event ${param(key)} is running; call ignored`)] };
  return { context: withoutTimed(c, key), commands: [] };
}

function applySettings(c: EventsContext, raw: Record<string, unknown>): Step {
  const { settings, rejected } = readEventSettings(raw, c.base);
  const next: EventsContext = {
    ...c,
    threshold: settings.threshold,
    limits: settings.limits,
    customEvents: settings.customEvents,
    tracking: settings.tracking,
    filters: settings.filters,
  };
  const commands = rejected.map((key) => warning(`settings, invalid ${key} ${param(raw[key])} ignored`));
  // A lower `eqs` may leave full batches waiting.
  const out = batch(next, false);
  return { context: out.context, commands: [...commands, ...out.commands] };
}

type Handler = (c: EventsContext, e: EventsEvent) => Step;
/** The event a handler is wired to (the machine config names it). */
type Of<T extends EventsEvent['type']> = Extract<EventsEvent, { type: T }>;

const apply = (fn: Handler) =>
  enqueueActions<EventsContext, EventsEvent, undefined, EventsEvent, never, never, never, never, EventsCommand>(({ context, event, enqueue }) => {
    const result = fn(context, event);
    if (result.context !== context) enqueue.assign(result.context);
    for (const command of result.commands) enqueue.emit(command);
  });

const unchanged = (c: EventsContext): Step => ({ context: c, commands: [] });

export const eventsMachine = setup({
  types: {
    context: {} as EventsContext,
    events: {} as EventsEvent,
    input: {} as EventsInput,
    emitted: {} as EventsCommand,
  },
  guards: {
    hasPending: ({ context }) => context.pending.length > 0,
    isEmpty: ({ context }) => context.pending.length === 0,
  },
  actions: {
    /** At boot the stored events are recombined: full batches go at once. */
    batchStored: apply((c) => {
      if (c.storedOwner === null) return batch(c, false);
      const out = batch({ ...c, storedOwner: null }, true, c.storedOwner);
      return { context: out.context, commands: [debug(`createCountly, stored events of the cleared device ID ${param(c.storedOwner.deviceId)} queued under it`), ...out.commands] };
    }),
    recordPublic: apply((c, e) => record(c, 'record', e as Of<'events.record'>)),
    /** The same steps as one `record` per entry; consecutive persists become one command. */
    recordMany: apply((c, e) => {
      // The working copy is this action's own: the actor's context is never changed in place.
      let context: EventsContext = { ...c, pending: [...c.pending] };
      const commands: EventsCommand[] = [];
      let run: WireEvent[] | null = null;
      for (const r of (e as Of<'events.recordMany'>).records) {
        const step = record(context, 'record', r, true);
        context = step.context;
        for (const cmd of step.commands) {
          if (cmd.type === 'events.persist') {
            if (run === null) {
              run = [];
              commands.push({ type: 'events.persist', events: run });
            }
            run.push(...cmd.events);
          } else {
            commands.push(cmd);
            run = null;
          }
        }
      }
      return { context, commands };
    }),
    recordInternal: apply((c, e) => record(c, 'record', e as Of<'event.record'>)),
    start: apply((c, e) => startTimed(c, (e as Of<'events.start'>).key, (e as Of<'events.start'>).at)),
    end: apply((c, e) => endTimed(c, e as Of<'events.end'>)),
    cancel: apply((c, e) => cancelTimed(c, (e as Of<'events.cancel'>).key)),
    flushAll: apply((c) => batch(c, true)),
    /** Losing any consent: what was recorded under it is queued before the change applies. */
    flushBeforeConsentLoss: apply((c, e) => {
      const { before, after } = e as Of<'consent.changing'>;
      const loses = (Object.keys(before) as Array<keyof ConsentState>).some((f) => before[f] && !after[f]);
      return loses ? batch(c, true) : unchanged(c);
    }),
    storeConsent: apply((c, e) => ({ context: { ...c, consent: (e as Of<'consent.changed'>).after }, commands: [] })),
    /** spec: Timed Events — cleared on a device ID change without merge. */
    clearTimed: apply((c) => {
      const running = Object.keys(c.timed).length;
      if (running === 0) return unchanged(c);
      return { context: { ...c, timed: {} }, commands: [debug(`identity, device ID changes without merge; ${running} timed event(s) cleared`)] };
    }),
    discard: apply((c) => ({ context: { ...c, pending: [] }, commands: [{ type: 'events.clearStore' }] })),
    trackView: apply((c, e) => {
      const v = e as Of<'view.changed'>;
      return {
        context: {
          ...c,
          currentViewId: v.currentViewId,
          previousViewId: v.previousViewId,
          currentViewName: v.currentViewName,
          previousViewName: v.previousViewName,
        },
        commands: [],
      };
    }),
    applySettings: apply((c, e) => applySettings(c, (e as Of<'settings.updated'>).settings)),
    countForeground: apply((c) => ({ context: { ...c, visible: c.visible + 1 }, commands: [] })),
    countBackground: apply((c) => ({ context: { ...c, visible: Math.max(0, c.visible - 1) }, commands: [] })),
  },
}).createMachine({
  id: 'events',
  context: ({ input }) => initialEventsContext(input),
  entry: 'batchStored',
  initial: 'empty',
  on: {
    'events.record': { actions: 'recordPublic' },
    'events.recordMany': { actions: 'recordMany' },
    'event.record': { actions: 'recordInternal' },
    'events.start': { actions: 'start' },
    'events.end': { actions: 'end' },
    'events.cancel': { actions: 'cancel' },
    'events.discardQueue': { actions: 'discard' },
    'flush.requested': { actions: 'flushAll' },
    // A session is about to end: its events go before its end_session.
    'session.ending': { actions: 'flushAll' },
    // Events recorded under the old device ID are queued before it changes.
    'identity.changing': { actions: ['flushAll', 'clearTimed'] },
    'consent.changing': { actions: 'flushBeforeConsentLoss' },
    'consent.changed': { actions: 'storeConsent' },
    'view.changed': { actions: 'trackView' },
    'settings.updated': { actions: 'applySettings' },
    'app.visible': { actions: 'countForeground' },
    // Going to the background queues what the session recorded before its end_session.
    'app.hidden': { actions: ['countBackground', 'flushAll'] },
  },
  states: {
    empty: {
      always: { guard: 'hasPending', target: 'holding' },
    },
    holding: {
      always: { guard: 'isEmpty', target: 'empty' },
    },
  },
});
