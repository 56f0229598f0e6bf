/**
 * The ten backend methods (SDK guide l. 5226–5237, 5302–5455), validated like the client API:
 * bad input → a warning `[Countly] [Backend] <method>, ...` and the call ignored (or the bad
 * part dropped), never an exception. Each call takes an explicit device ID, an optional app
 * key (default `config.appKey`) and an optional timestamp (ms, default now).
 */
import { DEFAULT_LIMITS } from '../config.js';
import { VIEW_EVENT_KEY } from '../domain/events.js';
import { sanitizeSegmentation, truncateKey } from '../domain/limits.js';
import type { Instant, Segmentation } from '../domain/types.js';
import { cleanViewSegmentation } from '../domain/view-segmentation.js';
import { errorText, param } from '../log.js';
import { MODULE } from './config.js';
import type { BackendEvent } from './effect.js';
import type { BackendInstance } from './instance.js';
import {
  beginSessionParams,
  crashObject,
  directParams,
  endSessionParams,
  LOCATION_KEYS,
  mergeParams,
  stringMap,
  updateSessionParams,
  userDetails,
} from './requests.js';
import type { CountlyBackend } from './types.js';

/** The parts of a call every method shares, or null when the call is refused (already warned about). */
interface Call {
  appKey: string;
  deviceId: string;
  at: Instant;
  options: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

export function createBackendApi(inst: BackendInstance): CountlyBackend {
  const warn = (fn: string, message: string): void => inst.log.warning(MODULE, `${fn}, ${message}`);
  const warnAll = (fn: string, warnings: readonly string[]): void => {
    for (const w of warnings) warn(fn, w);
  };

  /** Validates what every method takes: the device ID, the options object, the app key, the timestamp. */
  const call = (fn: string, deviceId: unknown, rawOptions: unknown, idName = 'deviceId'): Call | null => {
    if (!inst.accepting) {
      warn(fn, 'the backend is shut down; call ignored');
      return null;
    }
    if (!isText(deviceId)) {
      warn(fn, `${idName} must be a non-empty string, got ${param(deviceId)}; call ignored`);
      return null;
    }
    let options: Record<string, unknown> = {};
    if (rawOptions !== undefined && rawOptions !== null) {
      if (isRecord(rawOptions)) options = rawOptions;
      else warn(fn, `options must be an object, got ${param(rawOptions)}; ignored`);
    }
    let appKey = inst.config.client.appKey;
    const givenKey = options.appKey;
    if (givenKey !== undefined && givenKey !== null) {
      if (!isText(givenKey)) {
        // Data for an app key that cannot be meant must not land in the default app.
        warn(fn, `appKey must be a non-empty string, got ${param(givenKey)}; call ignored`);
        return null;
      }
      appKey = givenKey;
    }
    const ts = options.timestamp;
    let at: Instant;
    if (ts === undefined || ts === null) at = inst.instant();
    else if (typeof ts === 'number' && Number.isSafeInteger(ts) && ts > 0) at = inst.instant(ts);
    else {
      warn(fn, `timestamp must be a positive integer of ms, got ${param(ts)}; using now`);
      at = inst.instant();
    }
    return { appKey, deviceId, at, options };
  };

  const event = (c: Call, key: string, segmentation: Segmentation, extra: { count?: number; sum?: number; dur?: number }): void => {
    const e: BackendEvent = { key, count: extra.count ?? 1, timestamp: c.at.timestamp, hour: c.at.hour, dow: c.at.dow };
    if (extra.sum !== undefined) e.sum = extra.sum;
    if (extra.dur !== undefined) e.dur = extra.dur;
    for (const _ in segmentation) {
      e.segmentation = segmentation;
      break;
    }
    inst.record(c.appKey, c.deviceId, e);
  };

  const request = (c: Call, params: Record<string, string>): void => {
    inst.request({ appKey: c.appKey, deviceId: c.deviceId, at: c.at, params });
  };

  /** A public method never throws: an unexpected failure is logged and the call ignored. */
  const guarded = <A extends unknown[]>(fn: string, body: (...args: A) => void) =>
    (...args: A): void => {
      try {
        body(...args);
      } catch (error) {
        inst.log.error(MODULE, `${fn}, failed: ${errorText(error)}; call ignored`);
      }
    };

  const numberOption = (fn: string, c: Call, name: 'sum' | 'dur'): number | undefined => {
    const v = c.options[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isFinite(v) && (name === 'sum' || v >= 0)) return v;
    warn(fn, `${name} must be a ${name === 'dur' ? 'number of seconds >= 0' : 'finite number'}, got ${param(v)}; left out`);
    return undefined;
  };

  const viewSegmentation = (fn: string, c: Call): Segmentation => {
    const raw = c.options.segmentation;
    if (raw === undefined || raw === null) return {};
    const clean = cleanViewSegmentation(raw, DEFAULT_LIMITS);
    warnAll(fn, clean.warnings);
    return clean.segmentation;
  };

  const segmentOf = (fn: string, c: Call): string => {
    const s = c.options.segment;
    if (isText(s)) return s;
    if (s !== undefined && s !== null && s !== '') warn(fn, `segment must be a string, got ${param(s)}; using the platform's`);
    try {
      return isText(inst.platform.name) ? inst.platform.name : 'JS';
    } catch {
      return 'JS';
    }
  };

  return {
    recordEvent: guarded('recordEvent', (deviceId: string, key: string, options?: unknown) => {
      const c = call('recordEvent', deviceId, options);
      if (c === null) return;
      if (!isText(key)) {
        warn('recordEvent', `key must be a non-empty string, got ${param(key)}; call ignored`);
        return;
      }
      const k = truncateKey(key, DEFAULT_LIMITS);
      warnAll('recordEvent', k.warnings);
      let count = 1;
      const rawCount = c.options.count;
      if (rawCount !== undefined && rawCount !== null) {
        // spec l. 5307: negative (and other invalid) counts are reset to 1.
        if (typeof rawCount === 'number' && Number.isInteger(rawCount) && rawCount >= 1) count = rawCount;
        else warn('recordEvent', `count must be a positive integer, got ${param(rawCount)}; using 1`);
      }
      const sum = numberOption('recordEvent', c, 'sum');
      const dur = numberOption('recordEvent', c, 'dur');
      let segmentation: Segmentation = {};
      if (c.options.segmentation !== undefined && c.options.segmentation !== null) {
        const s = sanitizeSegmentation(c.options.segmentation, DEFAULT_LIMITS);
        warnAll('recordEvent', s.warnings);
        segmentation = s.segmentation;
      }
      event(c, k.value, segmentation, { count, ...(sum !== undefined ? { sum } : {}), ...(dur !== undefined ? { dur } : {}) });
    }),

    recordUserProperties: guarded('recordUserProperties', (deviceId: string, properties: unknown, options?: unknown) => {
      const c = call('recordUserProperties', deviceId, options);
      if (c === null) return;
      const details = userDetails(properties);
      warnAll('recordUserProperties', details.warnings);
      if (details.value === null) {
        warn('recordUserProperties', 'no valid property given; call ignored');
        return;
      }
      request(c, { user_details: JSON.stringify(details.value) });
    }),

    recordException: guarded('recordException', (deviceId: string, error: unknown, options?: unknown) => {
      const c = call('recordException', deviceId, options);
      if (c === null) return;
      if (!isText(error)) {
        warn('recordException', `error must be a non-empty string, got ${param(error)}; call ignored`);
        return;
      }
      const o = c.options;
      const stackTrace = typeof o.stackTrace === 'string' ? o.stackTrace : undefined;
      if (o.stackTrace !== undefined && o.stackTrace !== null && stackTrace === undefined) warn('recordException', `stackTrace must be a string, got ${param(o.stackTrace)}; ignored`);
      if (o.unhandled !== undefined && typeof o.unhandled !== 'boolean') warn('recordException', `unhandled must be a boolean, got ${param(o.unhandled)}; using false`);
      let platform: Record<string, string> = {};
      try {
        platform = inst.platform.metrics();
      } catch {
        platform = {};
      }
      const crash = crashObject(
        { error, stackTrace, breadcrumbs: o.breadcrumbs ?? undefined, custom: o.custom ?? undefined, metrics: o.metrics ?? undefined, unhandled: o.unhandled === true },
        { os: platform._os, osVersion: platform._os_version, appVersion: inst.config.client.appVersion },
      );
      warnAll('recordException', crash.warnings);
      request(c, { crash: JSON.stringify(crash.value) });
    }),

    beginSession: guarded('beginSession', (deviceId: string, options?: unknown) => {
      const c = call('beginSession', deviceId, options);
      if (c === null) return;
      let metrics = inst.metrics();
      if (c.options.metrics !== undefined && c.options.metrics !== null) {
        const m = stringMap('metrics', c.options.metrics);
        warnAll('beginSession', m.warnings);
        metrics = JSON.stringify(m.value);
      }
      let location: Record<string, string> = {};
      if (c.options.location !== undefined && c.options.location !== null) {
        const l = stringMap('location', c.options.location, LOCATION_KEYS);
        warnAll('beginSession', l.warnings);
        location = l.value;
      }
      request(c, beginSessionParams(metrics, location));
    }),

    updateSession: guarded('updateSession', (deviceId: string, duration: unknown, options?: unknown) => {
      const c = call('updateSession', deviceId, options);
      if (c === null) return;
      // spec l. 5336: the duration must be at least 1 second; less is rejected.
      if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 1) {
        warn('updateSession', `duration must be a number of seconds >= 1, got ${param(duration)}; call ignored`);
        return;
      }
      request(c, updateSessionParams(duration));
    }),

    endSession: guarded('endSession', (deviceId: string, duration: unknown, options?: unknown) => {
      const c = call('endSession', deviceId, options);
      if (c === null) return;
      if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) {
        warn('endSession', `duration must be a number of seconds >= 0, got ${param(duration)}; call ignored`);
        return;
      }
      request(c, endSessionParams(duration));
    }),

