/**
 * Pure routing: which actors hear which broadcast or effect result, in which order. The table
 * is derived from the features' `listensTo`; the order is `DELIVERY_ORDER` (with the
 * `FIRST_FOR` exceptions), both in `src/features/index.ts`.
 */
import type { AnyFeature } from '../features/define.js';
import { DELIVERY_ORDER, FIRST_FOR, type ActorName } from '../features/order.js';

export { DELIVERY_ORDER, FIRST_FOR };

export type Route = (type: string) => readonly ActorName[];

/** Who listens to what, for the features of an instance. */
export function listenersOf(list: readonly AnyFeature[]): Partial<Record<ActorName, readonly string[]>> {
  const listeners: Partial<Record<ActorName, readonly string[]>> = {};
  for (const feature of list) listeners[feature.name as ActorName] = feature.listensTo;
  return listeners;
}

/** Builds the routing function from what each actor listens to. */
export function createRouter(listeners: Partial<Record<ActorName, readonly string[]>>): Route {
  const table = new Map<string, ActorName[]>();
  for (const name of DELIVERY_ORDER) {
    for (const type of listeners[name] ?? []) {
      const targets = table.get(type) ?? [];
      if (!targets.includes(name)) targets.push(name);
      table.set(type, targets);
    }
  }
  for (const [type, targets] of table) {
    const first = FIRST_FOR[type] ?? [];
    const rank = (a: ActorName): number => (first.includes(a) ? first.indexOf(a) - first.length : DELIVERY_ORDER.indexOf(a));
    targets.sort((a, b) => rank(a) - rank(b));
  }
  return (type) => table.get(type) ?? [];
}
