import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, MAX_TIMER_SECONDS, normalizeServerUrl, resolveConfig } from '../src/config.js';
import { ConsentFeatures } from '../src/domain/types.js';
import { createLogger } from '../src/log.js';
import type { CountlyConfig } from '../src/types.js';

const quiet = createLogger({ console: false });
function withWarnings(config: Record<string, unknown>) {
  const lines: string[] = [];
  const resolved = resolveConfig({ url: 'https://x.example', appKey: 'k', ...config } as CountlyConfig, createLogger({ console: false, listener: (m) => lines.push(m) }));
  return { resolved, lines };
}

describe('resolveConfig', () => {
  it('fills every default from the spec', () => {
    const c = resolveConfig({ url: 'https://try.count.ly///', appKey: 'abc' }, quiet);
    expect(c).toMatchObject({
      url: 'https://try.count.ly',
      appKey: 'abc',
      httpPostForced: true,
      requestTimeoutMs: 30_000,
      requestDropAgeHours: 0,
      maxRequestQueueSize: 1000,
      eventQueueThreshold: 100,
      sessionUpdateIntervalSeconds: 60,
      manualSessions: false,
      backoff: true,
      requiresConsent: false,
      consent: [],
      limits: DEFAULT_LIMITS,
      temporaryDeviceId: false,
      clearStoredDeviceId: false,
    });
  });

  it.each([undefined, '', '   ', 'not a url', 'ftp://x', 42])('throws on an invalid url %s', (url) => {
    expect(() => resolveConfig({ url, appKey: 'k' } as unknown as CountlyConfig, quiet)).toThrow(/url/);
  });

  it.each([undefined, '', '  ', 7])('throws on an invalid appKey %s', (appKey) => {
    expect(() => resolveConfig({ url: 'https://x.example', appKey } as unknown as CountlyConfig, quiet)).toThrow(/appKey/);
  });

  it('throws on a non-object config', () => {
    expect(() => resolveConfig(null as unknown as CountlyConfig, quiet)).toThrow(/config/);
  });

  it('clamps to minimums and warns', () => {
    const { resolved, lines } = withWarnings({ requestTimeoutSeconds: 0, sessionUpdateInterval: 0, maxRequestQueueSize: 0 });
    expect(resolved.requestTimeoutMs).toBe(1000);
    expect(resolved.sessionUpdateIntervalSeconds).toBe(1);
    expect(resolved.maxRequestQueueSize).toBe(1);
    expect(lines.filter((l) => l.includes('createCountly, invalid value'))).toHaveLength(3);
  });

  it('replaces invalid values by defaults with a warning naming the option', () => {
    const { resolved, lines } = withWarnings({
      httpPostForced: 'yes',
      eventQueueThreshold: 1.5,
      manualSessions: 'sometimes',
      deviceId: '',
      salt: 3,
      customHeaders: { a: 'b', c: 1 },
      consent: ['events', 'nope'],
      location: { countryCode: 'US', city: 4 },
      metricOverride: { _os: 'X', bad: 1 },
      limits: { maxKeyLength: 10, maxValueSize: -1 },
      sdkName: '',
    });
    expect(resolved.httpPostForced).toBe(true);
    expect(resolved.eventQueueThreshold).toBe(100);
    expect(resolved.manualSessions).toBe(false);
    expect(resolved.deviceId).toBeUndefined();
    expect(resolved.salt).toBeUndefined();
    expect(resolved.customHeaders).toEqual({ a: 'b' });
    expect(resolved.consent).toEqual(['events']);
    expect(resolved.location).toEqual({ countryCode: 'US' });
    expect(resolved.metricOverride).toEqual({ _os: 'X' });
    expect(resolved.limits.maxKeyLength).toBe(10);
    expect(resolved.limits.maxValueSize).toBe(256);
    for (const option of ['httpPostForced', 'eventQueueThreshold', 'manualSessions', 'deviceId', 'salt', 'customHeaders.c', 'consent', 'location.city', 'metricOverride.bad', 'limits.maxValueSize', 'sdkName']) {
      expect(lines.some((l) => l.includes(`"${option}"`)), option).toBe(true);
    }
  });

  it('expands consent all, keeps location false, hybrid sessions', () => {
    const { resolved } = withWarnings({ consent: 'all', location: false, manualSessions: 'hybrid', salt: 's' });
    expect(resolved.consent).toEqual([...ConsentFeatures]);
    expect(resolved.location).toBe(false);
    expect(resolved.manualSessions).toBe('hybrid');
    expect(resolved.salt).toBe('s');
  });

  it('warns on wrongly typed containers', () => {
    const { resolved, lines } = withWarnings({ customHeaders: 'x', consent: 'some', location: 'here', metricOverride: [], limits: 5 });
    expect(resolved.customHeaders).toEqual({});
    expect(resolved.location).toBeUndefined();
    expect(lines.length).toBeGreaterThanOrEqual(5);
  });

  it('normalizes server URLs', () => {
    expect(normalizeServerUrl('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(normalizeServerUrl(' https://a.b/c// ')).toBe('https://a.b/c');
    expect(normalizeServerUrl('javascript:alert(1)')).toBeNull();
  });

  it('drops custom headers fetch would refuse on every send (bad names, CR/LF/NUL in values)', () => {
    const { resolved, lines } = withWarnings({ customHeaders: { 'X-Ok': 'v', 'X Bad': 'v', 'X-Split': 'a\r\nInjected: 1', 'X-Nul': 'a\0b', '': 'e' } });
    expect(resolved.customHeaders).toEqual({ 'X-Ok': 'v' });
    for (const k of ['X Bad', 'X-Split', 'X-Nul']) expect(lines.some((l) => l.includes(`customHeaders.${k}`))).toBe(true);
  });

  it('caps timer options at what a platform timer can wait (2^31−1 ms)', () => {
    const { resolved, lines } = withWarnings({ requestTimeoutSeconds: 5_000_000, retryCooldownSeconds: 1e10, sessionUpdateInterval: 3_000_000 });
    expect(resolved.requestTimeoutMs).toBe(MAX_TIMER_SECONDS * 1000);
    expect(resolved.retryCooldownSeconds).toBe(MAX_TIMER_SECONDS);
    expect(resolved.sessionUpdateIntervalSeconds).toBe(MAX_TIMER_SECONDS);
    expect(MAX_TIMER_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
    expect(lines.filter((l) => l.includes('requestTimeoutSeconds') || l.includes('retryCooldownSeconds') || l.includes('sessionUpdateInterval'))).toHaveLength(3);
  });
});
