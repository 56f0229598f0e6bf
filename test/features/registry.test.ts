/**
 * The feature registry is the one place a feature is declared: every table the runtime
 * derives from it must name every registered feature. This fails when a feature is missing
 * from any of them.
 */
import { createCallbackRegistry } from '../../src/runtime/callbacks.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simulatedClock } from '../../src/adapters/clock.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import type { Transport } from '../../src/adapters/types.js';
import { BOOT_ORDER, DELIVERY_ORDER, FIRST_FOR, features } from '../../src/features/index.js';
import { createRouter, listenersOf } from '../../src/runtime/router.js';
import { selectState } from '../../src/runtime/select-state.js';
import { resolveConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createCountly } from '../../src/sdk.js';
import { forFeature, type ApiContext } from '../../src/runtime/api-context.js';
import type { AnyFeature } from '../../src/features/define.js';
import { instantAt } from '../../src/protocol/time.js';
import type { CountlyState } from '../../src/state.js';

const root = join(import.meta.dirname, '..', '..');
const silentTransport: Transport = { send: async () => ({ kind: 'network-error', message: 'offline test', elapsedMs: 0 }) };

describe('feature registry', () => {
  it('has unique names and models, each with its folder, machine and exported model', () => {
    const names = features.map((f) => f.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(features.map((f) => f.model)).size).toBe(features.length);
    for (const f of features) {
      expect(existsSync(join(root, 'src', 'features', f.model, 'index.ts')), f.model).toBe(true);
      expect(existsSync(join(root, 'src', 'features', f.model, 'machine.ts')), f.model).toBe(true);
      expect(existsSync(join(root, 'models', `${f.model}.machine.json`)), f.model).toBe(true);
    }
  });

  it('puts every registered feature exactly once in the delivery order', () => {
    expect([...DELIVERY_ORDER].sort()).toEqual(features.map((f) => f.name).sort());
    // The names-only boot order the runtime sorts a subset by is the registry's order.
    expect([...BOOT_ORDER]).toEqual(features.map((f) => f.name));
    for (const first of Object.values(FIRST_FOR)) for (const name of first) expect(DELIVERY_ORDER).toContain(name);
  });

  it('routes every broadcast and result a feature listens to, to that feature', () => {
    const route = createRouter(listenersOf(features));
    for (const f of features) for (const type of f.listensTo) expect(route(type), `${f.name} hears ${type}`).toContain(f.name);
  });

  it('starts one actor per feature and stops them all at shutdown', async () => {
    const countly = createCountly({ url: 'https://x.test', appKey: 'registry', storage: memoryStorage(), transport: silentTransport, clock: simulatedClock() });
    await countly.ready;
    expect(Object.keys(countly.actors).sort()).toEqual(features.map((f) => f.name).sort());
    await countly.shutdown();
    for (const actor of Object.values(countly.actors)) expect(actor.getSnapshot().status).toBe('stopped');
  });

  it("puts every namespace built by a feature's api on the instance", async () => {
    const config = resolveConfig({ url: 'https://x.test', appKey: 'k' }, createLogger({ console: false }));
    const stub: ApiContext = {
      config,
      log: createLogger({ console: false }),
      callbacks: createCallbackRegistry(createLogger({ console: false })),
      now: () => instantAt(0),
      newId: () => 'id',
      eventId: () => 'id',
      send: () => undefined,
      record: () => undefined,
      broadcast: () => undefined,
      command: () => undefined,
      snapshot: () => undefined,
      state: () => ({}) as CountlyState,
      isReady: () => false,
      flush: async () => undefined,
    };
    const countly = createCountly({ url: 'https://x.test', appKey: 'registry-2', storage: memoryStorage(), transport: silentTransport, clock: simulatedClock() });
    await countly.ready;
    let members = 0;
    for (const f of features as readonly AnyFeature[]) {
      if (!f.api) continue;
      for (const key of Object.keys(f.api(forFeature(stub, f)))) {
        members++;
        expect((countly as unknown as Record<string, unknown>)[key], `${f.name} builds ${key}`).toBeDefined();
      }
    }
    expect(members).toBeGreaterThanOrEqual(10);
    const state = countly.getState();
    for (const key of ['status', 'deviceId', 'deviceIdType', 'offline', 'session', 'views', 'consent', 'queue', 'backoff', 'processor', 'serverUrl']) {
      expect(state, key).toHaveProperty(key);
    }
    await countly.shutdown();
  });

  it('selects a slice for every feature that declares one, even with no actor (before boot)', () => {
    const config = resolveConfig({ url: 'https://x.test', appKey: 'k' }, createLogger({ console: false }));
    const state = selectState({ status: 'booting', config, serverUrl: config.url, identity: null, queue: { requests: 0, events: 0 }, actors: {} }, features);
    expect(state.session).toEqual({ running: false, mode: 'automatic', foreground: true });
    expect(state.processor).toEqual({ state: 'stopped', holds: [] });
    expect(state.consent.required).toBe(false);
  });
});
