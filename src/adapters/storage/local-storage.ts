/**
 * localStorage storage for browsers: one key per queue entry and per kv key,
 *   `<prefix>/<namespace>/kv/<key>` and `<prefix>/<namespace>/q/<queue>/<seq>`,
 * with values stored as they are. An append or a remove touches one key, where the official
 * web SDK rewrites one JSON array holding the whole queue on every change. Prefix and
 * namespace are URI-encoded, so neither can contain the `/` that separates the parts; a queue
 * name is an identifier without `/` (see `QueueName`), so it needs no encoding. A key under the
 * namespace that this adapter does not write is counted as corrupt and removed at `read()`.
 *
 * localStorage is synchronous and shared by the tabs of an origin; this adapter does not
 * coordinate tabs that open the same namespace.
 */
import type { QueueName, StorageAdapter, StorageHandle, StorageOp } from '../types.js';
import { isQueueName, NamespaceState, storageClosedError, validateOps } from './memory.js';

/** The part of the Web Storage interface this adapter uses; tests pass a Map-backed one. */
export interface StorageLike {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function resolveStorage(injected: StorageLike | undefined): StorageLike {
  if (injected) return injected;
  let found: StorageLike | undefined;
  try {
    found = (globalThis as { localStorage?: StorageLike }).localStorage;
  } catch (error) {
    // Browsers throw a SecurityError here when storage is blocked (e.g. third-party iframes).
    throw new Error(`localStorage storage: localStorage is not accessible (${String(error)})`);
  }
  if (!found) throw new Error('localStorage storage: localStorage is not available here; pass a Storage object or use another adapter');
  return found;
}

/** Only the spelling this adapter writes (`String(seq)`), so no two keys name one seq. */
const isCanonicalSeq = (seq: string | undefined): seq is string => seq !== undefined && Number.isSafeInteger(Number(seq)) && String(Number(seq)) === seq;

/** Every key of `storage` that starts with `prefix` (collected first, so removing is safe). */
function keysWith(storage: StorageLike, prefix: string): string[] {
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key !== null && key.startsWith(prefix)) keys.push(key);
  }
  return keys;
}

/**
 * Storage in `window.localStorage` (or the given Storage-like object), under keys that start
 * with `prefix/`. A write is all-or-nothing: if the quota runs out midway, what it changed
 * is put back before it rejects.
 */
export function localStorageAdapter(prefix = 'chartly', storage?: StorageLike): StorageAdapter {
  return {
    kind: 'localStorage',
    ...(storage === undefined ? { id: `localStorage:${prefix}` } : {}),
    open(namespace) {
      let s: StorageLike;
      try {
        s = resolveStorage(storage);
      } catch (error) {
        return Promise.reject(error);
      }
      const base = `${encodeURIComponent(prefix)}/${encodeURIComponent(namespace)}/`;
      const kvKey = (key: string): string => `${base}kv/${key}`;
      const queuePrefix = (queue: QueueName): string => `${base}q/${queue}/`;
      let closed = false;

      const read: StorageHandle['read'] = () => {
        if (closed) return Promise.reject(storageClosedError('localStorage', namespace));
        const state = new NamespaceState();
        const corrupt: string[] = [];
        for (const key of keysWith(s, base)) {
          const value = s.getItem(key);
          const rest = key.slice(base.length);
          if (value === null) continue;
          if (rest.startsWith('kv/')) {
            state.apply({ op: 'set', key: rest.slice(3), value });
            continue;
          }
          const [q, queue, seq, ...extra] = rest.split('/');
          if (q === 'q' && isQueueName(queue) && extra.length === 0 && isCanonicalSeq(seq)) {
            state.apply({ op: 'append', queue, seq: Number(seq), data: value });
          } else {
            corrupt.push(key);
          }
        }
        // Not keys this adapter writes (the namespace part is encoded, so no other namespace's
        // key starts with `base`): counted now and removed, so the next boot does not count
        // them again. A failure to remove is harmless; they are counted again next time.
        for (const key of corrupt) {
          try {
            s.removeItem(key);
          } catch {
            // left for the next boot
          }
        }
        return Promise.resolve(state.snapshot(corrupt.length));
      };

      const apply = (op: StorageOp, set: (k: string, v: string) => void, remove: (k: string) => void): void => {
        switch (op.op) {
          case 'set':
            return set(kvKey(op.key), op.value);
          case 'delete':
            return remove(kvKey(op.key));
          case 'append':
            return set(queuePrefix(op.queue) + op.seq, op.data);
          case 'update': {
            const key = queuePrefix(op.queue) + op.seq;
            if (s.getItem(key) !== null) set(key, op.data);
            return;
          }
          case 'remove':
            for (const seq of op.seqs) remove(queuePrefix(op.queue) + seq);
            return;
          case 'clear':
            // The one whole-queue operation: it scans the keys, as only it needs to.
            for (const key of keysWith(s, queuePrefix(op.queue))) remove(key);
            return;
        }
      };

      const handle: StorageHandle = {
        read,
        write(ops) {
          if (closed) return Promise.reject(storageClosedError('localStorage', namespace));
          const invalid = validateOps(ops);
          if (invalid) return Promise.reject(invalid);
          const undo: Array<[string, string | null]> = [];
          const set = (k: string, v: string): void => {
            undo.push([k, s.getItem(k)]);
            s.setItem(k, v);
          };
          const remove = (k: string): void => {
            const old = s.getItem(k);
            if (old === null) return;
            undo.push([k, old]);
            s.removeItem(k);
          };
          try {
            for (const op of ops) apply(op, set, remove);
          } catch (error) {
            for (const [k, old] of undo.reverse()) {
              try {
                if (old === null) s.removeItem(k);
                else s.setItem(k, old);
              } catch {
                // Putting back an older value frees space; if even that fails, keep going.
              }
            }
            return Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
          return Promise.resolve();
        },
        claim(key, value) {
          if (closed) return Promise.reject(storageClosedError('localStorage', namespace));
          // One synchronous get-then-set: no other script of this origin runs in between.
          try {
            const held = s.getItem(kvKey(key));
            if (held !== null) return Promise.resolve(held);
            s.setItem(kvKey(key), value);
            return Promise.resolve(value);
          } catch (error) {
            return Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
        close() {
          closed = true;
          return Promise.resolve();
        },
      };
      return Promise.resolve(handle);
    },
  };
}
