/**
 * Many tabs, one device ID (issue 11, table row 3): instances that boot at the same moment
 * on a fresh IndexedDB database (two adapter objects over one database are two tabs) agree
 * on one generated ID, whichever claims first. A developer-supplied ID, or one stored
 * earlier, is never replaced by the claim.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexedDbStorage } from '../../src/adapters/storage/indexeddb.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import type { StorageAdapter } from '../../src/adapters/types.js';
import { makeSdk, DEAD_URL } from '../helpers/sdk.js';

async function bootTogether(adapters: StorageAdapter[], config: Record<string, unknown> = {}) {
  const tabs = await Promise.all(adapters.map((storage) => makeSdk(DEAD_URL, { storage, ...config })));
  const ids = tabs.map((t) => t.countly.getState().deviceId);
  const types = tabs.map((t) => t.countly.getState().deviceIdType);
  await Promise.all(tabs.map((t) => t.countly.shutdown()));
  return { ids, types, tabs };
}

describe('device ID across tabs', () => {
  it('tabs that start together on a fresh database agree on one generated ID', async () => {
    const factory = new IDBFactory();
    const { ids, types } = await bootTogether([indexedDbStorage('tabs', factory), indexedDbStorage('tabs', factory), indexedDbStorage('tabs', factory)]);
    expect(new Set(ids).size).toBe(1);
    expect(types).toEqual(['SDK_GENERATED', 'SDK_GENERATED', 'SDK_GENERATED']);
    // A later tab finds it stored.
    const later = await bootTogether([indexedDbStorage('tabs', factory)]);
    expect(later.ids).toEqual([ids[0]]);
  });

  it('property: for any number of tabs started at once, one ID', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 5 }), async (n) => {
        const factory = new IDBFactory();
        const { ids } = await bootTogether(Array.from({ length: n }, () => indexedDbStorage('p', factory)));
        expect(new Set(ids).size).toBe(1);
      }),
      { numRuns: 8 },
    );
  });

  it('a developer-supplied ID is not claimed over and claims nothing', async () => {
    const factory = new IDBFactory();
    const { ids } = await bootTogether([indexedDbStorage('dev', factory)], { deviceId: 'dev-1' });
    expect(ids).toEqual(['dev-1']);
    const next = await bootTogether([indexedDbStorage('dev', factory)]);
    expect(next.ids).toEqual(['dev-1']);
  });

  it('the tab that lost the race says so in its log', async () => {
    const storage = memoryStorage();
    // A first run stores an ID; the claim of a fresh tab then finds nothing to agree on.
    const first = await makeSdk(DEAD_URL, { storage });
    const id = first.countly.getState().deviceId;
    await first.countly.shutdown();
    const second = await makeSdk(DEAD_URL, { storage });
    expect(second.countly.getState().deviceId).toBe(id);
    expect(second.logs.some((l) => l.message.includes('another tab'))).toBe(false);
    await second.countly.shutdown();
    const factory = new IDBFactory();
    const { tabs } = await bootTogether([indexedDbStorage('log', factory), indexedDbStorage('log', factory)]);
    expect(tabs.filter((t) => t.logs.some((l) => l.message.includes('another tab of this origin generated the device ID'))).length).toBe(1);
  });
});
