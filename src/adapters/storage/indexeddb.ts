/**
 * IndexedDB storage for browsers, built on `idb`.
 *
 * One database per namespace (`<dbName>/<namespace>`), with the object stores `kv`
 * (key → value), `requests` and `events` (seq → data). A database per namespace keeps app
 * keys apart without compound `[namespace, queue, seq]` keys, and a store per queue makes
 * `clear` one `store.clear()` and `read` a plain `getAll` instead of key-range scans. Seqs
 * are numeric keys, so a store keeps its entries in seq order.
 *
 * Every `write()` is one readwrite transaction with strict durability, resolved when the
 * transaction completes: all of its operations or none.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { QueueEntry, StorageAdapter, StorageHandle, StorageOp } from '../types.js';
import { QUEUE_NAMES, storageClosedError, validateOps } from './memory.js';

interface ChartlyDb extends DBSchema {
  kv: { key: string; value: unknown };
  requests: { key: number; value: unknown };
  events: { key: number; value: unknown };
}

type StoreName = 'kv' | 'requests' | 'events';
const STORES: readonly StoreName[] = ['kv', ...QUEUE_NAMES];
const VERSION = 1;

const ignore = (): void => undefined;

function resolveFactory(injected: IDBFactory | undefined): IDBFactory {
  let found: IDBFactory | undefined;
  let hasClasses: boolean;
  try {
    found = injected ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    // idb recognises IndexedDB objects by `instanceof` the global classes.
    hasClasses = typeof (globalThis as { IDBRequest?: unknown }).IDBRequest === 'function';
  } catch (error) {
    throw new Error(`indexeddb storage: indexedDB is not accessible (${String(error)})`);
  }
  if (!found) throw new Error('indexeddb storage: indexedDB is not available here; pass an IDBFactory or use another adapter');
  if (!hasClasses) throw new Error('indexeddb storage: the IndexedDB classes (IDBRequest, ...) are not global here; an injected factory needs them (e.g. fake-indexeddb/auto)');
  return found;
}

async function openDatabase(factory: IDBFactory, name: string): Promise<IDBPDatabase<ChartlyDb>> {
  const request = factory.open(name, VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    for (const store of STORES) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
  };
  const db = (await wrap(request)) as IDBPDatabase<ChartlyDb> | undefined;
  if (!db) throw new Error(`indexeddb storage: could not open database "${name}"`);
  // Let a future schema upgrade (another tab, a newer version) proceed instead of blocking it;
  // writes on this connection then reject and the SDK logs them.
  db.addEventListener('versionchange', () => db.close());
  return db;
}

/** The stores a group of operations touches: the transaction's scope. */
function scopeOf(ops: readonly StorageOp[]): StoreName[] {
  const scope = new Set<StoreName>();
  for (const op of ops) scope.add(op.op === 'set' || op.op === 'delete' ? 'kv' : op.queue);
  return [...scope];
}

/**
 * Storage in IndexedDB (`indexedDB`, or the given factory), one database per namespace
 * named `<dbName>/<namespace>`. An injected factory must come from the implementation whose
 * classes are global (in tests: `import 'fake-indexeddb/auto'`, then `new IDBFactory()` for
 * an isolated instance).
 */
export function indexedDbStorage(dbName = 'chartly', factory?: IDBFactory): StorageAdapter {
  return {
    kind: 'indexeddb',
    // An injected factory is its own world (tests): only the global one is shared by name.
    ...(factory === undefined ? { id: `indexeddb:${dbName}` } : {}),
    async open(namespace) {
      // The namespace is URI-encoded, so it never contains the `/` that ends `dbName`.
      const db = await openDatabase(resolveFactory(factory), `${dbName}/${encodeURIComponent(namespace)}`);
      let closed = false;
      // Settles after every write issued so far, so close() can wait for them.
      let settled: Promise<unknown> = Promise.resolve();

      const read: StorageHandle['read'] = async () => {
        if (closed) throw storageClosedError('indexeddb', namespace);
        const tx = db.transaction(STORES, 'readonly');
        const [kvKeys, kvValues, requestKeys, requestValues, eventKeys, eventValues] = await Promise.all([
          tx.objectStore('kv').getAllKeys(),
          tx.objectStore('kv').getAll(),
          tx.objectStore('requests').getAllKeys(),
          tx.objectStore('requests').getAll(),
          tx.objectStore('events').getAllKeys(),
          tx.objectStore('events').getAll(),
        ]);
        await tx.done;
        let corrupt = 0;
        const kv = new Map<string, string>();
        kvKeys.forEach((key, i) => {
          const value = kvValues[i];
          if (typeof key === 'string' && typeof value === 'string') kv.set(key, value);
          else corrupt++;
        });
        const entries = (keys: readonly unknown[], values: readonly unknown[]): QueueEntry[] => {
          const out: QueueEntry[] = [];
          keys.forEach((seq, i) => {
            const data = values[i];
            if (Number.isSafeInteger(seq) && typeof data === 'string') out.push({ seq: seq as number, data });
            else corrupt++;
          });
          return out;
        };
        const queues = { requests: entries(requestKeys, requestValues), events: entries(eventKeys, eventValues) };
        return { kv: Object.fromEntries(kv), queues, corrupt };
      };

      const apply = async (ops: readonly StorageOp[]): Promise<void> => {
        // Created before the first await, so transactions start in call order; IndexedDB runs
        // overlapping readwrite transactions in the order they were created.
        const tx = db.transaction(scopeOf(ops), 'readwrite', { durability: 'strict' });
        const done = tx.done;
        const requests: Array<Promise<unknown>> = [done];
        const track = (request: Promise<unknown>): void => {
          request.catch(ignore); // reported through Promise.all below, not as unhandled
          requests.push(request);
        };
        done.catch(ignore);
        try {
          for (const op of ops) {
            switch (op.op) {
              case 'set':
                track(tx.objectStore('kv').put(op.value, op.key));
                break;
              case 'delete':
                track(tx.objectStore('kv').delete(op.key));
                break;
              case 'append':
                track(tx.objectStore(op.queue).put(op.data, op.seq));
                break;
              case 'update': {
                // Requests run in order, so the count sees every earlier op of this group.
                const store = tx.objectStore(op.queue);
                if ((await store.count(op.seq)) > 0) track(store.put(op.data, op.seq));
                break;
              }
              case 'remove':
                for (const seq of op.seqs) track(tx.objectStore(op.queue).delete(seq));
                break;
              case 'clear':
                track(tx.objectStore(op.queue).clear());
                break;
            }
          }
        } catch (error) {
          try {
            tx.abort();
          } catch {
            // already finished or aborted
          }
          throw error;
        }
        await Promise.all(requests);
      };

      const handle: StorageHandle = {
        read,
        write(ops) {
          if (closed) return Promise.reject(storageClosedError('indexeddb', namespace));
          const invalid = validateOps(ops);
          if (invalid) return Promise.reject(invalid);
          // An empty group starts no transaction; it still resolves after the writes before it.
          const result = ops.length === 0 ? settled.then(ignore) : apply(ops);
          settled = Promise.allSettled([settled, result]);
          return result;
        },
        async close() {
          if (closed) return;
          closed = true;
          await settled;
          db.close();
        },
      };
      return handle;
    },
  };
}
