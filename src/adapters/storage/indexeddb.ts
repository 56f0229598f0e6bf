/**
 * IndexedDB storage for browsers, built on `idb`.
 *
 * One database per namespace (`<dbName>/<namespace>`), with two object stores: `kv`
 * (key → value) and `queues` ([queue, writer, seq] → data); the schema and its upgrades are
 * in `indexeddb-schema.ts`. A database per namespace keeps app keys apart without a namespace
 * in every key. Every queue shares one store because queue names are open (a feature may
 * bring its own) and an object store can only be created in a schema upgrade; compound keys
 * sort by queue, writer and seq, so `clear` is one key-range delete.
 *
 * Each handle is one writer (one tab): it writes only keys with its own id and reads back only
 * its own entries, plus those it adopts from writers that are gone (`indexeddb-tabs.ts`), so
 * tabs of one origin never overwrite each other's entries or send each other's requests.
 * kv is shared: the last write wins.
 *
 * Every `write()` is one readwrite transaction with strict durability, resolved when the
 * transaction completes: all of its operations or none.
 */
import type { QueueName, StorageAdapter, StorageContents, StorageHandle, StorageOp } from '../types.js';
import { isValid, openDatabase, resolveFactory, STORES, writerRange, type StoreName } from './indexeddb-schema.js';
import { adoptLockName, findLocks, holdLock, liveWriters, newWriterId, planAdoption, underLock, writerLockName } from './indexeddb-tabs.js';
import { contentsOf, storageClosedError, validateOps } from './memory.js';

const ignore = (): void => undefined;
/** The longest a boot waits for another tab's adoption before it goes on without adopting. */
const ADOPT_WAIT_MS = 5000;
/** The longest a boot waits for its own writer lock: a fresh name is granted at once unless the lock manager is broken. */
const WRITER_LOCK_WAIT_MS = 3000;
const SINGLE_TAB = 'this tab cannot see which other tabs of the origin are alive, so it adopts the entries every other tab queued (single-tab mode: with two tabs open at once an entry may be sent twice)';

