/**
 * CountlyConfig → ResolvedConfig: every default from the spec filled in, every value
 * checked. Invalid optional values are logged and replaced by their default; only a
 * missing or invalid `url` or `appKey` throws (the one place the SDK may throw).
 */
import type { CountlyConfig } from './types.js';
import { ConsentFeatures, type ConsentFeature, type Segmentation } from './domain/types.js';
import type { Logger } from './log.js';

/** Timers take at most 2^31−1 ms (setTimeout fires at once above that): ~24.8 days. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
/** RFC 9110 token: what fetch accepts as a header name. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** CR, LF and NUL make fetch refuse a header value. */
const BAD_HEADER_VALUE = /[\r\n\0]/;

export const SDK_VERSION = '25.4.0';
export const SDK_NAME = 'typescript-chartly';

export interface Limits {
  maxKeyLength: number;
  maxValueSize: number;
  maxSegmentationValues: number;
  maxBreadcrumbCount: number;
  maxStackTraceLinesPerThread: number;
  maxStackTraceLineLength: number;
}

/** spec: SDK Internal Limits */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxKeyLength: 128,
  maxValueSize: 256,
  maxSegmentationValues: 100,
  maxBreadcrumbCount: 100,
  maxStackTraceLinesPerThread: 30,
  maxStackTraceLineLength: 200,
});

export interface LocationInput {
  countryCode?: string;
  city?: string;
  gps?: string;
  ipAddress?: string;
}

export interface ResolvedConfig {
  url: string;
  appKey: string;
  deviceId: string | undefined;
  temporaryDeviceId: boolean;
  clearStoredDeviceId: boolean;

  httpPostForced: boolean;
  customHeaders: Record<string, string>;
  requestTimeoutMs: number;
  requestDropAgeHours: number;
  salt: string | undefined;
  maxRequestQueueSize: number;
  eventQueueThreshold: number;
  sessionUpdateIntervalSeconds: number;
  manualSessions: false | true | 'hybrid';
  backoff: boolean;
  /** Cool-down after a failed send before the same request is tried again. */
  retryCooldownSeconds: number;

  requiresConsent: boolean;
  /** Consent given at init (`'all'` expanded). */
  consent: ConsentFeature[];

  /** `false`: location disabled; `undefined`: nothing set. */
  location: LocationInput | false | undefined;
  metricOverride: Record<string, string>;
  limits: Limits;

  views: {
    automatic: boolean;
    trackOrientation: boolean;
    restartManualViews: boolean;
    globalSegmentation: Segmentation;
  };
  experimental: { visibilityTracking: boolean; previousNameRecording: boolean };

  /** Download behavior settings from the server (`disableBehaviorSettingsUpdates` turns it off). */
  behaviorSettingsUpdates: boolean;

