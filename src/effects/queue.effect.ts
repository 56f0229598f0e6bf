import { filter, map } from 'rxjs';
import type { StorageOp } from '../adapters/types.js';
import type { QueuedRequest } from '../domain/request-queue.js';
import { buildStoredRequest, DEVICE_ID_TYPE_WIRE, parseStoredRequest, rewriteStoredRequest } from '../protocol/request.js';
import { instantAt } from '../protocol/time.js';
import type { Command, RequestQueueCommand } from './commands.js';
import type { Effect, EffectDeps, Identity } from './deps.js';

const QUEUE_COMMANDS = /* @__PURE__ */ new Set<Command['type']>([
  'request.enqueue',
  'requests.rewriteDeviceId',
  'requests.removeDeviceId',
  'requests.clear',
  'requests.replaceAppKey',
  'requests.removeOtherAppKeys',
  'requests.setMaxSize',
]);
const isQueueCommand = (c: Command): c is RequestQueueCommand => QUEUE_COMMANDS.has(c.type);

function perform(c: RequestQueueCommand, deps: EffectDeps): StorageOp[] {
  const { queue, config } = deps;
  switch (c.type) {
    case 'request.enqueue': {
      // spec l. 383: a bot's requests are dropped silently (logged once, at boot).
      if (deps.bot) return [];
      // spec l. 4836: the server's `tracking: false` stops every new request, whoever asks.
      if (deps.trackingDisabled()) {
        deps.log.debug('RequestQueue', `enqueue, tracking is disabled by the server's settings; request [${Object.keys(c.params).join(',')}] dropped`);
        return [];
      }
      // The identity is read now, synchronously with the command: a request emitted before a
      // device-ID change is stamped with the old ID, one emitted after with the new one.
      const identity: Identity = c.identity ?? deps.identity();
      const at = c.at ?? deps.instant();
      // The request's own `timestamp` is unique and strictly increasing in queue order (spec
      // l. 405); the data's time moves forward only when an earlier request already took it.
      const timestamp = queue.stamp(at.timestamp);
      const instant = timestamp === at.timestamp ? at : instantAt(timestamp);
      const data = buildStoredRequest({
        appKey: config.appKey,
        deviceId: identity.deviceId,
        deviceIdType: identity.wireType ?? identity.deviceIdType,
        instant,
        sdkName: config.sdkName,
        sdkVersion: config.sdkVersion,
        appVersion: config.appVersion,
        params: c.metrics ? withMetrics(c.params, deps.metrics(c.metrics === true ? undefined : c.metrics)) : c.params,
        endpoint: c.endpoint,
      });
      const { ops, evicted } = queue.enqueue(data, instant.timestamp);
      if (evicted.length > 0) {
        deps.log.warning('RequestQueue', `enqueue, queue is full, dropped the ${evicted.length} oldest request(s)`);
      }
      return ops;
    }
    case 'requests.rewriteDeviceId': {
      // The type travels with the ID: a placeholder request said `t=2` (temporary).
      const changes: Record<string, string> = { device_id: c.to };
      if (c.deviceIdType !== undefined) changes.t = DEVICE_ID_TYPE_WIRE[c.deviceIdType];
      const ops = queue.rewrite((r) => (deviceIdOf(r) === c.from ? rewriteStoredRequest(r.data, changes) : undefined));
      deps.log.debug('RequestQueue', `rewriteDeviceId, rewrote ${countUpdates(ops)} queued request(s)`);
      return ops;
    }
    case 'requests.removeDeviceId':
      return queue.rewrite((r) => (deviceIdOf(r) === c.deviceId ? null : undefined));
    case 'requests.clear':
      return queue.clear();
    case 'requests.replaceAppKey':
      return queue.rewrite((r) =>
        parseStoredRequest(r.data).appKey === config.appKey ? undefined : rewriteStoredRequest(r.data, { app_key: config.appKey }),
      );
    case 'requests.removeOtherAppKeys':
      return queue.rewrite((r) => (parseStoredRequest(r.data).appKey === config.appKey ? undefined : null));
    case 'requests.setMaxSize': {
      const { evicted, ops } = queue.setMaxSize(c.max);
      if (evicted.length > 0) {
        deps.log.warning(
          'RequestQueue',
          c.reason === 'boot'
            ? `createCountly, ${evicted.length} stored request(s) over the queue limit of ${c.max} dropped, oldest first`
            : `settings, queue limit lowered to ${c.max}, dropped ${evicted.length} request(s)`,
        );
      }
      return ops;
    }
  }
}

/**
 * The params with `metrics` right after `begin_session` (wire order: begin_session, metrics,
 * then the rest), or first when there is no `begin_session`. A `metrics` already in the
 * params gives way to the one read now.
 */
export function withMetrics(params: Readonly<Record<string, string>>, metrics: string): Record<string, string> {
  const entries = Object.entries(params).filter(([k]) => k !== 'metrics');
  const at = entries.findIndex(([k]) => k === 'begin_session') + 1;
  entries.splice(at, 0, ['metrics', metrics]);
  // fromEntries defines own properties, so a `__proto__` key stays a plain key.
  return Object.fromEntries(entries);
}

const deviceIdOf = (r: QueuedRequest): string | null => parseStoredRequest(r.data).deviceId;
const countUpdates = (ops: StorageOp[]): number => ops.filter((o) => o.op === 'update').length;

/** The request queue: stamps base params, appends, rewrites; every change is written at once. */
export const queueEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter(isQueueCommand),
    map((c) => {
      deps.writer.push(perform(c, deps));
      return { type: 'queue.changed' as const, requests: deps.queue.length, events: deps.eventStore.size };
    }),
  );
