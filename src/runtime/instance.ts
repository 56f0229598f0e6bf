/**
 * One SDK instance: the runtime's small parts — namespace lock, boot read, record buffer, API
 * context, actors, effect pipeline, router, state store — hosting the registered features
 * (`src/features/index.ts`). No domain rule lives here.
 *
 *   public API → machine event → machine emits command → effect → adapter → result event → machine
 */
import { Subject, type Subscription } from 'rxjs';
import type { AnyActorRef } from 'xstate';
import type { Clock, Platform, StorageAdapter, StorageHandle, Transport } from '../adapters/types.js';
import { systemClock } from '../adapters/clock.js';
import { memoryStorage } from '../adapters/storage/memory.js';
import { fetchTransport } from '../adapters/transport/fetch.js';
import { loggerOptionsOf, normalizeServerUrl, readOption, resolveConfig, SDK_NAME, type ResolvedConfig } from '../config.js';
import { createEventIdSource } from '../domain/ids.js';
import { RequestQueue } from '../domain/request-queue.js';
import type { Command } from '../effects/commands.js';
import type { EffectDeps, Identity, SdkEvent } from '../effects/deps.js';
import { EventStore } from '../effects/event-store.js';
import { exportEffect } from '../exporters/export.effect.js';
import { ExporterSet, readExporters } from '../exporters/host.js';
import { coreEffects, runEffects } from '../effects/run-effects.js';
import { StorageWriter } from '../effects/storage-writer.js';
import type { AnyFeature } from '../features/define.js';
import type { ActorName } from '../features/order.js';
import { errorText, createLogger, param, type Logger } from '../log.js';
import { createInstantSource } from '../protocol/time.js';
import { Actors, guardInspector } from './actors.js';
import { adapterOption } from './adapter-option.js';
import { createApiContext, type PendingCall } from './api-context-impl.js';
import { createCallbackRegistry, type CallbackRegistry } from './callbacks.js';
import { ProblemCounter } from './problem-counter.js';
import type { ApiContext } from './api-context.js';
import { agreeOnGeneratedId, EMPTY_CONTENTS, readBoot, readUrlDeviceId } from './boot.js';
import { defaultStorage, defaultStorageWarning, detectPlatform } from './defaults.js';
import { metricsReader } from './metrics-reader.js';
import { claimNamespace, type NamespaceClaim } from './namespace-lock.js';
import { otherAppKeys, registerAppKey } from '../features/processor/app-keys.js';
import { watchPlatform } from './platform-watch.js';
import { RecordBuffer } from './record-buffer.js';
import { createRouter, listenersOf, type Route } from './router.js';
import { selectState } from './select-state.js';
import { StateStore } from './state-store.js';
import type { CountlyConfig } from '../types.js';

const INIT = { module: 'Init', fn: 'createCountly' };

export class CountlyInstance {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly platform: Platform;
  readonly storage: StorageAdapter;
  readonly transport: Transport;
  readonly ready: Promise<void>;
  readonly api: ApiContext;
  readonly actors = new Actors();
  readonly store: StateStore;
  readonly writer: StorageWriter;
  queue = new RequestQueue();

  private readonly commands = new Subject<Command>();
  private readonly instant: (reading?: number) => Instant;
  private readonly eventId: (reading?: number) => string;
  private readonly records: RecordBuffer;
  private eventStore = new EventStore();
  /** `exporters`: started at boot, fed by `exportEffect`, flushed and shut down with the instance. */
  private exporters: ExporterSet | null = null;
  private identity: Identity | null = null;
  private urlIdentity: string | null = null;
  private serverUrl: string;
  private handle: StorageHandle | null = null;
  private pending: PendingCall[] = [];
  private status: 'booting' | 'ready' | 'stopped' = 'booting';
  private subscriptions: Subscription[] = [];
  private cleanups: Array<() => void> = [];
  private flushes = new Map<number, () => void>();
  private claim: NamespaceClaim | null = null;
  private closing: Promise<void> | null = null;
  private nextFlushId = 1;
  private registration: Promise<void> = Promise.resolve();
  /** Errors and warnings logged, handed to the listeners (health check) once per microtask, from `ready` on. */
  private readonly problems = new ProblemCounter((counts) => this.deliver({ type: 'log.problems', ...counts }), () => this.status);
  readonly callbacks: CallbackRegistry;
  /** Broadcasts that carry (or get, when delivered) the moment they happened: declared by their features. */
  private readonly stamped: ReadonlySet<string>;
  private readonly route: Route;

