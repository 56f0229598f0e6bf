/**
 * The wiring of one SDK instance: one top-level actor per feature, their commands merged
 * into one stream, the effect pipeline performing them, and the results routed back.
 *
 *   public API → machine event → machine emits command → effect → adapter → result event → machine
 */
import { BehaviorSubject, Subject, defer, distinctUntilChanged, type Observable, type Subscription } from 'rxjs';
import { createActor, type AnyActorRef, type AnyStateMachine, type EventObject, type InspectionEvent } from 'xstate';
import type { Clock, Platform, StorageAdapter, StorageContents, StorageHandle, Transport } from './adapters/types.js';
import { systemClock } from './adapters/clock.js';
import { memoryStorage } from './adapters/storage/memory.js';
import { indexedDbStorage } from './adapters/storage/indexeddb.js';
import { fetchTransport } from './adapters/transport/fetch.js';
import { browserPlatform } from './adapters/platform/browser.js';
import { neutralPlatform } from './adapters/platform/neutral.js';
import type { ActorName, ApiContext, RecordFields } from './api/context.js';
import { resolveConfig, normalizeServerUrl, type ResolvedConfig } from './config.js';
import { metricsParam } from './domain/metrics.js';
import { RequestQueue } from './domain/request-queue.js';
import type { Instant } from './domain/types.js';
import type { Broadcast, Command } from './effects/commands.js';
import type { EffectDeps, Identity, SdkEvent } from './effects/deps.js';
import { EventStore } from './effects/event-store.js';
import { runEffects } from './effects/run-effects.js';
import { StorageWriter } from './effects/storage-writer.js';
import { createLogger, param, type Logger } from './log.js';
import { createInstantSource } from './protocol/time.js';
import { createEventIdSource } from './domain/ids.js';
import { parseStoredRequest } from './protocol/request.js';
import { createRouter, DELIVERY_ORDER, type Route } from './router.js';
import type { CountlyState } from './state.js';
import type { Countly, CountlyConfig } from './types.js';
import { features, type FeatureBootContext } from './features.js';
import { selectState } from './select-state.js';
import { createQueueApi } from './api/queue.js';
import { deviceIdInputFrom } from './machines/device-id.machine.js';
import { deviceIdAtInit, isTemporaryMarker } from './domain/device-id-init.js';
import { createEventsApi } from './api/events.js';
import { createSessionsApi } from './api/sessions.js';
import { createViewsApi } from './api/views.js';
import { createDeviceIdApi, createOfflineApi } from './api/device-id.js';
import { createConsentApi } from './api/consent.js';
import { createLocationApi } from './api/location.js';
import { createLifecycleApi } from './api/lifecycle.js';
import type { EventsRecordEvent } from './machines/events.machine.js';

/** Namespaces (app keys) open per store, across the live instances of this process. */
interface NamespaceOwner {
  /** Set once the owner's shutdown began: resolves when its storage is closed. */
  closing: Promise<void> | null;
}
const openNamespaces = new Map<object | string, Map<string, NamespaceOwner>>();

/** Broadcasts that carry (or get, when delivered) the moment they happened. */
const STAMPED: ReadonlySet<string> = new Set([
  'identity.changing',
  'identity.changed',
  'consent.changing',
  'consent.changed',
  'location.changed',
  'settings.updated',
  'view.changed',
]);

/** Picks the platform where none was given; runs at `createCountly` time, never at import. */
function detectPlatform(): Platform {
  const g = globalThis as { document?: unknown; window?: unknown };
  return g.document !== undefined && g.window !== undefined ? browserPlatform() : neutralPlatform();
}

function defaultStorage(): StorageAdapter {
  const g = globalThis as { indexedDB?: unknown; document?: unknown };
  return g.indexedDB !== undefined && g.document !== undefined ? indexedDbStorage() : memoryStorage();
}

const EMPTY_CONTENTS: StorageContents = { kv: {}, queues: { requests: [], events: [] }, corrupt: 0 };

