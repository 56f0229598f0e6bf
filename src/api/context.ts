/**
 * What every public namespace (`src/api/*.ts`) is given by `sdk.ts`. A namespace validates
 * its arguments, logs the call, and sends one event to a machine; it never touches storage,
 * the network or a machine's context directly.
 */
import type { AnyActorRef, EventObject, SnapshotFrom } from 'xstate';
import type { ResolvedConfig } from '../config.js';
import type { Instant } from '../domain/types.js';
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

export interface ApiContext {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  /** The current moment as a unique ms timestamp with hour/dow/tz (spec: Recording Time of Data). */
  now(): Instant;
  /** A fresh random ID (`crypto.randomUUID()`), for event IDs and view IDs. */
  newId(): string;
  /**
   * Sends an event to a feature's actor. Before `ready` the call is kept and replayed, in
   * call order, once storage is loaded and the device ID acquired.
   */
  send(target: ActorName, event: EventObject): void;
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
