/**
 * A small in-memory SDK for machine-level tests of identity, consent and location: the
 * real device-ID, consent, location and session machines, wired by the real router on a
 * simulated clock, with the SDK's rules played by plain code:
 *
 * - broadcasts are delivered synchronously, in emission order, in `DELIVERY_ORDER`
 * - `identity.changed` moves the identity register before anyone hears it; a queued
 *   request is stamped with the register's ID at the moment it is enqueued
 * - `requests.rewriteDeviceId` / `requests.removeDeviceId` act on the queue
 * - `sending.hold` / `sending.release` decide whether `flush()` sends the queue
 *
 * There is no events machine here: `record(key)` stands in for it — an event waits in a
 * buffer and goes into the queue on `flush()` or on `identity.changing`, as the events
 * machine does (spec: changeWithoutMerge — "Add currently recorded, but not queued, events
 * to the request queue").
 */
import { createActor, type AnyActorRef, type AnyStateMachine } from 'xstate';
import { simulatedClock, type ManualClock } from '../../src/adapters/clock.js';
import type { Platform } from '../../src/adapters/types.js';
import type { ActorName } from '../../src/runtime/api-context.js';
import { resolveConfig, type ResolvedConfig } from '../../src/config.js';
import { initialConsent } from '../../src/domain/consent.js';
import type { ConsentState, DeviceIdType, Instant } from '../../src/domain/types.js';
import type { Broadcast, Command } from '../../src/effects/commands.js';
import { createLogger } from '../../src/log.js';
import { consentInputFrom, consentListensTo, consentMachine } from '../../src/features/consent/machine.js';
import { deviceIdInputFrom, deviceIdListensTo, deviceIdMachine } from '../../src/features/device-id/machine.js';
import { locationInputFrom, locationListensTo, locationMachine, locationParamsAtBoot } from '../../src/features/location/machine.js';
import { sessionInputFrom, sessionListensTo, sessionMachine } from '../../src/features/session/machine.js';
import { createInstantSource } from '../../src/protocol/time.js';
import { createRouter } from '../../src/runtime/router.js';
import type { CountlyConfig } from '../../src/types.js';
import { readPlatformFacts } from '../../src/runtime/boot.js';

export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

export interface QueuedRequest {
  seq: number;
  deviceId: string;
  params: Record<string, string>;
  /** The consent the features obeyed when the request was queued (the last `consent.changed`). */
  consent: ConsentState;
  /** Whether the SDK was in temporary-ID mode when it was queued. */
  temporary: boolean;
}

export interface HarnessOptions {
  config?: Partial<CountlyConfig>;
  stored?: Record<string, unknown>;
  platform?: Partial<Platform>;
  /** The ID the SDK would generate (default `generated-0`; later ones `generated-1`, ...). */
  generated?: string;
}

type Machines = 'deviceId' | 'consent' | 'location' | 'session';

