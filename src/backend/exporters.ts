/**
 * The backend's side of exporters (`BackendConfig.exporters`): the pool's batches as the
 * `ExportedEvent`s every exporter receives. Starting, guarding, flushing and shutting down
 * exporters is shared with the client instance (`ExporterSet` in src/exporters/host.ts).
 */
import type { ExportedEvent } from '../exporters/types.js';
import type { ExporterSet } from '../exporters/host.js';
import { toExported } from '../exporters/export.effect.js';
import type { BackendEvent } from './effect.js';
import type { PoolBatch } from './pool.js';

/** Hands the events of the batches, in pool order, to every exporter (one `export` call). */
export function exportBatches(set: ExporterSet, batches: readonly PoolBatch<BackendEvent>[]): void {
  if (set.size === 0) return;
  const events: ExportedEvent[] = [];
  for (const b of batches) for (const e of b.events) events.push(toExported(e, b.deviceId, b.appKey));
  set.export(events);
}
