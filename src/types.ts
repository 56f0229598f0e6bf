/**
 * The public types of chartly, as fixed in the API contract. Every option is documented
 * where it is declared; `docs/` explains each feature.
 */
import type { Observable } from 'rxjs';
import type { AnyActorRef, InspectionEvent, Observer } from 'xstate';
import type { Clock, Platform, StorageAdapter, Transport } from './adapters/types.js';
import type { ConsentFeature, DeviceIdType, LogLevel, Segmentation } from './domain/types.js';
import type { CountlyState } from './state.js';
import type { Exporter } from './exporters/types.js';

export type { ConsentFeature, DeviceIdType, LogLevel, Segmentation } from './domain/types.js';
export type { CountlyState } from './state.js';
export type { Exporter, ExportedEvent, ExporterHost } from './exporters/types.js';

export interface CountlyConfig {
  /** The Countly server, e.g. `https://your.server`. Must be a valid http(s) URL; trailing slashes are stripped. */
  url: string;
  /** The app key from the Countly dashboard. Storage is segmented by it. */
  appKey: string;
  /** A device ID you supply (type `DEVELOPER_SUPPLIED`). See the init truth table in docs/device-id.md. */
  deviceId?: string;
  /** Start in temporary-ID (offline) mode: requests are queued under a placeholder and not sent. */
  temporaryDeviceId?: boolean;
  /** Forget the stored device ID at init and acquire one anew. */
  clearStoredDeviceId?: boolean;
  /** Where queues and state persist. Default: `indexedDbStorage()` in browsers (pages and workers), file storage from `chartly/node`, `memoryStorage()` elsewhere. */
  storage?: StorageAdapter;
  /** How requests are sent. Default: `fetchTransport()`. */
  transport?: Transport;
  /** Metrics, lifecycle, orientation, URL device ID. Default: detected (browser, else a neutral one). */
  platform?: Platform;
  /** Time and timers. Default: real time. Tests pass `simulatedClock()`. */
  clock?: Clock;

  /** Print logs to the console (independent of `logListener`). Default false. */
  logging?: boolean;
  /** Receives every log line with its level (independent of `logging`). */
  logListener?: (message: string, level: LogLevel) => void;

  /** Send every request as POST. Default true; when false, requests under 2,000 characters use GET (crashes always POST). */
  httpPostForced?: boolean;
  /** HTTP headers added to every request. */
  customHeaders?: Record<string, string>;
  /** Seconds before a request is abandoned as timed out. Default 30, minimum 1. */
  requestTimeoutSeconds?: number;
  /** Requests older than this many hours are dropped instead of sent. Default 0 (never). */
  requestDropAgeHours?: number;
  /** Adds `checksum256` (SHA-256 of the payload + salt) to every request. */
  salt?: string;
  /** The most requests kept queued; the oldest are dropped beyond it. Default 1000. */
  maxRequestQueueSize?: number;
  /** Events combined into one request. Default 100. */
  eventQueueThreshold?: number;
  /** Seconds between automatic session updates. Default 60, minimum 1. */
  sessionUpdateInterval?: number;
  /** `true`: you call `sessions.begin/update/end`; `'hybrid'`: you begin and end, updates are automatic. Default automatic. */
  manualSessions?: boolean | 'hybrid';
  /** The backoff mechanism (pause sending while the server is slow). Default true. */
  backoff?: boolean;
  /** Seconds to wait after a failed send before trying the same request again. Default 60, minimum 1. */
  retryCooldownSeconds?: number;

  /** Every feature starts without consent until given. Default false. */
  requiresConsent?: boolean;
  /** Consent given at init (with `requiresConsent`). */
  consent?: ConsentFeature[] | 'all';

  /** Location sent with the next session begin; `false` disables location (sends `location=`). */
  location?: { countryCode?: string; city?: string; gps?: string; ipAddress?: string } | false;
  /** Overrides or adds device metrics sent with `begin_session`. */
  metricOverride?: Record<string, string>;
  /** User properties set and sent right after init, as `user.setProperties` would (spec: User Profiles). */
  userProperties?: Record<string, unknown>;
  /** SDK internal limits (spec: SDK Internal Limits). */
  limits?: Partial<{ maxKeyLength: number; maxValueSize: number; maxSegmentationValues: number;
    maxBreadcrumbCount: number; maxStackTraceLinesPerThread: number; maxStackTraceLineLength: number }>;
  /**
   * Crash reporting (docs/crashes.md): `autoReport` records errors nothing caught (Node:
   * `uncaughtException` / `unhandledRejection`, browsers: `error` / `unhandledrejection`) as
   * unhandled; `segmentation` goes with every crash (a call's own wins); `filter` may edit a
   * crash, or drop it by returning true.
   */
  crashes?: { autoReport?: boolean; segmentation?: Segmentation; filter?: (crash: CrashData) => boolean };

