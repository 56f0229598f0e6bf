/**
 * Builds the public object of an instance hosting a given list of features: the runtime's own
 * members and each feature's namespaces, built by the feature's `api` with its typed context.
 * It imports no feature itself, so a bundler keeps only the features an app passes
 * (`createCountlyWith`); `createCountly` passes them all.
 */
import type { AnyFeature } from './features/define.js';
import { BOOT_ORDER, type ActorName } from './features/order.js';
import { CountlyInstance } from './runtime/instance.js';
import type { Countly, CountlyConfig } from './types.js';
import { forFeature } from './runtime/api-context.js';
import { guardNamespaces } from './runtime/guard-api.js';
import type { RequestQueue } from './domain/request-queue.js';
import type { StorageWriter } from './effects/storage-writer.js';

/** The members the runtime provides itself; every other member of `Countly` comes from a feature's `api`. */
export type RuntimeMembers = 'ready' | 'state$' | 'getState' | 'actors' | 'setServerUrl' | 'shutdown';

type ApiOf<F> = F extends { api?: (...args: never[]) => infer R } ? R : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** The instance members the features of the union `F` contribute (their namespaces and top-level methods). */
export type MembersOf<F> = keyof UnionToIntersection<ApiOf<F>>;

/** The features in boot order, each once (a list given twice or out of order is fine). */
export function inBootOrder(list: readonly AnyFeature[]): AnyFeature[] {
  const byName = new Map<string, AnyFeature>();
  for (const f of list) byName.set(f.name, f);
  return [...byName.values()].sort((a, b) => BOOT_ORDER.indexOf(a.name as ActorName) - BOOT_ORDER.indexOf(b.name as ActorName));
}

/** The public object of an instance of `list` (in boot order). */
export function composeCountly(config: CountlyConfig, list: readonly AnyFeature[]): Countly {
  const sdk = new CountlyInstance(config, list);
  const namespaces: Record<string, unknown> = {};
  for (const feature of list) {
    if (feature.api) Object.assign(namespaces, feature.api(forFeature(sdk.api, feature)));
  }
  const countly = {
    ready: sdk.ready,
    get state$() {
      return sdk.store.state$;
    },
    getState: () => sdk.store.get(),
    actors: sdk.actors.refs,
    ...guardNamespaces(namespaces, sdk.log),
    setServerUrl: (url: string) => sdk.setServerUrl(url),
    shutdown: () => sdk.shutdown(),
  } as Countly;
  internalsOf.set(countly, () => ({ queue: sdk.queue, writer: sdk.writer, closing: sdk.isClosing }));
  return countly;
}

/** Test and benchmark diagnostics of an instance. */
export interface Internals {
  queue: RequestQueue;
  writer: StorageWriter;
  /** `shutdown()` was called (it may still be running). */
  closing: boolean;
}

const internalsOf = new WeakMap<Countly, () => Internals>();

/** Test and benchmark diagnostics of an instance (not part of the public API). */
export function instanceInternals(countly: Countly): Internals | undefined {
  return internalsOf.get(countly)?.();
}
