/**
 * File storage recovery: torn and corrupt lines are skipped, counted once and rewritten away;
 * a log file that exists but holds nothing is reported in `problems`; a log deleted or
 * replaced while open is recreated from memory and reported through `onProblem`.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileStorage, logFileName } from '../../src/adapters/storage/file.js';
import type { StorageHandle, StorageOp } from '../../src/adapters/types.js';
import { append, CREATED, fileKit, line, logOf, sizeOf } from './file-kit.js';

describe('fileStorage recovery', () => {
  const { newDir, open, track } = fileKit();

  describe('torn and corrupt records', () => {
    const seed = async (dir: string): Promise<void> => {
      const h = await open(dir);
      await h.write([append(1), { op: 'set', key: 'k', value: 'v' }]);
      await h.write([append(2)]);
      await h.write([append(3)]);
      await h.close();
    };

    it('drops a torn tail, counts it, and keeps writing on a clean line', async () => {
      const dir = await newDir();
      await seed(dir);
      const file = logOf(dir);
      await fsp.truncate(file, (await sizeOf(file)) - 5);
      const h = await open(dir);
      const c = await h.read();
      expect(c.corrupt).toBe(1);
      expect(c.queues.requests.map((e) => e.seq)).toEqual([1, 2]);
      expect(c.kv).toEqual({ k: 'v' });
      await h.write([append(4)]);
      await h.close();
      expect((await fsp.readFile(file, 'utf8')).endsWith('\n')).toBe(true);
      const again = await (await open(dir)).read();
      expect(again.corrupt).toBe(0);
      expect(again.queues.requests.map((e) => e.seq)).toEqual([1, 2, 4]);
    });

    it('drops garbage appended without a newline', async () => {
      const dir = await newDir();
      await seed(dir);
      await fsp.appendFile(logOf(dir), 'garbage');
      const h = await open(dir);
      expect((await h.read()).corrupt).toBe(1);
      await h.write([append(4)]);
      await h.close();
      const again = await (await open(dir)).read();
      expect(again).toMatchObject({ corrupt: 0 });
      expect(again.queues.requests.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    });

    it('skips a whole line of garbage, reads on, and removes it so that only one boot reports it', async () => {
      const dir = await newDir();
      await seed(dir);
      await fsp.appendFile(logOf(dir), 'garbage\n');
      const h = await open(dir);
      const first = await h.read();
      expect(first.corrupt).toBe(1);
      expect(first.problems).toBeUndefined();
      expect(await fsp.readFile(logOf(dir), 'utf8')).not.toContain('garbage');
      await h.write([append(4)]);
      await h.close();
      const again = await (await open(dir)).read();
      expect(again.corrupt).toBe(0);
      expect(again.queues.requests.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(again.kv).toEqual({ k: 'v' });
    });

    it('skips a corrupted record in the middle and keeps the rest', async () => {
      const dir = await newDir();
      await seed(dir);
      const file = logOf(dir);
      const bytes = await fsp.readFile(file);
      const second = bytes.indexOf('\n', bytes.indexOf('\n') + 1) + 1; // after the created line and record 1
      bytes[second + 15] = (bytes[second + 15] as number) ^ 0x01; // one flipped bit in record 2
      await fsp.writeFile(file, bytes);
      const h = await open(dir);
      const c = await h.read();
      expect(c.corrupt).toBe(1);
      expect(c.queues.requests.map((e) => e.seq)).toEqual([1, 3]);
      expect(c.kv).toEqual({ k: 'v' });
      await h.close();
      const again = await (await open(dir)).read();
      expect(again.corrupt).toBe(0);
      expect(again.queues.requests.map((e) => e.seq)).toEqual([1, 3]);
    });

    it('skips lines with a valid checksum but content it did not write', async () => {
      const dir = await newDir();
      await seed(dir);
      const bad = [
        '{not json',
        '{"an":"object"}',
        '[["x","r",1,"unknown op"]]',
        '[["a","z",1,"unknown queue"]]',
        '[["a","r",1.5,"fractional seq"]]',
        '[["a","r",1,42]]',
        '[["a","r",1]]',
        '[["s","k"]]',
        '[["d",1]]',
        '[["r","r",[5,2]]]',
        '[["r","r",[0,9007199254740991]]]',
        '[["r","r","1"]]',
        '[["r","q",1]]',
        '[["c","r","extra"]]',
        '["s","k","v"]',
        '[[]]',
      ];
      const junk = Buffer.concat([
        ...bad.map(line),
        Buffer.from('short\n'),
        Buffer.from('zzzzzzzz[]\n'),
        Buffer.from('00000000[]\n'),
      ]);
      await fsp.appendFile(logOf(dir), junk);
      await fsp.appendFile(logOf(dir), line('[["a","r",4,"r4"],["r","r",1]]'));
      const c = await (await open(dir)).read();
      expect(c.corrupt).toBe(bad.length + 3);
      expect(c.queues.requests.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(c.kv).toEqual({ k: 'v' });
    });

    it('a torn write is all or nothing: no op of it is applied', async () => {
      const dir = await newDir();
      const h = await open(dir);
      await h.write([append(1)]);
      await h.write([{ op: 'remove', queue: 'requests', seqs: [1] }, append(2, 'x'.repeat(100))]);
      await h.close();
      const file = logOf(dir);
      await fsp.truncate(file, (await sizeOf(file)) - 50);
      const c = await (await open(dir)).read();
      expect(c.queues.requests).toEqual([{ seq: 1, data: 'r1' }]);
    });
  });

  describe('a store file that exists but holds nothing', () => {
    it('a first run reports nothing, and neither does the next one when nothing was written', async () => {
      const dir = await newDir();
      const h = await open(dir);
      expect((await h.read()).problems).toBeUndefined();
      await h.close();
      const again = await (await open(dir)).read();
      expect(again).toEqual({ kv: {}, queues: { requests: [], events: [] }, corrupt: 0 });
    });

    it('an empty file is reported once in problems and started fresh', async () => {
      const dir = await newDir();
      await fsp.writeFile(logOf(dir), '');
      const h = await open(dir);
      const c = await h.read();
      expect(c.problems).toEqual([`store file ${logOf(dir)} exists but is empty; starting fresh`]);
      expect(c.corrupt).toBe(0);
      await h.write([append(1)]);
      await h.close();
      const again = await (await open(dir)).read();
      expect(again.problems).toBeUndefined();
      expect(again.queues.requests).toEqual([{ seq: 1, data: 'r1' }]);
    });

    it('a file without one readable record is reported, with its corrupt lines counted', async () => {
      const dir = await newDir();
      await fsp.writeFile(logOf(dir), 'garbage\nmore garbage\ntorn');
      const h = await open(dir);
      const c = await h.read();
      expect(c.corrupt).toBe(3);
      expect(c.problems).toEqual([`store file ${logOf(dir)} exists but holds no readable record (3 skipped); starting fresh`]);
      await h.close();
      expect(await (await open(dir)).read()).toEqual({ kv: {}, queues: { requests: [], events: [] }, corrupt: 0 });
    });

    it('a log compacted down to nothing still holds a record', async () => {
      const dir = await newDir();
      const dead = Buffer.concat(Array.from({ length: 300 }, (_, i) => line(`[["a","r",${i},"${'z'.repeat(5_000)}"],["r","r",${i}]]`)));
      await fsp.writeFile(logOf(dir), dead);
      const h = await open(dir);
      expect((await h.read()).problems).toBeUndefined();
      await h.close();
      expect(await fsp.readFile(logOf(dir))).toEqual(CREATED);
      expect((await (await open(dir)).read()).problems).toBeUndefined();
    });
  });

  describe('a store deleted while open', () => {
    const everything: StorageOp[] = [
      { op: 'set', key: 'device_id', value: 'abc' },
      append(1),
      append(2),
      append(1, '{"key":"e"}', 'events'),
      append(7, 'crash', 'crashes'),
    ];
    const expected = {
      kv: { device_id: 'abc', after: 'yes' },
      queues: { requests: [{ seq: 1, data: 'r1' }, { seq: 2, data: 'r2' }, { seq: 3, data: 'r3' }], events: [{ seq: 1, data: '{"key":"e"}' }], crashes: [{ seq: 7, data: 'crash' }] },
      corrupt: 0,
    };

    const openWatched = async (dir: string): Promise<{ h: StorageHandle; problems: string[] }> => {
      const problems: string[] = [];
      const h = track(await fileStorage(dir).open('app', { onProblem: (m) => problems.push(m) }));
      return { h, problems };
    };

    it('recreates a deleted directory at the next write, with everything stored, and says so', async () => {
      const dir = path.join(await newDir(), 'store');
      const { h, problems } = await openWatched(dir);
      await h.write(everything);
      await fsp.rm(dir, { recursive: true });
      await h.write([append(3), { op: 'set', key: 'after', value: 'yes' }]);
      expect(problems).toEqual([`store file ${logOf(dir)} was deleted or replaced while in use; recreated it with everything stored so far`]);
      expect(await fsp.readdir(dir)).toEqual([logFileName('app')]);
      await h.close();
      expect(await (await open(dir)).read()).toEqual(expected);
    });

    it('recreates a deleted file, and a file replaced by another one', async () => {
      const dir = await newDir();
      const { h, problems } = await openWatched(dir);
      await h.write(everything);
      await fsp.rm(logOf(dir));
      await h.write([append(3)]);
      const other = path.join(dir, 'other');
      await fsp.writeFile(other, 'not a log');
      await fsp.rename(other, logOf(dir));
      await h.write([{ op: 'set', key: 'after', value: 'yes' }]);
      expect(problems).toHaveLength(2);
      await h.write([{ op: 'set', key: 'unnoticed', value: 'no' }, { op: 'delete', key: 'unnoticed' }]);
      expect(problems).toHaveLength(2);
      await h.close();
      expect(await (await open(dir)).read()).toEqual(expected);
    });

    it('recreates a log deleted after its last write when it closes', async () => {
      const dir = await newDir();
      const { h, problems } = await openWatched(dir);
      await h.write([...everything, append(3), { op: 'set', key: 'after', value: 'yes' }]);
      await fsp.rm(dir, { recursive: true });
      await h.close();
      expect(problems).toHaveLength(1);
      expect(await (await open(dir)).read()).toEqual(expected);
    });

    it('rejects the write when the log cannot be recreated, and recreates it at a later write', async () => {
      const dir = await newDir();
      const { h, problems } = await openWatched(dir);
      await h.write(everything);
      await fsp.rm(dir, { recursive: true });
      await fsp.writeFile(dir, 'a file where the directory was');
      await expect(h.write([append(3)])).rejects.toThrow(/was deleted while in use and could not be recreated/);
      expect(problems).toEqual([]);
      await fsp.rm(dir);
      await h.write([append(3), { op: 'set', key: 'after', value: 'yes' }]);
      expect(problems).toHaveLength(1);
      await h.close();
      expect(await (await open(dir)).read()).toEqual(expected);
    });

    it('tells every handle on the log, and none after it closed', async () => {
      const dir = await newDir();
      const a = await openWatched(dir);
      const b = await openWatched(dir);
      await a.h.write(everything);
      await b.h.close();
      await fsp.rm(logOf(dir));
      await a.h.write([append(3)]);
      expect(a.problems).toHaveLength(1);
      expect(b.problems).toHaveLength(0);
    });
  });
});
