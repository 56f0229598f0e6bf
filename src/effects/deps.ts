import type { Observable } from 'rxjs';
import type { Clock, Transport } from '../adapters/types.js';
import type { ResolvedConfig } from '../config.js';
import type { RequestQueue } from '../domain/request-queue.js';
import type { DeviceIdType, Instant } from '../domain/types.js';
import type { Logger } from '../log.js';
import type { Hold } from '../domain/holds.js';
import type { Broadcast, Command, EffectResult, RecordInternalEventCommand } from './commands.js';
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
}

export type Effect = (cmd$: Observable<Command>, deps: EffectDeps) => Observable<SdkEvent>;