function parseKv(kv: Readonly<Record<string, string>>, log: Logger): Record<string, unknown> {
  // No prototype: a stored key named `__proto__` stays an ordinary key.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(kv)) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      log.error('Storage', `read, stored value for key [${k}] is corrupt and was skipped`);
    }
  }
  return out;
}

function parseBehaviorSettings(value: unknown, log: Logger): Record<string, unknown> {
  if (value === undefined) return {};
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      log.warning('Init', 'createCountly, "behaviorSettings" is not valid JSON and was ignored');
      return {};
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    log.warning('Init', 'createCountly, "behaviorSettings" must be an object and was ignored');
    return {};
  }
  // Accept both the server's envelope `{ v, t, c }` and a bare settings object.
  const c = (parsed as { c?: unknown }).c;
  return typeof c === 'object' && c !== null && !Array.isArray(c) ? (c as Record<string, unknown>) : (parsed as Record<string, unknown>);
}

type PendingCall =
  | { kind: 'send'; target: ActorName; event: EventObject }
  | { kind: 'broadcast'; event: Broadcast }
  | { kind: 'command'; command: Command };

class CountlyInstance {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly platform: Platform;
  readonly storage: StorageAdapter;
  readonly transport: Transport;
  readonly ready: Promise<void>;
  readonly api: ApiContext;
  readonly actors: Record<string, AnyActorRef> = {};

  private readonly commands = new Subject<Command>();
  private readonly stateSubject: BehaviorSubject<CountlyState>;
  private readonly instant: (reading?: number) => Instant;
  private readonly eventId: (reading?: number) => string;
  private readonly writer: StorageWriter;
  private queue = new RequestQueue();
  private eventStore = new EventStore();
  private identity: Identity | null = null;
  private serverUrl: string;
  private handle: StorageHandle | null = null;
  private route: Route = () => [];
  private pending: PendingCall[] = [];
  private status: CountlyState['status'] = 'booting';
  private subscriptions: Subscription[] = [];
  private cleanups: Array<() => void> = [];
  private flushes = new Map<number, () => void>();
  private releaseNamespace: () => void = () => undefined;
  private namespaceOwner: NamespaceOwner | null = null;
  private closing: Promise<void> | null = null;
  private nextFlushId = 1;
  private settings: Record<string, unknown> = {};
  /** `events.record` calls of the current run with their clock readings, handed over as one event. */
  private records: RecordFields[] = [];
  private readings: number[] = [];
  private recordsScheduled = false;
  private stateDirty = false;

