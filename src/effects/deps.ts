import type { Observable } from 'rxjs';
import type { Clock, Platform, Transport } from '../adapters/types.js';
import type { ResolvedConfig } from '../config.js';
import type { RequestQueue } from '../domain/request-queue.js';
import type { DeviceIdType, Instant } from '../domain/types.js';
import type { Logger } from '../log.js';
import type { HttpRequestInput, WireDeviceIdType } from '../protocol/request.js';
import type { Hold } from '../domain/holds.js';
import type { DeadLetterStore } from '../domain/dead-letters.js';
import type { QueueEntry } from '../adapters/types.js';
import type { Broadcast, Command, EffectResult, RecordInternalEventCommand } from './commands.js';
import type { CallbackRegistry } from '../runtime/callbacks.js';
import type { EventStore } from './event-store.js';
import type { StorageWriter } from './storage-writer.js';

/**
 * What the effects feed back: results of I/O, broadcasts, and internal events recorded by
 * one machine for the events machine. `router.ts` says which machines hear each.
 */
export type SdkEvent = EffectResult | Broadcast | RecordInternalEventCommand;

export interface Identity {
  deviceId: string;
  deviceIdType: DeviceIdType;
  /** The wire's `t` when it says more than the type: `URL_PROVIDED` (3) for an ID from the URL. */
  wireType?: WireDeviceIdType;
}

/** Everything the effects may touch, injected (the redux-observable shape). */
export interface EffectDeps {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly writer: StorageWriter;
  readonly queue: RequestQueue;
  readonly eventStore: EventStore;
  /** The device ID requests are stamped with, current when the command is performed. */
  identity(): Identity;
  /** A unique instant (spec: Recording Time of Data). */
  instant(): Instant;
  /** The server URL, which `setServerUrl` can change at run time. */
  serverUrl(): string;
  /** The request processor's holds now (`blocks(holds, purpose)` in `domain/holds.ts` decides). */
  holds(): readonly Hold[];
  /**
   * The `metrics` param (JSON) of a `begin_session`, read from the platform at the call
   * (spec: Device Metrics). Never throws: a failing platform gives no platform metrics.
   */
  metrics(overrides?: Readonly<Record<string, string>>): string;
  /** The platform, for hooks only one feature uses (crash reports: uncaught errors, crash metrics). A hook is user code: guard every call. */
  readonly platform?: Platform;
  /** Requests the server will never accept, moved aside (`domain/dead-letters.ts`). */
  readonly deadLetters: DeadLetterStore;
  /**
   * The server's `tracking: false` is in force (spec l. 4836): no new request may be queued.
   * The request processor owns the flag; the queue effect reads it here.
   */
  trackingDisabled(): boolean;
  /** The platform said at boot that this client is a bot (spec l. 383): every request is dropped silently. */
  readonly bot: boolean;
  /** The developer's callbacks, called by `callback.invoke` (`runtime/callbacks.ts`). */
  readonly callbacks: CallbackRegistry;
  /** What earlier app keys left on this store (`queue.replaceAllAppKeysWithCurrent`, `removeDifferentAppKeys`). */
  readonly otherAppKeys: OtherAppKeys;
  /** `queue.flush()`: combines the pending events and sends the queue; never rejects (the content zone's refresh waits for it). Absent in backend mode. */
  flush?(): Promise<void>;
}

/**
 * The requests other app keys left in their namespaces of this store (spec l. 5088–5097).
 * Each call claims the namespace for its duration (one live instance per namespace): a
 * namespace a live instance holds is skipped and named in `skipped`.
 */
export interface OtherAppKeys {
  /** Takes every request queued under another app key out of its namespace: `keep` runs before they are removed there. */
  take(keep: (appKey: string, requests: readonly QueueEntry[]) => Promise<void>): Promise<{ moved: number; skipped: string[] }>;
}

export type Effect = (cmd$: Observable<Command>, deps: EffectDeps) => Observable<SdkEvent>;

/** What `buildHttpRequest` needs to send `stored` now: the server URL and the request options of the config. */
export function httpInputOf(deps: EffectDeps, stored: string, remaining: number): HttpRequestInput {
  return {
    baseUrl: deps.serverUrl(),
    stored,
    remaining,
    salt: deps.config.salt,
    httpPostForced: deps.config.httpPostForced,
    customHeaders: deps.config.customHeaders,
    timeoutMs: deps.config.requestTimeoutMs,
  };
}
