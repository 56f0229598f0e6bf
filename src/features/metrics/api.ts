import { param } from '../../log.js';
import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { metricsMachine } from './machine.js';

const MODULE = 'Metrics';

/**
 * `countly.metrics` (spec: Device Metrics): `record(overrides?)` — the overrides must be an
 * object of strings; other values are dropped with a warning, and a `null` or non-object
 * argument ignores the call (spec: "Function should not accept empty or null value").
 */
export function createMetricsApi(ctx: FeatureContext<typeof metricsMachine>): Countly['metrics'] {
  return {
    record(overrides?: Record<string, string>) {
      ctx.log.info(MODULE, `record, overrides ${param(overrides)}`);
      if (overrides !== undefined && (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))) {
        ctx.log.warning(MODULE, `record, overrides must be an object of strings, got ${param(overrides)}; call ignored`);
        return;
      }
      const clean: Record<string, string> = {};
      for (const [key, value] of Object.entries(overrides ?? {})) {
        if (key !== '' && typeof value === 'string') Object.defineProperty(clean, key, { value, enumerable: true, writable: true, configurable: true });
        else ctx.log.warning(MODULE, `record, override ${param(key)} must be a non-empty key with a string value, got ${param(value)}; dropped`);
      }
      ctx.send({ type: 'metrics.record', overrides: clean, at: ctx.now() });
    },
  };
}
