/**
 * The public types of backend mode (`createBackend`): a server-side recorder for many devices
 * and many app keys at once (SDK guide l. 5207–5600 "Backend Mode"; /work/shared/API.md
 * "Backend mode"). Unlike the guide's "no persistent storage" (l. 5560), the request queue is
 * persisted (issue 12): `shutdown()` drains the event pool into the queue and writes it.
 */
import type { Clock, Platform, StorageAdapter, Transport } from '../adapters/types.js';
import type { LogLevel, Segmentation } from '../domain/types.js';
import type { Exporter } from '../exporters/types.js';

export interface BackendConfig {
  url: string;
  /** The default app key of every call; a call may give its own (`options.appKey`). */
  appKey: string;
  /** Default `memoryStorage()`; `chartly/node` defaults to file storage. One namespace: `backend:<appKey>`. */
  storage?: StorageAdapter;
  transport?: Transport;
  clock?: Clock;
  /** spec: Parameter Tampering — `checksum256` on every request. */
  salt?: string;
  /** Requests the queue holds; the oldest is dropped beyond it (spec l. 5266). Default 1000. */
  maxRequestQueueSize?: number;
  /** Events of one device (and app key) that make a request (spec l. 5279). Default 10. */
  deviceEventThreshold?: number;
  /** Events of one app key, all devices, that flush that app key (spec l. 5289). Default 1000. */
  appEventThreshold?: number;
  /** Events of the whole pool that flush everything (spec l. 5299). Default 10000. */
  serverEventThreshold?: number;
  /** The periodic timer that dumps the whole pool (spec l. 5549). Default 60. */
  flushIntervalSeconds?: number;
  /** Destinations besides the Countly server that receive every recorded event (`src/exporters/types.ts`). */
  exporters?: Exporter[];
  /** Log to the console (default false). */
  logging?: boolean;
  /** Receives every log line, whatever `logging` says. */
  logListener?: (message: string, level: LogLevel) => void;
  /** Where default `metrics` of `beginSession` come from (the platform's device metrics). */
  platform?: Platform;
  /** `av` of every request and `_app_version` of metrics and crashes. Default `0.0`. */
  appVersion?: string;
  /** Seconds a send may take before it is abandoned and retried. Default 30. */
  requestTimeoutSeconds?: number;
  /** Cool-down after a failed send before the same request is tried again. Default 60. */
  retryCooldownSeconds?: number;
  /** POST every request (default: GET under 2,000 characters, as the client). */
  httpPostForced?: boolean;
}

/** Options every backend call takes: the app key (default `config.appKey`) and the moment (ms, default now). */
export interface BackendCallOptions {
  appKey?: string;
  timestamp?: number;
}

export interface BackendEventOptions extends BackendCallOptions {
  segmentation?: Segmentation;
  count?: number;
  sum?: number;
  dur?: number;
}

export interface BackendExceptionOptions extends BackendCallOptions {
  stackTrace?: string;
  breadcrumbs?: string[];
  custom?: Record<string, unknown>;
  metrics?: Record<string, string>;
  unhandled?: boolean;
}

export interface BackendSessionOptions extends BackendCallOptions {
  metrics?: Record<string, string>;
  location?: Record<string, string>;
}

export interface BackendStartViewOptions extends BackendCallOptions {
  segmentation?: Segmentation;
  segment?: string;
  firstView?: boolean;
}

export interface BackendStopViewOptions extends BackendCallOptions {
  segmentation?: Segmentation;
  segment?: string;
}

/** What is waiting: events in the pool, requests in the queue (a producer can pace itself on it). */
export interface BackendPending {
  events: number;
  requests: number;
}

export interface CountlyBackend {
  recordEvent(deviceId: string, key: string, options?: BackendEventOptions): void;
  recordUserProperties(deviceId: string, properties: Record<string, unknown>, options?: BackendCallOptions): void;
  recordException(deviceId: string, error: string, options?: BackendExceptionOptions): void;
  beginSession(deviceId: string, options?: BackendSessionOptions): void;
  updateSession(deviceId: string, duration: number, options?: BackendCallOptions): void;
  endSession(deviceId: string, duration: number, options?: BackendCallOptions): void;
  startView(deviceId: string, name: string, options?: BackendStartViewOptions): void;
  stopView(deviceId: string, name: string, duration: number, options?: BackendStopViewOptions): void;
  changeDeviceIdWithMerge(newDeviceId: string, oldDeviceId: string, options?: BackendCallOptions): void;
  recordDirectRequest(deviceId: string, params: Record<string, string>, options?: BackendCallOptions): void;
  /** Pool → queue → send everything; resolves when the queue is empty or a send failed. Never rejects. */
  flush(): Promise<void>;
  /** Drains the pool into the queue, persists it, stops timers and releases storage. Idempotent; never rejects. */
  shutdown(): Promise<void>;
  /** Resolves once storage is read and the backend accepts calls (calls made before are kept). */
  readonly ready: Promise<void>;
  /** Events pooled and requests queued now. */
  pending(): BackendPending;
}
