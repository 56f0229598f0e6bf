/** The `metrics` param (spec: Device Metrics): platform < `_app_version` < overrides. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildMetrics, metricsParam } from '../../src/domain/metrics.js';

describe('buildMetrics', () => {
  it('adds the app version and applies overrides last', () => {
    expect(buildMetrics({ _os: 'Linux', _device: 'box' }, '1.2', { _device: 'mine', custom: 'x' })).toEqual({
      _os: 'Linux',
      _device: 'mine',
      _app_version: '1.2',
      custom: 'x',
    });
  });

  it('an override may replace the app version', () => {
    expect(buildMetrics({}, '1.0', { _app_version: '9.9' })).toEqual({ _app_version: '9.9' });
  });

  it('drops non-string values and empty keys, and tolerates missing or broken sources', () => {
    const platform = { _os: 'X', n: 1, b: true, o: {}, '': 'empty' } as unknown as Record<string, string>;
    expect(buildMetrics(platform, '1.0')).toEqual({ _os: 'X', _app_version: '1.0' });
    expect(buildMetrics(undefined, '1.0', null as unknown as Record<string, string>)).toEqual({ _app_version: '1.0' });
    expect(buildMetrics(['a'] as unknown as Record<string, string>, '1.0')).toEqual({ _app_version: '1.0' });
  });

  it('keeps a __proto__ key as data', () => {
    const platform = JSON.parse('{"__proto__":"x","_os":"Y"}') as Record<string, string>;
    const metrics = buildMetrics(platform, '1.0');
    expect(Object.getPrototypeOf(metrics)).toBe(Object.prototype);
    expect(JSON.parse(metricsParam(platform, '1.0'))).toEqual(JSON.parse('{"__proto__":"x","_os":"Y","_app_version":"1.0"}'));
  });

  it('metricsParam is the JSON of buildMetrics, for any string maps', () => {
    const map = fc.dictionary(fc.string({ minLength: 1 }), fc.string());
    fc.assert(
      fc.property(map, fc.string(), map, (platform, version, override) => {
        const parsed = JSON.parse(metricsParam(platform, version, override)) as Record<string, string>;
        expect(parsed).toEqual(JSON.parse(JSON.stringify(buildMetrics(platform, version, override))));
        for (const [k, v] of Object.entries(override)) expect(parsed[k]).toBe(v);
        if (!('_app_version' in override)) expect(parsed._app_version).toBe(version);
      }),
    );
  });
});
