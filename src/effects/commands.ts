/**
 * The typed commands: the only way a machine asks for I/O. Machines `emit()` them; the
 * effect pipeline (`run-effects.ts`) performs them against the adapters and feeds the
 * results back to the machines as events (`EffectResult`).
 *
 * Names are `target.verb`; results are past tense (`transport.succeeded`).
 */
import type { BehaviorSettings } from '../domain/behavior-settings.js';
import type { RequestRoute } from '../domain/response.js';
import type { DeviceIdType, Instant, LogLevel, WireEvent, ConsentState } from '../domain/types.js';

/** Queue a request. The queue effect stamps the base params with the identity current *now*. */
export interface RequestEnqueueCommand {
  type: 'request.enqueue';
  /** The feature params (`begin_session`, `events`, `consent`, ...), already strings. */
  params: Record<string, string>;
  /** When the data was recorded; default: when the command is performed. */
  at?: Instant;
  /** Another endpoint than `/i` (spec: Custom Endpoint Override), e.g. `/o/sdk`. */
  endpoint?: string;
  /**
   * Stamp the request with this identity instead of the current one: data an earlier device ID
   * recorded, which `clearStoredDeviceId` replaced before it was sent.
   */
  identity?: { deviceId: string; deviceIdType: DeviceIdType };
  /**
   * Add the `metrics` param, read from the platform now, right after `begin_session`
   * (spec: Device Metrics — "fetched from device on demand"): the machine does no I/O. An
   * object: overrides applied last, after the config's `metricOverride` (`metrics.record`).
   */
  metrics?: true | Readonly<Record<string, string>>;
}

/** Queue operations on the persisted request queue. */
export type RequestQueueCommand =
  | RequestEnqueueCommand
  /** Rewrite `device_id` of queued requests (leaving temporary-ID mode). */
  /** Gives queued requests of `from` the device ID `to` and, when named, its type (`t`). */
  | { type: 'requests.rewriteDeviceId'; from: string; to: string; deviceIdType?: DeviceIdType }
  /** Drop queued requests whose `device_id` is `deviceId` (orphaned temporary requests). */
  | { type: 'requests.removeDeviceId'; deviceId: string }
  | { type: 'requests.clear' }
  | { type: 'requests.replaceAppKey' }
  | { type: 'requests.removeOtherAppKeys' }
  /** spec: Queue Size Limit — keep at most `max` requests, dropping the oldest (at boot, or on the server's `rqs`). */
  | { type: 'requests.setMaxSize'; max: number; reason: 'boot' | 'settings' };

/** The persisted event queue: the events machine mirrors it and asks for writes. */
export type EventStoreCommand =
  | { type: 'events.persist'; events: WireEvent[] }
  | { type: 'events.unpersist'; ids: string[] }
  | { type: 'events.clearStore' };

/** Small keyed state (device ID, settings, counters). Values are JSON-serialized by the effect. */
export type KeyValueCommand =
  | { type: 'storage.set'; key: string; value: unknown }
  | { type: 'storage.delete'; key: string };

/** The request processor's I/O. */
export type TransportCommand =
  /** Send the head of the request queue (the effect reads it, drops it if too old, sends it). */
  | { type: 'transport.sendHead'; dropAgeHours: number }
  /** Remove a delivered request from the queue. */
  | { type: 'requests.remove'; seq: number }
  /** Move a request the server will never accept out of the queue into the dead-letter store. */
  | { type: 'requests.deadLetter'; seq: number; reason: string }
  /**
   * The page is going away: hand the queue, head first, to `Transport.sendOnExit` now
   * (synchronously) and remove what it accepted, so the next visit does not send it again.
   */
  | { type: 'requests.handOff' };

/** Download the SDK behavior settings (`/o/sdk?method=sc`), directly, not through the queue. */
export interface SettingsFetchCommand {
  type: 'settings.fetch';
}

/**
 * An immediate request (spec: "directly sent to the server, they will not be added to the
 * request queue"): remote config, A/B testing, feedback widgets, content, the health check.
 * The direct effect stamps the base params with the identity current *now*, sends at once, and
 * answers `direct.answered` (any HTTP status) or `direct.failed` (not sent, or no answer).
 * Nothing goes out in temporary-ID or offline mode or while the server disabled networking.
 * `tag` names the asking feature and call (`rc:3`): every listener of the results checks it.
 */
