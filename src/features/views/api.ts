import type { FeatureContext } from '../define.js';
import type { Segmentation } from '../../domain/types.js';
import { param } from '../../log.js';
import { ownEntries } from '../../domain/untrusted.js';
import type { Countly } from '../../types.js';
import type { ViewEvent, viewMachine } from './machine.js';

const MODULE = 'Views';

const isPlainObject = (v: unknown): v is Segmentation => typeof v === 'object' && v !== null && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * `countly.views` (spec: View Tracking): validates the arguments, logs the call and sends one
 * event to the view machine. The machine applies limits, reserved keys and consent, and
 * logs what it refuses. `start` and `startAutoStopped` return the view ID once the machine
 * started the view, `null` when it refused; before `ready` the call is kept and the ID is
 * returned at once.
 */
export function createViewsApi(ctx: FeatureContext<typeof viewMachine>): Countly['views'] {
  const { log } = ctx;
  const send = (event: ViewEvent): void => ctx.send(event);

  /** Optional segmentation (nullable in the spec): anything but an object is dropped with a warning. */
  const optional = (fn: string, segmentation: unknown): Segmentation | undefined => {
    if (segmentation === undefined || segmentation === null) return undefined;
    if (isPlainObject(segmentation)) return segmentation;
    log.warning(MODULE, `${fn}, segmentation must be an object, got ${param(segmentation)}; segmentation ignored`);
    return undefined;
  };

  /** Required segmentation: a non-empty object, else the call is ignored. */
  const required = (fn: string, segmentation: unknown, allowEmpty: boolean): Segmentation | null => {
    // Read once into a plain copy: the machine never holds the host's object (a getter, a proxy).
    const read = isPlainObject(segmentation) ? ownEntries(segmentation) : null;
    if (read === null) {
      log.warning(MODULE, `${fn}, segmentation must be an object, got ${param(segmentation)}; call ignored`);
      return null;
    }
    for (const key of read.unreadable) log.warning(MODULE, `${fn}, segmentation ${param(key)} could not be read; dropped`);
    if (!allowEmpty && read.entries.length === 0) {
      log.warning(MODULE, `${fn}, segmentation is empty; call ignored`);
      return null;
    }
    return Object.fromEntries(read.entries) as Segmentation;
  };

  const started = (id: string): string | null => {
    if (!ctx.isReady()) return id;
    return ctx.snapshot()?.context.running.some((v) => v.id === id) ? id : null;
  };

  const startWith = (fn: 'start' | 'startAutoStopped', name: unknown, segmentation: unknown): string | null => {
    if (!isName(name)) {
      log.warning(MODULE, `${fn}, view name must be a non-empty string, got ${param(name)}; call ignored`);
      return null;
    }
    const seg = optional(fn, segmentation);
    const id = ctx.eventId();
    log.info(MODULE, `${fn}, view ${param(name)} with ID ${param(id)}${seg ? `, segmentation ${param(seg)}` : ''}`);
    send({
      type: fn === 'start' ? 'views.start' : 'views.startAutoStopped',
      id,
      name,
      ...(seg ? { segmentation: seg } : {}),
      at: ctx.now(),
    });
    return started(id);
  };

  return {
    startAutoStopped(name: string, segmentation?: Segmentation): string | null {
      return startWith('startAutoStopped', name, segmentation);
    },
    start(name: string, segmentation?: Segmentation): string | null {
      return startWith('start', name, segmentation);
    },
    stopByName(name: string, segmentation?: Segmentation): void {
      if (!isName(name)) {
        log.warning(MODULE, `stopByName, view name must be a non-empty string, got ${param(name)}; call ignored`);
        return;
      }
      const seg = optional('stopByName', segmentation);
      log.info(MODULE, `stopByName, view ${param(name)}`);
      send({ type: 'views.stopByName', name, ...(seg ? { segmentation: seg } : {}), at: ctx.now() });
    },
    stopById(id: string, segmentation?: Segmentation): void {
      if (!isName(id)) {
        log.warning(MODULE, `stopById, view ID must be a non-empty string, got ${param(id)}; call ignored`);
        return;
      }
      const seg = optional('stopById', segmentation);
      log.info(MODULE, `stopById, view ID ${param(id)}`);
      send({ type: 'views.stopById', id, ...(seg ? { segmentation: seg } : {}), at: ctx.now() });
    },
    pause(id: string): void {
      if (!isName(id)) {
        log.warning(MODULE, `pause, view ID must be a non-empty string, got ${param(id)}; call ignored`);
        return;
      }
      log.info(MODULE, `pause, view ID ${param(id)}`);
      send({ type: 'views.pause', id, at: ctx.now() });
    },
    resume(id: string): void {
      if (!isName(id)) {
        log.warning(MODULE, `resume, view ID must be a non-empty string, got ${param(id)}; call ignored`);
        return;
      }
      log.info(MODULE, `resume, view ID ${param(id)}`);
      send({ type: 'views.resume', id, at: ctx.now() });
    },
    stopAll(segmentation?: Segmentation): void {
      const seg = optional('stopAll', segmentation);
      log.info(MODULE, 'stopAll, stopping every running view');
      send({ type: 'views.stopAll', ...(seg ? { segmentation: seg } : {}), at: ctx.now() });
    },
    addSegmentationById(id: string, segmentation: Segmentation): void {
      if (!isName(id)) {
        log.warning(MODULE, `addSegmentationById, view ID must be a non-empty string, got ${param(id)}; call ignored`);
        return;
      }
      const seg = required('addSegmentationById', segmentation, false);
      if (!seg) return;
      log.info(MODULE, `addSegmentationById, view ID ${param(id)}, segmentation ${param(seg)}`);
      send({ type: 'views.addSegmentationById', id, segmentation: seg });
    },
    addSegmentationByName(name: string, segmentation: Segmentation): void {
      if (!isName(name)) {
        log.warning(MODULE, `addSegmentationByName, view name must be a non-empty string, got ${param(name)}; call ignored`);
        return;
      }
      const seg = required('addSegmentationByName', segmentation, false);
      if (!seg) return;
      log.info(MODULE, `addSegmentationByName, view ${param(name)}, segmentation ${param(seg)}`);
      send({ type: 'views.addSegmentationByName', name, segmentation: seg });
    },
    setGlobalSegmentation(segmentation: Segmentation): void {
      // spec: setGlobalViewSegmentation — not nullable; an empty object clears it.
      const seg = required('setGlobalSegmentation', segmentation, true);
      if (!seg) return;
      log.info(MODULE, `setGlobalSegmentation, segmentation ${param(seg)}`);
      send({ type: 'views.setGlobalSegmentation', segmentation: seg });
    },
    updateGlobalSegmentation(segmentation: Segmentation): void {
      const seg = required('updateGlobalSegmentation', segmentation, true);
      if (!seg) return;
      log.info(MODULE, `updateGlobalSegmentation, segmentation ${param(seg)}`);
      send({ type: 'views.updateGlobalSegmentation', segmentation: seg });
    },
  };
}
