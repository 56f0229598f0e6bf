/**
 * One backend: a small runtime built from the client's parts — the persisted O(1) request
 * queue, the storage writer, the request processor and backoff machines with the transport
 * effect (their retry rules unchanged) — hosting the backend's own pool machine and effect.
 *
 *   API → pool (plain data, O(1)) → threshold? → pool machine → pool.take → backend effect
 *       → queue + writer → queue.changed → processor → transport.sendHead → transport effect
 *
 * No identity register: each request is built with the device ID and app key of its call.
 * One storage namespace, `backend:<appKey>`; a second backend on the same store and app key
 * waits for one still shutting down (the client's namespace lock).
 */
import { Subject } from 'rxjs';
import { createActor, type Actor, type AnyStateMachine } from 'xstate';
import type { Clock, Platform, StorageAdapter, StorageHandle, Transport } from '../adapters/types.js';
import { systemClock } from '../adapters/clock.js';
import { memoryStorage } from '../adapters/storage/memory.js';
import { fetchTransport } from '../adapters/transport/fetch.js';
import { loggerOptionsOf } from '../config.js';
import { readProp } from '../config-read.js';
import { DEAD_LETTER_QUEUE, DeadLetterStore } from '../domain/dead-letters.js';
import { RequestQueue } from '../domain/request-queue.js';
import type { Instant } from '../domain/types.js';
import { parseStoredRequest } from '../protocol/request.js';
import type { Command } from '../effects/commands.js';
import type { EffectDeps, SdkEvent } from '../effects/deps.js';
import { EventStore } from '../effects/event-store.js';
import { broadcastEffect } from '../effects/broadcast.effect.js';
import { logEffect } from '../effects/log.effect.js';
import { runEffects } from '../effects/run-effects.js';
import { StorageWriter } from '../effects/storage-writer.js';
import { backoffMachine } from '../features/backoff/machine.js';
import { transportEffect } from '../features/processor/effect.js';
import { requestProcessorMachine } from '../features/processor/machine.js';
import type { Exporter } from '../exporters/types.js';
import { createLogger, errorText, param, type Logger } from '../log.js';
import { createInstantSource, instantAt } from '../protocol/time.js';
import { metricsReader } from '../runtime/metrics-reader.js';
import { detectPlatform } from '../runtime/defaults.js';
import { createCallbackRegistry } from '../runtime/callbacks.js';
import { claimNamespace, type NamespaceClaim } from '../runtime/namespace-lock.js';
import type { BackendRequest } from './commands.js';
import { MODULE, resolveBackendConfig, type ResolvedBackendConfig } from './config.js';

const CREATE = { module: MODULE, fn: 'createBackend' };

/** The platform's metrics for exporters (`_os`, `_device`, ...); a failing platform gives none. */
function platformMetrics(platform: Platform): Record<string, string> {
  try {
    return { ...platform.metrics() };
  } catch {
    return {};
  }
}
import { backendEffect, type BackendEvent } from './effect.js';
import { ExporterSet, readExporters } from '../exporters/host.js';
import { adapterOption } from '../runtime/adapter-option.js';
import { poolMachine } from './machine.js';
import { EventPool } from './pool.js';
import type { BackendConfig, BackendPending } from './types.js';

export type BackendStatus = 'booting' | 'ready' | 'stopped';

/** Who hears which result or broadcast (the backoff decides before the processor acts, as in the client). */
const ROUTES: Readonly<Record<string, ReadonlyArray<'backoff' | 'processor'>>> = {
  'queue.changed': ['processor'],
  'transport.succeeded': ['backoff', 'processor'],
  'transport.failed': ['backoff', 'processor'],
  'transport.idle': ['processor'],
  'backoff.started': ['processor'],
  'backoff.ended': ['processor'],
};

export class BackendInstance {
  readonly log: Logger;
  readonly config: ResolvedBackendConfig;
  readonly clock: Clock;
  readonly platform: Platform;
  readonly storage: StorageAdapter;
  readonly transport: Transport;
  readonly pool: EventPool<BackendEvent>;
  readonly writer: StorageWriter;
  readonly ready: Promise<void>;
  readonly namespace: string;
  queue: RequestQueue;
  status: BackendStatus = 'booting';

  private readonly commands = new Subject<Command>();
  private readonly now: () => Instant;
  private readonly exporters: ExporterSet | null;
  private readonly metricsOf: (overrides?: Readonly<Record<string, string>>) => string;
  private poolActor: Actor<typeof poolMachine> | null = null;
  private processor: Actor<typeof requestProcessorMachine> | null = null;
  private backoff: Actor<typeof backoffMachine> | null = null;
  private handle: StorageHandle | null = null;
  private claim: NamespaceClaim | null = null;
  private subscriptions: Array<{ unsubscribe(): void }> = [];
  private pendingCalls: Array<() => void> = [];
  private flushes = new Map<number, () => void>();
  private nextFlushId = 1;
  private closing: Promise<void> | null = null;

