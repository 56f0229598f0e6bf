/**
 * The per-feature option groups of resolveConfig (userProperties, crashes, apm, push):
 * each read through the total readers of `config-read.ts`, an invalid value warned about
 * and replaced by its default.
 */
import type { ResolvedConfig } from './config.js';
import type { CrashData } from './types.js';
import { isObject, readProp, UNREADABLE, type OptionReaders } from './config-read.js';

/** The config's user properties, a plain copy (each value read once); unreadable values dropped. */
export function userPropertiesOf(r: OptionReaders): ResolvedConfig['userProperties'] {
  const { safely, entriesOf, option, warn } = r;
  return safely('userProperties', undefined as Record<string, unknown> | undefined, () => {
    const entries = entriesOf('userProperties', option('userProperties'), 'none');
    if (entries === null) return undefined;
    const kept: Array<[string, unknown]> = [];
    for (const [k, v] of entries) {
      if (v === UNREADABLE) warn(`userProperties.${k}`, v, 'dropped');
      else kept.push([k, v]);
    }
    return Object.fromEntries(kept);
  });
}

/** Crash reporting (docs/crashes.md); `filter` is kept only when it is a function. */
export function crashesOf(r: OptionReaders): ResolvedConfig['crashes'] {
  const { safely, option, warn, bool, segmentation } = r;
  return safely('crashes', { autoReport: false, segmentation: {}, filter: undefined } as ResolvedConfig['crashes'], () => {
    let v = option('crashes');
    if (v === undefined) v = {};
    else if (!isObject(v)) {
      warn('crashes', v, 'defaults');
      v = {};
    }
    const filter = readProp(v as object, 'filter');
    if (filter !== undefined && typeof filter !== 'function') warn('crashes.filter', filter, 'none');
    return {
      autoReport: bool('crashes.autoReport', readProp(v as object, 'autoReport'), false),
      segmentation: segmentation('crashes.segmentation', readProp(v as object, 'segmentation')),
      filter: typeof filter === 'function' ? (filter as (crash: CrashData) => boolean) : undefined,
    };
  });
}

/** APM (docs/apm.md): all off by default; the override is a ms timestamp. */
export function apmOf(r: OptionReaders): ResolvedConfig['apm'] {
  const { safely, group, warn, bool } = r;
  return safely('apm', { appStartTracking: false, foregroundBackgroundTracking: false, manualAppLoadedTrigger: false, appStartTimestampOverride: undefined }, () => {
    const v = group('apm');
    const override = readProp(v, 'appStartTimestampOverride');
    const validOverride = typeof override === 'number' && Number.isSafeInteger(override) && override >= 0;
    if (override !== undefined && !validOverride) warn('apm.appStartTimestampOverride', override, 'none');
    return {
      appStartTracking: bool('apm.appStartTracking', readProp(v, 'appStartTracking'), false),
      foregroundBackgroundTracking: bool('apm.foregroundBackgroundTracking', readProp(v, 'foregroundBackgroundTracking'), false),
      manualAppLoadedTrigger: bool('apm.manualAppLoadedTrigger', readProp(v, 'manualAppLoadedTrigger'), false),
      appStartTimestampOverride: validOverride ? override : undefined,
    };
  });
}

/** Push (docs/push.md): `provider` as given (a non-empty string; the push feature knows the providers). */
export function pushOf(r: OptionReaders): ResolvedConfig['push'] {
  const { safely, group, warn, bool } = r;
  return safely('push', { testMode: 0, provider: undefined, sendTokenAlways: false } as ResolvedConfig['push'], () => {
    const v = group('push');
    const testMode = readProp(v, 'testMode');
    const validMode = (m: unknown): m is 0 | 1 | 2 => m === 0 || m === 1 || m === 2;
    if (testMode !== undefined && !validMode(testMode)) warn('push.testMode', testMode, 0);
    const provider = readProp(v, 'provider');
    const validProvider = typeof provider === 'string' && provider.trim() !== '' && provider.length <= 64;
    if (provider !== undefined && !validProvider) warn('push.provider', provider, 'FCM');
    return {
      testMode: validMode(testMode) ? testMode : 0,
      provider: validProvider ? provider : undefined,
      sendTokenAlways: bool('push.sendTokenAlways', readProp(v, 'sendTokenAlways'), false),
    };
  });
}
