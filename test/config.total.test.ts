/**
 * `resolveConfig` is total for every config with a valid `url` and `appKey`: the public
 * rule is that `createCountly` throws only for an invalid `url`/`appKey`, and every other
 * bad option is warned about and replaced by its default.
 *
 * The defect this pins (found by outside fuzzing: createCountly threw for ~16% of random
 * configs): warnings rendered the bad value with `String(value)`, which throws for a
 * null-prototype object (no toString), an object whose toString/Symbol.toPrimitive throws,
 * and a revoked proxy; options were read with plain property access, so a throwing getter
 * or proxy trap escaped; and an option was read more than once, so a getter could pass the
 * check with one value and hand over another.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, loggerOptionsOf, MAX_CONFIG_LIST, MAX_TIMER_SECONDS, readOption, resolveConfig, type ResolvedConfig } from '../src/config.js';
import { ConsentFeatures } from '../src/domain/types.js';
import { createLogger } from '../src/log.js';
import type { CountlyConfig } from '../src/types.js';

/** Every option of CountlyConfig but `url` and `appKey`; the check below fails to compile when one is missing. */
const OPTION_KEYS = [
  'deviceId', 'temporaryDeviceId', 'clearStoredDeviceId', 'storage', 'transport', 'platform', 'clock',
  'logging', 'logListener', 'httpPostForced', 'customHeaders', 'requestTimeoutSeconds', 'requestDropAgeHours',
  'salt', 'maxRequestQueueSize', 'eventQueueThreshold', 'sessionUpdateInterval', 'manualSessions', 'backoff',
  'retryCooldownSeconds', 'requiresConsent', 'consent', 'location', 'metricOverride', 'userProperties', 'limits', 'views',
  'behaviorSettings', 'disableBehaviorSettingsUpdates', 'experimental', 'sdkName', 'sdkVersion', 'appVersion',
  'inspect', 'crashes', 'apm', 'push', 'remoteConfig', 'content', 'heatmaps', 'disableHealthCheck', 'exporters',
] as const satisfies ReadonlyArray<keyof CountlyConfig>;
type Unlisted = Exclude<keyof CountlyConfig, (typeof OPTION_KEYS)[number] | 'url' | 'appKey'>;
const everyOptionListed: [Unlisted] extends [never] ? true : Unlisted = true;

/** Keys read inside the object options, so nested junk reaches the nested checks. */
const NESTED_KEYS = [
  ...Object.keys(DEFAULT_LIMITS),
  'countryCode', 'city', 'gps', 'ipAddress',
  'automatic', 'shortNames', 'exclusions', 'globalSegmentation', 'trackOrientation', 'restartManualViews',
  'visibilityTracking', 'previousNameRecording',
  'autoReport', 'segmentation', 'filter',
  'appStartTracking', 'foregroundBackgroundTracking', 'manualAppLoadedTrigger', 'appStartTimestampOverride',
  'testMode', 'provider', 'sendTokenAlways',
  'automaticTriggers', 'valueCaching', 'enrollOnDownload', 'onDownload', 'onContent', 'zoneTimerInterval', 'allowedOrigins',
  'clicks', 'scrolls', 'whitelist',
  'X-Header', '__proto__', 'length', '0',
];

const boom = (what: string) => (): never => {
  throw new Error(what);
};
const throwingTraps: ProxyHandler<object> = new Proxy({}, { get: () => boom('trap') });

/**
 * Hostile values, built fresh per call. fast-check probes each generated value for a clone
 * method, which a throwing proxy fails, so the properties generate indexes into this list.
 */
