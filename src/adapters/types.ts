/**
 * The four small interfaces a platform implements to host chartly.
 * A user can write any of them in one file; every shipped adapter passes the
 * shared contract suite in `test/adapters/`.
 */

/** One entry of a persisted, append-only queue. `seq` is assigned by the core and only grows. */
export interface QueueEntry {
  readonly seq: number;
  readonly data: string;
}

/**
 * The name of a persisted queue: a short identifier matching `[a-z][a-zA-Z0-9_-]*`, at most
 * 64 characters; the shipped adapters reject an op naming anything else.
 * `requests` (the request queue) and `events` (events not yet packed into a request) are the
 * core's; a feature may own a persisted queue of its own under another name. The narrow
 * alphabet is what lets every adapter put the name in a key or a path as is.
 */
export type QueueName = string;

/**
 * The queues of a namespace as read at boot, each in ascending `seq` order. `requests` and
 * `events` are always present (empty when nothing is stored); any other queue is present when
 * it holds entries.
 */
export type StorageQueues = Readonly<Record<QueueName, readonly QueueEntry[]>> & {
  readonly requests: readonly QueueEntry[];
  readonly events: readonly QueueEntry[];
};

/**
 * One write operation. The core groups operations and hands them to `write` in order;
 * an adapter applies a group in order and resolves only once it is durable.
 * `update` of a missing seq and `remove` of missing seqs do nothing; `append` of an
 * existing seq overwrites it.
 */
export type StorageOp =
  | { readonly op: 'set'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string }
  /**
   * `json: true` promises that `data` is the output of `JSON.stringify` (an adapter may store
   * it as JSON without checking); an adapter is free to ignore it.
   */
  | { readonly op: 'append'; readonly queue: QueueName; readonly seq: number; readonly data: string; readonly json?: true }
  | { readonly op: 'update'; readonly queue: QueueName; readonly seq: number; readonly data: string }
  | { readonly op: 'remove'; readonly queue: QueueName; readonly seqs: readonly number[] }
  | { readonly op: 'clear'; readonly queue: QueueName };

/** Everything a namespace holds, as read at boot. Queue entries are in ascending `seq` order. */
export interface StorageContents {
  readonly kv: Readonly<Record<string, string>>;
  readonly queues: StorageQueues;
  /**
   * How many stored records could not be read (torn or corrupt) and were skipped. The shipped
   * adapters then remove them, so a record is counted at one boot, not at every boot.
   */
  readonly corrupt: number;
  /**
   * Human-readable messages about the store as a whole that the SDK logs as errors at boot,
   * e.g. "store file <path> exists but is empty; starting fresh": data that should be there
   * and is not. Absent or empty when there is nothing to report; a store that does not exist
   * yet (a first run) is normal and reports nothing.
   */
  readonly problems?: readonly string[];
  /**
   * Human-readable messages the SDK logs as warnings at boot: the store works, in a degraded
   * way the developer should know about (e.g. IndexedDB without Web Locks runs in single-tab
   * mode). Absent or empty when there is nothing to report.
   */
  readonly warnings?: readonly string[];
}

/** An open storage namespace (one per app key). */
export interface StorageHandle {
  /** Reads everything the namespace holds. Called once at boot. */
  read(): Promise<StorageContents>;
  /**
   * Applies the operations in order, all or nothing (the core removes batched events and
   * appends their request in one group). Resolves once they are durable (as durable as the
   * medium allows); a later `read()` sees them. The cost of one append or one remove must not
   * grow with the queue length.
   */
  write(ops: readonly StorageOp[]): Promise<void>;
  /**
   * Sets kv `key` to `value` unless it holds a value already, as one step against every
   * handle that reaches the same data (other tabs of a browser); resolves with the value the
   * key holds afterwards, durable. Tabs that start together on a fresh origin use it to agree
   * on one generated device ID. Optional: without it the SDK writes its own.
   */
  claim?(key: string, value: string): Promise<string>;
  /** Waits for writes in flight, then releases the namespace (file handles, database connections). */
  close(): Promise<void>;
}

