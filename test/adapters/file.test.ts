/**
 * File storage: the shared contract, the exact line format (codes, embedding, splicing, file
 * names, CRC-32) and how queues besides `requests` and `events` are written.
 * Recovery is in `file-recovery.test.ts`, cost, compaction and failures in `file-durability.test.ts`.
 */
import fc from 'fast-check';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, fileStorage, logFileName } from '../../src/adapters/storage/file.js';
import { append, CREATED, fileKit, line, logOf, makeDir } from './file-kit.js';
import { runStorageContract } from './storage.contract.js';

runStorageContract(
  'file',
  async () => {
    const dir = await makeDir();
    return { adapter: fileStorage(dir), reopen: () => fileStorage(dir), cleanup: () => fsp.rm(dir, { recursive: true, force: true }) };
  },
  { numRuns: 30 },
);


describe('fileStorage', () => {
  const { newDir, open } = fileKit();

  describe('format', () => {
    it('appends one short line per write: crc32, then compact JSON ops', async () => {
      const dir = await newDir();
      const h = await open(dir);
      await h.write([append(1, '{"key":"click","count":1}', 'events'), { op: 'set', key: 'id', value: 'x' }]);
      await h.write([{ op: 'remove', queue: 'events', seqs: [5, 1, 2, 3, 4, 9, 11, 12] }, { op: 'clear', queue: 'requests' }]);
      await h.write([{ op: 'update', queue: 'events', seq: 1, data: 'a "quoted" string' }, { op: 'delete', key: 'id' }]);
      const text = await fsp.readFile(logOf(dir), 'utf8');
      expect(text).toBe(
        Buffer.concat([
          CREATED,
          line('[["a","e",1,{"key":"click","count":1}],["s","id","x"]]'),
          line('[["r","e",[1,5],9,11,12],["c","r"]]'),
          line('[["u","e",1,"a \\"quoted\\" string"],["d","id"]]'),
        ]).toString('utf8'),
      );
    });

    it('splices data marked as JSON.stringify output in as is, and reads it back exactly', async () => {
      const dir = await newDir();
      const h = await open(dir);
      const values = [{ key: 'a', segmentation: { '2': 1, b: 'x"y', '\u2028': '\ud800' } }, [1, 'two', null], { __proto__: 1 }];
      const datas = values.map((v) => JSON.stringify(v));
      await h.write(datas.map((data, seq) => ({ op: 'append', queue: 'events', seq, data, json: true }) as const));
      const text = await fsp.readFile(logOf(dir), 'utf8');
      expect(text).toBe(Buffer.concat([CREATED, line(`[${datas.map((d, seq) => `["a","e",${seq},${d}]`).join(',')}]`)]).toString('utf8'));
      await h.close();
      const back = await (await open(dir)).read();
      expect(back.queues.events.map((e) => e.data)).toEqual(datas);
    });

    it('embeds only JSON that reads back byte for byte', async () => {
      const dir = await newDir();
      const h = await open(dir);
      const datas = ['{"b":1,"a":2}', '{"2":1,"1":2}', '{ "a": 1 }', '{"a":1,"a":2}', '[1.0]', '{"x":"\\u0041"}', '{"a":-0}', '{not json', '[]', '{}'];
      await h.write(datas.map((d, i) => append(i, d)));
      await h.close();
      const again = await open(dir);
      expect((await again.read()).queues.requests.map((e) => e.data)).toEqual(datas);
      const text = await fsp.readFile(logOf(dir), 'utf8');
      expect(text).toContain(',{"b":1,"a":2}]');
      expect(text).toContain(',"{\\"2\\":1,\\"1\\":2}"]');
      expect(text).toContain(',"{ \\"a\\": 1 }"]');
    });

    it('names log files safely, one per namespace, in a directory it creates', async () => {
      const dir = path.join(await newDir(), 'nested', 'deeper');
      const names = ['app', 'APP', 'a/b', 'a_b', '../escape', 'CON', '', 'ключ', 'x'.repeat(300)];
      for (const n of names) await (await open(dir, n)).write([{ op: 'set', key: 'k', value: n }]);
      const files = (await fsp.readdir(dir)).sort();
      expect(files).toHaveLength(names.length);
      for (const f of files) expect(f).toMatch(/^chartly-[A-Za-z0-9_-]{0,64}-[0-9a-f]{12}\.log$/);
      expect(files).toContain(logFileName('app'));
    });

    it('crc32 matches zlib', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          expect(crc32(bytes)).toBe(zlib.crc32(bytes));
        }),
      );
    });
  });

  describe('a queue of its own', () => {
    it('keeps the one-letter codes of requests and events, and writes other names so none collide', async () => {
      const dir = await newDir();
      const h = await open(dir);
      await h.write([append(1, 'a', 'requests'), append(1, 'b', 'events'), append(1, 'c', 'crashes'), append(1, 'd', 'r'), append(1, 'e', 'e')]);
      await h.write([{ op: 'remove', queue: 'r', seqs: [1] }, { op: 'clear', queue: 'crashes' }]);
      const text = await fsp.readFile(logOf(dir), 'utf8');
      expect(text).toBe(
        Buffer.concat([
          CREATED,
          line('[["a","r",1,"a"],["a","e",1,"b"],["a","crashes",1,"c"],["a",":r",1,"d"],["a",":e",1,"e"]]'),
          line('[["r",":r",1],["c","crashes"]]'),
        ]).toString('utf8'),
      );
      await h.close();
      expect((await (await open(dir)).read()).queues).toEqual({
        requests: [{ seq: 1, data: 'a' }],
        events: [{ seq: 1, data: 'b' }],
        e: [{ seq: 1, data: 'e' }],
      });
    });

    it('skips a line naming a queue in a spelling it never writes', async () => {
      const dir = await newDir();
      await fsp.writeFile(
        logOf(dir),
        Buffer.concat(['[["a","requests",1,"long form of r"]]', '[["a",":crashes",1,"escaped long name"]]', '[["a","Crashes",1,"not a name"]]', '[["a",":",1,"empty"]]', '[["a","crashes",1,"kept"]]'].map(line)),
      );
      const c = await (await open(dir)).read();
      expect(c.corrupt).toBe(4);
      expect(c.queues).toEqual({ requests: [], events: [], crashes: [{ seq: 1, data: 'kept' }] });
    });
  });
});