export interface DirectRequestCommand {
  type: 'direct.request';
  tag: string;
  /** `/o/sdk`, `/o/sdk/content`, `/i`, `/o/surveys/nps/widget`, ... */
  endpoint: string;
  /** The feature params, already strings. */
  params: Record<string, string>;
  /** Always GET, whatever `httpPostForced` says (feedback widget data). */
  get?: boolean;
  /** Adds the platform's `metrics` JSON, read when it is sent (remote config with `sessions` consent). */
  metrics?: true;
}

/**
 * Calls developer callbacks registered in the instance's callback registry
 * (`ApiContext.callbacks`): a one-shot `token` (`callbacks.once`) or a channel every
 * `callbacks.on(channel)` listener hears. Machines carry tokens, never functions. Called after
 * the current transition, each call guarded: a throwing callback is logged, nothing else.
 */
export interface CallbackInvokeCommand {
  type: 'callback.invoke';
  /** A token from `callbacks.once` or a channel name. */
  token: string;
  args: readonly unknown[];
}

/** Forgets one-shot callbacks that will never be called (a present that failed: its `onClosed`). */
export interface CallbackReleaseCommand {
  type: 'callback.release';
  tokens: readonly string[];
}

/** The server's `log` setting for console output (`null`: the developer's `logging` again). */
export interface LogConfigureCommand {
  type: 'log.configure';
  console: boolean | null;
}

/** A message for the logger (machines never print). */
export interface LogCommand {
  type: 'log';
  level: LogLevel;
  module: string;
  message: string;
}

/**
 * A fact other machines may react to. `router.ts` decides who hears it; the effect
 * pipeline only forwards it. This is how features talk without knowing each other.
 */
export type Broadcast =
  | { type: 'identity.changed'; deviceId: string; deviceIdType: DeviceIdType; merged: boolean; previousId: string | null }
  /** Sent *before* a device ID change without merge: flush what belongs to the old ID. */
  | { type: 'identity.changing'; from: string; to: string }
  | { type: 'consent.changing'; before: ConsentState; after: ConsentState }
  | { type: 'consent.changed'; before: ConsentState; after: ConsentState }
  /** Right before a `begin_session` / `session_duration` update is queued: queued events go first (spec: Sessions). */
  | { type: 'session.beginning'; at: Instant }
  | { type: 'session.updating'; at: Instant }
  | { type: 'session.began'; at: Instant }
  /** Right before an `end_session` is queued: what the session recorded is queued first. */
  | { type: 'session.ending'; at: Instant }
  | { type: 'session.ended'; at: Instant }
  | { type: 'view.changed'; currentViewId: string; previousViewId: string; currentViewName: string; previousViewName: string }
  | { type: 'backoff.started'; untilMs: number }
  | { type: 'backoff.ended' }
  | { type: 'flush.requested'; at: Instant }
  /** Right before the events machine batches queued events into a request: pending user details go first (spec: User Profiles). */
  | { type: 'events.batching'; at?: Instant }
  /** The request processor ended a `queue.flush()`. */
  | { type: 'flush.finished'; flushId: number; delivered: number; failed: boolean }
  /**
   * What the next `begin_session` must carry for location (spec: Recording Location):
   * `{}` nothing to add, `{ location: '' }` opted out, or `country_code`/`city`/`location`/`ip_address`.
   */
  | { type: 'location.changed'; params: Record<string, string> }
  /** SDK behavior settings (spec: SDK Behavior Settings): provided, stored or downloaded. */
  | { type: 'settings.updated'; settings: BehaviorSettings }
  /** The app became visible (0→1 visible components) / hidden (1→0); only the lifecycle machine says so. */
  | { type: 'app.visible'; at: Instant }
  | { type: 'app.hidden'; at: Instant }
  /** Requests may / may not be sent (temporary-ID mode, offline mode). */
  | { type: 'sending.hold'; reason: 'temporary-id' | 'offline' }
  /** A server-driven overlay is on screen / gone (a feedback widget or content): content is not fetched meanwhile (spec: Content Zone). */
  | { type: 'overlay.shown'; by: 'feedback' | 'content' }
  | { type: 'overlay.closed'; by: 'feedback' | 'content' }
  /** A custom event whose key is in the server's `jte` list was recorded (spec: SDK Behavior Settings, jte): the content zone refreshes. */
  | { type: 'journey.triggered'; key: string; at: Instant }
  /** The SDK logged errors or warnings since the last such broadcast (the health check counts them: spec: Health Checks). */
  | { type: 'log.problems'; errors: number; warnings: number }
  /**
   * The page is going away (`Platform.onExit`, browser `pagehide`), after `app.hidden` for the
   * same moment: the request processor hands the queue to the transport to outlive the page.
   */
  | { type: 'app.exiting'; at: Instant }
  /** `shutdown()` began: the last moment to persist (the health check saves its counters, spec: Health Checks > saveState). */
  | { type: 'sdk.stopping'; at?: Instant }
  | { type: 'sending.release'; reason: 'temporary-id' | 'offline' };

