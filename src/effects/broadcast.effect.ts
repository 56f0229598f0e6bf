import { filter, map } from 'rxjs';
import type { BroadcastCommand, Command, RecordInternalEventCommand } from './commands.js';
import type { Effect, SdkEvent } from './deps.js';

const isForwarded = (c: Command): c is BroadcastCommand | RecordInternalEventCommand =>
  c.type === 'broadcast' || c.type === 'event.record';

/**
 * Broadcasts, and internal events one machine records through the events machine, are
 * forwarded as they are; `router.ts` decides which machines hear them.
 */
export const broadcastEffect: Effect = (cmd$) =>
  cmd$.pipe(
    filter(isForwarded),
    map((c): SdkEvent => (c.type === 'broadcast' ? c.event : c)),
  );
