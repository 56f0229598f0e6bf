import {
  customMetrics,
  isKeyText,
  networkTimes,
  networkValues,
  traceKey,
  traceKeyWarnings,
} from '../../domain/apm.js';
import { param } from '../../log.js';
import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { apmMachine } from './machine.js';

const MODULE = 'APM';

/**
 * `countly.apm` (spec: Application Performance Monitoring, l. 3946-4161): validates each call,
 * logs `[Countly] [APM] fn, message`, stamps the moment of the call and sends one event to
 * the apm machine. Bad input never throws: a missing or blank key (or unique ID) ignores
 * the call; a bad metric, code or size is dropped or replaced (spec l. 4000-4008, 4020-4021),
 * each with a warning. The machine applies consent and the running-trace rules.
 */
export function createApmApi(ctx: FeatureContext<typeof apmMachine>): Countly['apm'] {
  const { log, config } = ctx;
  const warnAll = (fn: string, warnings: readonly string[]): void => {
    for (const w of warnings) log.warning(MODULE, `${fn}, ${w}`);
  };

  /** The key as the trace is known by (cut to the limits), or null when the call is ignored. */
  const key = (fn: string, raw: unknown, what = 'trace key'): string | null => {
    if (!isKeyText(raw)) {
      log.warning(MODULE, `${fn}, ${what} must be a non-empty string, got ${param(raw)}; call ignored`);
      return null;
    }
    const cut = traceKey(raw, config.limits);
    warnAll(fn, cut.warnings);
    return cut.value;
  };
  /** A key that is recorded now: also warned about what the server strips (spec l. 3998, 4091). */
  const recordedKey = (fn: string, raw: unknown): string | null => {
    const k = key(fn, raw);
    if (k !== null) warnAll(fn, traceKeyWarnings(k));
    return k;
  };
  const uniqueId = (fn: string, raw: unknown): string | null => {
    if (isKeyText(raw)) return raw;
    log.warning(MODULE, `${fn}, uniqueId must be a non-empty string, got ${param(raw)}; call ignored`);
    return null;
  };

  return {
    startTrace(traceKeyArg: string): void {
      log.info(MODULE, `startTrace, key ${param(traceKeyArg)}`);
      const k = key('startTrace', traceKeyArg);
      if (k !== null) ctx.send({ type: 'apm.startTrace', key: k, at: ctx.now() });
    },

    endTrace(traceKeyArg: string, metrics?: Record<string, number>): void {
      log.info(MODULE, `endTrace, key ${param(traceKeyArg)}${metrics !== undefined ? `, metrics ${param(metrics)}` : ''}`);
      const at = ctx.now();
      const k = recordedKey('endTrace', traceKeyArg);
      if (k === null) return;
      const m = customMetrics(metrics, config.limits);
      warnAll('endTrace', m.warnings);
      ctx.send({ type: 'apm.endTrace', key: k, metrics: m.value, at });
    },

    cancelTrace(traceKeyArg: string): void {
      log.info(MODULE, `cancelTrace, key ${param(traceKeyArg)}`);
      const k = key('cancelTrace', traceKeyArg);
      if (k !== null) ctx.send({ type: 'apm.cancelTrace', key: k });
    },

    cancelAllTraces(): void {
      log.info(MODULE, 'cancelAllTraces');
      ctx.send({ type: 'apm.cancelAllTraces' });
    },

    recordNetworkTrace(networkTraceKey: string, responseCode: number, requestPayloadSize: number, responsePayloadSize: number, startMs: number, endMs: number): void {
      const fn = 'recordNetworkTrace';
      log.info(
        MODULE,
        `${fn}, key ${param(networkTraceKey)}, code ${param(responseCode)}, request size ${param(requestPayloadSize)}, response size ${param(responsePayloadSize)}, start ${param(startMs)}, end ${param(endMs)}`,
      );
      const at = ctx.now();
      const k = recordedKey(fn, networkTraceKey);
      if (k === null) return;
      const times = networkTimes(startMs, endMs);
      if (times === null) {
        log.warning(MODULE, `${fn}, start and end must be timestamps in ms (finite numbers ≥ 0), got ${param(startMs)} and ${param(endMs)}; call ignored`);
        return;
      }
      const values = networkValues(responseCode, requestPayloadSize, responsePayloadSize);
      warnAll(fn, [...times.warnings, ...values.warnings]);
      ctx.send({ type: 'apm.recordNetworkTrace', key: k, ...values.value, ...times.value, at });
    },

    startNetworkRequest(networkTraceKey: string, id: string): void {
      const fn = 'startNetworkRequest';
      log.info(MODULE, `${fn}, key ${param(networkTraceKey)}, uniqueId ${param(id)}`);
      const at = ctx.now();
      const k = key(fn, networkTraceKey);
      if (k === null) return;
      const u = uniqueId(fn, id);
      if (u !== null) ctx.send({ type: 'apm.startNetworkRequest', key: k, uniqueId: u, at });
    },

    endNetworkRequest(networkTraceKey: string, id: string, responseCode: number, requestPayloadSize: number, responsePayloadSize: number): void {
      const fn = 'endNetworkRequest';
      log.info(
        MODULE,
        `${fn}, key ${param(networkTraceKey)}, uniqueId ${param(id)}, code ${param(responseCode)}, request size ${param(requestPayloadSize)}, response size ${param(responsePayloadSize)}`,
      );
      const at = ctx.now();
      const k = recordedKey(fn, networkTraceKey);
      if (k === null) return;
      const u = uniqueId(fn, id);
      if (u === null) return;
      const values = networkValues(responseCode, requestPayloadSize, responsePayloadSize);
      warnAll(fn, values.warnings);
      ctx.send({ type: 'apm.endNetworkRequest', key: k, uniqueId: u, ...values.value, at });
    },

    setAppIsLoaded(): void {
      log.info(MODULE, 'setAppIsLoaded');
      ctx.send({ type: 'apm.appLoaded', at: ctx.now() });
    },
  };
}
