/**
 * The SDK's `metrics` reader (`EffectDeps.metrics`, spec: Device Metrics): the platform is
 * read at every call, `_app_version` and `metricOverride` go on top, and a platform hook that
 * throws costs only the platform metrics, logged once. The pure builder is tested in
 * test/domain/metrics.test.ts; the wire behaviour in test/integration/sessions-views.http.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Platform } from '../../src/adapters/types.js';
import { resolveConfig } from '../../src/config.js';
import type { LogLevel } from '../../src/domain/types.js';
import { createLogger } from '../../src/log.js';
import { metricsReader } from '../../src/runtime/metrics-reader.js';
import type { CountlyConfig } from '../../src/types.js';

function reader(platform: Platform, config: Partial<CountlyConfig> = {}) {
  const logs: Array<{ message: string; level: LogLevel }> = [];
  const log = createLogger({ console: false, listener: (message, level) => logs.push({ message, level }) });
  const resolved = resolveConfig({ url: 'https://x.test', appKey: 'k', ...config } as CountlyConfig, log);
  return { read: metricsReader(platform, resolved, log), logs };
}

describe('metricsReader', () => {
  it('builds platform metrics < _app_version < metricOverride', () => {
    const platform: Platform = { name: 'Test', metrics: () => ({ _os: 'Test', _device: 'd' }) };
    const { read } = reader(platform, { appVersion: '2.1', metricOverride: { _device: 'over', extra: 'x' } });
    expect(read()).toBe(JSON.stringify({ _os: 'Test', _device: 'over', _app_version: '2.1', extra: 'x' }));
  });

  it('reads the platform at every call', () => {
    let width = 800;
    const platform: Platform = { name: 'Test', metrics: () => ({ _resolution: `${width}x600` }) };
    const { read } = reader(platform, { appVersion: '1.0' });
    expect(JSON.parse(read())).toEqual({ _resolution: '800x600', _app_version: '1.0' });
    width = 1024;
    expect(JSON.parse(read())).toEqual({ _resolution: '1024x600', _app_version: '1.0' });
  });

  it('a throwing platform gives no platform metrics, logged once, and recovers when it works again', () => {
    let broken = true;
    const platform: Platform = {
      name: 'Test',
      metrics: () => {
        if (broken) throw new Error('no screen');
        return { _os: 'Test' };
      },
    };
    const { read, logs } = reader(platform, { metricOverride: { _carrier: 'c' } });
    expect(read()).toBe('{"_app_version":"0.0","_carrier":"c"}');
    expect(read()).toBe('{"_app_version":"0.0","_carrier":"c"}');
    expect(logs.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      "[Countly] [Sessions] begin_session, the platform's metrics hook failed; sent without platform metrics (logged once): Error: no screen",
    ]);
    broken = false;
    expect(read()).toBe('{"_os":"Test","_app_version":"0.0","_carrier":"c"}');
  });
});
