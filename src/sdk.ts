/**
 * The composition of chartly: an instance is the runtime (`runtime/instance.ts`) hosting the
 * registered features (`features/index.ts`); its public object (`Countly`) is the runtime's
 * own members and every feature's namespaces, each built by the feature's `api` with its
 * typed context. Also the shared instance (`init` / `instance`).
 */
import type { AnyFeature } from './features/define.js';
import { features } from './features/index.js';
import { createLogger } from './log.js';
import { loggerOptionsOf } from './config.js';
import { CountlyInstance } from './runtime/instance.js';
import type { Countly, CountlyConfig } from './types.js';
import { forFeature } from './runtime/api-context.js';
import { guardNamespaces } from './runtime/guard-api.js';
import type { RequestQueue } from './domain/request-queue.js';
import type { StorageWriter } from './effects/storage-writer.js';

/** The members the runtime provides itself; every other member of `Countly` comes from a feature's `api`. */
type RuntimeMembers = 'ready' | 'state$' | 'getState' | 'actors' | 'setServerUrl' | 'shutdown';
type ApiOf<F> = F extends { api?: (...args: never[]) => infer R } ? R : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type FeatureMembers = UnionToIntersection<ApiOf<(typeof features)[number]>>;
/** Compile-time check: the runtime and the registered features' namespaces make up `Countly` exactly. */
type Missing = Exclude<keyof Countly, RuntimeMembers | keyof FeatureMembers>;
const complete: [Missing] extends [never] ? true : { missing: Missing } = true;
void complete;

/** Builds the public object of an instance. */
export function createCountly(config: CountlyConfig): Countly {
  const sdk = new CountlyInstance(config);
  const namespaces: Record<string, unknown> = {};
  for (const feature of features as readonly AnyFeature[]) {
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

let shared: Countly | null = null;

/** Creates the shared instance once; later calls log a warning and return the first one. */
export function init(config: CountlyConfig): Countly {
  const log = createLogger(loggerOptionsOf(config));
  if (shared && shared.getState().status !== 'stopped' && internalsOf.get(shared)?.().closing !== true) {
    log.warning('Init', 'init, the shared instance already exists; the new config was ignored');
    return shared;
  }
  // spec: instances are independently initializable and destroyable — after shutdown() a
  // new shared instance takes the old one's place. Its storage is released when its
  // shutdown ends; the new instance waits for that at boot.
  if (shared) log.info('Init', 'init, the shared instance was shut down; a new one replaces it');
  shared = createCountly(config);
  return shared;
}

/** The shared instance; throws if `init` was not called. */
export function instance(): Countly {
  if (!shared) throw new Error('[Countly] instance, init() was not called');
  return shared;
}

/** Forgets the shared instance (after shutting it down). For tests and hot reloads. */
export async function resetSharedInstance(): Promise<void> {
  const s = shared;
  shared = null;
  await s?.shutdown();
}
