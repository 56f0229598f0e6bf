import type { FeatureContext } from '../define.js';
import type { LocationInput } from '../../config.js';
import type { LocationEvent, locationMachine } from './machine.js';
import { param } from '../../log.js';
import { ownEntries } from '../../domain/untrusted.js';
import type { Countly } from '../../types.js';

const MODULE = 'Location';
const KEYS = ['countryCode', 'city', 'gps', 'ipAddress'] as const;

/**
 * `countly.location` (spec: Recording Location): every value is optional; only non-empty
 * strings are used, anything else is warned about and dropped; at least one must remain.
 * The machine decides whether the values go with the next `begin_session` or as their own
 * request, and whether consent and the server settings allow them at all.
 */
export function createLocationApi(ctx: FeatureContext<typeof locationMachine>): Countly['location'] {
  const { log } = ctx;
  const send = (event: LocationEvent): void => ctx.send(event);
  return {
    set(location) {
      const read = ownEntries(location);
      if (read === null) {
        log.warning(MODULE, `set, location must be an object, got ${param(location)}; call ignored`);
        return;
      }
      for (const key of read.unreadable) log.warning(MODULE, `set, ${param(key)} could not be read; ignored`);
      const values: LocationInput = {};
      for (const [key, value] of read.entries) {
        if (!(KEYS as readonly string[]).includes(key)) {
          log.warning(MODULE, `set, unknown field ${param(key)} ignored`);
          continue;
        }
        // spec: "All nullable. Only non null, non empty String values are used."
        if (value === undefined || value === null) continue;
        if (typeof value === 'string' && value !== '') values[key as (typeof KEYS)[number]] = value;
        else log.warning(MODULE, `set, ${key} must be a non-empty string, got ${param(value)}; ignored`);
      }
      if (Object.keys(values).length === 0) {
        log.warning(MODULE, 'set, at least one non-empty value is required; call ignored');
        return;
      }
      log.info(MODULE, `set, location ${param(values)}`);
      send({ type: 'location.set', location: values, at: ctx.now() });
    },
    disable() {
      log.info(MODULE, 'disable, disabling location and erasing it on the server');
      send({ type: 'location.disable', at: ctx.now() });
    },
  };
}