  constructor(userConfig: BackendConfig) {
    this.log = createLogger(loggerOptionsOf(userConfig));
    this.config = resolveBackendConfig(userConfig, this.log);
    const cfg = userConfig as unknown as object;
    this.clock = adapterOption<Clock>(readProp(cfg, 'clock'), ['now', 'setTimeout', 'clearTimeout'], 'clock', this.log, CREATE) ?? systemClock();
    this.platform = adapterOption<Platform>(readProp(cfg, 'platform'), ['metrics'], 'platform', this.log, CREATE) ?? detectPlatform();
    this.storage = adapterOption<StorageAdapter>(readProp(cfg, 'storage'), ['open'], 'storage', this.log, CREATE) ?? memoryStorage();
    this.transport = adapterOption<Transport>(readProp(cfg, 'transport'), ['send'], 'transport', this.log, CREATE) ?? fetchTransport({ now: () => this.clock.now() });
    this.pool = new EventPool<BackendEvent>(this.config.thresholds);
    this.queue = new RequestQueue([], this.config.client.maxRequestQueueSize);
    this.writer = new StorageWriter(this.log);
    this.namespace = `backend:${this.config.client.appKey}`;
    const instant = createInstantSource(() => this.clock.now());
    this.now = () => instant();
    this.metricsOf = metricsReader(this.platform, this.config.client, this.log);
    const exporters = readExporters(readProp(cfg, 'exporters'), this.log, CREATE);
    this.exporters = exporters.length > 0 ? new ExporterSet(exporters, this.log, { storage: this.storage, transport: this.transport, clock: this.clock, metrics: () => platformMetrics(this.platform) }) : null;
    this.log.info(MODULE, `createBackend, url ${param(this.config.client.url)}, appKey ${param(this.config.client.appKey)}, storage ${param(this.storage.kind)}`);
    this.ready = this.boot().catch((error: unknown) => {
      this.log.error(MODULE, `createBackend, initialization failed: ${errorText(error)}`);
      this.claim?.release();
      this.status = 'stopped';
    });
  }

  /** The instant of a call: its own timestamp (ms) or now. */
  instant(timestamp?: number): Instant {
    return timestamp === undefined ? this.now() : instantAt(timestamp);
  }

  /** The `metrics` param read from the platform now (spec l. 5316: "if null, internal SDK metrics are used"). */
  metrics(): string {
    return this.metricsOf();
  }

  /** The hot path: one event pooled; a threshold reached goes to the pool machine. */
  record(appKey: string, deviceId: string, event: BackendEvent): void {
    if (this.status !== 'ready') {
      if (this.status === 'booting') this.pendingCalls.push(() => this.record(appKey, deviceId, event));
      return;
    }
    const level = this.pool.add(appKey, deviceId, event);
    if (level !== 'none') this.poolActor?.send({ type: 'pool.reached', level, appKey, deviceId });
  }

  /** A request of one call: queued after the device's pooled events. */
  request(request: BackendRequest): void {
    if (this.status !== 'ready') {
      if (this.status === 'booting') this.pendingCalls.push(() => this.request(request));
      return;
    }
    this.poolActor?.send({ type: 'backend.request', request });
  }

  pending(): BackendPending {
    return { events: this.pool.size, requests: this.queue.length };
  }

  get accepting(): boolean {
    return this.status !== 'stopped' && this.closing === null;
  }

