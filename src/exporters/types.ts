/**
 * Exporters: destinations besides the Countly server that receive the same events chartly
 * records (the AppMetrica exporter, `chartly/appmetrica`). An exporter is handed to an
 * instance (`CountlyConfig.exporters`) or a backend (`BackendConfig.exporters`), started once
 * with the host's adapters, and then receives every accepted event in batches. It owns its
 * own persisted queue and sending; it must never throw into the host (the host guards every
 * call anyway and logs what an exporter threw).
 */
import type { Clock, StorageAdapter, Transport } from '../adapters/types.js';
import type { LogLevel } from '../domain/types.js';

/** One recorded event as an exporter receives it. */
export interface ExportedEvent {
  readonly appKey: string;
  readonly deviceId: string;
  readonly key: string;
  readonly count: number;
  readonly sum?: number;
  readonly dur?: number;
  readonly segmentation?: Readonly<Record<string, unknown>>;
  /** When the event happened, ms since the epoch. */
  readonly timestamp: number;
}

/** What the host gives an exporter when it starts it. */
export interface ExporterHost {
  /** The host's storage adapter: an exporter opens its own namespace (e.g. `exporter:appmetrica`). */
  readonly storage: StorageAdapter;
  readonly transport: Transport;
  /** Every exporter timer goes through this clock (tests drive a simulated one). */
  readonly clock: Clock;
  /** Device facts the platform knows, as `metrics=` carries them (`_os`, `_os_version`, `_device`, `_device_type`, `_locale`, `_app_version`). */
  metrics(): Readonly<Record<string, string>>;
  /** Writes to the host's log as `[Countly] [<exporter name>] message`. */
  log(level: LogLevel, message: string): void;
}

export interface Exporter {
  /** Shown in logs; also the exporter's storage namespace suffix. */
  readonly name: string;
  /** Called once by the host at boot, before any `export`. */
  start(host: ExporterHost): void | Promise<void>;
  /** Accepted events, in record order. Must return at once (persist and send asynchronously). */
  export(events: readonly ExportedEvent[]): void;
  /** Sends what can be sent now; resolves when done or failed (never rejects). */
  flush(): Promise<void>;
  /** Persists what is pending and releases storage; resolves when done (never rejects). */
  shutdown(): Promise<void>;
}
