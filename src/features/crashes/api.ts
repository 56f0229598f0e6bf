import type { Segmentation, SegmentationValue } from '../../domain/types.js';
import { param } from '../../log.js';
import { setOwn } from '../../protocol/encode.js';
import type { Countly } from '../../types.js';
import type { FeatureContext } from '../define.js';
import { filtering } from './effect.js';
import type { CrashCall, crashesMachine } from './machine.js';
import { describeThrown } from './rules.js';

const MODULE = 'Crashes';

type Scalar = string | number | boolean;
const isScalar = (v: unknown): v is Scalar => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Runs `fn`; a throw (getter, proxy trap) gives `fallback`. */
function attempt<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/**
 * `countly.crashes` (SDK guide l. 504–777): validates, logs `[Countly] [Crashes] fn, ...`
 * and sends one event; the machine applies consent, `crt`, the limits and the global
 * segmentation. Nothing here throws, whatever is passed: a thrown value of any kind is
 * turned into text (`describeThrown`), segmentation is copied key by key (a getter that
 * throws, a value that is not a string, finite number, boolean or array of those: that key
 * is dropped with a warning), and `__proto__` / `constructor` keys stay plain data.
 */
export function createCrashesApi(ctx: FeatureContext<typeof crashesMachine>): Countly['crashes'] {
  const { log } = ctx;

  /** The call's segmentation as it is now (spec 609, 633: "customSegmentation is nullable"). */
  const readSegmentation = (fn: CrashCall, seg: unknown): Segmentation => {
    if (seg === undefined || seg === null) return {};
    if (typeof seg !== 'object' || attempt(() => Array.isArray(seg), true)) {
      log.warning(MODULE, `${fn}, segmentation must be an object, got ${param(seg)}; dropped`);
      return {};
    }
    const keys = attempt(() => Object.keys(seg), null);
    if (keys === null) {
      log.warning(MODULE, `${fn}, segmentation could not be read; dropped`);
      return {};
    }
    const out: Segmentation = {};
    for (const key of keys) {
      const value = attempt<unknown>(() => (seg as Record<string, unknown>)[key], undefined);
      let kept: SegmentationValue | undefined;
      if (isScalar(value)) kept = value;
      else if (attempt(() => Array.isArray(value), false)) {
        const items = attempt(() => [...(value as unknown[])], [] as unknown[]);
        const scalars = items.filter(isScalar);
        if (scalars.length < items.length) log.warning(MODULE, `${fn}, segmentation ${param(key)} had ${items.length - scalars.length} unsupported item(s); dropped`);
        kept = scalars;
      }
      if (kept === undefined) log.warning(MODULE, `${fn}, segmentation ${param(key)} has an unsupported value ${param(value)}; dropped`);
      else setOwn(out, key, kept);
    }
    return out;
  };

  const record = (fn: CrashCall, error: unknown, segmentation: unknown): void => {
    if (filtering.has(ctx.config)) {
      log.warning(MODULE, `${fn}, called from inside the crash filter; ignored`);
      return;
    }
    // spec 608, 632: "Exception/error object is not nullable".
    if (error === undefined || error === null || (typeof error === 'string' && !/\S/.test(error))) {
      log.warning(MODULE, `${fn}, error must be an Error, a non-empty string or another thrown value, got ${param(error)}; call ignored`);
      return;
    }
    const text = describeThrown(error);
    if (!/\S/.test(text)) {
      log.warning(MODULE, `${fn}, error ${param(error)} has no text to report; call ignored`);
      return;
    }
    log.info(MODULE, `${fn}, ${param(text.length > 200 ? `${text.slice(0, 200)}…` : text)}`);
    ctx.send({ type: 'crashes.record', fn, error: text, fatal: fn === 'recordUnhandled', segmentation: readSegmentation(fn, segmentation), at: ctx.now() });
  };

  return {
    addBreadcrumb(text: string) {
      // spec 592: "Only non null and not empty strings are accepted".
      if (typeof text !== 'string' || text === '') {
        log.warning(MODULE, `addBreadcrumb, breadcrumb must be a non-empty string, got ${param(text)}; call ignored`);
        return;
      }
      log.debug(MODULE, `addBreadcrumb, ${param(text)}`);
      ctx.send({ type: 'crashes.breadcrumb', text });
    },
    recordHandled(error: unknown, segmentation?: Segmentation) {
      record('recordHandled', error, segmentation);
    },
    recordUnhandled(error: unknown, segmentation?: Segmentation) {
      record('recordUnhandled', error, segmentation);
    },
  };
}
