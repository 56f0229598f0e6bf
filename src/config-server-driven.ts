/**
 * The option groups of the server-driven features (remote config, content zone), read
 * through the total readers of `config-read.ts`: an invalid value is warned about and
 * replaced by its default.
 */
import type { ResolvedConfig } from './config.js';
import { isArray, readProp, type OptionReaders } from './config-read.js';
import type { RCDownloadCallback } from './types.js';

/** spec: Content Zone — the default interval between content fetches, and the least one accepted. */
export const DEFAULT_ZONE_INTERVAL_SECONDS = 30;
export const MIN_ZONE_INTERVAL_SECONDS = 15;

/** Remote config (docs/remote-config.md): automatic triggers, value caching and enrolment off by default. */
export function remoteConfigOf(r: OptionReaders): ResolvedConfig['remoteConfig'] {
  const { safely, group, warn, bool } = r;
  const fallback: ResolvedConfig['remoteConfig'] = { automaticTriggers: false, valueCaching: false, enrollOnDownload: false, onDownload: undefined };
  return safely('remoteConfig', fallback, () => {
    const v = group('remoteConfig');
    const onDownload = readProp(v, 'onDownload');
    if (onDownload !== undefined && typeof onDownload !== 'function') warn('remoteConfig.onDownload', onDownload, 'none');
    return {
      automaticTriggers: bool('remoteConfig.automaticTriggers', readProp(v, 'automaticTriggers'), false),
      valueCaching: bool('remoteConfig.valueCaching', readProp(v, 'valueCaching'), false),
      enrollOnDownload: bool('remoteConfig.enrollOnDownload', readProp(v, 'enrollOnDownload'), false),
      onDownload: typeof onDownload === 'function' ? (onDownload as RCDownloadCallback) : undefined,
    };
  });
}

/** The content zone (docs/content.md): an interval under 15 s is ignored (spec: Content Zone). */
export function contentOf(r: OptionReaders): ResolvedConfig['content'] {
  const { safely, group, warn, itemsOf } = r;
  const fallback: ResolvedConfig['content'] = { onContent: undefined, zoneTimerIntervalSeconds: DEFAULT_ZONE_INTERVAL_SECONDS, allowedOrigins: [] };
  return safely('content', fallback, () => {
    const v = group('content');
    const onContent = readProp(v, 'onContent');
    if (onContent !== undefined && typeof onContent !== 'function') warn('content.onContent', onContent, 'none');
    const interval = readProp(v, 'zoneTimerInterval');
    const validInterval = typeof interval === 'number' && Number.isFinite(interval) && interval >= MIN_ZONE_INTERVAL_SECONDS && interval <= 86_400;
    if (interval !== undefined && !validInterval) warn('content.zoneTimerInterval', interval, DEFAULT_ZONE_INTERVAL_SECONDS);
    const origins: string[] = [];
    const rawOrigins = readProp(v, 'allowedOrigins');
    if (rawOrigins !== undefined) {
      if (!isArray(rawOrigins)) warn('content.allowedOrigins', rawOrigins, '[]');
      else
        for (const o of itemsOf('content.allowedOrigins', rawOrigins) ?? []) {
          const origin = originOf(o);
          if (origin === null) warn('content.allowedOrigins', o, 'ignored');
          else origins.push(origin);
        }
    }
    return {
      onContent: typeof onContent === 'function' ? (onContent as ResolvedConfig['content']['onContent']) : undefined,
      zoneTimerIntervalSeconds: validInterval ? interval : DEFAULT_ZONE_INTERVAL_SECONDS,
      allowedOrigins: origins,
    };
  });
}

/** `scheme://host[:port]` of an http(s) URL or origin, or null. */
export function originOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * Heatmaps (docs/heatmaps.md; SDK guide l.2711–2864): click and scroll tracking from init (off
 * by default), and the overlay whitelist — origins trusted to serve the overlay scripts; the
 * server's own origin is always included (l.2760–2764, l.2775).
 */
export function heatmapsOf(r: OptionReaders, serverUrl: string): ResolvedConfig['heatmaps'] {
  const { safely, group, warn, bool, itemsOf } = r;
  const server = originOf(serverUrl);
  const base = server === null ? [] : [server];
  const fallback: ResolvedConfig['heatmaps'] = { clicks: false, scrolls: false, whitelist: base };
  return safely('heatmaps', fallback, () => {
    const v = group('heatmaps');
    const whitelist = [...base];
    const raw = readProp(v, 'whitelist');
    if (raw !== undefined) {
      if (!isArray(raw)) warn('heatmaps.whitelist', raw, '[]');
      else
        for (const o of itemsOf('heatmaps.whitelist', raw) ?? []) {
          const origin = originOf(o);
          if (origin === null) warn('heatmaps.whitelist', o, 'ignored');
          else if (!whitelist.includes(origin)) whitelist.push(origin);
        }
    }
    return {
      clicks: bool('heatmaps.clicks', readProp(v, 'clicks'), false),
      scrolls: bool('heatmaps.scrolls', readProp(v, 'scrolls'), false),
      whitelist,
    };
  });
}