  constructor(userConfig: CountlyConfig) {
    const cfg = (typeof userConfig === 'object' && userConfig !== null ? userConfig : {}) as CountlyConfig;
    this.log = createLogger({
      console: cfg.logging === true,
      listener: typeof cfg.logListener === 'function' ? cfg.logListener : undefined,
    });
    this.config = resolveConfig(userConfig, this.log);
    const clock = cfg.clock ?? systemClock();
    // Every SDK timer first hands over the records buffered in the current run, so a timer
    // that fires (or a simulated clock advanced in the same run) never overtakes them.
    this.clock = {
      now: () => clock.now(),
      setTimeout: (fn, ms) =>
        clock.setTimeout(() => {
          this.flushRecords();
          fn();
        }, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    this.platform = cfg.platform ?? detectPlatform();
    this.storage = cfg.storage ?? defaultStorage();
    this.transport = cfg.transport ?? fetchTransport({ now: () => this.clock.now() });
    this.instant = createInstantSource(() => this.clock.now());
    this.eventId = createEventIdSource(() => this.clock.now());
    this.writer = new StorageWriter(this.log);
    this.serverUrl = this.config.url;
    this.stateSubject = new BehaviorSubject<CountlyState>(this.computeState());
    this.api = this.createApiContext();
    this.log.info(
      'Init',
      `createCountly, url ${param(this.config.url)}, appKey ${param(this.config.appKey)}, storage ${param(this.storage.kind)}, platform ${param(this.platform.name)}`,
    );
    this.ready = this.boot(cfg).catch((error: unknown) => {
      // Never reject `ready`: a failed boot is logged and the instance stays inert.
      this.log.error('Init', `createCountly, initialization failed: ${String(error)}`);
      this.releaseNamespace();
      this.status = 'stopped';
      this.publishState();
    });
  }

  // ---- boot --------------------------------------------------------------------------

  private async boot(cfg: CountlyConfig): Promise<void> {
    let contents = EMPTY_CONTENTS;
    try {
      // spec: instances must not interfere — two live instances appending to one namespace
      // would overwrite each other's entries (each numbers its own).
      const store = this.storage.id ?? this.storage;
      const owners = openNamespaces.get(store) ?? new Map<string, NamespaceOwner>();
      openNamespaces.set(store, owners);
      // An instance still shutting down on this namespace (e.g. `init` right after
      // `shutdown()`) is waited for: its last writes land before this one reads.
      for (let owner = owners.get(this.config.appKey); owner?.closing; owner = owners.get(this.config.appKey)) await owner.closing;
      if (owners.has(this.config.appKey)) {
        throw new Error(`app key ${param(this.config.appKey)} is in use on this storage by another live instance`);
      }
      const mine: NamespaceOwner = { closing: null };
      owners.set(this.config.appKey, mine);
      this.namespaceOwner = mine;
      this.releaseNamespace = () => {
        // Only this instance's own claim, and only once.
        if (owners.get(this.config.appKey) === mine) owners.delete(this.config.appKey);
        this.releaseNamespace = () => undefined;
      };
      this.handle = await this.storage.open(this.config.appKey);
      contents = await this.handle.read();
    } catch (error) {
      // Storage that cannot open must not break the host app: run on memory instead.
      this.log.error('Storage', `open, ${this.storage.kind} storage failed (${String(error)}); falling back to memory storage`);
      this.handle = await memoryStorage().open(this.config.appKey);
      contents = await this.handle.read();
    }
    if (this.status === 'stopped') return;
    if (contents.corrupt > 0) this.log.error('Storage', `read, skipped ${contents.corrupt} corrupt stored record(s)`);
    this.writer.attach(this.handle);

    const kv = parseKv(contents.kv, this.log);
    const decoded = EventStore.decode(contents.queues.events);
    let storedEvents = decoded.events;
    if (decoded.corrupt > 0) this.log.error('Storage', `read, skipped ${decoded.corrupt} corrupt stored event(s)`);
    // A stored request must at least name its app and device; anything else is corrupt.
    const usable = contents.queues.requests.filter((e) => {
      const parsed = parseStoredRequest(e.data);
      return parsed.appKey !== null && parsed.appKey !== '' && parsed.deviceId !== null && parsed.deviceId !== '';
    });
    const corruptRequests = contents.queues.requests.length - usable.length;
    if (corruptRequests > 0) {
      this.log.error('Storage', `read, skipped ${corruptRequests} corrupt stored request(s)`);
      const good = new Set(usable.map((e) => e.seq));
      this.writer.push([{ op: 'remove', queue: 'requests', seqs: contents.queues.requests.filter((e) => !good.has(e.seq)).map((e) => e.seq) }]);
    }
    this.queue = new RequestQueue(usable, this.config.maxRequestQueueSize);
    this.eventStore = new EventStore(contents.queues.events);

    // spec: SDK Behavior Settings — SDK default < dev config < provided SBS < stored SBS.
    this.settings = { ...parseBehaviorSettings(cfg.behaviorSettings, this.log), ...(isRecord(kv.behaviorSettings) ? kv.behaviorSettings : {}) };


    const generatedId = randomId();
    let urlDeviceId: string | undefined;
    try {
      urlDeviceId = this.platform.urlDeviceId?.();
    } catch (error) {
      this.log.error('Init', `createCountly, the platform's urlDeviceId hook failed: ${String(error)}`);
    }
    const deviceIdInput = deviceIdInputFrom(this.config, kv, { urlDeviceId }, { generated: generatedId });
    // The truth table once: the identity every actor starts with, and what it replaced.
    const init = deviceIdAtInit(deviceIdInput);
    const initialIdentity = { deviceId: init.deviceId, deviceIdType: init.deviceIdType };
    const cleared = init.cleared;
    // spec: Device ID Management — offline data of an earlier run that will not go out under
    // a real ID (its placeholder requests are removed) is orphaned: its stored events too.
    if (init.placeholderRequests === 'remove' && deviceIdInput.stored !== null && isTemporaryMarker(deviceIdInput.stored) && storedEvents.length > 0) {
      this.log.warning('DeviceId', `createCountly, ${storedEvents.length} event(s) recorded offline in an earlier run were dropped with its placeholder requests`);
      storedEvents = [];
      this.writer.push(this.eventStore.clear());
    }
    // The register that stamps requests holds the truth table's answer before any actor starts.
    this.identity = initialIdentity;
    const bootContext: FeatureBootContext = {
      config: this.config,
      stored: kv,
      storedEvents,
      platform: this.platform,
      urlDeviceId,
      generatedId,
      queueLength: this.queue.length,
      initialIdentity,
      clearedIdentity: cleared ? { deviceId: cleared.id, deviceIdType: cleared.type } : null,
      settings: this.settings,
      at: this.instant(),
      idSeed: randomId(),
    };

    const deps: EffectDeps = {
      config: this.config,
      log: this.log,
      transport: this.transport,
      clock: this.clock,
      writer: this.writer,
      queue: this.queue,
      eventStore: this.eventStore,
      identity: () => this.identity ?? { deviceId: '', deviceIdType: 'SDK_GENERATED' },
      instant: this.instant,
      serverUrl: () => this.serverUrl,
      dropAgeHours: () => (typeof this.settings.dort === 'number' && this.settings.dort > 0 ? this.settings.dort : this.config.requestDropAgeHours),
      mayConnect: (purpose) => {
        const holds = (this.actors.processor?.getSnapshot() as { context?: { holds?: readonly string[] } } | undefined)?.context?.holds ?? [];
        const blocking = purpose === 'settings' ? ['temporary-id', 'offline'] : ['temporary-id', 'offline', 'networking-disabled'];
        return !holds.some((h) => blocking.includes(h));
      },
      metrics: metricsReader(this.platform, this.config, this.log),
    };
    this.subscriptions.push(
      runEffects(this.commands, deps).subscribe({
        next: (event) => this.deliver(event),
        error: (error: unknown) => this.log.error('Effects', `pipeline, stopped: ${String(error)}`),
      }),
    );

    const inspect = guardInspector(cfg.inspect, this.log);
    const listeners: Partial<Record<ActorName, readonly string[]>> = {};
    const created: Array<[ActorName, AnyActorRef]> = [];
    for (const feature of features) {
      listeners[feature.name] = feature.listensTo;
      const actor = createActor(feature.machine as AnyStateMachine, {
        input: feature.input(bootContext),
        clock: this.clock,
        ...(inspect ? { inspect } : {}),
      });
      // Commands reach listeners only if attached before start().
      actor.on('*', (command) => this.commands.next(command as Command));
      const watched = actor.subscribe({
        next: () => this.publishState(),
        error: (error: unknown) => this.log.error('Init', `actor ${feature.name} failed: ${String(error)}`),
      });
      this.cleanups.push(() => watched.unsubscribe());
      this.actors[feature.name] = actor;
      created.push([feature.name, actor]);
    }
    this.route = createRouter(listeners);
    // Start in boot order: identity first, so everything else stamps the right device ID.
    for (const [, actor] of created) actor.start();
    // spec: Queue Size Limit — a queue stored under a larger limit is cut to this one at once,
    // after the device-ID machine removed orphaned placeholder requests (they do not count).
    const rqs = this.settings.rqs;
    const limit = typeof rqs === 'number' && Number.isInteger(rqs) && rqs > 0 ? rqs : this.config.maxRequestQueueSize;
    const trimmed = this.queue.setMaxSize(limit);
    this.writer.push(trimmed.ops);
    if (trimmed.evicted.length > 0) {
      this.log.warning('RequestQueue', `createCountly, ${trimmed.evicted.length} stored request(s) over the queue limit of ${limit} dropped, oldest first`);
    }
    this.status = 'ready';

    this.watchPlatform();

    const calls = this.pending;
    this.pending = [];
    for (const call of calls) {
      if (call.kind === 'send') this.actors[call.target]?.send(call.event);
      else if (call.kind === 'broadcast') this.deliver(call.event);
      else this.commands.next(call.command);
    }
    this.actors.processor?.send({ type: 'processor.release', reason: 'booting' });
    this.publishState();
    this.log.info('Init', `createCountly, ready with device ID ${param(this.identity?.deviceId)} and ${this.queue.length} queued request(s)`);
  }

  private watchPlatform(): void {
    const { platform } = this;
    // A platform adapter is user code: a hook that throws costs that hook, never the SDK.
    const watch = (hook: string, subscribe: () => () => void): void => {
      try {
        const stop = subscribe();
        this.cleanups.push(() => {
          try {
            stop();
          } catch (error) {
            this.log.error('Init', `shutdown, the platform's ${hook} cleanup failed: ${String(error)}`);
          }
        });
      } catch (error) {
        this.log.error('Init', `createCountly, the platform's ${hook} hook failed and is not used: ${String(error)}`);
      }
    };
    if (platform.onLifecycle) {
      const onLifecycle = platform.onLifecycle.bind(platform);
      watch('onLifecycle', () =>
        onLifecycle((state) =>
          this.deliver(state === 'foreground' ? { type: 'app.foreground', at: this.stamp() } : { type: 'app.background', at: this.stamp() }),
        ),
      );
    }
    if (platform.onOrientation) {
      const onOrientation = platform.onOrientation.bind(platform);
      watch('onOrientation', () => onOrientation((mode) => this.actors.views?.send({ type: 'orientation.changed', mode, at: this.stamp() })));
    }
  }

  /** The current instant, after the buffered records took theirs (timestamps follow call order). */
  private stamp(): Instant {
    this.flushRecords();
    return this.instant();
  }

  // ---- routing -----------------------------------------------------------------------

  /** Routes an effect result or broadcast to the machines that listen, in delivery order. */
  private deliver(input: SdkEvent): void {
    // A result that arrives after shutdown (a download in flight) has no one to go to.
    if (this.status === 'stopped') return;
    // Records of the current run reach the events machine before anything that follows them.
    this.flushRecords();
    // A fact that arrives without its moment (server settings, a consent change the server
    // caused) happens now: sessions and views measure durations up to it.
    const event = STAMPED.has(input.type) && (input as { at?: unknown }).at === undefined ? ({ ...input, at: this.stamp() } as SdkEvent) : input;
    switch (event.type) {
      case 'identity.changed':
        // The register that stamps requests changes before anyone reacts to the change.
        this.identity = { deviceId: event.deviceId, deviceIdType: event.deviceIdType };
        break;
      case 'flush.finished': {
        const resolve = this.flushes.get(event.flushId);
        this.flushes.delete(event.flushId);
        resolve?.();
        break;
      }
      case 'settings.updated':
        this.applySettings(event.settings);
        break;
      case 'queue.changed':
        this.publishState();
        break;
      default:
        break;
    }
    for (const target of this.route(event.type)) this.actors[target]?.send(event);
  }

  /** SDK-level behavior settings: networking, queue size. */
  private applySettings(settings: Record<string, unknown>): void {
    this.settings = settings;
    if (typeof settings.rqs === 'number' && Number.isInteger(settings.rqs) && settings.rqs > 0) {
      const { evicted, ops } = this.queue.setMaxSize(settings.rqs);
      this.writer.push(ops);
      if (evicted.length > 0) this.log.warning('RequestQueue', `settings, queue limit lowered to ${settings.rqs}, dropped ${evicted.length} request(s)`);
    }
    if (settings.networking === false) this.actors.processor?.send({ type: 'processor.hold', reason: 'networking-disabled' });
    if (settings.networking === true) this.actors.processor?.send({ type: 'processor.release', reason: 'networking-disabled' });
  }

  // ---- API context -------------------------------------------------------------------

  private createApiContext(): ApiContext {
    return {
    config: this.config,
    log: this.log,
    now: () => this.stamp(),
    newId: () => randomId(),
    eventId: () => {
      this.flushRecords();
      return this.eventId();
    },
    record: (fields) => {
      if (this.status === 'stopped') {
        this.log.warning('Init', 'send, the SDK was shut down; events.record ignored');
        return;
      }
      if (this.status === 'booting') {
        this.pending.push({ kind: 'send', target: 'events', event: { type: 'events.record', ...fields, at: this.instant(), id: this.eventId() } as EventsRecordEvent });
        return;
      }
      this.bufferRecord(fields, this.clock.now());
    },
    send: (target, event) => {
      if (this.status === 'stopped') {
        this.log.warning('Init', `send, the SDK was shut down; ${event.type} ignored`);
        return;
      }
      if (this.status === 'booting') {
        this.pending.push({ kind: 'send', target, event });
        return;
      }
      this.flushRecords();
      this.actors[target]?.send(event);
    },
    broadcast: (event) => {
      if (this.status === 'stopped') {
        this.log.warning('Init', `broadcast, the SDK was shut down; ${event.type} ignored`);
        return;
      }
      if (this.status === 'booting') this.pending.push({ kind: 'broadcast', event });
      else this.deliver(event);
    },
    command: (command) => {
      if (this.status === 'stopped') {
        this.log.warning('Init', `command, the SDK was shut down; ${command.type} ignored`);
        return;
      }
      if (this.status === 'booting') this.pending.push({ kind: 'command', command });
      else {
        this.flushRecords();
        this.commands.next(command);
      }
    },
    snapshot: (target) => {
      this.flushRecords();
      return this.actors[target]?.getSnapshot() as never;
    },
    state: () => this.getState(),
    isReady: () => this.status === 'ready',
    };
  }

  // ---- record coalescing -------------------------------------------------------------

  /**
   * `events.record` is the hot path: a burst of calls in one synchronous run becomes one
   * `events.recordMany` (one machine step, one grouped storage write) at the end of the run
   * (a microtask), or earlier, before any other call, delivery or state read, so the order
   * of everything is the call order. Nothing is held back past the current run.
   */
  private bufferRecord(fields: RecordFields, reading: number): void {
    this.records.push(fields);
    this.readings.push(reading);
    if (this.recordsScheduled) return;
    this.recordsScheduled = true;
    queueMicrotask(() => {
      this.recordsScheduled = false;
      this.flushRecords();
    });
  }

  /** Stamps the buffered records (unique timestamp, event ID) in call order and hands them over. */
  private flushRecords(): void {
    if (this.records.length === 0) return;
    const fields = this.records;
    const readings = this.readings;
    this.records = [];
    this.readings = [];
    const actor = this.actors.events;
    if (!actor || this.status !== 'ready') return;
    const records: EventsRecordEvent[] = new Array<EventsRecordEvent>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const reading = readings[i] as number;
      records[i] = { type: 'events.record', ...(fields[i] as RecordFields), at: this.instant(reading), id: this.eventId(reading) };
    }
    if (records.length === 1) actor.send(records[0]!);
    else actor.send({ type: 'events.recordMany', records });
  }

  // ---- flush / server URL / shutdown -------------------------------------------------

  async flush(): Promise<void> {
    await this.ready;
    if (this.status !== 'ready') return;
    this.deliver({ type: 'flush.requested', at: this.stamp() });
    const flushId = this.nextFlushId++;
    const done = new Promise<void>((resolve) => this.flushes.set(flushId, resolve));
    this.actors.processor?.send({ type: 'processor.flush', flushId });
    await done;
    await this.writer.drain();
  }

  setServerUrl(url: string): void {
    const normalized = normalizeServerUrl(url);
    if (normalized === null) {
      this.log.warning('Init', `setServerUrl, invalid url ${param(url)}, ignored`);
      return;
    }
    this.log.info('Init', `setServerUrl, url ${param(normalized)}`);
    // Queued requests hold no URL: everything still queued now goes to the new server.
    this.serverUrl = normalized;
    this.publishState();
  }

  /** Idempotent: every call waits for the one shutdown to finish. */
  shutdown(): Promise<void> {
    this.closing ??= this.doShutdown();
    if (this.namespaceOwner && !this.namespaceOwner.closing) this.namespaceOwner.closing = this.closing;
    return this.closing;
  }

  private async doShutdown(): Promise<void> {
    this.log.info('Init', 'shutdown, stopping timers and persisting everything');
    await this.ready;
    if (this.namespaceOwner && !this.namespaceOwner.closing && this.closing) this.namespaceOwner.closing = this.closing;
    if (this.status === 'stopped') {
      // Boot failed: nothing runs, but the namespace claim may still be held.
      this.releaseNamespace();
      return;
    }
    this.flushRecords();
    this.status = 'stopped';
    for (const cleanup of this.cleanups) cleanup();
    for (const name of [...DELIVERY_ORDER].reverse()) this.actors[name]?.stop();
    for (const resolve of this.flushes.values()) resolve();
    this.flushes.clear();
    await this.writer.drain();
    for (const s of this.subscriptions) s.unsubscribe();
    this.writer.detach();
    await this.handle?.close().catch((error: unknown) => this.log.error('Storage', `close, failed: ${String(error)}`));
    this.handle = null;
    this.releaseNamespace();
    this.publishState();
  }

  // ---- state -------------------------------------------------------------------------

  private computeState(): CountlyState {
    return selectState({
      status: this.status,
      config: this.config,
      serverUrl: this.serverUrl,
      identity: this.identity,
      queue: { requests: this.queue.length, events: this.eventStore.size },
      actors: this.actors,
    });
  }

  /**
   * A change: with `state$` subscribers it is emitted at once (API: "emits on every change");
   * with none, the state is only marked changed and computed when `getState()` or a new
   * subscriber asks — no work per change when nobody listens.
   */
  private publishState(): void {
    if (!this.stateSubject) return;
    this.stateDirty = true;
    if (this.stateSubject.observed) this.emitState();
  }

  private emitState(): void {
    if (!this.stateDirty) return;
    this.stateDirty = false;
    this.stateSubject.next(this.computeState());
  }

  get state$(): Observable<CountlyState> {
    return defer(() => {
      // A subscriber starts from the state as it is now, not as of the last emission.
      this.flushRecords();
      this.emitState();
      return this.stateSubject;
    }).pipe(distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)));
  }

  getState(): CountlyState {
    this.flushRecords();
    this.emitState();
    return this.stateSubject.value;
  }

  /** Diagnostics for tests and the benchmark. */
  internals(): Internals {
    return { queue: this.queue, writer: this.writer, closing: this.closing !== null };
  }
}

