import { param } from '../../log.js';
import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import type { attributionMachine } from './machine.js';
import { directAttribution, indirectAttribution, MAX_INDIRECT_PAIRS, type Message } from './rules.js';

const MODULE = 'Attribution';

/**
 * `countly.attribution` (spec 001: Attribution, l. 4421-4503): validates each call with the
 * pure rules, logs `[Countly] [Attribution] fn, message` (errors where the spec asks for an
 * error log), and sends one event to the attribution machine, which applies consent. Never
 * throws: a value that is not an object, a getter or proxy that throws, a circular object or
 * a `__proto__` key costs its pair or the call, with a message naming the function.
 */
export function createAttributionApi(ctx: FeatureContext<typeof attributionMachine>): Countly['attribution'] {
  const { log } = ctx;
  const report = (fn: string, messages: readonly Message[]): void => {
    for (const m of messages) {
      if (m.level === 'error') log.error(MODULE, `${fn}, ${m.text}`);
      else log.warning(MODULE, `${fn}, ${m.text}`);
    }
  };

  return {
    recordDirect(type: string, data: string): void {
      log.info(MODULE, `recordDirect, type ${param(type)}, data ${param(data)}`);
      const at = ctx.now();
      const result = directAttribution(type, data);
      report('recordDirect', result.messages);
      if (result.params !== null) ctx.send({ type: 'attribution.direct', params: result.params, at });
    },

    recordIndirect(values: Record<string, string>): void {
      log.info(MODULE, `recordIndirect, values ${param(values)}`);
      const at = ctx.now();
      const entries = readEntries(values);
      if (entries === null) {
        log.error(MODULE, `recordIndirect, values must be an object of strings, got ${param(values)}; call ignored`);
        return;
      }
      if (entries.length > MAX_INDIRECT_PAIRS) log.warning(MODULE, `recordIndirect, more than ${MAX_INDIRECT_PAIRS} pairs; only the first ${MAX_INDIRECT_PAIRS} are read`);
      const result = indirectAttribution(entries.slice(0, MAX_INDIRECT_PAIRS).map(([k, read]) => [k, read()] as const));
      report('recordIndirect', result.messages);
      if (result.aid !== null) ctx.send({ type: 'attribution.indirect', aid: result.aid, at });
    },
  };
}

const UNREADABLE = /* @__PURE__ */ Symbol('unreadable');

/** The own enumerable pairs of a plain object, each value read lazily and once; null for anything else. */
function readEntries(values: unknown): Array<[string, () => unknown]> | null {
  if (typeof values !== 'object' || values === null) return null;
  let keys: string[];
  try {
    if (Array.isArray(values)) return null;
    keys = Object.keys(values);
  } catch {
    return null; // a revoked proxy, a throwing ownKeys trap
  }
  return keys.map((k) => [
    k,
    () => {
      try {
        return (values as Record<string, unknown>)[k];
      } catch {
        return UNREADABLE;
      }
    },
  ]);
}
