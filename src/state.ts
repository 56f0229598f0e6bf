import type { ConsentState, DeviceIdType } from './domain/types.js';

/** The whole observable SDK state: `countly.state$` emits it on every change. */
export interface CountlyState {
  /** `booting` until storage is loaded and the device ID acquired; `stopped` after `shutdown()`. */
  status: 'booting' | 'ready' | 'stopped';
  deviceId: string | null;
  deviceIdType: DeviceIdType | null;
  /** Temporary-ID (offline) mode: requests are queued, never sent. */
  offline: boolean;
  session: { running: boolean; mode: 'automatic' | 'manual' | 'hybrid'; foreground: boolean };
  views: { current: string | null; running: Array<{ id: string; name: string; paused: boolean }> };
  consent: { required: boolean; given: ConsentState };
  queue: { requests: number; events: number };
  backoff: { active: boolean; total: number; maxConsecutive: number };
  processor: { state: string; holds: string[] };
  /** Requests the server refused for good and the SDK moved aside since boot (docs/request-processor.md "Dead letters"). */
  deadLetters: number;
  serverUrl: string;
  healthCheck: { sent: boolean; counters: { el: number; wl: number; sc: number; em: string; bom: number; cbom: number } };
  remoteConfig: { keys: string[]; downloading: boolean };
  feedback: { widgetShown: boolean };
  content: { inZone: boolean; showing: boolean };
}
