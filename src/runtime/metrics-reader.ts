import type { Platform } from '../adapters/types.js';
import type { ResolvedConfig } from '../config.js';
import { metricsParam } from '../domain/metrics.js';
import { errorText, type Logger } from '../log.js';

/**
 * The `metrics` param, read from the platform at each call (spec: Device Metrics — "fetched
 * from device on demand"), so every `begin_session` carries the device as it is then. A
 * platform hook that throws gives no platform metrics (`_app_version` and overrides still go
 * out); only its first failure is logged. `overrides` (from `metrics.record`) go on top of the
 * config's `metricOverride` (spec: "overrides provided from configuration ... then metric
 * overrides provided through function").
 */
export function metricsReader(platform: Platform, config: ResolvedConfig, log: Logger): (overrides?: Readonly<Record<string, string>>) => string {
  let failed = false;
  return (overrides) => {
    let platformMetrics: Record<string, string> = {};
    try {
      platformMetrics = platform.metrics();
    } catch (error) {
      if (!failed) log.error('Sessions', `begin_session, the platform's metrics hook failed; sent without platform metrics (logged once): ${errorText(error)}`);
      failed = true;
    }
    return metricsParam(platformMetrics, config.appVersion, overrides ? { ...config.metricOverride, ...overrides } : config.metricOverride);
  };
}
