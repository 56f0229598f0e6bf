import { EMPTY, filter, mergeMap } from 'rxjs';
import type { Command, EventStoreCommand, KeyValueCommand } from './commands.js';
import type { Effect } from './deps.js';

const isKeyValue = (c: Command): c is KeyValueCommand => c.type === 'storage.set' || c.type === 'storage.delete';
const isEventStore = (c: Command): c is EventStoreCommand =>
  c.type === 'events.persist' || c.type === 'events.unpersist' || c.type === 'events.clearStore';

/** `storage.set` / `storage.delete`: small keyed state, values stored as JSON. */
export const keyValueEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter(isKeyValue),
    mergeMap((c) => {
      if (c.type === 'storage.set') {
        let value: string;
        try {
          value = JSON.stringify(c.value) ?? 'null';
        } catch (error) {
          deps.log.error('Storage', `set, value for key [${c.key}] is not serializable: ${String(error)}`);
          return EMPTY;
        }
        deps.writer.push([{ op: 'set', key: c.key, value }]);
      } else {
        deps.writer.push([{ op: 'delete', key: c.key }]);
      }
      return EMPTY;
    }),
  );

/** The persisted event queue: every recorded event is written at once. */
export const eventStoreEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter(isEventStore),
    mergeMap((c) => {
      const ops =
        c.type === 'events.persist'
          ? deps.eventStore.persist(c.events)
          : c.type === 'events.unpersist'
            ? deps.eventStore.unpersist(c.ids)
            : deps.eventStore.clear();
      deps.writer.push(ops);
      return [{ type: 'queue.changed' as const, requests: deps.queue.length, events: deps.eventStore.size }];
    }),
  );
