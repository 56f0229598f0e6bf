import type { FeatureContext } from '../define.js';
import { checkAllConsent, checkConsent, initialConsent, type FeatureGroups } from '../../domain/consent.js';
import type { ConsentState } from '../../domain/types.js';
import type { ConsentEvent, consentMachine } from './machine.js';

type Ctx = FeatureContext<typeof consentMachine>;
import { param } from '../../log.js';
import type { Countly } from '../../types.js';

const MODULE = 'Consent';

/** What `get`/`checkAll` read: the machine's state once ready, the config's before. */
function view(ctx: Ctx): { required: boolean; given: ConsentState; groups: FeatureGroups } {
  const context = ctx.isReady() ? ctx.snapshot()?.context : undefined;
  if (context) return { required: context.required, given: context.given, groups: context.groups };
  return { required: ctx.config.requiresConsent, given: initialConsent(ctx.config), groups: {} };
}

/**
 * `countly.consent` (spec: User Consent): validates and logs, then sends one event to the
 * consent machine, which resolves feature and group names (warning about unknown ones),
 * tells the features in two phases and queues the `consent=` request.
 */
export function createConsentApi(ctx: Ctx): Countly['consent'] {
  const { log } = ctx;
  const send = (event: ConsentEvent): void => ctx.send(event);

  /** A name or a list of names; non-strings are dropped with a warning. Null when nothing is usable. */
  const names = (fn: string, features: unknown): string[] | null => {
    const list = typeof features === 'string' ? [features] : Array.isArray(features) ? (features as unknown[]) : null;
    if (list === null) {
      log.warning(MODULE, `${fn}, features must be a feature or group name or an array of them, got ${param(features)}; call ignored`);
      return null;
    }
    const out: string[] = [];
    for (const f of list) {
      if (typeof f === 'string' && f !== '') out.push(f);
      else log.warning(MODULE, `${fn}, feature name must be a non-empty string, got ${param(f)}; ignored`);
    }
    if (out.length === 0) {
      log.warning(MODULE, `${fn}, no feature given; call ignored`);
      return null;
    }
    return out;
  };

  const change = (fn: 'give' | 'remove' | 'set', features: unknown, given: boolean): void => {
    const list = names(fn, features);
    if (list === null) return;
    log.info(MODULE, `${fn}, ${given ? 'giving' : 'removing'} consent for ${param(list)}`);
    send({ type: given ? 'consent.give' : 'consent.remove', features: list, at: ctx.now() });
  };

  return {
    give(features) {
      change('give', features, true);
    },
    remove(features) {
      change('remove', features, false);
    },
    giveAll() {
      log.info(MODULE, 'giveAll, giving consent for every feature');
      send({ type: 'consent.giveAll', at: ctx.now() });
    },
    removeAll() {
      log.info(MODULE, 'removeAll, removing consent for every feature');
      send({ type: 'consent.removeAll', at: ctx.now() });
    },
    get(feature) {
      if (typeof feature !== 'string' || feature === '') {
        log.warning(MODULE, `get, feature must be a non-empty string, got ${param(feature)}; returning false`);
        return false;
      }
      const { required, given, groups } = view(ctx);
      const result = checkConsent(given, required, feature, groups);
      // spec: Logging — every call a developer can make logs what is called (line 194).
      log.info(MODULE, `get, consent for ${param(feature)} is ${param(result)}`);
      return result;
    },
    set(features, given) {
      if (typeof given !== 'boolean') {
        log.warning(MODULE, `set, "given" must be a boolean, got ${param(given)}; call ignored`);
        return;
      }
      change('set', features, given);
    },
    createFeatureGroup(name, features) {
      if (typeof name !== 'string' || name === '') {
        log.warning(MODULE, `createFeatureGroup, group name must be a non-empty string, got ${param(name)}; call ignored`);
        return;
      }
      if (!Array.isArray(features)) {
        log.warning(MODULE, `createFeatureGroup, features must be an array, got ${param(features)}; call ignored`);
        return;
      }
      const list = (features as unknown[]).filter((f): f is string => typeof f === 'string');
      log.info(MODULE, `createFeatureGroup, group ${param(name)} of ${param(list)}`);
      send({ type: 'consent.createGroup', name, features: list });
    },
    setFeatureGroup(name, given) {
      if (typeof name !== 'string' || name === '') {
        log.warning(MODULE, `setFeatureGroup, group name must be a non-empty string, got ${param(name)}; call ignored`);
        return;
      }
      if (typeof given !== 'boolean') {
        log.warning(MODULE, `setFeatureGroup, "given" must be a boolean, got ${param(given)}; call ignored`);
        return;
      }
      log.info(MODULE, `setFeatureGroup, ${given ? 'giving' : 'removing'} consent for group ${param(name)}`);
      send({ type: 'consent.setGroup', name, given, at: ctx.now() });
    },
    checkAll() {
      const { required, given } = view(ctx);
      const result = checkAllConsent(given, required);
      log.info(MODULE, `checkAll, every feature has consent: ${param(result)}`);
      return result;
    },
  };
}