    startView: guarded('startView', (deviceId: string, name: unknown, options?: unknown) => {
      const c = call('startView', deviceId, options);
      if (c === null) return;
      if (!isText(name)) {
        warn('startView', `name must be a non-empty string, got ${param(name)}; call ignored`);
        return;
      }
      const custom = viewSegmentation('startView', c);
      const first = c.options.firstView;
      if (first !== undefined && typeof first !== 'boolean') warn('startView', `firstView must be a boolean, got ${param(first)}; using false`);
      // spec l. 5413–5416: name, segment and visit "1" added; start "1" for the first view.
      const segmentation: Segmentation = { ...custom, name, segment: segmentOf('startView', c), visit: '1' };
      if (first === true) segmentation.start = '1';
      event(c, VIEW_EVENT_KEY, segmentation, {});
    }),

    stopView: guarded('stopView', (deviceId: string, name: unknown, duration: unknown, options?: unknown) => {
      const c = call('stopView', deviceId, options);
      if (c === null) return;
      if (!isText(name)) {
        warn('stopView', `name must be a non-empty string, got ${param(name)}; call ignored`);
        return;
      }
      if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0) {
        warn('stopView', `duration must be a number of seconds >= 0, got ${param(duration)}; call ignored`);
        return;
      }
      const custom = viewSegmentation('stopView', c);
      // spec l. 5437–5438: no visit, no start; the duration is the event's dur.
      event(c, VIEW_EVENT_KEY, { ...custom, name, segment: segmentOf('stopView', c) }, { dur: duration });
    }),

    changeDeviceIdWithMerge: guarded('changeDeviceIdWithMerge', (newDeviceId: string, oldDeviceId: unknown, options?: unknown) => {
      const c = call('changeDeviceIdWithMerge', newDeviceId, options, 'newDeviceId');
      if (c === null) return;
      if (!isText(oldDeviceId)) {
        warn('changeDeviceIdWithMerge', `oldDeviceId must be a non-empty string, got ${param(oldDeviceId)}; call ignored`);
        return;
      }
      if (oldDeviceId === newDeviceId) {
        warn('changeDeviceIdWithMerge', `newDeviceId and oldDeviceId are the same ${param(newDeviceId)}; call ignored`);
        return;
      }
      request(c, mergeParams(oldDeviceId));
    }),

    recordDirectRequest: guarded('recordDirectRequest', (deviceId: string, params: unknown, options?: unknown) => {
      const c = call('recordDirectRequest', deviceId, options);
      if (c === null) return;
      const p = stringMap('params', params);
      const reserved = ['app_key', 'device_id', 'timestamp', 'hour', 'dow', 'tz', 'sdk_version', 'sdk_name', 'av', 't', 'rr', 'checksum', 'checksum256', 'dr'];
      for (const k of Object.keys(p.value)) {
        if (reserved.includes(k)) {
          p.warnings.push(`param ${param(k)} is set by the SDK, dropped`);
          delete p.value[k];
        }
      }
      warnAll('recordDirectRequest', p.warnings);
      if (Object.keys(p.value).length === 0) {
        warn('recordDirectRequest', 'params must hold at least one string param; call ignored');
        return;
      }
      request(c, directParams(p.value));
    }),

    flush: () => inst.flush().catch((error: unknown) => inst.log.error(MODULE, `flush, failed: ${errorText(error)}`)),
    shutdown: () => inst.shutdown().catch((error: unknown) => inst.log.error(MODULE, `shutdown, failed: ${errorText(error)}`)),
    get ready() {
      return inst.ready;
    },
    pending: () => inst.pending(),
  };
}
