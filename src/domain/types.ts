/** Types shared by the public API, the machines and the effects. No runtime imports. */

export type ConsentFeature =
  | 'sessions'
  | 'events'
  | 'views'
  | 'location'
  | 'crashes'
  | 'attribution'
  | 'users'
  | 'push'
  | 'star-rating'
  | 'remote-config'
  | 'apm'
  | 'feedback'
  | 'clicks'
  | 'scrolls'
  | 'content'
  | 'metrics'
  | 'forms';

/** Every consent feature, in the wire spelling (spec: User Consent). */
export const ConsentFeatures: readonly ConsentFeature[] = /* @__PURE__ */ Object.freeze([
  'sessions',
  'events',
  'views',
  'location',
  'crashes',
  'attribution',
  'users',
  'push',
  'star-rating',
  'remote-config',
  'apm',
  'feedback',
  'clicks',
  'scrolls',
  'content',
  'metrics',
  'forms',
] as const);

export type ConsentState = Readonly<Record<ConsentFeature, boolean>>;

export type DeviceIdType = 'DEVELOPER_SUPPLIED' | 'SDK_GENERATED' | 'TEMPORARY_ID';

/** The placeholder device ID of temporary-ID (offline) mode (spec: Device ID Management). */
export const TEMPORARY_DEVICE_ID = 'CLYTemporaryDeviceID';

export type LogLevel = 'error' | 'warning' | 'info' | 'debug' | 'verbose';

export type SegmentationValue = string | number | boolean | Array<string | number | boolean>;
export type Segmentation = Record<string, SegmentationValue>;

/** An event as it goes on the wire inside `events=[...]` (spec: Events > Networking and Params). */
export interface WireEvent {
  key: string;
  count: number;
  sum?: number;
  dur?: number;
  segmentation?: Segmentation;
  timestamp: number;
  hour: number;
  dow: number;
  id: string;
  /** previous view ID: view events only */
  pvid?: string;
  /** current view ID: every event but view events */
  cvid?: string;
  /** previous event ID: custom events only */
  peid?: string;
}

/** The moment a call was made, fixed by the API layer (machines never read a clock). */
export interface Instant {
  /** millisecond timestamp, non-decreasing and unique within a few ms of the clock (spec: Recording Time of Data; see protocol/time.ts) */
  timestamp: number;
  /** local hour 0-23 */
  hour: number;
  /** day of week 0 = Sunday */
  dow: number;
  /** timezone offset in minutes, east positive (120 for UTC+2) */
  tz: number;
}

/**
 * What the platform says about the app, read once at boot into plain data (machines never
 * call a platform hook): its name, whether the app is in the foreground, its orientation.
 */
export interface PlatformFacts {
  readonly name: string;
  readonly foreground: boolean;
  readonly orientation: 'portrait' | 'landscape' | null;
  /** The platform's `_locale` metric at boot, if it has one (the push token request's `locale`). */
  readonly locale?: string;
}
