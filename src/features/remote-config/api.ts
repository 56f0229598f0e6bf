/**
 * `countly.remoteConfig` (spec 001: Remote Config l. 2864-3131, A/B Testing l. 3132-3442):
 * validates each call, logs `[Countly] [RemoteConfig] fn, message`, and sends one event to
 * the remote-config machine; the getters read its snapshot. Never throws: a bad key list is
 * warned about (its bad entries dropped), a callback that is not a function is ignored with a
 * warning, an invalid key ignores the call.
 */
import { param } from '../../log.js';
import type { Countly, ExperimentInfo, RCData, RCDownloadCallback, RCVariantCallback } from '../../types.js';
import type { FeatureContext } from '../define.js';
import { RC_CHANNEL, type remoteConfigMachine } from './machine.js';
import { toRCData, type DownloadMode } from './rules.js';

const MODULE = 'RemoteConfig';
type Ctx = FeatureContext<typeof remoteConfigMachine>;

/** Values handed out are copies: the developer may change them freely. */
const copy = <T>(value: T): T => {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
};

export function createRemoteConfigApi(ctx: Ctx): Countly['remoteConfig'] {
  const { log } = ctx;
  // spec l. 2920-2925: the config's global callback hears every download. Wrapped, so
  // `removeCallback` of the same function removes only what `registerCallback` added.
  const onDownload = ctx.config.remoteConfig.onDownload;
  if (onDownload !== undefined) ctx.callbacks.on(RC_CHANNEL, (...args: Parameters<RCDownloadCallback>) => onDownload(...args));
  const registered = new Map<RCDownloadCallback, () => void>();

  /** The callback's token, or null (none, or not a function: warned about, the call goes on). */
  const tokenOf = (fn: string, callback: unknown): string | null => {
    if (callback === undefined || callback === null) return null;
    if (typeof callback !== 'function') {
      log.warning(MODULE, `${fn}, callback must be a function, got ${param(callback)}; callback ignored`);
      return null;
    }
    return ctx.callbacks.once(callback as RCDownloadCallback);
  };

  /** spec l. 2967-2999: non-empty strings only; anything else is warned about and dropped. */
  const keysOf = (fn: string, keys: unknown): string[] | null => {
    if (keys === undefined || keys === null) return [];
    if (!Array.isArray(keys)) {
      log.warning(MODULE, `${fn}, keys must be an array of strings, got ${param(keys)}; call ignored`);
      return null;
    }
    const valid = keys.filter((k): k is string => typeof k === 'string' && k !== '');
    if (valid.length < keys.length) log.warning(MODULE, `${fn}, ${keys.length - valid.length} key(s) that are not non-empty strings ignored`);
    return [...new Set(valid)];
  };

  const validKey = (fn: string, key: unknown): key is string => {
    if (typeof key === 'string' && key !== '') return true;
    log.warning(MODULE, `${fn}, key must be a non-empty string, got ${param(key)}; call ignored`);
    return false;
  };

  /** The machine's context when reads are allowed: after boot, with `remote-config` consent. */
  const readable = (fn: string) => {
    const context = ctx.snapshot()?.context;
    if (context === undefined) {
      log.debug(MODULE, `${fn}, the SDK is not ready yet; nothing stored is known`);
      return undefined;
    }
    if (!context.consent) {
      log.warning(MODULE, `${fn}, no "remote-config" consent; nothing returned`);
      return undefined;
    }
    return context;
  };

  const download = (fn: string, kind: DownloadMode['kind'], keys: unknown, callback: unknown): void => {
    const list = kind === 'all' ? [] : keysOf(fn, keys);
    if (list === null) return;
    const mode: DownloadMode = kind === 'all' ? { kind } : { kind, keys: list };
    ctx.send({ type: 'rc.download', mode, token: tokenOf(fn, callback) });
  };

  const getValues = (fn: string): Record<string, RCData> => {
    const context = readable(fn);
    return context ? copy(toRCData(context.values)) : {};
  };

  const getValue = (fn: string, key: unknown): RCData | undefined => {
    if (!validKey(fn, key)) return undefined;
    const context = readable(fn);
    const entry = context?.values[key];
    return entry === undefined ? undefined : copy({ value: entry.v, isCurrentUsersData: entry.c === 1 });
  };

  const enroll = (fn: string, keys: unknown): void => {
    const list = keysOf(fn, keys);
    if (list === null) return;
    // spec l. 3193: "If keys are null or empty call will be omitted."
    if (list.length === 0) {
      log.warning(MODULE, `${fn}, no keys to enroll; call ignored`);
      return;
    }
    ctx.send({ type: 'rc.enroll', keys: list });
  };

  return {
    downloadAll(callback?: RCDownloadCallback): void {
      log.info(MODULE, 'downloadAll');
      download('downloadAll', 'all', undefined, callback);
    },
    downloadSpecific(keys: string[], callback?: RCDownloadCallback): void {
      log.info(MODULE, `downloadSpecific, keys ${param(keys)}`);
      download('downloadSpecific', 'specific', keys, callback);
    },
    downloadOmitting(keys: string[], callback?: RCDownloadCallback): void {
      log.info(MODULE, `downloadOmitting, keys ${param(keys)}`);
      download('downloadOmitting', 'omit', keys, callback);
    },
    getValues: () => getValues('getValues'),
    getValue: (key: string) => getValue('getValue', key),
    getAllAndEnroll(): Record<string, RCData> {
      const values = getValues('getAllAndEnroll');
      const keys = Object.keys(values);
      if (keys.length > 0) ctx.send({ type: 'rc.enroll', keys });
      return values;
    },
    getValueAndEnroll(key: string): RCData | undefined {
      const value = getValue('getValueAndEnroll', key);
      // spec l. 3183-3184: enrolls "for the specified key if the key exist".
      if (value !== undefined) ctx.send({ type: 'rc.enroll', keys: [key] });
      return value;
    },
    registerCallback(callback: RCDownloadCallback): void {
      if (typeof callback !== 'function') {
        log.warning(MODULE, `registerCallback, callback must be a function, got ${param(callback)}; call ignored`);
        return;
      }
      if (registered.has(callback)) return;
      registered.set(callback, ctx.callbacks.on(RC_CHANNEL, callback));
    },
    removeCallback(callback: RCDownloadCallback): void {
      if (typeof callback !== 'function') {
        log.warning(MODULE, `removeCallback, callback must be a function, got ${param(callback)}; call ignored`);
        return;
      }
      registered.get(callback)?.();
      registered.delete(callback);
    },
    clearAll(): void {
      log.info(MODULE, 'clearAll');
      ctx.send({ type: 'rc.clearAll' });
    },
    enroll(keys: string[]): void {
      log.info(MODULE, `enroll, keys ${param(keys)}`);
      enroll('enroll', keys);
    },
    exit(keys?: string[]): void {
      log.info(MODULE, `exit, keys ${param(keys)}`);
      // spec l. 3206: no keys (or none) exits every test.
      const list = keysOf('exit', keys);
      if (list !== null) ctx.send({ type: 'rc.exit', keys: list });
    },
    testing: {
      downloadVariants(callback?: RCVariantCallback): void {
        log.info(MODULE, 'testing.downloadVariants');
        ctx.send({ type: 'rc.downloadVariants', token: tokenOf('testing.downloadVariants', callback) });
      },
      downloadExperiments(callback?: RCVariantCallback): void {
        log.info(MODULE, 'testing.downloadExperiments');
        ctx.send({ type: 'rc.downloadExperiments', token: tokenOf('testing.downloadExperiments', callback) });
      },
      getAllVariants(): Record<string, string[]> {
        return copy(readable('testing.getAllVariants')?.variants ?? {});
      },
      getVariantsForKey(key: string): string[] | null {
        if (!validKey('testing.getVariantsForKey', key)) return null;
        const variants = readable('testing.getVariantsForKey')?.variants;
        // spec l. 3240: "If no variants found for the specified key, null is returned."
        return variants !== undefined && Object.hasOwn(variants, key) ? [...variants[key]!] : null;
      },
      getAllExperiments(): Record<string, ExperimentInfo> {
        return copy(readable('testing.getAllExperiments')?.experiments ?? {});
      },
      enrollIntoVariant(key: string, variant: string, callback?: RCVariantCallback): void {
        log.info(MODULE, `testing.enrollIntoVariant, key ${param(key)}, variant ${param(variant)}`);
        if (!validKey('testing.enrollIntoVariant', key)) return;
        if (typeof variant !== 'string' || variant === '') {
          log.warning(MODULE, `testing.enrollIntoVariant, variant must be a non-empty string, got ${param(variant)}; call ignored`);
          return;
        }
        ctx.send({ type: 'rc.enrollVariant', key, variant, token: tokenOf('testing.enrollIntoVariant', callback) });
      },
    },
  };
}
