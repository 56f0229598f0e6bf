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
import type { Countly, CountlyConfig } from './types.js';
import { composeCountly, instanceInternals, type Internals, type MembersOf, type RuntimeMembers } from './compose.js';

export { instanceInternals, type Internals };

/** Compile-time check: the runtime and the registered features' namespaces make up `Countly` exactly. */
type Missing = Exclude<keyof Countly, RuntimeMembers | MembersOf<(typeof features)[number]>>;
const complete: [Missing] extends [never] ? true : { missing: Missing } = true;
void complete;

/** Builds the public object of an instance with every feature. */
export function createCountly(config: CountlyConfig): Countly {
  return composeCountly(config, features as readonly AnyFeature[]);
}

let shared: Countly | null = null;

/** Creates the shared instance once; later calls log a warning and return the first one. */
export function init(config: CountlyConfig): Countly {
  const log = createLogger(loggerOptionsOf(config));
  if (shared && shared.getState().status !== 'stopped' && instanceInternals(shared)?.closing !== true) {
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
