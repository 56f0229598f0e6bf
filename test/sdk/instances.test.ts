/**
 * Instances on one process: the shared instance's lifecycle, storage namespaces that two live
 * instances may not share, a stored queue over the limit, the Node entry's default platform.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { simulatedClock } from '../../src/adapters/clock.js';
import { init, instance, instanceInternals, resetSharedInstance } from '../../src/sdk.js';
import * as node from '../../src/node.js';
import { makeSdk, DEAD_URL } from '../helpers/sdk.js';

describe('the shared instance', () => {
  it('init after shutdown makes a new shared instance; init while live returns the live one', async () => {
    const first = init({ url: DEAD_URL, appKey: 'shared-a', storage: memoryStorage(), clock: simulatedClock() });
    await first.ready;
    expect(init({ url: DEAD_URL, appKey: 'shared-b', storage: memoryStorage() })).toBe(first);
    await instance().shutdown();
    const second = init({ url: DEAD_URL, appKey: 'shared-b', storage: memoryStorage(), clock: simulatedClock() });
    expect(second).not.toBe(first);
    await second.ready;
    expect(instance().getState().status).toBe('ready');
    await resetSharedInstance();
  });
});

describe('storage namespaces', () => {
  it('a second live instance with the same app key on the same store gets memory storage, not the shared one', async () => {
    const storage = memoryStorage();
    const a = await makeSdk(DEAD_URL, { storage, appKey: 'same' });
    const b = await makeSdk(DEAD_URL, { storage, appKey: 'same' });
    expect(b.warnings().some((w) => w.includes('in use on this storage by another live instance'))).toBe(true);
    a.countly.queue.addDirectRequest({ from: 'a' });
    b.countly.queue.addDirectRequest({ from: 'b' });
    await a.countly.shutdown();
    await b.countly.shutdown();
    // Only A's request is in the store; B's lived in its memory fallback.
    const c = await makeSdk(DEAD_URL, { storage, appKey: 'same' });
    expect(c.countly.getState().queue.requests).toBe(1);
    expect(c.warnings()).toEqual([]);
    await c.countly.shutdown();
  });

  it('different app keys share a store without interfering', async () => {
    const storage = memoryStorage();
    const a = await makeSdk(DEAD_URL, { storage, appKey: 'app-1' });
    const b = await makeSdk(DEAD_URL, { storage, appKey: 'app-2' });
    expect([...a.warnings(), ...b.warnings()]).toEqual([]);
    await a.countly.shutdown();
    await b.countly.shutdown();
  });
});

describe('a stored queue over the limit', () => {
  it('is cut to maxRequestQueueSize at boot, oldest first, in storage too', async () => {
    const storage = memoryStorage();
    const first = await makeSdk(DEAD_URL, { storage, maxRequestQueueSize: 100 });
    for (let i = 0; i < 10; i++) first.countly.queue.addDirectRequest({ n: String(i) });
    await first.countly.shutdown();
    const second = await makeSdk(DEAD_URL, { storage, maxRequestQueueSize: 3 });
    expect(second.countly.getState().queue.requests).toBe(3);
    expect(second.warnings().some((w) => w.includes('over the queue limit of 3'))).toBe(true);
    await second.countly.shutdown();
    const handle = await storage.open('test-app-key');
    const { queues } = await handle.read();
    expect(queues.requests.map((r) => new URLSearchParams(r.data).get('n'))).toEqual(['7', '8', '9']);
    await handle.close();
  });
});

describe('chartly/node', () => {
  it('defaults the platform to the Node platform (real OS metrics in begin_session)', async () => {
    const c = node.createCountly({ url: DEAD_URL, appKey: 'node-entry', storage: memoryStorage(), clock: simulatedClock(), manualSessions: true });
    await c.ready;
    expect(c.getState().status).toBe('ready');
    const logs: string[] = [];
    const d = node.createCountly({ url: DEAD_URL, appKey: 'node-entry-2', storage: memoryStorage(), logListener: (m) => logs.push(m), manualSessions: true });
    await d.ready;
    expect(logs.some((l) => l.includes('platform [Node'))).toBe(true);
    await c.shutdown();
    await d.shutdown();
  });
});

describe('shutdown', () => {
  it('is idempotent: a second call waits for the first; an instance made meanwhile on the same store sees everything', async () => {
    const { fileStorage } = await import('../../src/adapters/storage/file.js');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'chartly-shutdown-'));
    try {
      const a = await makeSdk(DEAD_URL, { storage: fileStorage(dir), appKey: 'sd' });
      for (let i = 0; i < 50; i++) a.countly.events.record(`e${i}`);
      const first = a.countly.shutdown();
      const second = a.countly.shutdown();
      // Made while the first is still shutting down: it waits for the storage, not memory.
      const b = await makeSdk(DEAD_URL, { storage: fileStorage(dir), appKey: 'sd' });
      await Promise.all([first, second]);
      expect(b.warnings()).toEqual([]);
      // Every stored event is there, and goes into a request at boot (spec: events are sent, not kept).
      expect(b.countly.getState().queue).toEqual({ requests: 1, events: 0 });
      expect(instanceInternals(b.countly)?.queue.toArray()[0]?.data).toContain('e49');
      await b.countly.shutdown();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('init right after shutdown() (not awaited) gets a new shared instance on the same storage', async () => {
    const storage = memoryStorage();
    const a = init({ url: DEAD_URL, appKey: 'shared-c', storage, clock: simulatedClock(), manualSessions: true });
    await a.ready;
    a.events.record('kept');
    const closing = a.shutdown();
    const b = init({ url: DEAD_URL, appKey: 'shared-c', storage, clock: simulatedClock(), manualSessions: true });
    expect(b).not.toBe(a);
    await closing;
    await b.ready;
    expect(b.getState().queue).toEqual({ requests: 1, events: 0 });
    await resetSharedInstance();
  });
});
