/**
 * The part of the storage contract about queue names: a queue besides `requests` and
 * `events` (a feature's own) works like them, queues never share entries (one-letter names
 * included, which the file log also uses as codes), `requests` and `events` are always read
 * and other queues only while they hold entries, and data marked as JSON reads back exactly.
 */
import { expect, it } from 'vitest';
import type { QueueName, StorageContents } from '../../src/adapters/types.js';
import type { ContractContext } from './storage.contract.js';
import { StorageModel, view } from './storage-model.js';

export function queueContract({ setup, open, reopen }: ContractContext): void {
  it('a queue of its own: append, update, remove and clear, read back and after reopen', async () => {
    const f = await setup();
    const h = await open(f.adapter, 'own-queue');
    await h.write([
      { op: 'append', queue: 'crashes', seq: 3, data: 'c3' },
      { op: 'append', queue: 'crashes', seq: 1, data: '{"error":"boom"}', json: true },
      { op: 'append', queue: 'crashes', seq: 2, data: 'c2' },
      { op: 'append', queue: 'requests', seq: 1, data: 'r1' },
    ]);
    await h.write([
      { op: 'update', queue: 'crashes', seq: 2, data: 'C2' },
      { op: 'update', queue: 'crashes', seq: 9, data: 'missing' },
      { op: 'remove', queue: 'crashes', seqs: [3, 7] },
    ]);
    const expected = {
      kv: [],
      requests: [{ seq: 1, data: 'r1' }],
      events: [],
      other: {
        crashes: [
          { seq: 1, data: '{"error":"boom"}' },
          { seq: 2, data: 'C2' },
        ],
      },
    };
    expect(view(await h.read())).toEqual(expected);
    const h2 = await reopen(f, h, 'own-queue');
    expect(view(await h2.read())).toEqual(expected);
    await h2.write([{ op: 'clear', queue: 'crashes' }]);
    const cleared = { kv: [], requests: [{ seq: 1, data: 'r1' }], events: [] };
    expect(view(await h2.read())).toEqual(cleared);
    await h2.write([{ op: 'append', queue: 'crashes', seq: 4, data: 'after clear' }]);
    expect(view(await (await reopen(f, h2, 'own-queue')).read())).toEqual({ ...cleared, other: { crashes: [{ seq: 4, data: 'after clear' }] } });
  });

  it('keeps queues apart: the same seq in each, one-letter names, clear of one', async () => {
    const f = await setup();
    const h = await open(f.adapter, 'queues-apart');
    const names: QueueName[] = ['requests', 'events', 'crashes', 'r', 'e', 'q', 'kv', 'requests2', 'constructor'];
    await h.write(names.flatMap((queue) => [1, 2].map((seq) => ({ op: 'append', queue, seq, data: `${queue}:${seq}` }) as const)));
    await h.write([
      { op: 'clear', queue: 'r' },
      { op: 'remove', queue: 'e', seqs: [1] },
      { op: 'update', queue: 'events', seq: 2, data: 'E2' },
    ]);
    const model = new StorageModel();
    names.forEach((queue) => [1, 2].forEach((seq) => model.apply({ op: 'append', queue, seq, data: `${queue}:${seq}` })));
    model.apply({ op: 'clear', queue: 'r' });
    model.apply({ op: 'remove', queue: 'e', seqs: [1] });
    model.apply({ op: 'update', queue: 'events', seq: 2, data: 'E2' });
    expect(view(await h.read())).toEqual(model.view());
    expect(Object.keys((await h.read()).queues).sort()).toEqual(['constructor', 'crashes', 'e', 'events', 'kv', 'q', 'requests', 'requests2']);
    expect(view(await (await reopen(f, h, 'queues-apart')).read())).toEqual(model.view());
  });

  it('requests and events are always read, other queues only while they hold entries', async () => {
    const f = await setup();
    const h = await open(f.adapter, 'presence');
    expect((await h.read()).queues).toEqual({ requests: [], events: [] });
    await h.write([{ op: 'append', queue: 'crashes', seq: 1, data: 'c' }]);
    expect((await h.read()).queues).toEqual({ requests: [], events: [], crashes: [{ seq: 1, data: 'c' }] });
    await h.write([
      { op: 'append', queue: 'requests', seq: 1, data: 'r' },
      { op: 'remove', queue: 'requests', seqs: [1] },
      { op: 'remove', queue: 'crashes', seqs: [1] },
      { op: 'clear', queue: 'never-used' },
    ]);
    expect((await h.read()).queues).toEqual({ requests: [], events: [] });
    expect((await (await reopen(f, h, 'presence')).read()).queues).toEqual({ requests: [], events: [] });
  });

  it('keeps a queue of its own apart between namespaces', async () => {
    const f = await setup();
    const a = await open(f.adapter, 'ns-a');
    const b = await open(f.adapter, 'ns-b');
    await a.write([{ op: 'append', queue: 'crashes', seq: 1, data: 'from a' }]);
    await b.write([
      { op: 'append', queue: 'crashes', seq: 1, data: 'from b' },
      { op: 'append', queue: 'crashes', seq: 2, data: 'b2' },
    ]);
    await a.write([{ op: 'clear', queue: 'crashes' }]);
    expect((await a.read()).queues).toEqual({ requests: [], events: [] });
    const expectedB = { requests: [], events: [], crashes: [{ seq: 1, data: 'from b' }, { seq: 2, data: 'b2' }] };
    expect((await b.read()).queues).toEqual(expectedB);
    expect((await (await reopen(f, b, 'ns-b')).read()).queues).toEqual(expectedB);
  });

  it('data marked as JSON reads back exactly, whatever JSON value it holds', async () => {
    const f = await setup();
    const h = await open(f.adapter, 'json-data');
    const datas = ['{"key":"a","segmentation":{"b":1}}', '[1,"two",null]', '"a string"', '5', '-0.5', 'null', 'true', '{}', '[]'];
    await h.write(datas.map((data, i) => ({ op: 'append', queue: i % 2 ? 'events' : 'requests', seq: i, data, json: true }) as const));
    const check = (c: StorageContents): void => {
      expect([...c.queues.events, ...c.queues.requests].sort((a, b) => a.seq - b.seq).map((e) => e.data)).toEqual(datas);
    };
    check(await h.read());
    const again = await (await reopen(f, h, 'json-data')).read();
    check(again);
    expect(again.corrupt).toBe(0);
  });
}
