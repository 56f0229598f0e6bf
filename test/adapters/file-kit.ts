/**
 * What the file storage tests share: temp directories and handles cleaned up after each test,
 * and lines framed exactly as the adapter frames them, to write logs by hand.
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, vi } from 'vitest';
import { crc32, fileStorage, logFileName } from '../../src/adapters/storage/file.js';
import type { QueueName, StorageHandle, StorageOp } from '../../src/adapters/types.js';

export const makeDir = (): Promise<string> => fsp.mkdtemp(path.join(os.tmpdir(), 'chartly-file-'));

/** A framed line exactly as the adapter writes one. */
export const line = (payload: string): Buffer => {
  const body = Buffer.from(payload, 'utf8');
  return Buffer.concat([Buffer.from(crc32(body).toString(16).padStart(8, '0'), 'latin1'), body, Buffer.from('\n')]);
};

/** The line a new log is created with: an empty group, so a log file is never legitimately empty. */
export const CREATED = line('[]');

export const append = (seq: number, data = `r${seq}`, queue: QueueName = 'requests'): StorageOp => ({ op: 'append', queue, seq, data });

export const logOf = (dir: string, ns = 'app'): string => path.join(dir, logFileName(ns));
export const sizeOf = async (file: string): Promise<number> => (await fsp.stat(file)).size;

export interface FileKit {
  /** A new temp directory, removed after the test. */
  newDir(): Promise<string>;
  /** Opens `ns` in `dir` on a new adapter; the handle is closed after the test. */
  open(dir: string, ns?: string): Promise<StorageHandle>;
  /** Closes `h` after the test. */
  track(h: StorageHandle): StorageHandle;
}

/** Call inside a `describe` (or at the top of a file): registers the cleanup. */
export function fileKit(): FileKit {
  let dirs: string[] = [];
  let handles: StorageHandle[] = [];
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const h of handles) await h.close().catch(() => undefined);
    handles = [];
    for (const d of dirs) await fsp.rm(d, { recursive: true, force: true });
    dirs = [];
  });
  const track = (h: StorageHandle): StorageHandle => {
    handles.push(h);
    return h;
  };
  return {
    async newDir() {
      const d = await makeDir();
      dirs.push(d);
      return d;
    },
    open: async (dir, ns = 'app') => track(await fileStorage(dir).open(ns)),
    track,
  };
}