/** The stores a group of operations touches: the transaction's scope. */
function scopeOf(ops: readonly StorageOp[]): StoreName[] {
  const scope = new Set<StoreName>();
  for (const op of ops) scope.add(op.op === 'set' || op.op === 'delete' ? 'kv' : 'queues');
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
      const name = `${dbName}/${encodeURIComponent(namespace)}`;
      const db = await openDatabase(resolveFactory(factory), name);
      const me = newWriterId();
      const found = findLocks();
      // Held until close(): other tabs see this writer alive and leave its entries alone.
      const writerLock = found ? await holdLock(found, writerLockName(name, me), WRITER_LOCK_WAIT_MS) : undefined;
      // A lock manager that refused or did not answer the writer lock is not asked again.
      const locks = writerLock ? found : undefined;
      /** Why this handle runs in single-tab mode, reported once at boot (`StorageContents.warnings`). */
      let singleTab: string | undefined = !found
        ? `Web Locks (navigator.locks) are not available: ${SINGLE_TAB}`
        : !writerLock
          ? `the Web Locks API refused this tab's lock or did not grant it within ${WRITER_LOCK_WAIT_MS / 1000} s: ${SINGLE_TAB}`
          : undefined;
      let closed = false;
      // Settles after every write (and read) issued so far, so close() can wait for them.
      let settled: Promise<unknown> = Promise.resolve();
      const key = (queue: QueueName, seq: number): IDBValidKey => [queue, me, seq];

      /**
       * Reads kv and this writer's entries, adopting in the same readwrite transaction the
       * entries of every writer `alive` rejects, and removing records this adapter did not
       * write. Creates its transaction before any await, so it runs after the writes issued
       * before it.
       */
      const adopt = async (alive: (writer: string) => boolean): Promise<StorageContents> => {
        const tx = db.transaction(STORES, 'readwrite', { durability: 'strict' });
        const done = tx.done;
        done.catch(ignore); // awaited below
        const [kvKeys, kvValues, queueKeys, queueValues] = await Promise.all([
          tx.objectStore('kv').getAllKeys(),
          tx.objectStore('kv').getAll(),
          tx.objectStore('queues').getAllKeys(),
          tx.objectStore('queues').getAll(),
        ]);
        const kv = new Map<string, string>();
        const corruptKv: IDBValidKey[] = [];
        kvKeys.forEach((k, i) => {
          if (isValid('kv', k, kvValues[i])) kv.set(k as string, kvValues[i] as string);
          else corruptKv.push(k);
        });
        const plan = planAdoption(queueKeys, queueValues, me, alive);
        const requests: Array<Promise<unknown>> = [done];
        const track = (request: Promise<unknown>): void => {
          request.catch(ignore); // reported through Promise.all below
          requests.push(request);
        };
        // Counted at one boot only: the next one finds them gone.
        for (const k of corruptKv) track(tx.objectStore('kv').delete(k));
        for (const k of plan.corrupt) track(tx.objectStore('queues').delete(k));
        for (const { from, to, data } of plan.moves) {
          track(tx.objectStore('queues').delete(from));
          track(tx.objectStore('queues').put(data, to));
        }
        await Promise.all(requests);
        const contents = contentsOf(kv, plan.own, corruptKv.length + plan.corrupt.length);
        const warning = singleTab;
        singleTab = undefined;
        return warning ? { ...contents, warnings: [warning] } : contents;
      };

      /** Single-tab behaviour: every other writer counts as gone. */
      const adoptAll = (): Promise<StorageContents> => adopt(() => false);

      /** Adopts under the adopt lock, unless the lock manager is missing or refuses. */
      const adoptGone = (): Promise<StorageContents> =>
        !locks
          ? adoptAll()
          : underLock(
              locks,
              adoptLockName(name),
              async () => {
                let live: Set<string>;
                try {
                  live = await liveWriters(locks, name);
                } catch {
                  // The lock manager cannot tell: single-tab behaviour.
                  singleTab = `the Web Locks API could not list the live tabs: ${SINGLE_TAB}`;
                  return adoptAll();
                }
                return adopt((writer) => live.has(writer));
              },
              () => {
                singleTab = `the Web Locks API refused the adopt lock: ${SINGLE_TAB}`;
                return adoptAll();
              },
              // A tab stuck holding the adopt lock must not stall this boot: adopt nothing
              // (every other writer counts as live; their entries wait for a later tab).
              { ms: ADOPT_WAIT_MS, timedOut: () => adopt((writer) => writer !== me) },
            );

      // Adopted at open already, so a write before the first read() lands on the adopted
      // entries' seqs (an append of an existing seq overwrites it, as the contract says).
      // The first read() returns these contents unless a write came in between.
      let opened: StorageContents | undefined;
      try {
        opened = await adoptGone();
      } catch (error) {
        db.close();
        writerLock?.release();
        throw error;
      }

      const read: StorageHandle['read'] = () => {
        if (closed) return Promise.reject(storageClosedError('indexeddb', namespace));
        const result = opened ? Promise.resolve(opened) : adoptGone();
        opened = undefined;
        settled = Promise.allSettled([settled, result]);
        return result;
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
                track(tx.objectStore('queues').put(op.data, key(op.queue, op.seq)));
                break;
              case 'update': {
                // Requests run in order, so the count sees every earlier op of this group.
                const store = tx.objectStore('queues');
                if ((await store.count(key(op.queue, op.seq))) > 0) track(store.put(op.data, key(op.queue, op.seq)));
                break;
              }
              case 'remove':
                // One request per run of consecutive seqs: packing 100 events into a request
                // removes 100 seqs in a row, and a delete per seq is what the main thread
                // spent its time on after a burst of records (bench "Browser").
                for (const [from, to] of seqRuns(op.seqs)) {
                  track(tx.objectStore('queues').delete(from === to ? key(op.queue, from) : IDBKeyRange.bound(key(op.queue, from), key(op.queue, to))));
                }
                break;
              case 'clear':
                track(tx.objectStore('queues').delete(writerRange(op.queue, me)));
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
        // Every request is issued: commit now rather than when the page next returns to its
        // event loop, which a page going away (pagehide) may never do.
        try {
          tx.commit();
        } catch {
          // older engines without commit(), or already committing: auto-commit does it
        }
        await Promise.all(requests);
      };

      const handle: StorageHandle = {
        read,
        write(ops) {
          if (closed) return Promise.reject(storageClosedError('indexeddb', namespace));
          const invalid = validateOps(ops);
          if (invalid) return Promise.reject(invalid);
          opened = undefined;
          // An empty group starts no transaction; it still resolves after the writes before it.
          const result = ops.length === 0 ? settled.then(ignore) : apply(ops);
          settled = Promise.allSettled([settled, result]);
          return result;
        },
        claim(key, value) {
          if (closed) return Promise.reject(storageClosedError('indexeddb', namespace));
          // One readwrite transaction: IndexedDB runs those on a store one at a time across
          // every connection of the origin, so two tabs claiming at once agree.
          const result = (async () => {
            const tx = db.transaction('kv', 'readwrite', { durability: 'strict' });
            const held: unknown = await tx.store.get(key);
            const agreed = typeof held === 'string' ? held : value;
            if (typeof held !== 'string') await tx.store.put(value, key);
            await tx.done;
            return agreed;
          })();
          settled = Promise.allSettled([settled, result]);
          return result;
        },
        async close() {
          if (closed) return;
          closed = true;
          await settled;
          db.close();
          // Released last: no tab adopts this writer's entries while a write of it may land.
          writerLock?.release();
        },
      };
      return handle;
    },
  };
}

/** The seqs as runs of consecutive integers `[from, to]`, ascending, each seq once. */
export function seqRuns(seqs: readonly number[]): Array<[number, number]> {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const runs: Array<[number, number]> = [];
  for (const seq of sorted) {
    const last = runs[runs.length - 1];
    if (last && seq === last[1] + 1) last[1] = seq;
    else runs.push([seq, seq]);
  }
  return runs;
}
