/**
 * The backend's effect: performs the pool machine's commands. `pool.take` empties part of
 * the pool into one request per (app key, device) — the device's events in record order —
 * and `backend.store` queues a request built by the API. Both go through the client's
 * persisted request queue (`domain/request-queue.ts`) and storage writer, in one grouped
 * write per command; the request processor is told with `queue.changed`.
 *
 * No identity is stamped here: every request carries the device ID and app key of its call
 * (spec l. 5216–5220), built by `buildStoredRequest` with `t=0` (spec l. 5500).
 */
import { filter, map } from 'rxjs';
import type { StorageOp } from '../adapters/types.js';
import type { Instant } from '../domain/types.js';
import type { Command } from '../effects/commands.js';
import type { Effect, EffectDeps } from '../effects/deps.js';
import { buildStoredRequest } from '../protocol/request.js';
import type { BackendCommand, PoolScope } from './commands.js';
import type { ExporterSet } from '../exporters/host.js';
import { exportBatches } from './exporters.js';
import type { EventPool, PoolBatch } from './pool.js';

/** One pooled event, as the wire wants it (spec: Events > Networking and Params). */
export interface BackendEvent {
  key: string;
  count: number;
  sum?: number;
  dur?: number;
  segmentation?: Readonly<Record<string, unknown>>;
  timestamp: number;
  hour: number;
  dow: number;
}

export interface BackendEffectContext {
  readonly pool: EventPool<BackendEvent>;
  readonly exporters: ExporterSet | null;
}

const isBackendCommand = (c: Command): c is BackendCommand => c.type === 'pool.take' || c.type === 'backend.store';

/** The stored query string of one backend request: the call's app key and device ID, `t=0`. */
export function backendStoredRequest(deps: Pick<EffectDeps, 'config'>, appKey: string, deviceId: string, at: Instant, params: Readonly<Record<string, string>>): string {
  return buildStoredRequest({
    appKey,
    deviceId,
    deviceIdType: 'DEVELOPER_SUPPLIED',
    instant: at,
    sdkName: deps.config.sdkName,
    sdkVersion: deps.config.sdkVersion,
    appVersion: deps.config.appVersion,
    params,
  });
}

function take(pool: EventPool<BackendEvent>, scope: PoolScope): PoolBatch<BackendEvent>[] {
  if (scope.kind === 'all') return pool.takeAll();
  if (scope.kind === 'app') return pool.takeApp(scope.appKey);
  const one = pool.takeDevice(scope.appKey, scope.deviceId);
  return one === null ? [] : [one];
}

function enqueue(deps: EffectDeps, ops: StorageOp[], data: string, createdAt: number): number {
  const done = deps.queue.enqueue(data, createdAt);
  for (const op of done.ops) ops.push(op);
  return done.evicted.length;
}

function perform(c: BackendCommand, deps: EffectDeps, ctx: BackendEffectContext): boolean {
  const ops: StorageOp[] = [];
  let evicted = 0;
  if (c.type === 'pool.take') {
    const batches = take(ctx.pool, c.scope);
    if (batches.length === 0) return false;
    // One instant for the take: its requests belong to different devices (or app keys).
    const at = deps.instant();
    for (const b of batches) {
      evicted += enqueue(deps, ops, backendStoredRequest(deps, b.appKey, b.deviceId, at, { events: JSON.stringify(b.events) }), at.timestamp);
    }
    if (ctx.exporters) exportBatches(ctx.exporters, batches);
    if (deps.log.enabled) deps.log.debug('Backend', `pool, ${batches.length} request(s) queued (${c.reason})`);
  } else {
    const r = c.request;
    evicted += enqueue(deps, ops, backendStoredRequest(deps, r.appKey, r.deviceId, r.at, r.params), r.at.timestamp);
  }
  // spec l. 5266: a full queue drops its oldest request to make room.
  if (evicted > 0) deps.log.warning('RequestQueue', `enqueue, queue is full, dropped the ${evicted} oldest request(s)`);
  deps.writer.push(ops);
  return true;
}

/** The backend's queue writes; `queue.changed` wakes the request processor. */
export function backendEffect(ctx: BackendEffectContext): Effect {
  return (cmd$, deps) =>
    cmd$.pipe(
      filter(isBackendCommand),
      filter((c) => perform(c, deps, ctx)),
      map(() => ({ type: 'queue.changed' as const, requests: deps.queue.length, events: ctx.pool.size })),
    );
}
