import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { runStorageContract } from './storage.contract.js';

runStorageContract('memory', async () => ({ adapter: memoryStorage() }), { numRuns: 100 });

describe('memoryStorage', () => {
  it('keeps separate adapter objects apart', async () => {
    const a = await memoryStorage().open('app');
    await a.write([{ op: 'set', key: 'k', value: 'v' }]);
    const b = await memoryStorage().open('app');
    expect((await b.read()).kv).toEqual({});
  });

  it('returns a snapshot that later writes do not change', async () => {
    const h = await memoryStorage().open('app');
    await h.write([{ op: 'append', queue: 'requests', seq: 1, data: 'a' }]);
    const before = await h.read();
    await h.write([
      { op: 'append', queue: 'requests', seq: 2, data: 'b' },
      { op: 'set', key: 'k', value: 'v' },
    ]);
    expect(before.queues.requests).toEqual([{ seq: 1, data: 'a' }]);
    expect(before.kv).toEqual({});
  });
});
