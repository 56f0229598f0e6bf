/**
 * THE list of features. Registering a feature is one line here; the runtime derives from this
 * list the actor names, the router table, the effect list, the stamped broadcasts, the
 * `CountlyState` slices and the instance namespaces (see docs/adding-a-feature.md).
 *
 * The list is in boot order: identity first, so every later actor's start-up requests carry
 * the right device ID; the request processor last, so it sees the queue as the others left it.
 */
import { apmFeature } from './apm/index.js';
import { attributionFeature } from './attribution/index.js';
import { backoffFeature } from './backoff/index.js';
import { consentFeature } from './consent/index.js';
import { crashesFeature } from './crashes/index.js';
import { deviceIdFeature } from './device-id/index.js';
import { contentFeature } from './content/index.js';
import { eventsFeature } from './events/index.js';
import { feedbackFeature } from './feedback/index.js';
import { healthCheckFeature } from './health-check/index.js';
import { heatmapsFeature } from './heatmaps/index.js';
import { lifecycleFeature } from './lifecycle/index.js';
import { locationFeature } from './location/index.js';
import { metricsFeature } from './metrics/index.js';
import { processorFeature } from './processor/index.js';
import { pushFeature } from './push/index.js';
import { remoteConfigFeature } from './remote-config/index.js';
import { sessionFeature } from './session/index.js';
import { settingsFeature } from './settings/index.js';
import { userFeature } from './user/index.js';
import { viewsFeature } from './views/index.js';

export const features = [
  deviceIdFeature,
  settingsFeature,
  consentFeature,
  locationFeature,
  userFeature,
  eventsFeature,
  viewsFeature,
  sessionFeature,
  crashesFeature,
  apmFeature,
  pushFeature,
  attributionFeature,
  lifecycleFeature,
  metricsFeature,
  remoteConfigFeature,
  feedbackFeature,
  contentFeature,
  heatmapsFeature,
  healthCheckFeature,
  backoffFeature,
  processorFeature,
] as const;

export type Features = typeof features;
export type Feature = Features[number];
/** The name of each feature's top-level actor (`countly.actors[name]`). */
export type ActorName = Feature['name'];

/** A list that names every actor exactly as the registry does: a missing name is a compile error. */
type Exhaustive<L extends readonly ActorName[]> = [Exclude<ActorName, L[number]>] extends [never] ? L : { missing: Exclude<ActorName, L[number]> };
const exhaustive = <L extends readonly ActorName[]>(list: L & Exhaustive<L>): L => list;

/**
 * The order in which the actors hear one broadcast. It matters: on a device-ID change or a
 * consent removal views stop first (their end events reach the events machine), then the
 * events machine flushes its queue, then the session ends — so everything recorded under the
 * old state is queued before the new state applies.
 */
export const DELIVERY_ORDER = exhaustive([
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