function hostileValues(): unknown[] {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  let deep: unknown = 0;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const sparse: unknown[] = [];
  sparse.length = 2 ** 32 - 1;
  const iteratorless = ['events'];
  Object.defineProperty(iteratorless, Symbol.iterator, { get: boom('iterator') });
  const badIndex: unknown[] = [];
  Object.defineProperty(badIndex, '0', { get: boom('index'), enumerable: true });
  return [
    10n ** 30n,
    Symbol('s'),
    Object.assign(Object.create(null) as object, { n: 1n }),
    Object.create(null),
    { toString: boom('toString') },
    { [Symbol.toPrimitive]: boom('toPrimitive') },
    { toJSON: boom('toJSON') },
    { get countryCode() { return boom('getter')(); } },
    new Proxy({}, throwingTraps),
    new Proxy([], throwingTraps),
    new Proxy(['events'], { get: (t, k) => (k === 'length' ? 'many' : Reflect.get(t, k)) }),
    new Proxy(() => 1, throwingTraps),
    revocable.proxy,
    cyclic,
    deep,
    'x'.repeat(1_000_000),
    sparse,
    iteratorless,
    badIndex,
    new Float64Array(8),
    new Map([['a', 1]]),
    new Set(['events']),
    new Date(Number.NaN),
    new Error('boom'),
    Object(Symbol('boxed')),
    Object('boxed string'),
    Object(1n),
    Number.NaN,
    -0,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 31,
    1e300,
    Number.MIN_VALUE,
    'all',
    'hybrid',
    '',
    '   ',
    'a\r\nb',
    '\0',
  ];
}

/** How a property is put on a built object. */
type Mode = 'value' | 'getter' | 'throwing getter';
/** A value to build inside the property (see hostileValues). */
type Recipe =
  | { plain: unknown }
  | { hostile: number }
  | { consent: Recipe[] }
  | { object: Array<[string, Recipe, Mode]>; kind: 'plain' | 'null prototype' | 'proxy' };

function builder(hostile: readonly unknown[]) {
  const define = (target: object, key: string, recipe: Recipe, mode: Mode): void => {
    if (mode === 'value') Object.defineProperty(target, key, { value: build(recipe), enumerable: true, configurable: true, writable: true });
    else Object.defineProperty(target, key, { get: mode === 'getter' ? () => build(recipe) : boom(`get ${key}`), enumerable: true, configurable: true });
  };
  const build = (r: Recipe): unknown => {
    if ('plain' in r) return r.plain;
    if ('hostile' in r) return hostile[r.hostile];
    if ('consent' in r) return r.consent.map(build);
    const target = r.kind === 'null prototype' ? (Object.create(null) as object) : {};
    for (const [k, v, mode] of r.object) define(target, k, v, mode);
    // A proxy that answers reads but throws on listing its keys.
    return r.kind === 'proxy' ? new Proxy(target, { ownKeys: boom('ownKeys') }) : target;
  };
  return { build, define };
}

const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
});
const mode = fc.constantFrom<Mode>('value', 'value', 'getter', 'throwing getter');

function recipes(hostileCount: number) {
  return fc.letrec<{ recipe: Recipe; object: Recipe }>((tie) => ({
    recipe: fc.oneof(
      { depthSize: 'small' },
      anything.map((plain) => ({ plain })),
      fc.nat(hostileCount - 1).map((i) => ({ hostile: i })),
      fc.constantFrom(...ConsentFeatures, 'nope').map((plain) => ({ plain })),
      fc.array(tie('recipe'), { maxLength: 4 }).map((consent) => ({ consent })),
      tie('object'),
    ),
    object: fc.record({
      object: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NESTED_KEYS), fc.string()), tie('recipe'), mode), { maxLength: 5 }),
      kind: fc.constantFrom<'plain' | 'null prototype' | 'proxy'>('plain', 'plain', 'null prototype', 'proxy'),
    }),
  }));
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
const isIntegerIn = (v: unknown, min: number, max: number): boolean => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max && !Object.is(v, -0);
const isNonEmptyString = (v: unknown): boolean => typeof v === 'string' && v !== '';
const isScalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const isStringRecord = (v: unknown): boolean => isPlainObject(v) && Object.values(v as object).every((x) => typeof x === 'string');
const sameKeys = (v: object, keys: readonly string[]): boolean => Object.keys(v).sort().join() === [...keys].sort().join();

const RESOLVED_KEYS = Object.keys(resolveConfig({ url: 'https://x.example', appKey: 'k' }, createLogger({ console: false })));
const LOCATION_KEYS = ['countryCode', 'city', 'gps', 'ipAddress'];

/**
 * The fields that do not have their declared type (empty when all do), and whether the
 * whole is plain data: structuredClone refuses proxies, symbols and functions, so nothing
 * of the user's objects is left (but where the declared type allows it).
 * Plain checks and one `expect`, as it runs thousands of times.
 */
