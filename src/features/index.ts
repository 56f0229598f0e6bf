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
export type { ActorName } from './order.js';

export { DELIVERY_ORDER, FIRST_FOR, BOOT_ORDER } from './order.js';