  sdkName: string;
  sdkVersion: string;
  appVersion: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a server URL: non-empty, http(s), trailing slashes stripped. Returns null when invalid. */
export function normalizeServerUrl(url: unknown): string | null {
  if (typeof url !== 'string' || url.trim() === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return url.trim().replace(/\/+$/, '');
}

export function resolveConfig(config: CountlyConfig, log: Logger): ResolvedConfig {
  if (!isObject(config)) throw new TypeError('[Countly] createCountly, config must be an object');
  const url = normalizeServerUrl(config.url);
  if (url === null) {
    log.error('Init', `createCountly, invalid server url [${String(config.url)}]`);
    throw new TypeError(`[Countly] createCountly, "url" must be a valid http(s) URL, got [${String(config.url)}]`);
  }
  if (typeof config.appKey !== 'string' || config.appKey.trim() === '') {
    log.error('Init', 'createCountly, "appKey" is missing or empty');
    throw new TypeError('[Countly] createCountly, "appKey" must be a non-empty string');
  }

  const warn = (option: string, value: unknown, fallback: unknown): void =>
    log.warning('Init', `createCountly, invalid value for "${option}" [${String(value)}], using [${String(fallback)}]`);

  const bool = (option: keyof CountlyConfig, fallback: boolean): boolean => {
    const v = config[option];
    if (v === undefined) return fallback;
    if (typeof v === 'boolean') return v;
    warn(option, v, fallback);
    return fallback;
  };
  const num = (option: keyof CountlyConfig, fallback: number, min: number, integer = true, max = Number.MAX_SAFE_INTEGER): number => {
    const v = config[option];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
      warn(option, v, fallback);
      return fallback;
    }
    if (v < min) {
      warn(option, v, min);
      return min;
    }
    if (v > max) {
      warn(option, v, max);
      return max;
    }
    return v;
  };

  let deviceId: string | undefined;
  if (config.deviceId !== undefined) {
    if (typeof config.deviceId === 'string' && config.deviceId.trim() !== '') deviceId = config.deviceId;
    else warn('deviceId', config.deviceId, 'none');
  }

  const customHeaders: Record<string, string> = {};
  if (config.customHeaders !== undefined) {
    if (isObject(config.customHeaders)) {
      for (const [k, v] of Object.entries(config.customHeaders)) {
        // A header fetch would refuse on every send would keep the queue from ever moving.
        if (typeof v === 'string' && HEADER_NAME.test(k) && !BAD_HEADER_VALUE.test(v)) customHeaders[k] = v;
        else warn(`customHeaders.${k}`, v, 'dropped');
      }
    } else warn('customHeaders', config.customHeaders, '{}');
  }

  let salt: string | undefined;
  if (config.salt !== undefined) {
    if (typeof config.salt === 'string' && config.salt !== '') salt = config.salt;
    else warn('salt', config.salt, 'none');
  }

  let manualSessions: false | true | 'hybrid' = false;
  if (config.manualSessions !== undefined) {
    if (config.manualSessions === true || config.manualSessions === false || config.manualSessions === 'hybrid') {
      manualSessions = config.manualSessions;
    } else warn('manualSessions', config.manualSessions, false);
  }

  let consent: ConsentFeature[] = [];
  if (config.consent === 'all') consent = [...ConsentFeatures];
  else if (Array.isArray(config.consent)) {
    for (const f of config.consent) {
      if ((ConsentFeatures as readonly string[]).includes(f)) consent.push(f);
      else warn('consent', f, 'ignored');
    }
  } else if (config.consent !== undefined) warn('consent', config.consent, '[]');

  let location: LocationInput | false | undefined;
  if (config.location === false) location = false;
  else if (isObject(config.location)) {
    const l: LocationInput = {};
    for (const key of ['countryCode', 'city', 'gps', 'ipAddress'] as const) {
      const v = config.location[key];
      if (v === undefined || v === null) continue;
      if (typeof v === 'string' && v !== '') l[key] = v;
      else warn(`location.${key}`, v, 'none');
    }
    location = l;
  } else if (config.location !== undefined) warn('location', config.location, 'none');

  const metricOverride: Record<string, string> = {};
  if (isObject(config.metricOverride)) {
    for (const [k, v] of Object.entries(config.metricOverride)) {
      if (typeof v === 'string') metricOverride[k] = v;
      else warn(`metricOverride.${k}`, v, 'dropped');
    }
  } else if (config.metricOverride !== undefined) warn('metricOverride', config.metricOverride, '{}');

  const limits: Limits = { ...DEFAULT_LIMITS };
  if (isObject(config.limits)) {
    for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
      const v = config.limits[key];
      if (v === undefined) continue;
      if (typeof v === 'number' && Number.isInteger(v) && v >= 1) limits[key] = v;
      else warn(`limits.${key}`, v, DEFAULT_LIMITS[key]);
    }
  } else if (config.limits !== undefined) warn('limits', config.limits, 'defaults');

  const viewsIn = isObject(config.views) ? config.views : {};
  const exp = isObject(config.experimental) ? config.experimental : {};
  const str = (option: 'sdkName' | 'sdkVersion' | 'appVersion', fallback: string): string => {
    const v = config[option];
    if (v === undefined) return fallback;
    if (typeof v === 'string' && v !== '') return v;
    warn(option, v, fallback);
    return fallback;
  };

  return {
    url,
    appKey: config.appKey,
    deviceId,
    temporaryDeviceId: bool('temporaryDeviceId', false),
    clearStoredDeviceId: bool('clearStoredDeviceId', false),
    httpPostForced: bool('httpPostForced', true),
    customHeaders,
    requestTimeoutMs: num('requestTimeoutSeconds', 30, 1, true, MAX_TIMER_SECONDS) * 1000,
    requestDropAgeHours: num('requestDropAgeHours', 0, 0),
    salt,
    maxRequestQueueSize: num('maxRequestQueueSize', 1000, 1),
    eventQueueThreshold: num('eventQueueThreshold', 100, 1),
    sessionUpdateIntervalSeconds: num('sessionUpdateInterval', 60, 1, true, MAX_TIMER_SECONDS),
    manualSessions,
    backoff: bool('backoff', true),
    retryCooldownSeconds: num('retryCooldownSeconds', 60, 1, true, MAX_TIMER_SECONDS),
    requiresConsent: bool('requiresConsent', false),
    consent,
    location,
    metricOverride,
    limits,
    views: {
      automatic: viewsIn.automatic === true,
      trackOrientation: viewsIn.trackOrientation !== false,
      restartManualViews: viewsIn.restartManualViews !== false,
      globalSegmentation: isObject(viewsIn.globalSegmentation) ? (viewsIn.globalSegmentation as Segmentation) : {},
    },
    experimental: {
      visibilityTracking: exp.visibilityTracking === true,
      previousNameRecording: exp.previousNameRecording === true,
    },
    behaviorSettingsUpdates: !bool('disableBehaviorSettingsUpdates', false),
    sdkName: str('sdkName', SDK_NAME),
    sdkVersion: str('sdkVersion', SDK_VERSION),
    appVersion: str('appVersion', '0.0'),
  };
}
