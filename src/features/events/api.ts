import type { FeatureContext } from '../define.js';
import type { Segmentation } from '../../domain/types.js';
import { param } from '../../log.js';
import type { Countly } from '../../types.js';
import type { EventsEvent, eventsMachine } from './machine.js';

const MODULE = 'Events';
const RECORD_FIELDS = ['count', 'sum', 'dur'] as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const NOT_BLANK = /\S/;
const isKey = (v: unknown): v is string => typeof v === 'string' && NOT_BLANK.test(v);

/**
 * The segmentation as it is at the call: the machine reads it at the end of the run, and a
 * host that reuses and changes its object right after the call must not change what was
 * recorded. Spread keeps a `__proto__` key as plain data; array values are copied too.
 */
function copySegmentation(seg: Segmentation): Segmentation {
  const copy: Record<string, unknown> = { ...seg };
  for (const k in copy) {
    const v = copy[k];
    if (Array.isArray(v)) copy[k] = v.slice();
  }
  return copy as Segmentation;
}

interface Numbers {
  count?: number;
  sum?: number;
  dur?: number;
  segmentation?: Segmentation;
}

/**
 * `countly.events` (spec: Events): validates the arguments, logs the call and sends one event
 * to the events machine, stamped with the moment of the call and a fresh event ID. The
 * machine applies consent, limits, the server's filters and the number defaults, and logs
 * what it refuses.
 */
export function createEventsApi(ctx: FeatureContext<typeof eventsMachine>): Countly['events'] {
  const { log } = ctx;
  const send = (event: EventsEvent): void => ctx.send(event);

  const validKey = (fn: string, key: unknown): key is string => {
    if (isKey(key)) return true;
    log.warning(MODULE, `${fn}, event key must be a non-empty string, got ${param(key)}; call ignored`);
    return false;
  };

  /** The options object: wrong types are dropped with a warning (the machine applies defaults). */
  const readOptions = (fn: 'record' | 'end', options: unknown, fields: ReadonlyArray<'count' | 'sum' | 'dur'>): Numbers => {
    if (options === undefined || options === null) return {};
    if (!isPlainObject(options)) {
      log.warning(MODULE, `${fn}, options must be an object, got ${param(options)}; defaults used`);
      return {};
    }
    const out: Numbers = {};
    for (const field of fields) {
      const v = options[field];
      if (v === undefined || v === null) continue;
      if (typeof v === 'number') out[field] = v;
      else log.warning(MODULE, `${fn}, ${field} must be a number, got ${param(v)}; default used`);
    }
    const seg = options.segmentation;
    if (seg !== undefined && seg !== null) {
      if (isPlainObject(seg)) out.segmentation = copySegmentation(seg as Segmentation);
      else log.warning(MODULE, `${fn}, segmentation must be an object, got ${param(seg)}; segmentation ignored`);
    }
    return out;
  };

  return {
    record(key: string, options?: { count?: number; sum?: number; dur?: number; segmentation?: Segmentation }): void {
      // The hot path: the line (and the JSON of the options) is built only when someone reads it,
      // and the event is built as one flat object (the same shape on every call).
      if (log.enabled) log.info(MODULE, `record, key ${param(key)}${options !== undefined ? `, options ${param(options)}` : ''}`);
      if (!validKey('record', key)) return;
      let count: number | undefined;
      let sum: number | undefined;
      let dur: number | undefined;
      let segmentation: Segmentation | undefined;
      if (options !== undefined && options !== null) {
        const o = readOptions('record', options, RECORD_FIELDS);
        count = o.count;
        sum = o.sum;
        dur = o.dur;
        segmentation = o.segmentation;
      }
      ctx.record({ key, count, sum, dur, segmentation });
    },
    start(key: string): void {
      log.info(MODULE, `start, key ${param(key)}`);
      if (!validKey('start', key)) return;
      send({ type: 'events.start', key, at: ctx.now() });
    },
    end(key: string, options?: { count?: number; sum?: number; segmentation?: Segmentation }): void {
      log.info(MODULE, `end, key ${param(key)}${options !== undefined ? `, options ${param(options)}` : ''}`);
      if (!validKey('end', key)) return;
      const o = readOptions('end', options, ['count', 'sum']);
      send({ type: 'events.end', key, ...o, at: ctx.now(), id: ctx.eventId() });
    },
    cancel(key: string): void {
      log.info(MODULE, `cancel, key ${param(key)}`);
      if (!validKey('cancel', key)) return;
      send({ type: 'events.cancel', key });
    },
  };
}
