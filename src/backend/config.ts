/**
 * BackendConfig → the resolved backend options (SDK guide l. 5242–5300: the thresholds and
 * the queue size must be positive integers; defaults 10 / 1,000 / 10,000 / 1,000). Every bad
 * value is warned about as `[Countly] [Backend] createBackend, ...` and replaced by its
 * default; only a missing or invalid `url` or `appKey` throws (as `createCountly`).
 *
 * The request queue, processor and transport effect are the client's: they read a client
 * `ResolvedConfig`, made here from the validated values only (so it warns about nothing).
 */
import { MAX_TIMER_SECONDS, normalizeServerUrl, resolveConfig, SDK_NAME, type ResolvedConfig } from '../config.js';
import { isObject, readProp, UNREADABLE } from '../config-read.js';
import { param, type Logger } from '../log.js';
import type { PoolThresholds } from './pool.js';

export const MODULE = 'Backend';

export interface ResolvedBackendConfig {
  readonly client: ResolvedConfig;
  readonly thresholds: PoolThresholds;
  readonly flushIntervalMs: number;
}

export const BACKEND_DEFAULTS = /* @__PURE__ */ Object.freeze({
  maxRequestQueueSize: 1000,
  deviceEventThreshold: 10,
  appEventThreshold: 1000,
  serverEventThreshold: 10_000,
  flushIntervalSeconds: 60,
  requestTimeoutSeconds: 30,
  retryCooldownSeconds: 60,
});

export function resolveBackendConfig(config: unknown, log: Logger): ResolvedBackendConfig {
  if (!isObject(config)) {
    log.error(MODULE, 'createBackend, config must be an object');
    throw new TypeError('[Countly] createBackend, config must be an object');
  }
  const rawUrl = readProp(config, 'url');
  const url = normalizeServerUrl(rawUrl);
  if (url === null) {
    log.error(MODULE, `createBackend, invalid server url ${param(rawUrl === UNREADABLE ? '<unreadable>' : rawUrl)}`);
    throw new TypeError(`[Countly] createBackend, "url" must be a valid http(s) URL, got ${param(rawUrl === UNREADABLE ? '<unreadable>' : rawUrl)}`);
  }
  const appKey = readProp(config, 'appKey');
  if (typeof appKey !== 'string' || appKey.trim() === '') {
    log.error(MODULE, 'createBackend, "appKey" is missing or empty');
    throw new TypeError('[Countly] createBackend, "appKey" must be a non-empty string');
  }
  const warn = (key: string, value: unknown, used: unknown): void =>
    log.warning(MODULE, `createBackend, invalid ${key} ${param(value === UNREADABLE ? '<unreadable>' : value)}, using ${param(used)}`);
  const int = (key: keyof typeof BACKEND_DEFAULTS, max = Number.MAX_SAFE_INTEGER): number => {
    const v = readProp(config, key);
    const fallback = BACKEND_DEFAULTS[key];
    if (v === undefined) return fallback;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max) return v;
    warn(key, v, fallback);
    return fallback;
  };
  const optionalString = (key: 'salt' | 'appVersion'): string | undefined => {
    const v = readProp(config, key);
    if (v === undefined) return undefined;
    if (typeof v === 'string' && v !== '') return v;
    warn(key, v, 'none');
    return undefined;
  };
  const postForced = readProp(config, 'httpPostForced');
  if (postForced !== undefined && typeof postForced !== 'boolean') warn('httpPostForced', postForced, true);

  const salt = optionalString('salt');
  const appVersion = optionalString('appVersion');
  const client = resolveConfig(
    {
      url,
      appKey,
      maxRequestQueueSize: int('maxRequestQueueSize'),
      requestTimeoutSeconds: int('requestTimeoutSeconds', MAX_TIMER_SECONDS),
      retryCooldownSeconds: int('retryCooldownSeconds', MAX_TIMER_SECONDS),
      httpPostForced: typeof postForced === 'boolean' ? postForced : true,
      // Backend data is often historical (migrations): no request is dropped for its age.
      requestDropAgeHours: 0,
      sdkName: `${SDK_NAME}-backend`,
      ...(salt !== undefined ? { salt } : {}),
      ...(appVersion !== undefined ? { appVersion } : {}),
    },
    log,
  );
  return {
    client,
    thresholds: { device: int('deviceEventThreshold'), app: int('appEventThreshold'), server: int('serverEventThreshold') },
    flushIntervalMs: int('flushIntervalSeconds', MAX_TIMER_SECONDS) * 1000,
  };
}