function typeErrors(r: ResolvedConfig): string[] {
  const checks: Record<string, boolean> = {
    keys: sameKeys(r, RESOLVED_KEYS),
    url: r.url === 'https://x.example',
    appKey: r.appKey === 'k',
    deviceId: r.deviceId === undefined || (typeof r.deviceId === 'string' && r.deviceId.trim() !== ''),
    booleans: [r.temporaryDeviceId, r.clearStoredDeviceId, r.httpPostForced, r.backoff, r.requiresConsent, r.behaviorSettingsUpdates].every((b) => typeof b === 'boolean'),
    customHeaders:
      isStringRecord(r.customHeaders) &&
      Object.entries(r.customHeaders).every(([k, v]) => /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(k) && !/[\r\n\0]/.test(v)),
    requestTimeoutMs: isIntegerIn(r.requestTimeoutMs / 1000, 1, MAX_TIMER_SECONDS),
    requestDropAgeHours: isIntegerIn(r.requestDropAgeHours, 0, Number.MAX_SAFE_INTEGER),
    salt: r.salt === undefined || isNonEmptyString(r.salt),
    maxRequestQueueSize: isIntegerIn(r.maxRequestQueueSize, 1, Number.MAX_SAFE_INTEGER),
    eventQueueThreshold: isIntegerIn(r.eventQueueThreshold, 1, Number.MAX_SAFE_INTEGER),
    sessionUpdateIntervalSeconds: isIntegerIn(r.sessionUpdateIntervalSeconds, 1, MAX_TIMER_SECONDS),
    retryCooldownSeconds: isIntegerIn(r.retryCooldownSeconds, 1, MAX_TIMER_SECONDS),
    manualSessions: r.manualSessions === false || r.manualSessions === true || r.manualSessions === 'hybrid',
    consent: Array.isArray(r.consent) && r.consent.every((f) => ConsentFeatures.includes(f)) && new Set(r.consent).size === r.consent.length,
    location:
      r.location === false ||
      r.location === undefined ||
      (isPlainObject(r.location) && Object.entries(r.location).every(([k, v]) => LOCATION_KEYS.includes(k) && isNonEmptyString(v))),
    metricOverride: isStringRecord(r.metricOverride),
    // Declared Record<string, unknown>: a plain copy whose values the user feature validates.
    userProperties: r.userProperties === undefined || isPlainObject(r.userProperties),
    limits: sameKeys(r.limits, Object.keys(DEFAULT_LIMITS)) && Object.values(r.limits).every((v) => isIntegerIn(v, 1, Number.MAX_SAFE_INTEGER)),
    views:
      sameKeys(r.views, ['automatic', 'exclusions', 'globalSegmentation', 'restartManualViews', 'shortNames', 'trackOrientation']) &&
      [r.views.automatic, r.views.shortNames, r.views.trackOrientation, r.views.restartManualViews].every((b) => typeof b === 'boolean') &&
      Array.isArray(r.views.exclusions) &&
      r.views.exclusions.every(isNonEmptyString) &&
      isPlainObject(r.views.globalSegmentation) &&
      Object.values(r.views.globalSegmentation).every((v) => isScalar(v) || (Array.isArray(v) && v.every(isScalar))),
    experimental: sameKeys(r.experimental, ['previousNameRecording', 'visibilityTracking']) && Object.values(r.experimental).every((b) => typeof b === 'boolean'),
    apm:
      sameKeys(r.apm, ['appStartTimestampOverride', 'appStartTracking', 'foregroundBackgroundTracking', 'manualAppLoadedTrigger']) &&
      [r.apm.appStartTracking, r.apm.foregroundBackgroundTracking, r.apm.manualAppLoadedTrigger].every((b) => typeof b === 'boolean') &&
      (r.apm.appStartTimestampOverride === undefined || isIntegerIn(r.apm.appStartTimestampOverride, 0, Number.MAX_SAFE_INTEGER)),
    crashes:
      sameKeys(r.crashes, ['autoReport', 'filter', 'segmentation']) &&
      typeof r.crashes.autoReport === 'boolean' &&
      (r.crashes.filter === undefined || typeof r.crashes.filter === 'function') &&
      isPlainObject(r.crashes.segmentation) &&
      Object.values(r.crashes.segmentation).every((v) => isScalar(v) || (Array.isArray(v) && v.every(isScalar))),
    strings: [r.sdkName, r.sdkVersion, r.appVersion].every(isNonEmptyString),
  };
  try {
    // `userProperties` values are `unknown` and `crashes.filter` is the developer's function.
    structuredClone({ ...r, userProperties: undefined, crashes: { ...r.crashes, filter: undefined } });
  } catch {
    checks.plainData = false;
  }
  return Object.keys(checks).filter((k) => !checks[k]);
}

