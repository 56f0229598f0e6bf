/**
 * What earlier app keys left on this store (spec l. 5088–5097: `replaceAllAppKeysInQueueWithCurrentAppKey`,
 * `removeDifferentAppKeysFromQueue`). Storage is split by app key — one namespace each (spec
 * l. 311: "for every appKey there should be different storage for their queues") — so the
 * requests an earlier app key queued are not in the current queue at all. A small registry
 * namespace on the store lists every app key used on it; these two operations open the other
 * namespaces one by one, each claimed like an instance would claim it (never one a live
 * instance holds), and take their requests out.
 */
import { catchError, filter, from, map, mergeMap, of, type Observable } from 'rxjs';
import type { QueueEntry, StorageAdapter } from '../../adapters/types.js';
import type { Command } from '../../effects/commands.js';
import type { Effect, EffectDeps, OtherAppKeys, SdkEvent } from '../../effects/deps.js';
import { errorText, param, type Logger } from '../../log.js';
import { rewriteStoredRequest } from '../../protocol/request.js';
import { claimNamespace } from '../../runtime/namespace-lock.js';

/** The store-level registry: one namespace, one key holding the JSON list of app keys. */
export const APP_KEY_REGISTRY = 'chartly:app-keys';
const REGISTRY_KEY = 'appKeys';

/** Registry reads and writes of one store run one at a time in this process. */
const registryChains = new Map<object | string, Promise<unknown>>();

function withRegistry<T>(store: object | string, storage: StorageAdapter, fn: (keys: string[]) => string[] | null, then?: (keys: string[]) => T): Promise<T | undefined> {
  const run = async (): Promise<T | undefined> => {
    const handle = await storage.open(APP_KEY_REGISTRY);
    try {
      const contents = await handle.read();
      let keys: string[] = [];
      try {
        const parsed = JSON.parse(contents.kv[REGISTRY_KEY] ?? '[]') as unknown;
        if (Array.isArray(parsed)) keys = parsed.filter((k): k is string => typeof k === 'string');
      } catch {
        // A corrupt registry is rebuilt from the keys that register from now on.
      }
      const next = fn(keys);
      if (next !== null) await handle.write([{ op: 'set', key: REGISTRY_KEY, value: JSON.stringify(next) }]);
      return then?.(next ?? keys);
    } finally {
      await handle.close();
    }
  };
  const result = (registryChains.get(store) ?? Promise.resolve()).then(run, run);
  registryChains.set(store, result.catch(() => undefined));
  return result;
}

/** Adds `appKey` to the store's registry (once per app key; a read otherwise). Never throws. */
export async function registerAppKey(storage: StorageAdapter, appKey: string, log: Logger): Promise<void> {
  try {
    await withRegistry(storage.id ?? storage, storage, (keys) => (keys.includes(appKey) ? null : [...keys, appKey]));
  } catch (error) {
    log.error('Storage', `open, could not record app key ${param(appKey)} in the store's registry: ${errorText(error)}`);
  }
}

/** The other app keys' namespaces of `storage`, as the effects reach them. */
export function otherAppKeys(storage: StorageAdapter, current: string): OtherAppKeys {
  const store = storage.id ?? storage;
  return {
    async take(keep) {
      const keys = (await withRegistry(store, storage, () => null, (k) => k)) ?? [];
      let moved = 0;
      const skipped: string[] = [];
      for (const key of keys) {
        if (key === current) continue;
        let claim;
        try {
          claim = await claimNamespace(store, key);
        } catch {
          skipped.push(key); // a live instance owns it: its queue is its own business
          continue;
        }
        try {
          const handle = await storage.open(key);
          try {
            const { requests } = (await handle.read()).queues;
            if (requests.length > 0) {
              // Kept first (and durable), then removed there: a crash in between sends them twice, never loses them.
              await keep(key, requests);
              await handle.write([{ op: 'clear', queue: 'requests' }]);
              moved += requests.length;
            }
          } finally {
            await handle.close();
          }
        } finally {
          claim.release();
        }
      }
      return { moved, skipped };
    },
  };
}

const isAppKeyCommand = (c: Command): c is Extract<Command, { type: 'requests.replaceAppKey' | 'requests.removeOtherAppKeys' }> =>
  c.type === 'requests.replaceAppKey' || c.type === 'requests.removeOtherAppKeys';

/** Appends requests of another app key to this queue with the current `app_key`; resolves once durable. */
async function adopt(deps: EffectDeps, requests: readonly QueueEntry[]): Promise<void> {
  for (const r of requests) {
    const { ops, evicted } = deps.queue.enqueue(rewriteStoredRequest(r.data, { app_key: deps.config.appKey }));
    deps.writer.push(ops);
    if (evicted.length > 0) deps.log.warning('RequestQueue', `replaceAllAppKeysWithCurrent, queue is full, dropped the ${evicted.length} oldest request(s)`);
  }
  if (!(await deps.writer.whenDurable())) throw new Error('the storage refused the write of the moved requests; they stay where they were');
}

/**
 * The other namespaces' half of the two queue operations (the queue effect handles requests
 * of other app keys inside the current queue). Moved requests go to the end of the queue:
 * seqs only grow, and they are older than what is queued, so they keep their own timestamps.
 */
export const appKeysEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter(isAppKeyCommand),
    mergeMap((c): Observable<SdkEvent> => {
      const replace = c.type === 'requests.replaceAppKey';
      const fn = replace ? 'replaceAllAppKeysWithCurrent' : 'removeDifferentAppKeys';
      return from(deps.otherAppKeys.take(replace ? (_key, requests) => adopt(deps, requests) : async () => undefined)).pipe(
        map(({ moved, skipped }): SdkEvent => {
          if (moved > 0) deps.log.info('Queue', `${fn}, ${replace ? 'moved' : 'removed'} ${moved} request(s) queued under other app keys`);
          for (const key of skipped) deps.log.warning('Queue', `${fn}, app key ${param(key)} is in use by a live instance on this storage; its requests were left alone`);
          return { type: 'queue.changed', requests: deps.queue.length, events: deps.eventStore.size };
        }),
        catchError((error: unknown) => {
          deps.log.error('Queue', `${fn}, failed: ${errorText(error)}`);
          return of<SdkEvent>({ type: 'queue.changed', requests: deps.queue.length, events: deps.eventStore.size });
        }),
      );
    }),
  );
