/**
 * Events (spec 001: Events l. 779-1020, Event Queue l. 389-393, Experimental): the recording
 * rules, the event queue and its batching into `events=[...]` requests, and timed events.
 * The rules are pure steps in `src/domain/events-steps.ts`; this chart decides when each runs.
 *
 * Every accepted event is persisted at once (`events.persist`), so a crash between record
 * and batch loses nothing; when events are combined into a request, the machine emits
 * `request.enqueue` and then `events.unpersist` for them (the request is written before the
 * events are removed).
 *
 * States follow the pending list:
 * - `empty`    nothing waits
 * - `holding`  events wait for the threshold (l. 937), a flush, a session request, or the
 *              `flushInterval` delay, armed when the first event starts waiting:
 *              `sessionUpdateInterval` seconds (the server's `sui` overrides it), in every
 *              session mode. When it fires, everything pending goes.
 *
 * When queued events go into a request besides the threshold: at boot (stored events),
 * right before every session request (`session.beginning`, `session.updating`,
 * `session.ending`), `flush.requested`, `app.hidden`, `identity.changing`, the loss of any
 * consent, and the immediate-flush internal events (l. 941).
 *
 * Consent is checked when an event is recorded: an event recorded while its consent was
 * given goes out even if that consent is removed before the queue is flushed.
 */
import { enqueueActions, setup } from 'xstate';
import type { ResolvedConfig } from '../../config.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import type { EndRequest, EventsContext, EventsIdentity, EventsInput, RecordRequest, Step } from '../../domain/events-state.js';
import { initialEventsContext } from '../../domain/events-state.js';
import {
  applySettings,
  bootFlush,
  cancelTimed,
  consentChanged,
  consentChanging,
  discard,
  endTimed,
  flush,
  identityChanging,
  record,
  recordMany,
  setForeground,
  startTimed,
  viewChanged,
} from '../../domain/events-steps.js';
import type { ConsentState, Instant, Segmentation, WireEvent } from '../../domain/types.js';
import type { Broadcast, Command, RecordInternalEventCommand } from '../../effects/commands.js';

export type { EventsContext, EventsInput } from '../../domain/events-state.js';

/** What `eventsInputFrom` may be given besides config, stored events and consent. */
export interface EventsBoot {
  foreground?: boolean;
  settings?: BehaviorSettings;
  storedOwner?: EventsIdentity | null;
}

