/**
 * File storage for Node: one append-only log per namespace.
 *
 * Each `write()` appends one line `<crc32, 8 hex><JSON array of ops>\n` and fsyncs before it
 * resolves, so a write is on disk when acknowledged and is all-or-nothing after a crash (a
 * torn line fails its checksum and is skipped as a whole). An append or a remove costs one
 * small line whatever the queue length; the official Node SDK rewrites its whole queue file
 * on every change instead.
 *
 * The parts live in `./file/`: `codec` (ops ↔ JSON), `framing` (checksummed lines), `live-state`
 * (the in-memory mirror and its byte count), `log` (append, group commit, compaction, repair),
 * `io` (durable file steps) and `registry` (one shared log per file in this process).
 */
import * as path from 'node:path';
import type { StorageAdapter, StorageHandle } from '../types.js';
import { storageClosedError, validateOps } from './memory.js';
import { acquire, logFileName } from './file/registry.js';

export { crc32 } from './file/framing.js';
export { logFileName };

/**
 * Durable storage in `dir` (created if missing), one append-only log file per namespace.
 * Node only. A write resolves after its bytes are fsynced. `onProblem` hears when the log was
 * deleted or replaced while open and has been recreated from memory.
 */
export function fileStorage(dir: string): StorageAdapter {
  return {
    kind: 'file',
    ...(typeof dir === 'string' && dir.length > 0 ? { id: `file:${path.resolve(dir)}` } : {}),
    async open(namespace, options) {
      if (typeof dir !== 'string' || dir.length === 0) throw new Error('file storage: a directory path is required');
      const file = path.resolve(dir, logFileName(namespace));
      const { log, release } = await acquire(file);
      const onProblem = options?.onProblem;
      const unlisten = typeof onProblem === 'function' ? log.onProblem((message) => onProblem(message)) : undefined;
      let closed = false;
      const handle: StorageHandle = {
        read: () => (closed ? Promise.reject(storageClosedError('file', namespace)) : log.read()),
        write(ops) {
          if (closed) return Promise.reject(storageClosedError('file', namespace));
          const invalid = validateOps(ops);
          return invalid ? Promise.reject(invalid) : log.write(ops);
        },
        async close() {
          if (closed) return;
          closed = true;
          try {
            // Still listening while the log closes: its last check may find it deleted.
            await release();
          } finally {
            unlisten?.();
          }
        },
      };
      return handle;
    },
  };
}
