/**
 * Only a request whose creating write is durable may be sent. Before, a request went out from
 * memory as soon as it was queued; a crash before its write landed left its events stored as
 * events, and the next run sent them again in a new request (with a storage that lands writes
 * 400 ms late, 60 of 100 events arrived twice). Here a storage whose writes land when the test
 * says so, a crash (the process stops: nothing more lands, nothing more is sent), and a new run
 * on the same store.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import type { StorageAdapter, StorageOp } from '../../src/adapters/types.js';
import { makeSdk, useLocalServer } from '../helpers/sdk.js';

const APP_KEY = 'test-app-key';
const realWait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wraps a store: writes to the app's namespace are held until `landNext`; after `crash` they never land. */
function gatedStorage(inner: StorageAdapter) {
  const held: Array<{ ops: readonly StorageOp[]; land: () => Promise<void> }> = [];
  let crashed = false;
  let open = false;
  const adapter: StorageAdapter = {
    kind: 'gated',
    async open(namespace, options) {
      const handle = await inner.open(namespace, options);
      if (namespace !== APP_KEY) return handle;
      return {
        read: () => handle.read(),
        write: (ops) =>
          new Promise<void>((resolve, reject) => {
            // A crashed process never hears back from its storage.
            if (open) handle.write(ops).then(resolve, reject);
            else if (!crashed) held.push({ ops, land: () => handle.write(ops).then(resolve, reject) });
          }),
        close: () => handle.close(),
      };
    },
  };
  return {
    adapter,
    held,
    async landNext(): Promise<void> {
      await held.shift()?.land();
      await realWait(5);
    },
    async landAll(): Promise<void> {
      while (held.length > 0) await this.landNext();
    },
    /** From now on every write lands at once (those held too). */
    async passThrough(): Promise<void> {
      open = true;
      await this.landAll();
    },
    crash(): void {
      crashed = true;
      held.length = 0;
    },
  };
}

describe('durability before sending', () => {
  const local = useLocalServer();

  it('a crash before the request is stored: no event is delivered twice', async () => {
    const inner = memoryStorage();
    const gate = gatedStorage(inner);
    // Not through local.sdk: a crashed instance is never shut down.
    const first = await makeSdk(local.server.url, { storage: gate.adapter, eventQueueThreshold: 10 });
    await gate.landAll();
    for (let i = 0; i < 5; i++) first.countly.events.record(`e${i}`);
    await realWait(5);
    expect(gate.held).toHaveLength(1); // the 5 events, in flight
    for (let i = 5; i < 10; i++) first.countly.events.record(`e${i}`);
    await realWait(5); // the threshold: a request with all 10 is queued (its write waits behind the first)
    await gate.landNext(); // the 5 events are on disk; the request's group is in flight now
    expect(gate.held).toHaveLength(1);
    await realWait(150); // time enough for a send from memory
    const sentBeforeCrash = local.server.received.filter((r) => r.path === '/i').length;
    gate.crash();
    void first.countly.shutdown();

    // The next run: another adapter object on the same store (the crashed one never released its claim).
    const second = await local.sdk({ storage: { kind: 'memory', open: (ns, o) => inner.open(ns, o) }, eventQueueThreshold: 10 });
    await second.countly.queue.flush();
    const keys = local.server.events().map((e) => e.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']); // what was on disk; e5..e9 never were
    expect(sentBeforeCrash).toBe(0);
  });

  it('once the write lands, the request goes without another nudge (and a flush covers it)', async () => {
    const gate = gatedStorage(memoryStorage());
    const s = await makeSdk(local.server.url, { storage: gate.adapter });
    await gate.landAll();
    s.countly.queue.addDirectRequest({ a: '1' });
    await realWait(50);
    expect(local.server.received).toEqual([]);
    const flushed = s.countly.queue.flush();
    await realWait(20);
    await gate.passThrough();
    await flushed;
    expect(local.server.accepted().map((r) => r.params.a)).toEqual(['1']);
    await s.countly.shutdown();
  });
});
