/**
 * What the runtime gives the public namespaces. A namespace validates its arguments, logs the
 * call, and sends one event to a machine; it never touches storage, the network or a
 * machine's context directly. Each feature's namespace gets a `FeatureContext` (see
 * `forFeature`): the same context with a typed line to its own actor.
 */
import type { AnyActorRef, AnyStateMachine, EventObject, SnapshotFrom } from 'xstate';
import type { ResolvedConfig } from '../config.js';
import type { Instant, Segmentation } from '../domain/types.js';
import type { Broadcast, RequestQueueCommand, EventStoreCommand } from '../effects/commands.js';
import type { AnyFeature, FeatureContext } from '../features/define.js';
import type { ActorName } from '../features/order.js';
import type { Logger } from '../log.js';
import type { CountlyState } from '../state.js';
import type { CallbackRegistry } from './callbacks.js';

export type { ActorName };

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
  /**
   * The developer's callbacks: register a one-shot callback (`once`, its token goes to the
   * machine in an event) or listen on a channel; the machine emits `callback.invoke`.
   */
  readonly callbacks: CallbackRegistry;
  /** The current moment as a ms timestamp with hour/dow/tz, in call order (spec: Recording Time of Data; see protocol/time.ts). */
  now(): Instant;
  /** A fresh UUID v4 (`crypto.randomUUID()`), for generated device IDs. */
  newId(): string;
  /** A fresh event or view ID: random base64url + ms timestamp (spec: Event ID Generation). */
  eventId(): string;
  /**
   * Sends an event to a feature's actor. Before `ready` the call is kept and replayed, in
   * call order, once storage is loaded and the device ID acquired. Features use the typed
   * `FeatureContext.send` / `sendTo` built on it.
   */
  send(target: ActorName, event: EventObject): void;
  /**
   * Hands a validated `events.record` call to the events machine. The SDK reads the clock
   * now and stamps the timestamp and the event ID when it hands the call over (at the
   * end of the current run, or before anything else happens), in call order.
   */
  record(fields: RecordFields): void;
  /**
   * Delivers a cross-feature fact to every machine that listens, as the router says. Before
   * `ready` it is kept and replayed like `send`.
   */
  broadcast(event: Broadcast): void;
  /**
   * Performs a queue operation directly (`queue.flushQueues`, `addDirectRequest`, ...): these
   * are plain data operations with no state for a machine to decide. Kept until ready.
   */
  command(command: RequestQueueCommand | EventStoreCommand): void;
  /** The current snapshot of a feature's actor (after boot). */
  snapshot(target: ActorName): ReturnType<AnyActorRef['getSnapshot']> | undefined;
  /** The SDK state as `getState()` returns it. */
  state(): CountlyState;
  /** True once `ready` resolved. */
  isReady(): boolean;
  /** Combines events and sends the whole queue (`countly.queue.flush()`). */
  flush(): Promise<void>;
}

/** The context of one feature's namespace: typed sends to its own actor and to others by definition. */
export function forFeature<M extends AnyStateMachine>(ctx: ApiContext, feature: { name: string; machine: M }): FeatureContext<M> {
  const name = feature.name as ActorName;
  return {
    config: ctx.config,
    log: ctx.log,
    callbacks: ctx.callbacks,
    now: () => ctx.now(),
    newId: () => ctx.newId(),
    eventId: () => ctx.eventId(),
    record: (fields) => ctx.record(fields),
    broadcast: (event) => ctx.broadcast(event),
    command: (command) => ctx.command(command),
    state: () => ctx.state(),
    isReady: () => ctx.isReady(),
    flush: () => ctx.flush(),
    send: (event) => ctx.send(name, event),
    snapshot: () => ctx.snapshot(name) as SnapshotFrom<M> | undefined,
    sendTo: <F extends AnyFeature>(other: F, event: Parameters<FeatureContext<F['machine']>['send']>[0]) => ctx.send(other.name as ActorName, event),
    snapshotOf: <F extends AnyFeature>(other: F) => ctx.snapshot(other.name as ActorName) as SnapshotFrom<F['machine']> | undefined,
  };
}
