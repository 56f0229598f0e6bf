/**
 * The state of the events feature (spec 001: Events l. 878-1020, Event Queue l. 389-393):
 * what the events machine holds in its context, what it starts from, and what its pure steps
 * (`./events-steps.ts`) ask for. Plain, JSON-serializable data.
 */
import type { Limits } from '../config.js';
import type { BehaviorSettings } from './behavior-settings.js';
import { eventSettingsFrom, type EventFilters, type EventSettingsBase } from './events.js';
import type { ConsentState, DeviceIdType, Instant, LogLevel, Segmentation, WireEvent } from './types.js';

export interface EventsIdentity {
  deviceId: string;
  deviceIdType: DeviceIdType;
}

export interface EventsInput {
  consent: ConsentState;
  /** `eventQueueThreshold` from config (the server's `eqs` overrides it). */
  threshold: number;
  /**
   * `sessionUpdateInterval` from config, in seconds (the server's `sui` overrides it): the
   * longest a recorded event waits before it is combined into a request, in every session mode.
   */
  flushIntervalSeconds: number;
  limits: Limits;
  /** experimental.visibilityTracking: `cly_v` on events. */
  visibilityTracking: boolean;
  /** experimental.previousNameRecording: `cly_pen` / `cly_cvn` on custom events, `cly_pvn` on view events. */
  previousNameRecording: boolean;
  /** The persisted event queue as read at boot, in order. */
  storedEvents: WireEvent[];
  /** Whether the app is in the foreground at boot (default: yes). */
  foreground?: boolean;
  /** Behavior settings known at boot (provided and stored), decoded. */
  settings?: BehaviorSettings;
  /**
   * The device ID the stored events were recorded under, when `clearStoredDeviceId` replaced it
   * at this init: they go out under it (spec l. 2198: what the old ID had pending is flushed
   * before it is cleared).
   */
  storedOwner?: EventsIdentity | null;
}

export interface EventsContext {
  consent: ConsentState;
  /** Until the boot batch: the earlier device ID the stored events belong to (see EventsInput). */
  storedOwner: EventsIdentity | null;
  /** The configured threshold, limits and interval: what applies when the server says nothing. */
  base: EventSettingsBase;
  threshold: number;
  /** Seconds a waiting event may wait at most (the `flushInterval` delay). */
  flushIntervalSeconds: number;
  limits: Limits;
  /** Server `cet`: custom events may be recorded. */
  customEvents: boolean;
  /** Server `tracking`: anything may be recorded. */
  tracking: boolean;
  filters: EventFilters;
  /** Server `jte`: custom event keys whose recording refreshes the content zone (broadcast `journey.triggered`). */
  journeyTriggers: readonly string[];
  visibilityTracking: boolean;
  previousNameRecording: boolean;
  /** What the lifecycle machine last said (`app.visible` / `app.hidden`): `cly_v`. */
  foreground: boolean;
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

/** What a step asks for; each is a `Command` of the same shape (the machine's `emit` checks it). */
export type EventsOutput =
  | { type: 'events.persist'; events: WireEvent[] }
  | { type: 'events.unpersist'; ids: string[] }
  | { type: 'events.clearStore' }
  | { type: 'request.enqueue'; params: Record<string, string>; identity?: EventsIdentity }
  | { type: 'log'; level: LogLevel; module: string; message: string }
  /** Right before batches are queued: other features queue what must go first (pending user details). */
  | { type: 'broadcast'; event: { type: 'events.batching' } | { type: 'journey.triggered'; key: string; at: Instant } };

/** A pure step: the next context and what to emit, in order. */
export interface Step {
  context: EventsContext;
  commands: EventsOutput[];
}

/** What a record needs, from the public API, another machine or a timed event's end. */
export interface RecordRequest {
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

/** A timed event's end, as the namespace sends it. */
export interface EndRequest {
  key: string;
  at: Instant;
  id: string;
  count?: number;
  sum?: number;
  segmentation?: Segmentation;
}

export function initialEventsContext(input: EventsInput): EventsContext {
  const base: EventSettingsBase = { threshold: input.threshold, limits: { ...input.limits }, flushIntervalSeconds: input.flushIntervalSeconds };
  return {
    consent: input.consent,
    storedOwner: input.storedOwner ?? null,
    base,
    ...eventSettingsFrom(input.settings ?? {}, base),
    journeyTriggers: input.settings?.jte ?? [],
    visibilityTracking: input.visibilityTracking,
    previousNameRecording: input.previousNameRecording,
    foreground: input.foreground !== false,
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
