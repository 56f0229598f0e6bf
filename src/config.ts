/**
 * CountlyConfig → ResolvedConfig: every default from the spec filled in, every value
 * checked. Invalid optional values are logged and replaced by their default; only a
 * missing or invalid `url` or `appKey` throws (the one place the SDK may throw).
 */
import type { CountlyConfig, CrashData, RCDownloadCallback } from './types.js';
import { ConsentFeatures, type ConsentFeature, type Segmentation } from './domain/types.js';
import type { Logger } from './log.js';
import { isArray, isObject, optionReaders, readProp, RUNTIME_OPTIONS, shown, UNREADABLE } from './config-read.js';
import { apmOf, crashesOf, pushOf, userPropertiesOf } from './config-features.js';
import { contentOf, heatmapsOf, remoteConfigOf } from './config-server-driven.js';

export { loggerOptionsOf, MAX_CONFIG_LIST, readOption } from './config-read.js';

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
export const DEFAULT_LIMITS: Readonly<Limits> = /* @__PURE__ */ Object.freeze({
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
  /** The config's user properties, a plain copy (each value read once); validated by the user feature. */
  userProperties?: Record<string, unknown>;
  limits: Limits;

  views: {
    automatic: boolean;
    /** Automatic page views named by `location.pathname` instead of the full URL (docs/views.md). */
    shortNames: boolean;
    /** Automatic page views not recorded: a name equal to an entry, or matching it as a regular expression. */
    exclusions: string[];
    trackOrientation: boolean;
    restartManualViews: boolean;
    globalSegmentation: Segmentation;
  };
  experimental: { visibilityTracking: boolean; previousNameRecording: boolean };
  /** APM (docs/apm.md): all off by default; the override is a ms timestamp. */
  apm: { appStartTracking: boolean; foregroundBackgroundTracking: boolean; manualAppLoadedTrigger: boolean; appStartTimestampOverride: number | undefined };
  /** Push (docs/push.md): `provider` as given (a non-empty string; the push feature knows the providers). */
  push: { testMode: 0 | 1 | 2; provider: string | undefined; sendTokenAlways: boolean };
  /** Crash reporting (docs/crashes.md); `filter` is the developer's function, called by the crashes effect. */
  crashes: { autoReport: boolean; segmentation: Segmentation; filter: ((crash: CrashData) => boolean) | undefined };

  /** Remote config (docs/remote-config.md); `onDownload` is the developer's function, called through the callback registry. */
  remoteConfig: { automaticTriggers: boolean; valueCaching: boolean; enrollOnDownload: boolean; onDownload: RCDownloadCallback | undefined };
  /** The content zone (docs/content.md): the interval in seconds (≥ 15, default 30) and the extra origins content messages may come from. */
  content: { onContent: ((status: 'COMPLETED' | 'CLOSED', data: Record<string, unknown>) => void) | undefined; zoneTimerIntervalSeconds: number; allowedOrigins: string[] };
  /** Heatmaps (docs/heatmaps.md): click/scroll tracking from init; `whitelist` always holds the server's origin. */
  heatmaps: { clicks: boolean; scrolls: boolean; whitelist: string[] };
  /** Send the health check at init (`disableHealthCheck` turns it off; counters still accumulate). */
  healthCheck: boolean;

  /** Download behavior settings from the server (`disableBehaviorSettingsUpdates` turns it off). */
  behaviorSettingsUpdates: boolean;

  sdkName: string;
  sdkVersion: string;
  appVersion: string;
}

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

/**
 * Total for any `url`/`appKey`-valid config: each option is read once (a getter may answer
 * differently on a second read), through `readProp`, and checked by type, so a throwing
 * getter, a proxy, a BigInt, a Symbol or a null-prototype object is one more invalid value,
 * warned about and replaced by the default. Nested objects are copied into fresh plain
 * objects, so nothing of the user's object (a proxy, a getter) reaches the machines.
 *
 * It throws only when the config is not an object or `url`/`appKey` is invalid; an `url`
 * or `appKey` that cannot be read (a throwing getter, a config proxy that throws on get)
 * counts as invalid.
 */
export function resolveConfig(config: CountlyConfig, log: Logger): ResolvedConfig {
  if (!isObject(config)) throw new TypeError('[Countly] createCountly, config must be an object');
  const rawUrl = readProp(config, 'url');
  const url = normalizeServerUrl(rawUrl);
  if (url === null) {
    log.error('Init', `createCountly, invalid server url ${shown(rawUrl)}`);
    throw new TypeError(`[Countly] createCountly, "url" must be a valid http(s) URL, got ${shown(rawUrl)}`);
  }
  const appKey = readProp(config, 'appKey');
  if (typeof appKey !== 'string' || appKey.trim() === '') {
    log.error('Init', 'createCountly, "appKey" is missing or empty');
    throw new TypeError('[Countly] createCountly, "appKey" must be a non-empty string');
  }

  const readers = optionReaders(config, log);
  const { option, warn, safely, bool, entriesOf, itemsOf, group, segmentation } = readers;
  const boolOption = (key: keyof CountlyConfig, fallback: boolean): boolean => safely(key, fallback, () => bool(key, option(key), fallback));
  const num = (key: keyof CountlyConfig, fallback: number, min: number, integer = true, max = Number.MAX_SAFE_INTEGER): number =>
    safely(key, fallback, () => {
      const v = option(key);
      if (v === undefined) return fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
        warn(key, v, fallback);
        return fallback;
      }
      if (v < min) {
        warn(key, v, min);
        return min;
      }
      if (v > max) {
        warn(key, v, max);
        return max;
      }
      return v === 0 ? 0 : v; // -0 becomes 0
    });
  const str = (key: 'sdkName' | 'sdkVersion' | 'appVersion', fallback: string): string =>
    safely(key, fallback, () => {
      const v = option(key);
      if (v === undefined) return fallback;
      if (typeof v === 'string' && v !== '') return v;
      warn(key, v, fallback);
      return fallback;
    });
  /** An optional non-empty string (`deviceId`, `salt`); `accept` adds a further check. */
  const optionalString = (key: 'deviceId' | 'salt', accept: (v: string) => boolean): string | undefined =>
    safely(key, undefined, () => {
      const v = option(key);
      if (v === undefined) return undefined;
      if (typeof v === 'string' && accept(v)) return v;
      warn(key, v, 'none');
      return undefined;
    });

  const customHeaders = safely('customHeaders', {}, (): Record<string, string> => {
    const kept: Array<[string, string]> = [];
    for (const [k, v] of entriesOf('customHeaders', option('customHeaders'), '{}') ?? []) {
      // A header fetch would refuse on every send would keep the queue from ever moving.
      if (typeof v === 'string' && HEADER_NAME.test(k) && !BAD_HEADER_VALUE.test(v)) kept.push([k, v]);
      else warn(`customHeaders.${k}`, v, 'dropped');
    }
    // fromEntries defines own properties: a `__proto__` key stays a key.
    return Object.fromEntries(kept);
  });

  const manualSessions = safely('manualSessions', false as ResolvedConfig['manualSessions'], () => {
    const v = option('manualSessions');
    if (v === undefined) return false;
    if (v === true || v === false || v === 'hybrid') return v;
    warn('manualSessions', v, false);
    return false;
  });

  const consent = safely('consent', [] as ConsentFeature[], () => {
    const v = option('consent');
    if (v === undefined) return [];
    if (v === 'all') return [...ConsentFeatures];
    if (!isArray(v)) {
      warn('consent', v, '[]');
      return [];
    }
    const given = new Set<ConsentFeature>();
    for (const f of itemsOf('consent', v) ?? []) {
      if ((ConsentFeatures as readonly unknown[]).includes(f)) given.add(f as ConsentFeature);
      else warn('consent', f, 'ignored');
    }
    return [...given];
  });

  const location = safely('location', undefined as ResolvedConfig['location'], () => {
    const v = option('location');
    if (v === undefined || v === false) return v;
    if (!isObject(v)) {
      warn('location', v, 'none');
      return undefined;
    }
    const l: LocationInput = {};
    for (const key of ['countryCode', 'city', 'gps', 'ipAddress'] as const) {
      const part = readProp(v, key);
      if (part === undefined || part === null) continue;
      if (typeof part === 'string' && part !== '') l[key] = part;
      else warn(`location.${key}`, part, 'none');
    }
    return l;
  });

  const metricOverride = safely('metricOverride', {}, (): Record<string, string> => {
    const kept: Array<[string, string]> = [];
    for (const [k, v] of entriesOf('metricOverride', option('metricOverride'), '{}') ?? []) {
      if (typeof v === 'string') kept.push([k, v]);
      else warn(`metricOverride.${k}`, v, 'dropped');
    }
    return Object.fromEntries(kept);
  });

  const userProperties = userPropertiesOf(readers);

  const limits = safely('limits', { ...DEFAULT_LIMITS }, (): Limits => {
    const out: Limits = { ...DEFAULT_LIMITS };
    const v = option('limits');
    if (v === undefined) return out;
    if (!isObject(v)) {
      warn('limits', v, 'defaults');
      return out;
    }
    for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
      const n = readProp(v, key);
      if (n === undefined) continue;
      if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 1) out[key] = n;
      else warn(`limits.${key}`, n, DEFAULT_LIMITS[key]);
    }
    return out;
  });

  const views = safely('views', { automatic: false, shortNames: false, exclusions: [] as string[], trackOrientation: true, restartManualViews: true, globalSegmentation: {} }, () => {
    const v = group('views');
    const rawExclusions = readProp(v, 'exclusions');
    const exclusions: string[] = [];
    if (rawExclusions !== undefined && !isArray(rawExclusions)) warn('views.exclusions', rawExclusions, '[]');
    else if (rawExclusions !== undefined)
      for (const e of itemsOf('views.exclusions', rawExclusions) ?? []) {
        if (typeof e === 'string' && e !== '') exclusions.push(e);
        else warn('views.exclusions', e, 'ignored');
      }
    return {
      automatic: bool('views.automatic', readProp(v, 'automatic'), false),
      shortNames: bool('views.shortNames', readProp(v, 'shortNames'), false),
      exclusions,
      trackOrientation: bool('views.trackOrientation', readProp(v, 'trackOrientation'), true),
      restartManualViews: bool('views.restartManualViews', readProp(v, 'restartManualViews'), true),
      globalSegmentation: segmentation('views.globalSegmentation', readProp(v, 'globalSegmentation')),
    };
  });

  const crashes = crashesOf(readers);

  const experimental = safely('experimental', { visibilityTracking: false, previousNameRecording: false }, () => {
    const v = group('experimental');
    return {
      visibilityTracking: bool('experimental.visibilityTracking', readProp(v, 'visibilityTracking'), false),
      previousNameRecording: bool('experimental.previousNameRecording', readProp(v, 'previousNameRecording'), false),
    };
  });

  const apm = apmOf(readers);
  const push = pushOf(readers);
  const remoteConfig = remoteConfigOf(readers);
  const content = contentOf(readers);
  const heatmaps = heatmapsOf(readers, url);

  // Read by the runtime (loggerOptionsOf, readOption), checked here only so a bad value is
  // warned about like any other; this second read of a getter only feeds the warning.
  safely('logging', false, () => bool('logging', option('logging'), false));
  safely('logListener', undefined, () => {
    const v = option('logListener');
    if (v !== undefined && typeof v !== 'function') warn('logListener', v, 'none');
  });
  for (const key of RUNTIME_OPTIONS) safely(key, undefined, () => option(key) === UNREADABLE && warn(key, UNREADABLE, 'the default'));

  return {
    url,
    appKey,
    deviceId: optionalString('deviceId', (v) => v.trim() !== ''),
    temporaryDeviceId: boolOption('temporaryDeviceId', false),
    clearStoredDeviceId: boolOption('clearStoredDeviceId', false),
    httpPostForced: boolOption('httpPostForced', true),
    customHeaders,
    requestTimeoutMs: num('requestTimeoutSeconds', 30, 1, true, MAX_TIMER_SECONDS) * 1000,
    requestDropAgeHours: num('requestDropAgeHours', 0, 0),
    salt: optionalString('salt', (v) => v !== ''),
    maxRequestQueueSize: num('maxRequestQueueSize', 1000, 1),
    eventQueueThreshold: num('eventQueueThreshold', 100, 1),
    sessionUpdateIntervalSeconds: num('sessionUpdateInterval', 60, 1, true, MAX_TIMER_SECONDS),
    manualSessions,
    backoff: boolOption('backoff', true),
    retryCooldownSeconds: num('retryCooldownSeconds', 60, 1, true, MAX_TIMER_SECONDS),
    requiresConsent: boolOption('requiresConsent', false),
    consent,
    location,
    metricOverride,
    userProperties,
    limits,
    views,
    experimental,
    apm,
    push,
    crashes,
    remoteConfig,
    content,
    heatmaps,
    healthCheck: !boolOption('disableHealthCheck', false),
    behaviorSettingsUpdates: !boolOption('disableBehaviorSettingsUpdates', false),
    sdkName: str('sdkName', SDK_NAME),
    sdkVersion: str('sdkVersion', SDK_VERSION),
    appVersion: str('appVersion', '0.0'),
  };
}