function expectResolved(r: ResolvedConfig): void {
  expect(typeErrors(r)).toEqual([]);
}

function resolveLogged(config: object): { resolved: ResolvedConfig; lines: string[] } {
  const lines: string[] = [];
  const resolved = resolveConfig(config as CountlyConfig, createLogger({ console: false, listener: (m) => lines.push(m) }));
  return { resolved, lines };
}

/** The last-resort guard's message: the per-option checks must never need it. */
const GUARD_MESSAGE = /could not be checked/;

describe('resolveConfig is total for a valid url and appKey', () => {
  it('lists every option of CountlyConfig', () => {
    expect(everyOptionListed).toBe(true);
  });

  it('property: any option set to anything, hostile values, getters and nested junk', () => {
    const hostile = hostileValues();
    const { build, define } = builder(hostile);
    const options = fc.array(fc.tuple(fc.constantFrom(...OPTION_KEYS), recipes(hostile.length).recipe, mode), { maxLength: 8 });
    fc.assert(
      fc.property(options, (entries) => {
        const config: Record<string, unknown> = { url: 'https://x.example', appKey: 'k' };
        for (const [key, recipe, how] of entries) define(config, key, recipe, how);
        const { resolved, lines } = resolveLogged(config);
        expectResolved(resolved);
        // Warnings stay short whatever the value (param bounds it), and the last guard is never needed.
        expect(lines.filter((l) => GUARD_MESSAGE.test(l) || l.length > 4000)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: fc.anything per option, as a plain dictionary', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...OPTION_KEYS), anything), (options) => {
        const { resolved, lines } = resolveLogged({ ...options, url: 'https://x.example', appKey: 'k' });
        expectResolved(resolved);
        expect(lines.filter((l) => GUARD_MESSAGE.test(l))).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  it.each(hostileValues().map((value, i) => [i, value] as const))('hostile value #%i in every option at once', (_, value) => {
    const config: Record<string, unknown> = { url: 'https://x.example', appKey: 'k' };
    for (const key of OPTION_KEYS) config[key] = value;
    const { resolved, lines } = resolveLogged(config);
    expectResolved(resolved);
    expect(lines.filter((l) => GUARD_MESSAGE.test(l))).toEqual([]);
  });
});

describe('inputs that threw before (regressions)', () => {
  it('a null-prototype object as an option is warned about, not String()-ed', () => {
    const { resolved, lines } = resolveLogged({ url: 'https://x.example', appKey: 'k', manualSessions: Object.assign(Object.create(null) as object, { a: 1 }) });
    expect(resolved.manualSessions).toBe(false);
    expect(lines).toEqual(['[Countly] [Init] createCountly, invalid value for "manualSessions" [{"a":1}], using [false]']);
  });

  it('a throwing toString or a revoked proxy as an option is warned about', () => {
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const { resolved, lines } = resolveLogged({ url: 'https://x.example', appKey: 'k', backoff: { toString: boom('toString') }, salt: revocable.proxy });
    expect(resolved.backoff).toBe(true);
    expect(resolved.salt).toBeUndefined();
    expect(lines).toHaveLength(2);
  });

  it('a throwing getter on an option is warned about and the default used', () => {
    const config = { url: 'https://x.example', appKey: 'k' };
    Object.defineProperty(config, 'eventQueueThreshold', { get: boom('getter'), enumerable: true });
    const { resolved, lines } = resolveLogged(config);
    expect(resolved.eventQueueThreshold).toBe(100);
    expect(lines).toEqual(['[Countly] [Init] createCountly, invalid value for "eventQueueThreshold" [<unreadable>], using [100]']);
  });

  it('a proxy throwing on every trap as an object option is warned about', () => {
    const { resolved, lines } = resolveLogged({
      url: 'https://x.example',
      appKey: 'k',
      customHeaders: new Proxy({}, throwingTraps),
      location: new Proxy({}, throwingTraps),
      consent: new Proxy([], throwingTraps),
    });
    expect(resolved.customHeaders).toEqual({});
    expect(resolved.location).toEqual({});
    expect(resolved.consent).toEqual([]);
    expect(lines.some((l) => l.includes('"customHeaders" [<unreadable>]'))).toBe(true);
    expect(lines.some((l) => l.includes('"location.city" [<unreadable>]'))).toBe(true);
    expect(lines.some((l) => l.includes('"consent.length" [<unreadable>]'))).toBe(true);
  });

  it('reads each option once: a getter cannot pass the check with one value and hand over another', () => {
    let reads = 0;
    const config = { url: 'https://x.example', appKey: 'k' };
    Object.defineProperty(config, 'consent', {
      get: () => (reads++ === 0 ? ['events'] : 42),
      enumerable: true,
    });
    expect(resolveLogged(config).resolved.consent).toEqual(['events']);
    expect(reads).toBe(1);
  });

  it('a sparse array claiming 2^32−1 items is read up to a bound, not looped over', () => {
    const sparse: string[] = ['events'];
    sparse.length = 2 ** 32 - 1;
    const { resolved, lines } = resolveLogged({ url: 'https://x.example', appKey: 'k', consent: sparse });
    expect(resolved.consent).toEqual(['events']);
    expect(lines.some((l) => l.includes(`"consent.length" [${2 ** 32 - 1}], using [${MAX_CONFIG_LIST}]`))).toBe(true);
  });

  it('a __proto__ key in customHeaders, metricOverride or globalSegmentation stays a key', () => {
    const own = JSON.parse('{"__proto__":"v"}') as Record<string, string>;
    const { resolved } = resolveLogged({ url: 'https://x.example', appKey: 'k', customHeaders: own, metricOverride: own, views: { globalSegmentation: own } });
    for (const r of [resolved.customHeaders, resolved.metricOverride, resolved.views.globalSegmentation]) {
      expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
      expect(Object.hasOwn(r, '__proto__')).toBe(true);
    }
  });

  it('globalSegmentation keeps only what Segmentation allows, as a plain copy', () => {
    const { resolved, lines } = resolveLogged({
      url: 'https://x.example',
      appKey: 'k',
      views: { globalSegmentation: { s: 'x', n: 1, b: true, a: [1, 'x', 2n], nan: Number.NaN, big: 1n, o: {} } },
    });
    expect(resolved.views.globalSegmentation).toEqual({ s: 'x', n: 1, b: true, a: [1, 'x'] });
    for (const k of ['a', 'nan', 'big', 'o']) expect(lines.some((l) => l.includes(`"views.globalSegmentation.${k}"`)), k).toBe(true);
  });

  it('non-boolean views and experimental flags are warned about (they were silently coerced)', () => {
    const { resolved, lines } = resolveLogged({ url: 'https://x.example', appKey: 'k', views: { automatic: 'yes', trackOrientation: 0 }, experimental: 5 });
    expect(resolved.views).toMatchObject({ automatic: false, trackOrientation: true });
    expect(resolved.experimental).toEqual({ visibilityTracking: false, previousNameRecording: false });
    for (const option of ['views.automatic', 'views.trackOrientation', 'experimental']) expect(lines.some((l) => l.includes(`"${option}"`)), option).toBe(true);
  });

  it('an array, typed array, Map or Date is no options object (a typed array\'s filter is no crash filter)', () => {
    for (const value of [new Int16Array(2), [1], new Map(), new Date(0), Object('s')]) {
      const { resolved, lines } = resolveLogged({ url: 'https://x.example', appKey: 'k', crashes: value, customHeaders: value });
      expect(resolved.crashes.filter).toBeUndefined();
      expect(resolved.customHeaders).toEqual({});
      expect(lines.filter((l) => l.includes('"crashes"') || l.includes('"customHeaders"'))).toHaveLength(2);
    }
  });

  it('-0 and huge numbers resolve to declared integers', () => {
    const { resolved } = resolveLogged({ url: 'https://x.example', appKey: 'k', requestDropAgeHours: -0, maxRequestQueueSize: Number.MAX_VALUE, limits: { maxKeyLength: 1e300 } });
    expect(Object.is(resolved.requestDropAgeHours, 0)).toBe(true);
    expect(resolved.maxRequestQueueSize).toBe(Number.MAX_SAFE_INTEGER);
    expect(resolved.limits.maxKeyLength).toBe(DEFAULT_LIMITS.maxKeyLength);
  });
});

describe('url and appKey: the only options that may throw', () => {
  const quiet = createLogger({ console: false });

  it('a config proxy that throws on every trap throws as an invalid url', () => {
    expect(() => resolveConfig(new Proxy({}, throwingTraps) as CountlyConfig, quiet)).toThrow(/"url" must be a valid http\(s\) URL, got \[<unreadable>\]/);
  });

  it('a throwing url getter throws as an invalid url; a throwing appKey getter as an invalid appKey', () => {
    const badUrl = { appKey: 'k' };
    Object.defineProperty(badUrl, 'url', { get: boom('url') });
    expect(() => resolveConfig(badUrl as CountlyConfig, quiet)).toThrow(/url/);
    const badKey = { url: 'https://x.example' };
    Object.defineProperty(badKey, 'appKey', { get: boom('appKey') });
    expect(() => resolveConfig(badKey as CountlyConfig, quiet)).toThrow(/appKey/);
  });

  it('a revoked proxy as the config throws as a non-object config', () => {
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(() => resolveConfig(revocable.proxy as CountlyConfig, quiet)).toThrow(/config must be an object/);
  });

  it('hostile url and appKey values throw our TypeError, never a different error', () => {
    for (const value of hostileValues()) {
      expect(() => resolveConfig({ url: value, appKey: 'k' } as CountlyConfig, quiet)).toThrow(TypeError);
      expect(() => resolveConfig({ url: value, appKey: 'k' } as CountlyConfig, quiet)).toThrow(/\[Countly\] createCountly, "url"/);
      // Any non-blank string is a valid appKey.
      if (typeof value === 'string' && value.trim() !== '') continue;
      expect(() => resolveConfig({ url: 'https://x.example', appKey: value } as CountlyConfig, quiet)).toThrow(/\[Countly\] createCountly, "appKey"/);
    }
  });
});

describe('options the runtime reads itself: logger options, adapters, settings, inspector', () => {
  it('loggerOptionsOf never throws and keeps only a boolean true and a function', () => {
    const listener = (): void => undefined;
    expect(loggerOptionsOf({ logging: true, logListener: listener })).toEqual({ console: true, listener });
    expect(loggerOptionsOf({ logging: 'yes', logListener: 5 })).toEqual({ console: false, listener: undefined });
    const getters = {};
    Object.defineProperty(getters, 'logging', { get: boom('logging') });
    Object.defineProperty(getters, 'logListener', { get: boom('logListener') });
    expect(loggerOptionsOf(getters)).toEqual({ console: false, listener: undefined });
    for (const value of [...hostileValues(), null, undefined]) expect(() => loggerOptionsOf(value)).not.toThrow();
  });

  it('readOption gives undefined (the default) where the read throws, the value otherwise', () => {
    const storage = { kind: 'memory' };
    const config = { storage };
    Object.defineProperty(config, 'clock', { get: boom('clock') });
    expect(readOption(config, 'storage')).toBe(storage);
    expect(readOption(config, 'clock')).toBeUndefined();
    expect(readOption(new Proxy({}, throwingTraps), 'platform')).toBeUndefined();
    for (const value of hostileValues()) expect(() => readOption(value, 'transport')).not.toThrow();
  });

  it('resolveConfig warns about a bad logging flag or listener and an unreadable runtime option', () => {
    const config = { url: 'https://x.example', appKey: 'k', logging: 'yes', logListener: 5 };
    Object.defineProperty(config, 'storage', { get: boom('storage'), enumerable: true });
    const { lines } = resolveLogged(config);
    expect(lines).toEqual([
      '[Countly] [Init] createCountly, invalid value for "logging" [yes], using [false]',
      '[Countly] [Init] createCountly, invalid value for "logListener" [5], using [none]',
      '[Countly] [Init] createCountly, invalid value for "storage" [<unreadable>], using [the default]',
    ]);
  });
});