  /** View tracking: orientation events, restarting manual views after background, global segmentation. */
  views?: { automatic?: boolean; shortNames?: boolean; exclusions?: string[];
    globalSegmentation?: Segmentation; trackOrientation?: boolean; restartManualViews?: boolean };
  /** SDK behavior settings to use until the server's arrive (JSON string or object, `{ c: {...} }` or bare). */
  behaviorSettings?: string | object;
  /** Never download behavior settings from the server (stored and provided ones still apply). */
  disableBehaviorSettingsUpdates?: boolean;
  /** Experimental: `cly_v` visibility on events, previous event/view names. */
  experimental?: { visibilityTracking?: boolean; previousNameRecording?: boolean };
  /**
   * Application Performance Monitoring (docs/apm.md): the app start time (init, or
   * `appStartTimestampOverride` in ms, to the first foreground or `apm.setAppIsLoaded()` with
   * `manualAppLoadedTrigger`) and the foreground / background durations. All default off.
   */
  apm?: { appStartTracking?: boolean; foregroundBackgroundTracking?: boolean; manualAppLoadedTrigger?: boolean; appStartTimestampOverride?: number };
  /**
   * Push notifications (docs/push.md): `testMode` is sent as `test_mode` (0 production, the
   * default; 1 development; 2 test distribution); `provider` is the default of `push.setToken`
   * (`FCM` default, `HMS`, `APNS`); `sendTokenAlways` re-sends the stored token at every init.
   */
  push?: { testMode?: 0 | 1 | 2; provider?: string; sendTokenAlways?: boolean };
  /**
   * Remote config (spec: Remote Config; docs/remote-config.md): `automaticTriggers` downloads
   * all values after init, a device-ID change, leaving temporary-ID mode and when consent is
   * given; `valueCaching` keeps the old user's values (`isCurrentUsersData: false`) instead
   * of clearing them; `enrollOnDownload` enrolls into every A/B test a download returns
   * (`oi=1`); `onDownload` is called after every download. Needs `remote-config` consent.
   */
  remoteConfig?: { automaticTriggers?: boolean; valueCaching?: boolean; enrollOnDownload?: boolean; onDownload?: RCDownloadCallback };
  /**
   * The content zone (spec: Content Zone; docs/content.md): `onContent` hears when content
   * completes or is closed; `zoneTimerInterval` is the seconds between fetches (default 30,
   * values under 15 ignored); `allowedOrigins` are origins besides the server URL's whose
   * messages the content overlay accepts. Needs `content` consent.
   */
  content?: { onContent?: (status: 'COMPLETED' | 'CLOSED', data: Record<string, unknown>) => void; zoneTimerInterval?: number; allowedOrigins?: string[] };
  /**
   * Heatmaps (browser; docs/heatmaps.md): `clicks` / `scrolls` start click and scroll tracking
   * at init, like `heatmaps.trackClicks()` / `trackScrolls()` (needs `clicks` / `scrolls`
   * consent; link clicks and form submissions follow click tracking, forms need `forms`
   * consent). `whitelist`: origins trusted to serve the heatmap overlay scripts, besides the
   * server's own. Default: nothing tracked.
   */
  heatmaps?: { clicks?: boolean; scrolls?: boolean; whitelist?: string[] };
  /** Other destinations that receive every recorded event (e.g. `appMetricaExporter(...)` from `chartly/appmetrica`). */
  exporters?: Exporter[];
  /** Never send the health check request (spec: Health Checks; docs/health-check.md). Counters still accumulate. */
  disableHealthCheck?: boolean;
  /** `sdk_name` sent with every request. Default `typescript-chartly-<platform>` (`-node`, `-web`, `-js`), the spec's [language]-[origin]-[platform]. */
  sdkName?: string;
  /** `sdk_version` sent with every request. Default the package version. */
  sdkVersion?: string;
  /** Your app's version (`av`, `_app_version`). Default `0.0`. */
  appVersion?: string;
  /** An XState inspection observer, handed to every actor (Stately inspector); see docs/inspector.md. */
  inspect?: ((event: InspectionEvent) => void) | Observer<InspectionEvent>;
}

/**
 * What `crashes.filter` receives (spec: Crash Filtering): every field a get/set property; a
 * setter ignores an invalid value (null, undefined, a wrong type) with a warning.
 */
