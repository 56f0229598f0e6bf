/**
 * Pure routing: which machines hear which event. Machines publish the broadcasts they
 * listen to (`<feature>ListensTo`); effect results go to the machines that asked for them.
 * Delivery order is fixed and matters: on a device-ID change or a consent removal, views
 * stop first (their end events reach the events machine), then the events machine flushes
 * its queue, then the session ends — so everything recorded under the old state is queued
 * before the new state applies.
 */
import type { ActorName } from './api/context.js';

export const DELIVERY_ORDER: readonly ActorName[] = [
  'views',
  'events',
  'session',
  'location',
  'consent',
  'deviceId',
  'backoff',
  'processor',
  'settings',
];

/**
 * Broadcasts that start something run the other way round: the session begins first (its
 * `session.began` resets the views' first-view flag), and the events machine hears about the
 * foreground before restarted views record their events (`cly_v`). The actors named here go
 * first, in this order; the rest follow in DELIVERY_ORDER.
 */
export const FIRST_FOR: Readonly<Record<string, readonly ActorName[]>> = {
  'app.foreground': ['events', 'session'],
  'identity.changed': ['events', 'session'],
};

/** Effect results and forwarded commands, and who consumes them. */
const FIXED_ROUTES: Readonly<Record<string, readonly ActorName[]>> = {
  'transport.succeeded': ['backoff', 'processor'],
  'transport.failed': ['backoff', 'processor'],
  'transport.idle': ['processor'],
  'queue.changed': ['processor'],
  'event.record': ['events'],
  'settings.fetched': ['settings'],
  'settings.fetchFailed': ['settings'],
};

export type Route = (type: string) => readonly ActorName[];

/** Builds the routing function from what each machine listens to. */
export function createRouter(listeners: Partial<Record<ActorName, readonly string[]>>): Route {
  const table = new Map<string, ActorName[]>();
  for (const [type, targets] of Object.entries(FIXED_ROUTES)) table.set(type, [...targets]);
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
