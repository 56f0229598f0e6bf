/** A fake `ApiContext` for the namespace tests: real actors where a snapshot is read, logs and sends recorded. */
import { createCallbackRegistry } from '../../src/runtime/callbacks.js';
import { createActor, type AnyActorRef } from 'xstate';
import type { ActorName, ApiContext } from '../../src/runtime/api-context.js';
import { resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { instantAt } from '../../src/protocol/time.js';
import type { CountlyState } from '../../src/state.js';
import type { CountlyConfig } from '../../src/types.js';
import { consentInputFrom, consentMachine } from '../../src/features/consent/machine.js';
import { deviceIdInputFrom, deviceIdMachine } from '../../src/features/device-id/machine.js';

export const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

export function fakeContext(config: Partial<CountlyConfig> = {}, options: { ready?: boolean } = {}) {
  const logs: string[] = [];
  const sent: Array<{ target: ActorName; event: { type: string } & Record<string, unknown> }> = [];
  const log = createLogger({ console: false, listener: (message, level) => logs.push(`${level}: ${message}`) });
  const resolved = resolveConfig({ url: 'https://c.example', appKey: 'k', ...config } as CountlyConfig, createLogger({ console: false }));
  const actors: Partial<Record<ActorName, AnyActorRef>> = {};
  let ready = options.ready ?? true;
  let ids = 0;
  const start = (): void => {
    actors.deviceId = createActor(deviceIdMachine, { input: deviceIdInputFrom(resolved, {}, {}, { generated: 'generated-id' }) }).start();
    actors.consent = createActor(consentMachine, { input: consentInputFrom(resolved) }).start();
  };
  if (ready) start();
  const ctx: ApiContext = {
    config: resolved,
    log,
    callbacks: createCallbackRegistry(log),
    now: () => instantAt(T0),
    newId: () => `new-${++ids}`,
    eventId: () => `ev-${++ids}`,
    // The SDK stamps a record when it hands it over; here at once.
    record(fields) {
      this.send('events', { type: 'events.record', ...fields, at: this.now(), id: this.eventId() } as never);
    },
    send: (target, event) => {
      sent.push({ target, event: event as never });
      actors[target]?.send(event);
    },
    broadcast: () => undefined,
    command: () => undefined,
    snapshot: (target) => actors[target]?.getSnapshot() as never,
    state: () => ({ deviceId: null, deviceIdType: null }) as unknown as CountlyState,
    isReady: () => ready,
    flush: async () => undefined,
  };
  return {
    ctx,
    logs,
    sent,
    actors,
    take: () => sent.splice(0).map((s) => s.event),
    boot: () => {
      ready = true;
      start();
    },
  };
}