export interface CrashData {
  stackTrace: string;
  segmentation: Segmentation;
  breadcrumbs: string[];
  metrics: Record<string, unknown>;
  fatal: boolean;
}

/** The outcome of a server-driven download (spec: Remote Config > Callbacks). */
export type RequestResult = 'Success' | 'NetworkIssue' | 'Error';
/** One remote-config value: `isCurrentUsersData` is false for a value cached from an earlier device ID. */
export interface RCData {
  value: unknown;
  isCurrentUsersData: boolean;
}
/** Called after a remote-config download: `fullValueUpdate` says whether every value was replaced. */
export type RCDownloadCallback = (result: RequestResult, error: string | null, fullValueUpdate: boolean, values: Record<string, RCData>) => void;
/** Called after an A/B testing download or enrolment. */
export type RCVariantCallback = (result: RequestResult, error: string | null) => void;
/** An A/B experiment as `ab_fetch_experiments` describes it. */
export interface ExperimentInfo {
  id: string;
  name: string;
  description: string;
  currentVariant: string | null;
  variants: Record<string, Record<string, unknown>>;
}
/** A feedback widget as `method=feedback` lists it (`_id`, `type`, `name`, `tg`, `wv`). */
export interface FeedbackWidget {
  id: string;
  type: 'nps' | 'survey' | 'rating';
  name: string;
  tags: string[];
  widgetVersion?: string;
}
/** What a presented feedback widget reports back. */
export interface FeedbackCallback {
  onFinished?(error: string | null): void;
  onClosed?(): void;
}

export interface Countly {
  readonly ready: Promise<void>;               // storage loaded, device ID acquired, init finished
  readonly state$: Observable<CountlyState>;  // rxjs; emits on every change
  getState(): CountlyState;                    // { deviceId, deviceIdType, session, views, consent, queue: {requests, events}, backoff, ... }
  readonly actors: Record<string, AnyActorRef>; // every feature's running XState actor