  /** `features`: the features this instance hosts, in boot order (`src/features/order.ts`). */
  constructor(
    userConfig: CountlyConfig,
    private readonly features: readonly AnyFeature[],
  ) {
    this.stamped = new Set(features.flatMap((f): readonly string[] => f.stamped ?? []));
    this.route = createRouter(listenersOf(features));
    const cfg = (typeof userConfig === 'object' && userConfig !== null ? userConfig : {}) as CountlyConfig;
    // Every option is read through the config's total readers: a getter or proxy that throws is
    // an invalid option (warned about by resolveConfig), never an exception in the host.
    this.log = createLogger({ ...loggerOptionsOf(userConfig), onProblem: (level) => this.problems.note(level) });
    this.config = resolveConfig(userConfig, this.log);
    const clock = adapterOption<Clock>(readOption(userConfig, 'clock'), ['now', 'setTimeout', 'clearTimeout'], 'clock', this.log, INIT) ?? systemClock();
    // Every SDK timer first hands over the records buffered in the current run, so a timer
    // that fires (or a simulated clock advanced in the same run) never overtakes them.
    this.clock = {
      now: () => clock.now(),
      setTimeout: (fn, ms) => clock.setTimeout(() => (this.records.flush(), fn()), ms),
      clearTimeout: (handle) => clock.clearTimeout(handle),
    };
    this.platform = adapterOption<Platform>(readOption(userConfig, 'platform'), ['metrics'], 'platform', this.log, INIT) ?? detectPlatform();
    this.storage = adapterOption<StorageAdapter>(readOption(userConfig, 'storage'), ['open'], 'storage', this.log, INIT) ?? defaultStorage();
    if (this.storage.kind === 'memory' && readOption(userConfig, 'storage') === undefined) {
      const warning = defaultStorageWarning();
      if (warning) this.log.warning('Storage', `createCountly, ${warning}`);
    }
    // spec: SDK Metadata — sdk_name is [language]-[origin]-[platform] (SDK guide l. 297), so
    // Node and browser traffic can be told apart; a name the developer set is kept as given.
    if (this.config.sdkName === SDK_NAME) this.config = { ...this.config, sdkName: `${SDK_NAME}-${platformSlug(read(this.platform, 'name'))}` };
    this.transport = adapterOption<Transport>(readOption(userConfig, 'transport'), ['send'], 'transport', this.log, INIT) ?? fetchTransport({ now: () => this.clock.now() });
    this.instant = createInstantSource(() => this.clock.now());
    this.eventId = createEventIdSource(() => this.clock.now());
    this.writer = new StorageWriter(this.log);
    this.callbacks = createCallbackRegistry(this.log);
    this.serverUrl = this.config.url;
    this.records = new RecordBuffer({
      instant: (r) => this.instant(r),
      eventId: (r) => this.eventId(r),
      accepting: () => this.status === 'ready' && this.actors.get('events') !== undefined,
      deliver: (event) => this.actors.get('events')?.send(event),
    });
    this.store = new StateStore(() => this.computeState(), () => this.records.flush());
    this.api = createApiContext(
      {
        config: this.config,
        log: this.log,
        status: () => this.status,
        settle: () => this.records.flush(),
        stamp: () => this.stamp(),
        instant: () => this.instant(),
        eventId: () => this.eventId(),
        newId: randomId,
        bufferRecord: (fields) => this.records.add(fields, this.clock.now()),
        sendNow: (target, event) => this.actors.get(target)?.send(event),
        deliver: (event) => this.deliver(event),
        commandNow: (command) => this.commands.next(command),
        snapshot: (target) => this.actors.get(target)?.getSnapshot(),
        state: () => this.store.get(),
        flush: () => this.flush(),
        callbacks: this.callbacks,
      },
      this.pending,
    );
    this.log.info('Init', `createCountly, url ${param(this.config.url)}, appKey ${param(this.config.appKey)}, storage ${param(read(this.storage, 'kind'))}, platform ${param(read(this.platform, 'name'))}`);
    this.ready = this.boot(cfg).catch((error: unknown) => {
      // Never reject `ready`: a failed boot is logged and the instance stays inert.
      this.log.error('Init', `createCountly, initialization failed: ${errorText(error)}`);
      this.claim?.release();
      this.status = 'stopped';
      this.store.publish();
    });
  }

