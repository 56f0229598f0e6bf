/**
 * What every public namespace (`src/api/*.ts`) is given by `sdk.ts`. A namespace validates
 * its arguments, logs the call, and sends one event to a machine; it never touches storage,
 * the network or a machine's context directly.
 */
import type { AnyActorRef, EventObject, SnapshotFrom } from 'xstate';
import type { ResolvedConfig } from '../config.js';
import type { Instant, Segmentation } from '../domain/types.js';
import type { Broadcast, RequestQueueCommand, EventStoreCommand } from '../effects/commands.js';
import type { Logger } from '../log.js';
import type { CountlyState } from '../state.js';

/** The name of each feature's top-level actor (`countly.actors[name]`). */
export type ActorName =
  | 'deviceId'
  | 'consent'
  | 'location'
  | 'session'
  | 'views'
  | 'events'
  | 'processor'
  | 'backoff'
  | 'settings';

/** What `events.record` accepted, before the SDK stamps time and ID. */
export interface RecordFields {
  key: string;
  count: number | undefined;
  sum: number | undefined;
  dur: number | undefined;
  segmentation: Segmentation | undefined;
}

export interface ApiContext {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  /** The current moment as a unique ms timestamp with hour/dow/tz (spec: Recording Time of Data). */
  now(): Instant;
  /** A fresh UUID v4 (`crypto.randomUUID()`), for generated device IDs. */
  newId(): string;
  /** A fresh event or view ID: random base64url + ms timestamp (spec: Event ID Generation). */
  eventId(): string;
  /**
   * Sends an event to a feature's actor. Before `ready` the call is kept and replayed, in
   * call order, once storage is loaded and the device ID acquired.
   */
  send(target: ActorName, event: EventObject): void;
  /**
   * Hands a validated `events.record` call to the events machine. The SDK reads the clock
   * now and stamps the unique timestamp and the event ID when it hands the call over (at the
   * end of the current run, or before anything else happens), in call order.
   */
  record(fields: RecordFields): void;
  /**
   * Delivers a cross-feature fact (e.g. `app.foreground`) to every machine that listens, as
   * `router.ts` says. Before `ready` it is kept and replayed like `send`.
   */
  broadcast(event: Broadcast): void;
  /**
   * Performs a queue operation directly (`queue.flushQueues`, `addDirectRequest`, ...): these
   * are plain data operations with no state for a machine to decide. Kept until ready.
   */
  command(command: RequestQueueCommand | EventStoreCommand): void;
  /** The current snapshot of a feature's actor (after boot). */
  snapshot<T extends AnyActorRef = AnyActorRef>(target: ActorName): SnapshotFrom<T>;
  /** The SDK state as `getState()` returns it. */
  state(): CountlyState;
  /** True once `ready` resolved. */
  isReady(): boolean;
}
