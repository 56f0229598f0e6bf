/**
 * chartly — a Countly SDK built as statecharts. This entry is platform-neutral: importing it
 * touches no browser or Node global, so it loads in Node, browsers, workers and SSR.
 */
export { createCountly, init, instance, resetSharedInstance } from './sdk.js';
export { createBackend, type BackendConfig, type CountlyBackend } from './backend/index.js';
// Only the features an app names (a smaller bundle): docs/bundle-size.md.
export { createCountlyWith, CORE_FEATURES, type CountlyWith, type OptionalFeature } from './modular.js';
export { apmFeature } from './features/apm/index.js';
export { attributionFeature } from './features/attribution/index.js';
export { consentFeature } from './features/consent/index.js';
export { contentFeature } from './features/content/index.js';
export { crashesFeature } from './features/crashes/index.js';
export { eventsFeature } from './features/events/index.js';
export { feedbackFeature } from './features/feedback/index.js';
export { healthCheckFeature } from './features/health-check/index.js';
export { heatmapsFeature } from './features/heatmaps/index.js';
export { locationFeature } from './features/location/index.js';
export { metricsFeature } from './features/metrics/index.js';
export { pushFeature } from './features/push/index.js';
export { remoteConfigFeature } from './features/remote-config/index.js';
export { sessionFeature } from './features/session/index.js';
export { userFeature } from './features/user/index.js';
export { viewsFeature } from './features/views/index.js';
export { memoryStorage } from './adapters/storage/memory.js';
export { indexedDbStorage } from './adapters/storage/indexeddb.js';
export { localStorageAdapter } from './adapters/storage/local-storage.js';
export { fetchTransport, type FetchTransportOptions } from './adapters/transport/fetch.js';
export { systemClock, simulatedClock, type ManualClock } from './adapters/clock.js';
export { neutralPlatform } from './adapters/platform/neutral.js';
export { browserPlatform } from './adapters/platform/browser.js';
export { ConsentFeatures, TEMPORARY_DEVICE_ID } from './domain/types.js';
// For platforms that host server-driven UI (docs/feedback.md "WebView protocol").
export { parseWidgetMessage, ACTION_EVENT_BASE, type WidgetMessage } from './features/feedback/webview.js';
export { SDK_NAME, SDK_VERSION } from './config.js';
export type {
  Clock,
  ContentPlacement,
  InteractionEvent,
  InteractionKinds,
  LifecycleState,
  Orientation,
  PageLocation,
  Platform,
  PlatformUi,
  QueueEntry,
  QueueName,
  StorageAdapter,
  StorageContents,
  StorageHandle,
  StorageOpenOptions,
  StorageQueues,
  StorageOp,
  TimerHandle,
  Transport,
  TransportRequest,
  TransportResult,
  UiHandle,
  UiRect,
} from './adapters/types.js';
export type { Command, Broadcast, EffectResult } from './effects/commands.js';
export type * from './types.js';
