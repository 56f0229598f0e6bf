/**
 * IndexedDB storage for browsers, built on `idb`.
 *
 * One database per namespace (`<dbName>/<namespace>`), with two object stores: `kv`
 * (key → value) and `queues` ([queue, seq] → data). A database per namespace keeps app keys
 * apart without a namespace in every key. Every queue shares one store, keyed by [queue, seq],
 * because queue names are open (a feature may bring its own) and an object store can only be
 * created in a schema upgrade; compound keys sort by queue and then by seq, so `read` is one
 * `getAll` in seq order and `clear` one key-range delete.
 *
 * Version 1 had one store per queue (`requests`, `events`); opening such a database upgrades
 * it to version 2 inside the upgrade transaction, so the move is all or nothing.
 *
 * Every `write()` is one readwrite transaction with strict durability, resolved when the
 * transaction completes: all of its operations or none.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { QueueName, StorageAdapter, StorageHandle, StorageOp } from '../types.js';
import { contentsOf, isQueueName, storageClosedError, validateOps } from './memory.js';

type QueueKey = [QueueName, number];

/** Keys and values as they may be found, not only as written: `read` checks every record. */
interface ChartlyDb extends DBSchema {
  kv: { key: IDBValidKey; value: unknown };
  queues: { key: IDBValidKey; value: unknown };
}

type StoreName = 'kv' | 'queues';
const STORES: readonly StoreName[] = ['kv', 'queues'];
const VERSION = 2;
/** The stores of version 1, one per queue, named after the queue. */
const V1_QUEUE_STORES = ['requests', 'events'];

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

/**
 * Moves the entries of version 1's per-queue stores into `queues`, keys and values exactly as
 * they were (records of the wrong type included: `read` counts and removes them like any
 * other), then drops the old stores. Runs inside the upgrade transaction.
 */
function migrateV1(db: IDBDatabase, tx: IDBTransaction): void {
  const queues = tx.objectStore('queues');
  for (const name of V1_QUEUE_STORES) {
    if (!db.objectStoreNames.contains(name)) continue;
    const old = tx.objectStore(name);
    const keys = old.getAllKeys();
    const values = old.getAll();
    // Requests of a transaction complete in order: the keys are in when the values arrive.
    values.onsuccess = () => {
      keys.result.forEach((key, i) => queues.put(values.result[i], [name, key]));
      db.deleteObjectStore(name);
    };
  }
}

async function openDatabase(factory: IDBFactory, name: string): Promise<IDBPDatabase<ChartlyDb>> {
  const request = factory.open(name, VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    for (const store of STORES) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
    if (request.transaction) migrateV1(db, request.transaction);
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
  for (const op of ops) scope.add(op.op === 'set' || op.op === 'delete' ? 'kv' : 'queues');
  return [...scope];
}

const isQueueKey = (key: unknown): key is QueueKey => Array.isArray(key) && key.length === 2 && isQueueName(key[0]) && Number.isSafeInteger(key[1]);

/** Whether a record is one this adapter writes; anything else is counted and removed. */
function isValid(store: StoreName, key: unknown, value: unknown): boolean {
  return typeof value === 'string' && (store === 'kv' ? typeof key === 'string' : isQueueKey(key));
}

/**
 * Every key of one queue, whatever its second part: from `[queue]` (below any `[queue, x]`)
 * to `[queue, []]` (an array sorts above every number and string). Looked up when called,
 * so importing this module touches no browser global.
 */
const queueRange = (queue: QueueName): IDBKeyRange => IDBKeyRange.bound([queue], [queue, []]);

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
        const [kvKeys, kvValues, queueKeys, queueValues] = await Promise.all([
          tx.objectStore('kv').getAllKeys(),
          tx.objectStore('kv').getAll(),
          tx.objectStore('queues').getAllKeys(),
          tx.objectStore('queues').getAll(),
        ]);
        await tx.done;
        const corrupt: Array<{ store: StoreName; key: IDBValidKey }> = [];
        const kv = new Map<string, string>();
        kvKeys.forEach((key, i) => {
          const value = kvValues[i];
          if (isValid('kv', key, value)) kv.set(key as string, value as string);
          else corrupt.push({ store: 'kv', key });
        });
        const queues = new Map<QueueName, Map<number, string>>();
        queueKeys.forEach((key, i) => {
          const data = queueValues[i];
          if (!isValid('queues', key, data)) return void corrupt.push({ store: 'queues', key });
          const [queue, seq] = key as QueueKey;
          let entries = queues.get(queue);
          if (!entries) queues.set(queue, (entries = new Map()));
          entries.set(seq, data as string);
        });
        if (corrupt.length > 0) {
          const removal = removeCorrupt(corrupt);
          settled = Promise.allSettled([settled, removal]);
          await removal;
        }
        return contentsOf(kv, queues, corrupt.length);
      };

      /**
       * Deletes the records `read` skipped, so they are counted at one boot only. A write
       * issued meanwhile may have replaced one with a valid record: each is checked again
       * inside this transaction. A failure is ignored; the next boot counts and tries again.
       */
      const removeCorrupt = async (records: ReadonlyArray<{ store: StoreName; key: IDBValidKey }>): Promise<void> => {
        try {
          const tx = db.transaction(STORES, 'readwrite');
          const done = tx.done;
          done.catch(ignore); // awaited below; a failing get must not leave it unhandled
          for (const { store, key } of records) {
            if (!isValid(store, key, await tx.objectStore(store).get(key))) await tx.objectStore(store).delete(key);
          }
          await done;
        } catch {
          // counted again at the next boot
        }
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
                track(tx.objectStore('queues').put(op.data, [op.queue, op.seq]));
                break;
              case 'update': {
                // Requests run in order, so the count sees every earlier op of this group.
                const store = tx.objectStore('queues');
                if ((await store.count([op.queue, op.seq])) > 0) track(store.put(op.data, [op.queue, op.seq]));
                break;
              }
              case 'remove':
                for (const seq of op.seqs) track(tx.objectStore('queues').delete([op.queue, seq]));
                break;
              case 'clear':
                track(tx.objectStore('queues').delete(queueRange(op.queue)));
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
