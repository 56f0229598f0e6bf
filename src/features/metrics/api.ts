import { param } from '../../log.js';
import { ownEntries } from '../../domain/untrusted.js';
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
      const read = overrides === undefined ? { entries: [], unreadable: [] } : ownEntries(overrides);
      if (read === null) {
        ctx.log.warning(MODULE, `record, overrides must be an object of strings, got ${param(overrides)}; call ignored`);
        return;
      }
      for (const key of read.unreadable) ctx.log.warning(MODULE, `record, override ${param(key)} could not be read; dropped`);
      const clean: Record<string, string> = {};
      for (const [key, value] of read.entries) {
        if (key !== '' && typeof value === 'string') Object.defineProperty(clean, key, { value, enumerable: true, writable: true, configurable: true });
        else ctx.log.warning(MODULE, `record, override ${param(key)} must be a non-empty key with a string value, got ${param(value)}; dropped`);
      }
      ctx.send({ type: 'metrics.record', overrides: clean, at: ctx.now() });
    },
  };
}