  private async boot(cfg: CountlyConfig): Promise<void> {
    let contents = EMPTY_CONTENTS;
    // The ID this tab generates if the truth table says so: claimed before readBoot uses it.
    const generated = randomId();
    const ids = [generated];
    const urlDeviceId = readUrlDeviceId(this.platform, this.log);
    try {
      this.claim = await claimNamespace(this.storage.id ?? this.storage, this.config.appKey);
      this.handle = await this.storage.open(this.config.appKey, { onProblem: (message) => this.log.error('Storage', `write, ${message}`) });
      contents = await this.handle.read();
      contents = await agreeOnGeneratedId(this.handle, contents, { config: this.config, urlDeviceId, generated, log: this.log });
      // The store's list of app keys, so a later app key can reach what this one leaves queued.
      // Not on the way to `ready` (it opens another namespace); shutdown waits for it.
      this.registration = registerAppKey(this.storage, this.config.appKey, this.log);
    } catch (error) {
      // Storage that cannot open must not break the host app: run on memory instead.
      this.log.error('Storage', `open, ${this.storage.kind} storage failed (${errorText(error)}); falling back to memory storage`);
      this.handle = await memoryStorage().open(this.config.appKey);
      contents = await this.handle.read();
    }
    if (this.status === 'stopped') return;
    this.writer.attach(this.handle);
    const boot = readBoot({ config: this.config, log: this.log, platform: this.platform, contents, providedSettings: readOption(cfg, 'behaviorSettings'), instant: () => this.instant(), newId: () => ids.shift() ?? randomId(), urlDeviceId });
    this.queue = boot.queue;
    this.eventStore = boot.eventStore;
    if (boot.ops.length > 0) this.writer.push([...boot.ops]);
    // The register that stamps requests holds the truth table's answer before any actor starts.
    this.urlIdentity = boot.data.urlIdentity;
    this.identity = this.identityOf(boot.data.initialIdentity.deviceId, boot.data.initialIdentity.deviceIdType);
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
      holds: () => this.actors.get('processor')?.getSnapshot().context.holds ?? [],
      metrics: metricsReader(this.platform, this.config, this.log),
      deadLetters: boot.deadLetters,
      trackingDisabled: () => this.actors.get('processor')?.getSnapshot().context.trackingDisabled === true,
      bot: boot.bot,
      otherAppKeys: otherAppKeys(this.storage, this.config.appKey),
      platform: this.platform,
      callbacks: this.callbacks,
      flush: () => this.flush(),
    };
    const exporters = readExporters(readOption(cfg, 'exporters'), this.log);
    if (exporters.length > 0) this.exporters = new ExporterSet(exporters, this.log, { storage: this.storage, transport: this.transport, clock: this.clock, metrics: () => JSON.parse(deps.metrics()) as Record<string, string> });
    const tap = this.exporters ? [exportEffect(this.exporters)] : [];
    const effects = [...coreEffects.slice(0, -1), ...this.features.flatMap((f) => f.effects ?? []), ...tap, ...coreEffects.slice(-1)];
    this.subscriptions.push(
      runEffects(this.commands, deps, effects).subscribe({
        next: (event) => this.deliver(event),
        error: (error: unknown) => this.log.error('Effects', `pipeline, stopped: ${errorText(error)}`),
      }),
    );
    const host = { clock: this.clock, log: this.log, inspect: guardInspector(readOption(cfg, 'inspect') as CountlyConfig['inspect'], this.log), command: (c: Command) => this.commands.next(c), changed: () => this.store.publish() };
    this.actors.start(this.features, boot.data, host);
    this.status = 'ready';
    this.cleanups.push(
      ...watchPlatform(this.platform, this.log, {
        lifecycle: (state) => this.actors.get('lifecycle')?.send({ type: state === 'foreground' ? 'lifecycle.foreground' : 'lifecycle.background', at: this.stamp() }),
        orientation: (mode) => this.actors.get('views')?.send({ type: 'orientation.changed', mode, at: this.stamp() }),
        // Synchronous to the end: the page may run no task after this one.
        exit: () => {
          this.deliver({ type: 'app.exiting', at: this.stamp() });
          this.writer.urgent();
        },
      }),
    );
    for (const call of this.pending.splice(0)) {
      if (call.kind === 'send') this.actors.get(call.target)?.send(call.event);
      else if (call.kind === 'broadcast') this.deliver(call.event);
      else this.commands.next(call.command);
    }
    this.actors.get('processor')?.send({ type: 'processor.release', reason: 'booting' });
    this.store.publish();
    this.problems.start();
    this.log.info('Init', `createCountly, ready with device ID ${param(this.identity?.deviceId)} and ${this.queue.length} queued request(s)`);
  }

  /** The register's identity: an ID that came from the URL goes out with `t=3` while it is in use. */
  private identityOf(deviceId: string, deviceIdType: Identity['deviceIdType']): Identity {
    return deviceIdType === 'DEVELOPER_SUPPLIED' && deviceId === this.urlIdentity ? { deviceId, deviceIdType, wireType: 'URL_PROVIDED' } : { deviceId, deviceIdType };
  }

  /** The current instant, after the buffered records took theirs (timestamps follow call order). */
  private stamp(): Instant {
    this.records.flush();
    return this.instant();
  }

  /** Routes an effect result or broadcast to the actors that listen, in delivery order. */
  private deliver(input: SdkEvent): void {
    // A result that arrives after shutdown (a download in flight) has no one to go to.
    if (this.status === 'stopped') return;
    // Records of the current run reach the events machine before anything that follows them.
    this.records.flush();
    // A fact that arrives without its moment (server settings, a consent change the server
    // caused) happens now: sessions and views measure durations up to it.
    const event = this.stamped.has(input.type) && (input as { at?: unknown }).at === undefined ? ({ ...input, at: this.stamp() } as SdkEvent) : input;
    if (event.type === 'identity.changed') {
      // The register that stamps requests changes before anyone reacts to the change.
      this.identity = this.identityOf(event.deviceId, event.deviceIdType);
    } else if (event.type === 'flush.finished') {
      this.flushes.get(event.flushId)?.();
      this.flushes.delete(event.flushId);
    } else if (event.type === 'queue.changed') {
      this.store.publish();
    }
    for (const target of this.route(event.type)) this.actors.get(target)?.send(event);
  }

  async flush(): Promise<void> {
    await this.ready;
    if (this.status !== 'ready') return;
    this.deliver({ type: 'flush.requested', at: this.stamp() });
    const flushId = this.nextFlushId++;
    const done = new Promise<void>((resolve) => this.flushes.set(flushId, resolve));
    this.actors.get('processor')?.send({ type: 'processor.flush', flushId });
    await done;
    await this.writer.drain();
    await this.exporters?.flush();
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
    this.store.publish();
  }

  /** Idempotent: every call waits for the one shutdown to finish. */
  shutdown(): Promise<void> {
    this.closing ??= this.doShutdown();
    this.claim?.closing(this.closing);
    return this.closing;
  }

  get isClosing(): boolean {
    return this.closing !== null;
  }

  private async doShutdown(): Promise<void> {
    this.log.info('Init', 'shutdown, stopping timers and persisting everything');
    await this.ready;
    if (this.closing) this.claim?.closing(this.closing);
    if (this.status === 'stopped') {
      // Boot failed: nothing runs, but the namespace claim may still be held.
      this.claim?.release();
      return;
    }
    this.records.flush();
    // Before `stopped` (deliver drops everything after it): the last chance to persist.
    this.deliver({ type: 'sdk.stopping', at: this.stamp() });
    this.status = 'stopped';
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.actors.stop();
    for (const resolve of this.flushes.values()) resolve();
    this.flushes.clear();
    await this.writer.drain();
    await this.exporters?.shutdown();
    await this.registration;
    for (const s of this.subscriptions) s.unsubscribe();
    this.writer.detach();
    this.callbacks.clear();
    await this.handle?.close().catch((error: unknown) => this.log.error('Storage', `close, failed: ${errorText(error)}`));
    this.handle = null;
    this.claim?.release();
    this.store.publish();
  }

  private computeState() {
    return selectState({
      status: this.status,
      config: this.config,
      serverUrl: this.serverUrl,
      identity: this.identity,
      queue: { requests: this.queue.length, events: this.eventStore.size },
      actors: this.actors.refs as Record<ActorName, AnyActorRef>,
    }, this.features);
  }
}

type Instant = ReturnType<ReturnType<typeof createInstantSource>>;

/** The platform part of `sdk_name`: `node`, `web`, `js` (neutral) or the platform's own name, lower-case. */
function platformSlug(name: unknown): string {
  const slug = typeof name === 'string' ? name.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') : '';
  return slug === '' ? 'js' : slug;
}

/** A property of user code, read without throwing. */
function read(source: object, key: string): unknown {
  try {
    return (source as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** UUID v4 from the platform (`crypto.randomUUID`), looked up at call time. */
function randomId(): string {
  return globalThis.crypto.randomUUID();
}