export function createHarness(options: HarnessOptions = {}) {
  const config: ResolvedConfig = resolveConfig({ url: 'https://c.example', appKey: 'k', ...options.config } as CountlyConfig, createLogger({ console: false }));
  const clock: ManualClock = simulatedClock(T0);
  const now = createInstantSource(() => clock.now());
  const platform: Platform = { name: 'Test', metrics: () => ({ _os: 'Test' }), isForeground: () => true, ...options.platform };
  let idCounter = 0;
  const newId = (): string => `generated-${++idCounter}`;

  const kv: Record<string, unknown> = { ...(options.stored ?? {}) };
  const queue: QueuedRequest[] = [];
  const sent: QueuedRequest[] = [];
  const holds = new Set<string>();
  const commands: Array<{ command: Command; deviceId: string | null }> = [];
  const logs: string[] = [];
  const buffer: Array<{ key: string; consent: ConsentState }> = [];
  let seq = 0;
  let identity: { deviceId: string; deviceIdType: DeviceIdType } | null = null;
  let consentNow: ConsentState = initialConsent(config);

  const consentAtBoot = initialConsent(config);
  const locationInput = locationInputFrom(config, consentAtBoot);
  const inputs: Record<Machines, unknown> = {
    deviceId: deviceIdInputFrom(config, kv, { urlDeviceId: platform.urlDeviceId?.() }, { generated: options.generated ?? 'generated-0' }),
    consent: consentInputFrom(config),
    location: locationInput,
    session: sessionInputFrom(config, readPlatformFacts(platform), consentAtBoot, { at: now(), location: locationParamsAtBoot(locationInput) }),
  };
  const machines = { deviceId: deviceIdMachine, consent: consentMachine, location: locationMachine, session: sessionMachine };
  const route = createRouter({ deviceId: deviceIdListensTo, consent: consentListensTo, location: locationListensTo, session: sessionListensTo });
  const actors: Partial<Record<ActorName, AnyActorRef>> = {};

  const enqueue = (params: Record<string, string>): void => {
    queue.push({
      seq: ++seq,
      deviceId: identity?.deviceId ?? '',
      params,
      consent: consentNow,
      temporary: identity?.deviceIdType === 'TEMPORARY_ID',
    });
  };

  const flushBuffer = (): void => {
    if (buffer.length === 0) return;
    const events = buffer.splice(0);
    enqueue({ events: JSON.stringify(events.map((e) => ({ key: e.key }))) });
  };

  function deliver(event: Broadcast): void {
    if (event.type === 'identity.changed') identity = { deviceId: event.deviceId, deviceIdType: event.deviceIdType };
    if (event.type === 'identity.changing') flushBuffer();
    if (event.type === 'consent.changed') consentNow = event.after;
    if (event.type === 'sending.hold') holds.add(event.reason);
    if (event.type === 'sending.release') holds.delete(event.reason);
    for (const target of route(event.type)) actors[target]?.send(event);
  }

  function perform(command: Command): void {
    commands.push({ command, deviceId: identity?.deviceId ?? null });
    switch (command.type) {
      case 'broadcast':
        deliver(command.event);
        break;
      case 'request.enqueue':
        enqueue(command.params);
        break;
      case 'requests.rewriteDeviceId':
        for (const r of queue) if (r.deviceId === command.from) r.deviceId = command.to;
        break;
      case 'requests.removeDeviceId':
        for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.deviceId === command.deviceId) queue.splice(i, 1);
        break;
      case 'storage.set':
        kv[command.key] = JSON.parse(JSON.stringify(command.value));
        break;
      case 'log':
        logs.push(`${command.level}: [${command.module}] ${command.message}`);
        break;
      default:
        break;
    }
  }

  for (const name of Object.keys(machines) as Machines[]) {
    const actor = createActor(machines[name] as AnyStateMachine, { input: inputs[name], clock }) as AnyActorRef;
    actor.on('*', (c) => perform(c as Command));
    actors[name] = actor;
  }
  for (const name of Object.keys(machines) as Machines[]) actors[name]!.start();

  return {
    config,
    clock,
    now,
    newId,
    kv,
    queue,
    sent,
    holds,
    commands,
    logs,
    actors: actors as Record<Machines, AnyActorRef>,
    identity: () => identity,
    consent: () => consentNow,
    send(target: Machines, event: { type: string } & Record<string, unknown>): void {
      actors[target]!.send(event);
    },
    broadcast: deliver,
    /** Records a custom event (the events machine's stand-in): only with `events` consent. */
    record(key: string): boolean {
      if (!consentNow.events) return false;
      buffer.push({ key, consent: consentNow });
      return true;
    },
    /** `queue.flush()`: pending data into the queue, then everything sent unless sending is held. */
    flush(): void {
      deliver({ type: 'flush.requested', at: now() });
      flushBuffer();
      if (holds.size === 0) sent.push(...queue.splice(0));
    },
    /** Moves the simulated clock (session update ticks, pauses). */
    tick(ms = 0): void {
      clock.advance(ms);
    },
    at(): Instant {
      return now();
    },
    /** All requests, sent first, then queued. */
    requests(): QueuedRequest[] {
      return [...sent, ...queue];
    },
  };
}

export type Harness = ReturnType<typeof createHarness>;

/** A request as a short string: its kind and params, for sequence assertions. */
export function describeRequest(r: { params: Record<string, string> }): string {
  const p = r.params;
  if (p.begin_session) {
    const loc = Object.entries(p)
      .filter(([k]) => ['country_code', 'city', 'location', 'ip_address'].includes(k))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return loc ? `begin_session(${loc})` : 'begin_session';
  }
  if (p.end_session) return 'end_session';
  if (p.session_duration) return 'session_duration';
  if (p.consent !== undefined) return 'consent';
  if (p.old_device_id !== undefined) return `merge(${p.old_device_id})`;
  if (p.events !== undefined) return 'events';
  const loc = Object.entries(p)
    .filter(([k]) => ['country_code', 'city', 'location', 'ip_address'].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `location(${loc})`;
}
