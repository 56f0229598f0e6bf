/**
 * The last safety net of the public API (the SDK never breaks the host app): every namespace
 * method is wrapped so that an exception its validation did not foresee — a hostile argument
 * (a proxy whose traps throw, a getter that throws on the second read) — is logged as an error
 * naming the method and the call is ignored, returning the method's neutral value. Each method
 * validates its own arguments first; reaching this net is a bug to fix there (test/api/total.test.ts
 * fails on the log line).
 */
import { errorText, type Logger } from '../log.js';

/** What a method returns when the net caught it: the value of "nothing happened". */
const FALLBACKS: Readonly<Record<string, () => unknown>> = {
  'queue.flush': () => Promise.resolve(),
  'feedback.getAvailableWidgets': () => Promise.resolve([]),
  'feedback.getWidgetData': () => Promise.resolve({}),
  'feedback.widgetUrl': () => '',
  'views.start': () => null,
  'views.startAutoStopped': () => null,
  'remoteConfig.getValues': () => ({}),
  'remoteConfig.getAllAndEnroll': () => ({}),
  'remoteConfig.testing.getAllVariants': () => ({}),
  'remoteConfig.testing.getVariantsForKey': () => null,
  'remoteConfig.testing.getAllExperiments': () => ({}),
  'consent.get': () => false,
  'consent.checkAll': () => false,
};

/** The words of an unforeseen failure's log line (tests look for them). */
export const UNFORESEEN = 'failed on its arguments and was ignored';

const moduleOf = (path: string): string => {
  const ns = path.split('.')[0] ?? '';
  return ns.charAt(0).toUpperCase() + ns.slice(1);
};

/** Wraps every function of the namespaces (one nested level: `remoteConfig.testing`), in place of the originals. */
export function guardNamespaces(namespaces: Record<string, unknown>, log: Logger): Record<string, unknown> {
  const wrap = (obj: Record<string, unknown>, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (typeof value === 'function') {
        const fn = value as (...args: unknown[]) => unknown;
        const fallback = FALLBACKS[path];
        out[key] = function guarded(this: unknown, ...args: unknown[]): unknown {
          try {
            return fn.apply(this, args);
          } catch (error) {
            log.error(moduleOf(path), `${path.split('.').slice(1).join('.') || path}, ${UNFORESEEN}: ${errorText(error)}`);
            return fallback?.();
          }
        };
      } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && prefix.split('.').length < 2) {
        out[key] = wrap(value as Record<string, unknown>, path);
      } else out[key] = value;
    }
    return out;
  };
  return wrap(namespaces, '');
}
