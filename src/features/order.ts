/**
 * The orders of the registered features, by name only: which actor hears a broadcast first,
 * and in which order actors start. Names, not feature objects, so the runtime can order any
 * subset of features (`createCountlyWith`) without importing every feature.
 */
import type { Features } from './index.js';

/** The name of each feature's top-level actor (`countly.actors[name]`). */
export type ActorName = Features[number]['name'];

/** A list that names every actor exactly as the registry does: a missing name is a compile error. */
type Exhaustive<L extends readonly ActorName[]> = [Exclude<ActorName, L[number]>] extends [never] ? L : { missing: Exclude<ActorName, L[number]> };
const exhaustive = <L extends readonly ActorName[]>(list: L & Exhaustive<L>): L => list;

/**
 * The order in which the actors hear one broadcast. It matters: on a device-ID change or a
 * consent removal views stop first (their end events reach the events machine), then the
 * events machine flushes its queue, then the session ends — so everything recorded under the
 * old state is queued before the new state applies.
 */
export const DELIVERY_ORDER = /* @__PURE__ */ exhaustive([
  'views',
  // Right after views, for the same reason: a view's scroll depth reaches the events machine
  // before it flushes on app.hidden / identity.changing.
  'heatmaps',
  'user',
  'events',
  'session',
  'location',
  'consent',
  'deviceId',
  'lifecycle',
  'apm',
  'metrics',
  'push',
  'attribution',
  'crashes',
  'remoteConfig',
  'feedback',
  'content',
  'healthCheck',
  'backoff',
  'processor',
  'settings',
] as const);

/**
 * Broadcasts that start something run the other way round: the session begins first (its
 * `session.began` resets the views' first-view flag), and the events machine hears about the
 * foreground before restarted views record their events (`cly_v`). The actors named here go
 * first, in this order; the rest follow in DELIVERY_ORDER.
 */
export const FIRST_FOR: Readonly<Record<string, readonly ActorName[]>> = {
  'app.visible': ['events', 'session'],
  'identity.changed': ['events', 'session'],
};

/** Boot order (the registry's): identity first, the request processor last. */
export const BOOT_ORDER = /* @__PURE__ */ exhaustive([
  'deviceId',
  'settings',
  'consent',
  'location',
  'user',
  'events',
  'views',
  'session',
  'crashes',
  'apm',
  'push',
  'attribution',
  'lifecycle',
  'metrics',
  'remoteConfig',
  'feedback',
  'content',
  'heatmaps',
  'healthCheck',
  'backoff',
  'processor',
] as const);
