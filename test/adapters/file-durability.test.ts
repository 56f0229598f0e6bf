/**
 * File storage cost and durability: bytes per enqueue and dequeue flat in the queue length,
 * compaction bounds the log, fsync before acknowledging with group commit, failed writes leave
 * no trace, and handles in one process share one log.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { fileStorage } from '../../src/adapters/storage/file.js';
import type { StorageOp } from '../../src/adapters/types.js';
import { append, CREATED, fileKit, line, logOf, sizeOf } from './file-kit.js';

describe('fileStorage cost and durability', () => {
  const { newDir, open } = fileKit();

  describe('cost and compaction', () => {
    it('bytes appended per enqueue and per dequeue are the same at queue depth 10 and 5,000', async () => {
      const dir = await newDir();
      const file = logOf(dir);
      const h = await open(dir);
      const data = 'app_key=abc&device_id=d&timestamp=1767225600000&events=%5B%5D';
      const cost = async (seq: number): Promise<{ enqueue: number; dequeue: number }> => {
        const s0 = await sizeOf(file);
        await h.write([append(seq, data)]);
        const s1 = await sizeOf(file);
        await h.write([{ op: 'remove', queue: 'requests', seqs: [seq] }]);
        return { enqueue: s1 - s0, dequeue: (await sizeOf(file)) - s1 };
      };
      await h.write(Array.from({ length: 10 }, (_, i) => append(100_000 + i, data)));
      const shallow = await cost(900_000);
      for (let i = 10; i < 5_000; i += 500) await h.write(Array.from({ length: 500 }, (_, j) => append(100_000 + i + j, data)));
      expect((await h.read()).queues.requests).toHaveLength(5_010);
      const deep = await cost(900_001);
      expect(deep).toEqual(shallow);
      // Framing: crc, op code, queue code, seq, quotes, brackets, newline.
      expect(shallow.enqueue).toBeLessThanOrEqual(data.length + 30);
      expect(shallow.dequeue).toBeLessThanOrEqual(30);
    });

    it('a stored event costs little more than its JSON, and a removed run of seqs a few bytes', async () => {
      const dir = await newDir();
      const file = logOf(dir);
      const h = await open(dir);
      const event = JSON.stringify({ id: 'e1', key: 'click', count: 1, sum: 0, dur: 0, segmentation: { a: 'b', c: 'd' }, timestamp: 1767225600000, hour: 0, dow: 4 });
      const created = await sizeOf(file);
      expect(created).toBe(CREATED.length);
      await h.write([append(1, event, 'events')]);
      expect((await sizeOf(file)) - created).toBeLessThanOrEqual(event.length + 25);
      const s0 = await sizeOf(file);
      await h.write([{ op: 'remove', queue: 'events', seqs: Array.from({ length: 1_000 }, (_, i) => 10_000 + i) }]);
      expect((await sizeOf(file)) - s0).toBeLessThanOrEqual(40);
    });

    it('compacts: the log stays bounded while 5,000 entries pass through a small live set', async () => {
      const dir = await newDir();
      const file = logOf(dir);
      const h = await open(dir);
      const data = (seq: number): string => `${seq}:${'x'.repeat(600)}`;
      const event = '{"key":"kept","count":1}';
      await h.write([{ op: 'set', key: 'device_id', value: 'abc' }, append(1, event, 'events'), append(2, 'plain "event"', 'events')]);
      let maxSize = 0;
      let shrank = 0;
      let last = 0;
      let appended = 0;
      for (let seq = 1; seq <= 5_000; seq++) {
        const ops: StorageOp[] = [append(seq, data(seq))];
        if (seq > 5) ops.push({ op: 'remove', queue: 'requests', seqs: [seq - 5] });
        await h.write(ops);
        const size = await sizeOf(file);
        if (size < last) shrank++;
        else appended += size - last;
        last = size;
        maxSize = Math.max(maxSize, size);
      }
      expect(appended).toBeGreaterThan(3 * 1024 * 1024);
      expect(shrank).toBeGreaterThanOrEqual(2);
      // 1 MiB of dead bytes, plus the live set (6 entries) and one more write.
      expect(maxSize).toBeLessThan(1024 * 1024 + 8 * 700);
      expect(await fsp.readdir(dir)).toEqual([path.basename(file)]);
      const expected = Array.from({ length: 5 }, (_, i) => ({ seq: 4_996 + i, data: data(4_996 + i) }));
      expect((await h.read()).queues.requests).toEqual(expected);
      await h.close();
      const again = await (await open(dir)).read();
      expect(again.queues.requests).toEqual(expected);
      expect(again.kv).toEqual({ device_id: 'abc' });
      expect(again.queues.events).toEqual([
        { seq: 1, data: event },
        { seq: 2, data: 'plain "event"' },
      ]);
      expect(again.corrupt).toBe(0);
    });

    it('does not compact while most of the log is live', async () => {
      const dir = await newDir();
      const file = logOf(dir);
      const h = await open(dir);
      let last = 0;
      for (let i = 0; i < 40; i++) {
        await h.write(Array.from({ length: 100 }, (_, j) => append(i * 100 + j, 'y'.repeat(400))));
        if (i % 4 === 3) await h.write([{ op: 'remove', queue: 'requests', seqs: Array.from({ length: 150 }, (_, j) => i * 100 - 150 + j) }]);
        const size = await sizeOf(file);
        expect(size).toBeGreaterThan(last);
        last = size;
      }
    });

    it('compacts at open a log that is mostly dead', async () => {
      const dir = await newDir();
      const file = logOf(dir);
      const big = Buffer.concat(Array.from({ length: 300 }, (_, i) => line(`[["a","r",${i},"${'z'.repeat(5_000)}"],["r","r",${i}]]`)));
      await fsp.mkdir(dir, { recursive: true });
      await fsp.writeFile(file, Buffer.concat([big, line('[["a","r",1000,"kept"]]')]));
      const c = await (await open(dir)).read();
      expect(c.queues.requests).toEqual([{ seq: 1000, data: 'kept' }]);
      expect(await sizeOf(file)).toBeLessThan(100);
    });

    it('when compaction fails, writes still succeed, and it is retried later', async () => {
      const dir = await newDir();
      const file = logOf(dir);
      const h = await open(dir);
      await fsp.mkdir(`${file}.tmp`); // the temp file cannot be created
      const data = 'w'.repeat(2_000);
      let shrank = 0;
      let last = 0;
      const step = async (seq: number): Promise<void> => {
        await h.write([append(seq, data), { op: 'remove', queue: 'requests', seqs: [seq - 1] }]);
        const size = await sizeOf(file);
        if (size < last) shrank++;
        last = size;
      };
      for (let seq = 1; seq <= 800; seq++) await step(seq);
      expect(shrank).toBe(0);
      expect(last).toBeGreaterThan(1.5 * 1024 * 1024);
      await fsp.rmdir(`${file}.tmp`);
      for (let seq = 801; seq <= 1_600; seq++) await step(seq);
      expect(shrank).toBeGreaterThanOrEqual(1);
      expect((await h.read()).queues.requests).toEqual([{ seq: 1_600, data }]);
    });
  });

  describe('durability and failures', () => {
    const fileHandleProto = async (dir: string): Promise<object> => {
      const fh = await fsp.open(path.join(dir, 'probe'), 'w');
      const proto = Object.getPrototypeOf(fh) as object;
      await fh.close();
      return proto;
    };

    it('fsyncs before acknowledging, and shares one fsync among writes issued together', async () => {
      const dir = await newDir();
      const h = await open(dir);
      const proto = (await fileHandleProto(dir)) as { datasync: () => Promise<void> };
      const sync = vi.spyOn(proto, 'datasync');
      await h.write([append(1)]);
      expect(sync).toHaveBeenCalledTimes(1);
      await Promise.all(Array.from({ length: 50 }, (_, i) => h.write([append(i + 2)])));
      expect(sync.mock.calls.length).toBeLessThanOrEqual(3);
      expect((await h.read()).queues.requests).toHaveLength(51);
    });

    it('a failed write rejects, changes nothing, leaves no trace on disk, and the next write works', async () => {
      const dir = await newDir();
      const h = await open(dir);
      await h.write([append(1)]);
      const before = await fsp.readFile(logOf(dir));
      const proto = (await fileHandleProto(dir)) as { datasync: () => Promise<void> };
      vi.spyOn(proto, 'datasync').mockRejectedValueOnce(new Error('EIO: simulated'));
      await expect(h.write([append(2), { op: 'remove', queue: 'requests', seqs: [1] }])).rejects.toThrow('EIO: simulated');
      expect(await fsp.readFile(logOf(dir))).toEqual(before);
      expect((await h.read()).queues.requests.map((e) => e.seq)).toEqual([1]);
      await h.write([append(3)]);
      await h.close();
      expect((await (await open(dir)).read()).queues.requests.map((e) => e.seq)).toEqual([1, 3]);
    });

    it('repairs the tail before the next write when cutting it failed', async () => {
      const dir = await newDir();
      const h = await open(dir);
      await h.write([append(1)]);
      const proto = (await fileHandleProto(dir)) as { datasync: () => Promise<void>; truncate: (n: number) => Promise<void> };
      vi.spyOn(proto, 'datasync').mockRejectedValueOnce(new Error('EIO: sync'));
      const truncate = vi.spyOn(proto, 'truncate').mockRejectedValueOnce(new Error('EIO: truncate'));
      await expect(h.write([append(2, 'x'.repeat(200))])).rejects.toThrow('EIO: sync');
      await h.write([append(3)]);
      expect(truncate).toHaveBeenCalledTimes(2);
      await h.close();
      const c = await (await open(dir)).read();
      expect(c.queues.requests.map((e) => e.seq)).toEqual([1, 3]);
      expect(c.corrupt).toBe(0);
    });

    it('refuses to write on after a failed write whose tail cannot be cut', async () => {
      const dir = await newDir();
      const h = await open(dir);
      const proto = (await fileHandleProto(dir)) as { datasync: () => Promise<void>; truncate: (n: number) => Promise<void> };
      vi.spyOn(proto, 'datasync').mockRejectedValueOnce(new Error('EIO: sync'));
      vi.spyOn(proto, 'truncate').mockRejectedValueOnce(new Error('EIO: truncate')).mockRejectedValueOnce(new Error('EIO: truncate'));
      await expect(h.write([append(1)])).rejects.toThrow('EIO: sync');
      await expect(h.write([append(2)])).rejects.toThrow(/cannot repair/);
      await h.write([append(3)]);
      expect((await h.read()).queues.requests.map((e) => e.seq)).toEqual([3]);
    });

    it('close() waits for writes in flight; an open during a close sees them', async () => {
      const dir = await newDir();
      const h = await fileStorage(dir).open('app');
      const writes = Array.from({ length: 20 }, (_, i) => h.write([append(i + 1)]));
      const closing = h.close();
      const again = await open(dir);
      await Promise.all([...writes, closing]);
      expect((await again.read()).queues.requests).toHaveLength(20);
    });

    it('handles of one namespace opened through different adapters in one process share the log', async () => {
      const dir = await newDir();
      const [a, b] = await Promise.all([open(dir), open(dir)]);
      await a?.write([append(1)]);
      await b?.write([append(2)]);
      await a?.close();
      await b?.write([append(3)]);
      await b?.close();
      expect((await (await open(dir)).read()).queues.requests.map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it('open() rejects for a missing or unusable directory, and can be retried', async () => {
      await expect(fileStorage('').open('app')).rejects.toThrow(/directory path is required/);
      const dir = await newDir();
      const notADir = path.join(dir, 'file');
      await fsp.writeFile(notADir, 'x');
      await expect(fileStorage(notADir).open('app')).rejects.toThrow();
      await expect(fileStorage(notADir).open('app')).rejects.toThrow();
      await fsp.rm(notADir);
      const h = await open(notADir);
      await h.write([append(1)]);
      expect((await h.read()).queues.requests).toHaveLength(1);
    });
  });
});