/** Persistent storage. Namespaces never share data: chartly opens one per app key. */
export interface StorageAdapter {
  /** A short name for logs, e.g. `memory`, `file`, `indexeddb`, `localStorage`. */
  readonly kind: string;
  /**
   * Names the underlying store when two adapter objects can reach the same data (the same
   * directory, database name or key prefix), e.g. `file:/var/lib/app`. The SDK lets one live
   * instance at a time use a namespace of a store; without `id` the adapter object is the store.
   */
  readonly id?: string;
  /** Opens a namespace; rejects with a clear `Error` when the medium is missing or unusable. */
  open(namespace: string, options?: StorageOpenOptions): Promise<StorageHandle>;
}

/** What the SDK passes to `StorageAdapter.open`. An adapter may ignore every field. */
export interface StorageOpenOptions {
  /**
   * Called with a human-readable message when the adapter notices, while the namespace is
   * open, that something outside it damaged the store and it repaired what it could (e.g. the
   * store file was deleted and has been recreated from the state in memory). The SDK logs it
   * as an error. It only reports: the adapter has already repaired what it could. It must not
   * throw.
   */
  onProblem?(message: string): void;
}

/** One HTTP request, fully built: the transport adds nothing. */
export interface TransportRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The urlencoded body of a POST. */
  readonly body?: string;
  readonly timeoutMs: number;
}

/**
 * What a send ended with. Transports never reject: a timeout or a network error is a value.
 * `elapsedMs` is measured by the transport with the clock it was given (or its own).
 */
export type TransportResult =
  | { readonly kind: 'response'; readonly status: number; readonly body: string; readonly elapsedMs: number }
  | { readonly kind: 'timeout'; readonly elapsedMs: number }
  | { readonly kind: 'network-error'; readonly message: string; readonly elapsedMs: number };

export interface Transport {
  send(request: TransportRequest): Promise<TransportResult>;
  /**
   * The page is going away (`Platform.onExit`): hands `requests`, in queue order, to the
   * platform to deliver after the page is gone (browser: `fetch` with `keepalive` within its
   * 64 KiB budget, else `navigator.sendBeacon`). Synchronous: no task runs after it. Returns
   * how many of them, from the first, the platform accepted; the SDK counts those as sent and
   * removes them from the queue, so the next visit does not send them again. A request that
   * is already in flight from `send` and outlives the page (a keepalive fetch) is accepted
   * without a second send. Optional: without it, what is queued waits for the next visit.
   */
  sendOnExit?(requests: readonly TransportRequest[]): number;
}

export type TimerHandle = unknown;