/**
 * The `metrics` param, read from the platform at each call (spec: Device Metrics — "fetched
 * from device on demand"), so every `begin_session` carries the device as it is then. A
 * platform hook that throws gives no platform metrics (`_app_version` and overrides still go
 * out); only its first failure is logged.
 */
export function metricsReader(platform: Platform, config: ResolvedConfig, log: Logger): () => string {
  let failed = false;
  return () => {
    let platformMetrics: Record<string, string> = {};
    try {
      platformMetrics = platform.metrics();
    } catch (error) {
      if (!failed) log.error('Sessions', `begin_session, the platform's metrics hook failed; sent without platform metrics (logged once): ${String(error)}`);
      failed = true;
    }
    return metricsParam(platformMetrics, config.appVersion, config.metricOverride);
  };
}

/**
 * The user's inspector, made safe: an inspector that throws (a closed WebSocket, a bug in a
 * callback) must not stop an actor. Every event still goes to it; only the first failure is logged.
 */
function guardInspector(inspect: CountlyConfig['inspect'], log: Logger): ((event: InspectionEvent) => void) | undefined {
  if (inspect === undefined || inspect === null) return undefined;
  const next = typeof inspect === 'function' ? inspect : typeof inspect.next === 'function' ? inspect.next.bind(inspect) : undefined;
  if (!next) {
    log.warning('Init', 'createCountly, "inspect" must be a function or an observer with next(); ignored');
    return undefined;
  }
  let failed = false;
  return (event) => {
    try {
      next(event);
    } catch (error) {
      if (!failed) log.error('Init', `inspect, the inspector threw (logged once, the SDK goes on): ${String(error)}`);
      failed = true;
    }
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** UUID v4 from the platform (`crypto.randomUUID`), looked up at call time. */
function randomId(): string {
  return globalThis.crypto.randomUUID();
}

/** Builds the public object of an instance. */
export function createCountly(config: CountlyConfig): Countly {
  const sdk = new CountlyInstance(config);
  const ctx = sdk.api;
  const offline = createOfflineApi(ctx);
  const countly: Countly = {
    ready: sdk.ready,
    get state$() {
      return sdk.state$;
    },
    getState: () => sdk.getState(),
    actors: sdk.actors,
    events: createEventsApi(ctx),
    sessions: createSessionsApi(ctx),
    views: createViewsApi(ctx),
    deviceId: createDeviceIdApi(ctx),
    consent: createConsentApi(ctx),
    location: createLocationApi(ctx),
    queue: createQueueApi(ctx, { flush: () => sdk.flush() }),
    lifecycle: createLifecycleApi(ctx),
    setServerUrl: (url: string) => sdk.setServerUrl(url),
    enableOfflineMode: offline.enableOfflineMode,
    disableOfflineMode: offline.disableOfflineMode,
    shutdown: () => sdk.shutdown(),
  };
  internalsOf.set(countly, () => sdk.internals());
  return countly;
}

/** Test and benchmark diagnostics of an instance. */
interface Internals {
  queue: RequestQueue;
  writer: StorageWriter;
  /** `shutdown()` was called (it may still be running). */
  closing: boolean;
}

const internalsOf = new WeakMap<Countly, () => Internals>();

/** Test and benchmark diagnostics of an instance (not part of the public API). */
export function instanceInternals(countly: Countly): Internals | undefined {
  return internalsOf.get(countly)?.();
}

let shared: Countly | null = null;

/** Creates the shared instance once; later calls log a warning and return the first one. */
export function init(config: CountlyConfig): Countly {
  const log = createLogger({ console: config?.logging === true, listener: config?.logListener });
  if (shared && shared.getState().status !== 'stopped' && internalsOf.get(shared)?.().closing !== true) {
    log.warning('Init', 'init, the shared instance already exists; the new config was ignored');
    return shared;
  }
  // spec: instances are independently initializable and destroyable — after shutdown() a
  // new shared instance takes the old one's place.
  // Its storage is released when its shutdown ends; the new instance waits for that at boot.
  if (shared) log.info('Init', 'init, the shared instance was shut down; a new one replaces it');
  shared = createCountly(config);
  return shared;
}

/** The shared instance; throws if `init` was not called. */
export function instance(): Countly {
  if (!shared) throw new Error('[Countly] instance, init() was not called');
  return shared;
}

/** Forgets the shared instance (after shutting it down). For tests and hot reloads. */
export async function resetSharedInstance(): Promise<void> {
  const s = shared;
  shared = null;
  await s?.shutdown();
}
