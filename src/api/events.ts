import type { ApiContext } from './context.js';
import type { Segmentation } from '../domain/types.js';
import { param } from '../log.js';
import type { Countly } from '../types.js';
import type { EventsEvent } from '../machines/events.machine.js';

const MODULE = 'Events';
const RECORD_FIELDS = ['count', 'sum', 'dur'] as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isKey = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

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
export function createEventsApi(ctx: ApiContext): Countly['events'] {
  const { log } = ctx;
  const send = (event: EventsEvent): void => ctx.send('events', event);

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
      if (isPlainObject(seg)) out.segmentation = seg as Segmentation;
      else log.warning(MODULE, `${fn}, segmentation must be an object, got ${param(seg)}; segmentation ignored`);
    }
    return out;
  };

  return {
    record(key: string, options?: { count?: number; sum?: number; dur?: number; segmentation?: Segmentation }): void {
      // The hot path: the line (and the JSON of the options) is built only when someone reads it.
      if (log.enabled) log.info(MODULE, `record, key ${param(key)}${options !== undefined ? `, options ${param(options)}` : ''}`);
      if (!validKey('record', key)) return;
      const event: EventsEvent = { type: 'events.record', key, at: ctx.now(), id: ctx.newId() };
      if (options !== undefined && options !== null) Object.assign(event, readOptions('record', options, RECORD_FIELDS));
      send(event);
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
      send({ type: 'events.end', key, ...o, at: ctx.now(), id: ctx.newId() });
    },
    cancel(key: string): void {
      log.info(MODULE, `cancel, key ${param(key)}`);
      if (!validKey('cancel', key)) return;
      send({ type: 'events.cancel', key });
    },
  };
}