export interface BroadcastCommand {
  type: 'broadcast';
  event: Broadcast;
}

/** An internal event to record through the events feature (views, orientation, feedback, ...). */
export interface RecordInternalEventCommand {
  type: 'event.record';
  key: string;
  count?: number;
  sum?: number;
  dur?: number;
  segmentation?: Record<string, unknown>;
  /** When it happened (for view end events: when the view ended). */
  at: Instant;
  /** The event ID (view events use the view ID). */
  id: string;
  /** Extra wire fields of internal events (`pvid`). */
  extra?: Partial<Pick<WireEvent, 'pvid' | 'cvid'>>;
}

export type Command =
  | RequestQueueCommand
  | EventStoreCommand
  | KeyValueCommand
  | TransportCommand
  | LogCommand
  | LogConfigureCommand
  | BroadcastCommand
  | RecordInternalEventCommand
  | SettingsFetchCommand
  | DirectRequestCommand
  | CallbackInvokeCommand
  | CallbackReleaseCommand
  | FeatureCommands[keyof FeatureCommands];

/**
 * Commands and effect results a feature declares for its own effects, from its own folder, by
 * declaration merging — no edit here:
 *
 * ```ts
 * declare module '../../effects/commands.js' {
 *   interface FeatureCommands { crashes: CrashCommand }
 *   interface FeatureResults { crashes: CrashResult }
 * }
 * ```
 * Each entry's value is that feature's union; the key only keeps entries apart.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FeatureCommands {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface FeatureResults {}

export type CommandType = Command['type'];

/** What effects feed back to machines. */
export type EffectResult =
  | {
      type: 'transport.succeeded';
      seq: number;
      /** Where the request went (`/i` unless overridden) and its `method`: the success rule depends on it. */
      route?: RequestRoute;
      status: number;
      body: string;
      elapsedMs: number;
      /** when the request was created (ms), for the backoff age check */
      createdAt: number;
      /** when the answer arrived (ms, injected clock) */
      completedAt: number;
      queueLength: number;
    }
  | {
      type: 'transport.failed';
      seq: number;
      reason: string;
      /** Not sent at all: sending went on hold (temporary ID, offline, networking off) before it left. */
      withheld?: true;
      elapsedMs: number;
      createdAt: number;
      completedAt: number;
      queueLength: number;
    }
  /** `transport.sendHead` found nothing to send (empty queue, or every head too old and dropped). */
  | { type: 'transport.idle'; queueLength: number }
  | { type: 'queue.changed'; requests: number; events: number }
  | { type: 'settings.fetched'; settings: Record<string, unknown> }
  /** A `direct.request` was answered (any status; the asking machine judges the body). */
  | { type: 'direct.answered'; tag: string; status: number; body: string }
  /** A `direct.request` was not sent (`withheld`: sending is on hold) or got no answer (`network`). */
  | { type: 'direct.failed'; tag: string; kind: 'withheld' | 'network'; reason: string }
  | { type: 'settings.fetchFailed'; reason: string }
  | FeatureResults[keyof FeatureResults];