  private async boot(): Promise<void> {
    let contents;
    try {
      this.claim = await claimNamespace(this.storage.id ?? this.storage, this.namespace);
      this.handle = await this.storage.open(this.namespace, { onProblem: (message) => this.log.error('Storage', `write, ${message}`) });
      contents = await this.handle.read();
    } catch (error) {
      this.log.error('Storage', `open, ${this.storage.kind} storage failed (${errorText(error)}); falling back to memory storage`);
      this.handle = await memoryStorage().open(this.namespace);
      contents = await this.handle.read();
    }
    if (contents.corrupt > 0) this.log.error('Storage', `read, skipped ${contents.corrupt} corrupt stored record(s)`);
    for (const problem of contents.problems ?? []) this.log.error('Storage', `read, ${problem}`);
    const stored = contents.queues.requests ?? [];
    const usable = stored.filter((e) => {
      const p = parseStoredRequest(e.data);
      return p.appKey !== null && p.appKey !== '' && p.deviceId !== null && p.deviceId !== '';
    });
    this.writer.attach(this.handle);
    if (usable.length < stored.length) {
      const good = new Set(usable.map((e) => e.seq));
      this.log.error('Storage', `read, skipped ${stored.length - usable.length} corrupt stored request(s)`);
      this.writer.push([{ op: 'remove', queue: 'requests', seqs: stored.filter((e) => !good.has(e.seq)).map((e) => e.seq) }]);
    }
    this.queue = new RequestQueue(usable, this.config.client.maxRequestQueueSize);
    const deps = this.effectDeps(new DeadLetterStore(contents.queues[DEAD_LETTER_QUEUE] ?? []));
    this.subscriptions.push(
      runEffects(this.commands, deps, [logEffect, backendEffect({ pool: this.pool, exporters: this.exporters }), transportEffect, broadcastEffect]).subscribe({
        next: (event) => this.deliver(event),
        error: (error: unknown) => this.log.error('Effects', `pipeline, stopped: ${errorText(error)}`),
      }),
    );
    const max = this.config.client.maxRequestQueueSize;
    this.backoff = this.host(backoffMachine, { enabled: true, maxQueueSize: max }, 'backoff');
    this.processor = this.host(
      requestProcessorMachine,
      { retryCooldownMs: this.config.client.retryCooldownSeconds * 1000, queueLength: this.queue.length, holds: ['booting'], maxQueueSize: max, dropAgeHours: 0 },
      'processor',
    );
    this.poolActor = this.host(poolMachine, { flushIntervalMs: this.config.flushIntervalMs }, 'pool');
    this.status = 'ready';
    for (const call of this.pendingCalls.splice(0)) call();
    this.processor.send({ type: 'processor.release', reason: 'booting' });
    this.log.info(MODULE, `createBackend, ready with ${this.queue.length} queued request(s)`);
  }

  /** Creates and starts one actor on the backend's clock, its commands forwarded to the effects. */
  private host<M extends AnyStateMachine>(machine: M, input: unknown, name: string): Actor<M> {
    const actor = createActor(machine, { input, clock: this.clock } as never) as Actor<M>;
    actor.on('*', (command) => this.commands.next(command as Command));
    this.subscriptions.push(actor.subscribe({ error: (error: unknown) => this.log.error(MODULE, `actor ${name} failed: ${errorText(error)}`) }));
    actor.start();
    return actor;
  }

  private effectDeps(deadLetters: DeadLetterStore): EffectDeps {
    const client = this.config.client;
    return {
      config: client,
      log: this.log,
      transport: this.transport,
      clock: this.clock,
      writer: this.writer,
      queue: this.queue,
      eventStore: new EventStore(),
      // No identity register: backend requests are built with their call's device ID.
      identity: () => ({ deviceId: '', deviceIdType: 'DEVELOPER_SUPPLIED' }),
      instant: this.now,
      serverUrl: () => client.url,
      holds: () => this.processor?.getSnapshot().context.holds ?? [],
      metrics: (overrides) => this.metricsOf(overrides),
      deadLetters,
      trackingDisabled: () => false,
      bot: false,
      callbacks: createCallbackRegistry(this.log),
      otherAppKeys: { take: () => Promise.resolve({ moved: 0, skipped: [] }) },
    };
  }

  private deliver(event: SdkEvent): void {
    if (this.status === 'stopped') return;
    if (event.type === 'flush.finished') {
      this.flushes.get(event.flushId)?.();
      this.flushes.delete(event.flushId);
      return;
    }
    for (const target of ROUTES[event.type] ?? []) (target === 'backoff' ? this.backoff : this.processor)?.send(event as never);
  }

  /** Pool → queue → send until the queue is empty or a send failed. Never rejects. */
  async flush(): Promise<void> {
    await this.ready;
    if (this.status !== 'ready') return;
    this.poolActor?.send({ type: 'backend.flush' });
    const flushId = this.nextFlushId++;
    const done = new Promise<void>((resolve) => this.flushes.set(flushId, resolve));
    this.processor?.send({ type: 'processor.flush', flushId });
    await done;
    await this.writer.drain();
    await this.exporters?.flush();
  }

  /** Idempotent: the pool drained into the queue, the queue persisted, timers stopped, storage released. */
  shutdown(): Promise<void> {
    this.closing ??= this.doShutdown();
    this.claim?.closing(this.closing);
    return this.closing;
  }

  private async doShutdown(): Promise<void> {
    this.log.info(MODULE, 'shutdown, draining the pool into the queue and persisting it');
    await this.ready;
    if (this.status === 'stopped') {
      this.claim?.release();
      return;
    }
    this.poolActor?.send({ type: 'backend.stop' });
    this.status = 'stopped';
    for (const actor of [this.poolActor, this.processor, this.backoff]) actor?.stop();
    for (const resolve of this.flushes.values()) resolve();
    this.flushes.clear();
    await this.writer.drain();
    await this.exporters?.shutdown();
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    this.writer.detach();
    await this.handle?.close().catch((error: unknown) => this.log.error('Storage', `close, failed: ${errorText(error)}`));
    this.handle = null;
    this.claim?.release();
  }
}
