/**
 * The client's tap for exporters: every event the events machine accepts is persisted once,
 * by exactly one `events.persist` command (src/domain/events-steps.ts `record`/`recordMany`;
 * stored events are not persisted again at boot), so this effect hears each accepted event
 * exactly once, in record order, and hands it to the started exporters.
 *
 * The device ID is the identity current when the command is performed, as for the queue's
 * requests. In temporary-ID mode there is no device ID to give: those events wait here (in
 * memory) and go out with the ID that ends the mode (`identity.changed`).
 */
import { EMPTY, filter, mergeMap } from 'rxjs';
import { TEMPORARY_DEVICE_ID, type WireEvent } from '../domain/types.js';
import type { Command } from '../effects/commands.js';
import type { Effect } from '../effects/deps.js';
import type { ExporterSet } from './host.js';
import type { ExportedEvent } from './types.js';

type Tapped = Extract<Command, { type: 'events.persist' }> | Extract<Command, { type: 'broadcast' }>;

const tapped = (c: Command): c is Tapped => c.type === 'events.persist' || (c.type === 'broadcast' && c.event.type === 'identity.changed');

/** One recorded event (the client's `WireEvent`, the backend's pooled event) as exporters receive it. */
export function toExported(
  e: { key: string; count: number; sum?: number | undefined; dur?: number | undefined; segmentation?: Readonly<Record<string, unknown>> | undefined; timestamp: number },
  deviceId: string,
  appKey: string,
): ExportedEvent {
  return {
    appKey,
    deviceId,
    key: e.key,
    count: e.count,
    ...(e.sum !== undefined ? { sum: e.sum } : {}),
    ...(e.dur !== undefined ? { dur: e.dur } : {}),
    ...(e.segmentation !== undefined ? { segmentation: e.segmentation } : {}),
    timestamp: e.timestamp,
  };
}

/** The effect for one instance's exporters; nothing to do (and not added) without any. */
export function exportEffect(exporters: ExporterSet): Effect {
  return (cmd$, deps) => {
    let held: WireEvent[] = [];
    return cmd$.pipe(
      filter(tapped),
      mergeMap((c) => {
        try {
          if (c.type === 'events.persist') {
            const identity = deps.identity();
            if (identity.deviceIdType === 'TEMPORARY_ID' || identity.deviceId === TEMPORARY_DEVICE_ID) held.push(...c.events);
            else exporters.export(c.events.map((e) => toExported(e, identity.deviceId, deps.config.appKey)));
          } else if (c.event.type === 'identity.changed' && c.event.deviceIdType !== 'TEMPORARY_ID' && held.length > 0) {
            const id = c.event.deviceId;
            const events = held;
            held = [];
            exporters.export(events.map((e) => toExported(e, id, deps.config.appKey)));
          }
        } catch (error) {
          deps.log.error('Exporters', `export, failed: ${String(error)}`);
        }
        return EMPTY;
      }),
    );
  };
}