export function eventsInputFrom(config: ResolvedConfig, storedEvents: WireEvent[], consent: ConsentState, boot?: EventsBoot): EventsInput {
  return {
    consent,
    threshold: config.eventQueueThreshold,
    flushIntervalSeconds: config.sessionUpdateIntervalSeconds,
    limits: config.limits,
    visibilityTracking: config.experimental.visibilityTracking,
    previousNameRecording: config.experimental.previousNameRecording,
    storedEvents,
    foreground: boot?.foreground ?? true,
    settings: boot?.settings ?? {},
    storedOwner: boot?.storedOwner ?? null,
  };
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

/**
 * Several `events.record` calls made in one synchronous run of the host app, in call order.
 * The SDK hands a burst of records to the machine as one event (one macrostep, one storage
 * write) at the end of the run or before any other call, so call order is kept.
 */
export interface EventsRecordManyEvent {
  type: 'events.recordMany';
  records: ReadonlyArray<Omit<EventsRecordEvent, 'type'>>;
}

/** The broadcasts the router must deliver to the events machine. */
export const eventsListensTo = /* @__PURE__ */ Object.freeze([
  'consent.changing',
  'consent.changed',
  'identity.changing',
  'view.changed',
  'settings.updated',
  'app.visible',
  'app.hidden',
  'flush.requested',
  'session.beginning',
  'session.updating',
  'session.ending',
] as const satisfies readonly Broadcast['type'][]);

export type EventsBroadcast = Extract<Broadcast, { type: (typeof eventsListensTo)[number] }>;

export type EventsEvent =
  | EventsRecordEvent
  | EventsRecordManyEvent
  /** An internal event from another machine (views, orientation, feedback, ...). */
  | RecordInternalEventCommand
  | { type: 'events.start'; key: string; at: Instant }
  | ({ type: 'events.end' } & EndRequest)
  | { type: 'events.cancel'; key: string }
  /** `queue.flushQueues()`: the pending events are discarded. */
  | { type: 'events.discardQueue' }
  | EventsBroadcast;

export type EventsCommand = Extract<Command, { type: 'events.persist' | 'events.unpersist' | 'events.clearStore' | 'request.enqueue' | 'log' | 'broadcast' }>;

/** An action that runs a pure step with its typed params and emits what the step asks for. */
const step = <P = undefined>(fn: (c: EventsContext, params: P) => Step) =>
  enqueueActions<EventsContext, EventsEvent, P, EventsEvent, never, never, never, never, EventsCommand>(({ context, enqueue }, params) => {
    const result = fn(context, params);
    if (result.context !== context) enqueue.assign(result.context);
    for (const command of result.commands) enqueue.emit(command);
  });

export const eventsMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as EventsContext,
      events: {} as EventsEvent,
      input: {} as EventsInput,
      emitted: {} as EventsCommand,
    },
    delays: {
      /** The longest an event waits for its request (armed on entering `holding`). */
      flushInterval: ({ context }) => context.flushIntervalSeconds * 1000,
    },
    guards: {
      hasPending: ({ context }) => context.pending.length > 0,
      isEmpty: ({ context }) => context.pending.length === 0,
    },
    actions: {
      bootFlush: step((c) => bootFlush(c)),
      record: step((c, r: RecordRequest) => record(c, 'record', r)),
      recordMany: step((c, p: { records: readonly RecordRequest[] }) => recordMany(c, p.records)),
      start: step((c, p: { key: string; at: Instant }) => startTimed(c, p.key, p.at)),
      end: step((c, p: EndRequest) => endTimed(c, p)),
      cancel: step((c, p: { key: string }) => cancelTimed(c, p.key)),
      flush: step((c) => flush(c)),
      discard: step((c) => discard(c)),
      identityChanging: step((c) => identityChanging(c)),
      consentChanging: step((c, p: { before: ConsentState; after: ConsentState }) => consentChanging(c, p)),
      consentChanged: step((c, p: { after: ConsentState }) => consentChanged(c, p.after)),
      viewChanged: step((c, p: Parameters<typeof viewChanged>[1]) => viewChanged(c, p)),
      applySettings: step((c, p: { settings: BehaviorSettings }) => applySettings(c, p.settings)),
      setForeground: step((c, p: { foreground: boolean }) => setForeground(c, p.foreground)),
    },
  }).createMachine({
    id: 'events',
    context: ({ input }) => initialEventsContext(input),
    // spec l. 389-393 / verification item 15: events stored by an earlier run go out at boot.
    entry: 'bootFlush',
    initial: 'empty',
    on: {
      'events.record': { actions: { type: 'record', params: ({ event }) => event } },
      'events.recordMany': { actions: { type: 'recordMany', params: ({ event }) => event } },
      'event.record': { actions: { type: 'record', params: ({ event }) => event } },
      'events.start': { actions: { type: 'start', params: ({ event }) => event } },
      'events.end': { actions: { type: 'end', params: ({ event }) => event } },
      'events.cancel': { actions: { type: 'cancel', params: ({ event }) => event } },
      'events.discardQueue': { actions: 'discard' },
      'flush.requested': { actions: 'flush' },
      // Right before the session machine queues begin_session / session_duration / end_session:
      // the events recorded so far go first (spec l. 1224-1265), in every session mode.
      'session.beginning': { actions: 'flush' },
      'session.updating': { actions: 'flush' },
      'session.ending': { actions: 'flush' },
      // Events recorded under the old device ID are queued before it changes.
      'identity.changing': { actions: 'identityChanging' },
      'consent.changing': { actions: { type: 'consentChanging', params: ({ event }) => event } },
      'consent.changed': { actions: { type: 'consentChanged', params: ({ event }) => event } },
      'view.changed': { actions: { type: 'viewChanged', params: ({ event }) => event } },
      'settings.updated': { actions: { type: 'applySettings', params: ({ event }) => event } },
      // The lifecycle machine says 0→1 / 1→0 visible components; hidden queues what was recorded.
      'app.visible': { actions: { type: 'setForeground', params: { foreground: true } } },
      'app.hidden': { actions: [{ type: 'setForeground', params: { foreground: false } }, 'flush'] },
    },
    states: {
      empty: {
        always: { guard: 'hasPending', target: 'holding' },
      },
      holding: {
        always: { guard: 'isEmpty', target: 'empty' },
        after: { flushInterval: { target: 'empty', actions: 'flush' } },
      },
    },
}))();
