/**
 * `createCountlyWith`: an instance with the features an app names and the core every instance
 * needs (device ID, behavior settings, lifecycle, backoff, the request processor). It imports
 * no other feature, and every feature module is free of side effects at load, so a bundler
 * leaves out what the app does not pass (docs/bundle-size.md).
 *
 *   import { createCountlyWith, eventsFeature, sessionFeature, viewsFeature, consentFeature } from 'chartly';
 *   const countly = createCountlyWith(config, { features: [eventsFeature, sessionFeature, viewsFeature, consentFeature] });
 */
import { composeCountly, inBootOrder, type MembersOf, type RuntimeMembers } from './compose.js';
import type { AnyFeature } from './features/define.js';
import { BOOT_ORDER, type ActorName } from './features/order.js';
import { backoffFeature } from './features/backoff/index.js';
import { deviceIdFeature } from './features/device-id/index.js';
import { lifecycleFeature } from './features/lifecycle/index.js';
import { processorFeature } from './features/processor/index.js';
import { settingsFeature } from './features/settings/index.js';
import type { Feature } from './features/index.js';
import { createLogger, param } from './log.js';
import { loggerOptionsOf } from './config.js';
import type { Countly, CountlyConfig } from './types.js';

/** What every instance runs, whichever features it has. */
export const CORE_FEATURES = /* @__PURE__ */ Object.freeze([deviceIdFeature, settingsFeature, lifecycleFeature, backoffFeature, processorFeature] as const);
type CoreFeature = (typeof CORE_FEATURES)[number];

/** A feature an app may add to the core: `eventsFeature`, `sessionFeature`, `viewsFeature`, ... */
export type OptionalFeature = Exclude<Feature, CoreFeature>;


/** The instance of `createCountlyWith`: the runtime's members, the core's namespaces and those of the features given. */
export type CountlyWith<F extends readonly OptionalFeature[]> = Pick<Countly, Extract<keyof Countly, RuntimeMembers | MembersOf<CoreFeature> | MembersOf<F[number]>>>;

/** Whether `value` is a chartly feature; an element whose properties throw (a hostile proxy) is not. */
function isFeature(value: unknown): value is AnyFeature {
  try {
    return typeof value === 'object' && value !== null && BOOT_ORDER.includes((value as { name?: unknown }).name as ActorName) && typeof (value as { input?: unknown }).input === 'function';
  } catch {
    return false;
  }
}

/** What to call a rejected list element in the warning: its `name` when readable. */
function nameOf(value: unknown): unknown {
  try {
    return typeof value === 'object' && value !== null ? (value as { name?: unknown }).name : value;
  } catch {
    return value;
  }
}

/**
 * An independent instance with the core and `options.features` (order and repeats do not
 * matter). Anything in the list that is not a chartly feature is warned about and left out;
 * the namespaces of features left out are absent from the instance.
 */
export function createCountlyWith<const F extends readonly OptionalFeature[]>(config: CountlyConfig, options: { features: F }): CountlyWith<F> {
  let given: unknown;
  try {
    given = (options as { features?: unknown } | null | undefined)?.features;
  } catch {
    given = undefined;
  }
  const list: AnyFeature[] = [...CORE_FEATURES];
  const log = createLogger(loggerOptionsOf(config));
  if (Array.isArray(given)) {
    for (const f of given as unknown[]) {
      if (isFeature(f)) list.push(f);
      else log.warning('Init', `createCountlyWith, ${param(nameOf(f))} is not a chartly feature and was left out`);
    }
  } else {
    log.warning('Init', 'createCountlyWith, options.features must be an array of features; starting with the core only');
  }
  return composeCountly(config, inBootOrder(list)) as CountlyWith<F>;
}