/**
 * Time. `setTimeout`/`clearTimeout` have the shape XState's `clock` option takes, so the
 * same clock drives every machine delay. Tests pass a simulated clock and never sleep.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export type LifecycleState = 'foreground' | 'background';
export type Orientation = 'portrait' | 'landscape';

/** A rectangle in CSS pixels / points of the host's screen. */
export interface UiRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Where content goes, per orientation (the content answer's `geo`: spec: Content Zone). */
export interface ContentPlacement {
  portrait: UiRect;
  landscape: UiRect;
}

/** What a platform returns for an overlay it shows: the SDK closes it, and talks to content through it. */
export interface UiHandle {
  /** Removes the overlay; the platform then calls `onClosed` (once). */
  close(): void;
  /** Posts a message to the content (content: the resize answer `{ resize_me: ... }`). */
  post?(message: unknown): void;
  /** Moves / resizes the overlay. */
  place?(rect: UiRect): void;
}

/**
 * Optional UI hooks a platform may offer (spec: User Feedback > WebView protocol, Content
 * Zone > Content Communication Protocol). The SDK builds URLs and decides; the platform only
 * shows, forwards and closes. Every hook is user code: the SDK guards each call.
 */
export interface PlatformUi {
  /**
   * Shows a feedback widget's URL in a web view / iframe overlay. The platform hands every URL
   * the widget tries to load to `onMessage` before loading it, and loads none that starts with
   * `https://countly_action_event` or ends with `cly_x_int=1` (the SDK acts on those:
   * `parseWidgetMessage` from `chartly` reads them); it calls `onClosed` once when the overlay
   * is gone, however it closed.
   */
  showWidget?(url: string, handlers: { onMessage(url: string): void; onClosed(): void }): UiHandle | void;
  /**
   * Shows content HTML's URL as an overlay placed per orientation. The platform hands every
   * message the content posts to `onMessage` with the sender's origin (the SDK validates it), and
   * calls `onClosed` once when the overlay is gone.
   */
  showContent?(url: string, placement: ContentPlacement, handlers: { onMessage(message: unknown, origin: string): void; onClosed(): void }): UiHandle | void;
  /** Opens a URL outside the app (a link in a widget or content). */
  openUrl?(url: string): void;
}

/** What the host platform tells the SDK about the device and the app. */
/** Which interactions `Platform.onInteraction` reports. */
export interface InteractionKinds {
  clicks: boolean;
  scrolls: boolean;
  links?: boolean;
  forms?: boolean;
}

/**
 * One interaction (SDK guide l.2782–2820): a click at page coordinates `x`,`y` with the
 * viewport `width`×`height`; a scroll reaching depth `y` (the viewport's bottom edge, in page
 * pixels); a click on a link; a form submission; `leave` when the page is hidden or unloaded.
 * `view` is the page URL.
 */
export type InteractionEvent =
  | { kind: 'click'; x: number; y: number; width: number; height: number; view: string }
  | { kind: 'scroll'; y: number; width: number; height: number; view: string }
  | { kind: 'link'; href: string; text?: string; id?: string; view: string }
  | { kind: 'form'; id?: string; name?: string; action?: string; method?: string; view: string }
  | { kind: 'leave' };

/** Where the page is (`Platform.currentLocation` / `onNavigation`). */
export interface PageLocation {
  href: string;
  pathname: string;
  /** `document.referrer`, when the page has one. */
  referrer?: string;
}

export interface Platform {
  /** Used as the `segment` of view events and in logs, e.g. `Node`, `Web`. */
  readonly name: string;
  /** Device metrics for `metrics=` (`_os`, `_os_version`, `_device`, `_resolution`, `_locale`, ...). */
  metrics(): Record<string, string>;
  /** A device ID the platform received from outside (the web SDK's `cly_id` URL parameter). */
  urlDeviceId?(): string | undefined;
  /** The current orientation, where the platform has one. */
  orientation?(): Orientation | undefined;
  /** Whether the app is in the foreground when the SDK starts. Default: true. */
  isForeground?(): boolean;
  /** Subscribes to foreground/background changes; returns the unsubscribe function. */
  onLifecycle?(listener: (state: LifecycleState) => void): () => void;
  /** Subscribes to orientation changes; returns the unsubscribe function. */
  onOrientation?(listener: (orientation: Orientation) => void): () => void;
  /** Whether this client looks like a bot or crawler: then nothing is recorded. */
  isBot?(): boolean;
  /**
   * Subscribes to errors nothing caught (`crashes.autoReport`): `origin` says whether it was
   * thrown (`error`) or a rejected promise nobody handled (`rejection`). The listener may
   * return a promise that settles once the crash is persisted: a platform that ends the
   * process after such an error (Node's default) waits for it, for a bounded time. Returns
   * the unsubscribe function. See docs/crashes.md for what the shipped platforms do.
   */
  onUncaughtError?(listener: (error: unknown, origin: 'error' | 'rejection') => void | Promise<void>): () => void;
  /** Crash metrics the platform knows at the moment of a crash (`_online`, `_ram_current`, ...). */
  crashMetrics?(): Record<string, string | number | boolean>;
  /** The page's location now (`views.automatic`: the first page view at init). */
  currentLocation?(): PageLocation | undefined;
  /**
   * Subscribes to in-page navigations (browser: `history.pushState`/`replaceState`, `popstate`,
   * `hashchange`) for `views.automatic`; the listener may hear one location more than once.
   * `onProblem` hears why a part of the hook could not be installed. Returns the unsubscribe
   * function, which undoes every patch still in place.
   */
  onNavigation?(listener: (location: PageLocation) => void, options?: { onProblem?(message: string): void }): () => void;
  /**
   * Subscribes to the user's interactions for heatmaps (docs/heatmaps.md): the kinds asked for
   * only. Listeners are passive and never block input; the platform may throttle. `leave` is
   * reported when the page goes away (page hide), so the scroll depth can be flushed.
   */
  onInteraction?(kinds: InteractionKinds, listener: (event: InteractionEvent) => void): () => void;
  /**
   * Subscribes to the app going away for good or for a while (browser: `pagehide` — a
   * navigation, a reload, a closed tab, the back/forward cache). Called after the lifecycle
   * hook reported `background` for the same moment; the SDK then hands what is queued to
   * `Transport.sendOnExit` synchronously. Returns the unsubscribe function.
   */
  onExit?(listener: () => void): () => void;
  readonly ui?: PlatformUi;
}