  events: {
    record(key: string, options?: { count?: number; sum?: number; dur?: number; segmentation?: Segmentation }): void;
    start(key: string): void;
    end(key: string, options?: { count?: number; sum?: number; segmentation?: Segmentation }): void;
    cancel(key: string): void;
  };
  sessions: { begin(): void; update(): void; end(): void };
  views: {
    startAutoStopped(name: string, segmentation?: Segmentation): string | null;
    start(name: string, segmentation?: Segmentation): string | null;
    stopByName(name: string, segmentation?: Segmentation): void;
    stopById(id: string, segmentation?: Segmentation): void;
    pause(id: string): void;
    resume(id: string): void;
    stopAll(segmentation?: Segmentation): void;
    addSegmentationById(id: string, segmentation: Segmentation): void;
    addSegmentationByName(name: string, segmentation: Segmentation): void;
    setGlobalSegmentation(segmentation: Segmentation): void;
    updateGlobalSegmentation(segmentation: Segmentation): void;
  };
  deviceId: {
    get(): string;
    type(): DeviceIdType;
    set(id: string): void;                 // merge if SDK_GENERATED, no merge if DEVELOPER_SUPPLIED
    changeWithMerge(id: string): void;
    changeWithoutMerge(id: string): void;
    enableTemporaryIdMode(): void;
  };
  consent: {
    give(features: ConsentFeature | string | Array<ConsentFeature | string>): void; // groups too
    remove(features: ConsentFeature | string | Array<ConsentFeature | string>): void;
    giveAll(): void;
    removeAll(): void;
    get(feature: ConsentFeature | string): boolean;
    set(features: Array<ConsentFeature | string>, given: boolean): void;
    createFeatureGroup(name: string, features: ConsentFeature[]): void;
    setFeatureGroup(name: string, given: boolean): void;
    checkAll(): boolean;
  };
  location: {
    set(location: { countryCode?: string; city?: string; gps?: string; ipAddress?: string }): void;
    disable(): void;
  };
  queue: {
    flush(): Promise<void>;            // see "flush" below
    flushQueues(): void;               // discard the request and event queues
    replaceAllAppKeysWithCurrent(): void;
    removeDifferentAppKeys(): void;
    addDirectRequest(params: Record<string, string>): void;
  };
  metrics: { record(overrides?: Record<string, string>): void };
  /** Attribution (spec: Attribution; docs/metrics-attribution.md): needs `attribution` consent. */
  attribution: {
    recordDirect(type: string, data: string): void;
    recordIndirect(values: Record<string, string>): void;
  };
  /** Push notifications, platform-neutral part (spec: Push Notifications; docs/push.md): needs `push` consent. */
  push: {
    setToken(token: string, provider?: string): void;   // sends token_session=1 (debounced)
    clearToken(): void;
    recordAction(notificationId: string, buttonIndex: number): void;
  };
  /** Application Performance Monitoring (spec: APM; docs/apm.md): needs `apm` consent. */
  apm: {
    startTrace(key: string): void;
    endTrace(key: string, metrics?: Record<string, number>): void;
    cancelTrace(key: string): void;
    cancelAllTraces(): void;
    recordNetworkTrace(key: string, responseCode: number, requestPayloadSize: number,
      responsePayloadSize: number, startMs: number, endMs: number): void;
    startNetworkRequest(key: string, uniqueId: string): void;
    endNetworkRequest(key: string, uniqueId: string, responseCode: number, requestPayloadSize: number, responsePayloadSize: number): void;
    setAppIsLoaded(): void;
  };
  /** Crash reporting (spec: Crash Reporting): needs `crashes` consent. */
  crashes: {
    addBreadcrumb(text: string): void;
    recordHandled(error: unknown, segmentation?: Segmentation): void;
    recordUnhandled(error: unknown, segmentation?: Segmentation): void;
  };
  /** User profiles (spec: User Profiles): changes are held until `save()` (also run before session and event requests). */
  user: {
    setProperty(key: string, value: unknown): void;
    setProperties(data: Record<string, unknown>): void;
    increment(key: string): void;
    incrementBy(key: string, value: number): void;
    multiply(key: string, value: number): void;
    saveMax(key: string, value: number): void;
    saveMin(key: string, value: number): void;
    setOnce(key: string, value: string | number | boolean): void;
    push(key: string, value: string | number | boolean): void;
    pushUnique(key: string, value: string | number | boolean): void;
    pull(key: string, value: string | number | boolean): void;
    save(): void;
    clear(): void;
  };
  /** Remote config and A/B testing (spec: Remote Config, A/B Testing; docs/remote-config.md): needs `remote-config` consent. */
  remoteConfig: {
    downloadAll(callback?: RCDownloadCallback): void;
    downloadSpecific(keys: string[], callback?: RCDownloadCallback): void;
    downloadOmitting(keys: string[], callback?: RCDownloadCallback): void;
    getValues(): Record<string, RCData>;
    getValue(key: string): RCData | undefined;
    getAllAndEnroll(): Record<string, RCData>;
    getValueAndEnroll(key: string): RCData | undefined;
    registerCallback(callback: RCDownloadCallback): void;
    removeCallback(callback: RCDownloadCallback): void;
    clearAll(): void;
    enroll(keys: string[]): void;
    exit(keys?: string[]): void;
    testing: {
      downloadVariants(callback?: RCVariantCallback): void;
      downloadExperiments(callback?: RCVariantCallback): void;
      getAllVariants(): Record<string, string[]>;
      getVariantsForKey(key: string): string[] | null;
      getAllExperiments(): Record<string, ExperimentInfo>;
      enrollIntoVariant(key: string, variant: string, callback?: RCVariantCallback): void;
    };
  };
  /** Feedback widgets and the legacy star rating (spec: User Feedback; docs/feedback.md): needs `feedback` (rating: `star-rating`) consent. */
  feedback: {
    getAvailableWidgets(): Promise<FeedbackWidget[]>;
    getWidgetData(widget: FeedbackWidget): Promise<Record<string, unknown>>;
    widgetUrl(widget: FeedbackWidget): string;
    reportManually(widget: FeedbackWidget, data: Record<string, unknown> | null, result: Record<string, unknown> | null): void;
    present(widget: FeedbackWidget, callback?: FeedbackCallback): void;
    presentNps(nameIdOrTag?: string, callback?: FeedbackCallback): void;
    presentSurvey(nameIdOrTag?: string, callback?: FeedbackCallback): void;
    presentRating(nameIdOrTag?: string, callback?: FeedbackCallback): void;
    recordRatingWidget(options: { widgetId: string; rating: number; email?: string; comment?: string; contactMe?: boolean }): void;
  };
  /** The content zone (spec: Content Zone; docs/content.md): needs `content` consent. */
  content: { enterZone(): void; exitZone(): void; refreshZone(): void; preview(contentId: string): void };
  /** Click and scroll heatmaps (browser platform; docs/heatmaps.md). Needs `clicks` / `scrolls` consent. */
  heatmaps: { trackClicks(): void; trackScrolls(): void };
  lifecycle: { foreground(): void; background(): void }; // for platforms without automatic detection
  setServerUrl(url: string): void;
  enableOfflineMode(): void;
  disableOfflineMode(deviceId?: string): void;
  shutdown(): Promise<void>;           // stop timers, persist everything, release the storage
}
