import type { FeatureContext } from '../define.js';
import type { eventsFeature } from '../events/index.js';
import type { consentFeature } from '../consent/index.js';
import { initialConsent } from '../../domain/consent.js';
import type { requestProcessorMachine } from './machine.js';
import { param } from '../../log.js';
import { ownEntries, setOwnValue } from '../../domain/untrusted.js';
import type { Countly } from '../../types.js';

/**
 * The events and consent features by name only: sending to an actor and reading its snapshot
 * need no more, and importing the feature objects would put their machines into every bundle
 * (`createCountlyWith`). Absent features make both a no-op.
 */
const EVENTS = { name: 'events' } as typeof eventsFeature;
const CONSENT = { name: 'consent' } as typeof consentFeature;

const BASE_PARAMS = /* @__PURE__ */ new Set(['app_key', 'device_id', 'timestamp', 'hour', 'dow', 'tz', 'sdk_version', 'sdk_name', 'av', 't', 'rr', 'checksum', 'checksum256']);

/** `countly.queue`: flush and the spec's queue operations (spec: Queue Operations). */
export function createQueueApi(ctx: FeatureContext<typeof requestProcessorMachine>): Countly['queue'] {
  const { log } = ctx;
  return {
    flush() {
      log.info('Queue', 'flush, combining events and sending every queued request');
      return ctx.flush().catch((error: unknown) => {
        log.error('Queue', `flush, failed: ${String(error)}`);
      });
    },
    flushQueues() {
      log.info('Queue', 'flushQueues, discarding the request and event queues');
      ctx.sendTo(EVENTS, { type: 'events.discardQueue' });
      ctx.command({ type: 'requests.clear' });
    },
    replaceAllAppKeysWithCurrent() {
      log.info('Queue', 'replaceAllAppKeysWithCurrent, rewriting queued requests to the current app key');
      ctx.command({ type: 'requests.replaceAppKey' });
    },
    removeDifferentAppKeys() {
      log.info('Queue', 'removeDifferentAppKeys, removing queued requests of other app keys');
      ctx.command({ type: 'requests.removeOtherAppKeys' });
    },
    addDirectRequest(params: Record<string, string>) {
      // Formatted only when someone reads it: a bulk of direct requests is a hot path.
      if (log.enabled) log.info('Queue', `addDirectRequest, params ${param(params)}`);
      const read = ownEntries(params);
      if (read === null) {
        log.warning('Queue', 'addDirectRequest, params must be an object of strings; call ignored');
        return;
      }
      // The consent actor's own state (reading the whole SDK state would cost every call).
      const consent = ctx.snapshotOf(CONSENT)?.context ?? { required: ctx.config.requiresConsent, given: initialConsent(ctx.config) };
      if (consent.required && !Object.values(consent.given).some(Boolean)) {
        // spec: Queue Operations — ignored when consent is required and none is given.
        log.warning('Queue', 'addDirectRequest, consent is required and none is given; call ignored');
        return;
      }
      const clean: Record<string, string> = {};
      for (const k of read.unreadable) log.warning('Queue', `addDirectRequest, value of ${param(k)} could not be read and was dropped`);
      for (const [k, v] of read.entries) {
        if (BASE_PARAMS.has(k)) {
          log.warning('Queue', `addDirectRequest, param ${param(k)} is set by the SDK and was dropped`);
        } else if (typeof v === 'string') setOwnValue(clean, k, v);
        else if (typeof v === 'number' || typeof v === 'boolean') setOwnValue(clean, k, String(v));
        else log.warning('Queue', `addDirectRequest, value of ${param(k)} is not a string and was dropped`);
      }
      if (Object.keys(clean).length === 0) {
        log.warning('Queue', 'addDirectRequest, no usable params; call ignored');
        return;
      }
      ctx.command({ type: 'request.enqueue', params: clean, at: ctx.now() });
    },
  };
}
