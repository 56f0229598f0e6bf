/**
 * The IndexedDB schema of `indexedDbStorage`: opening a database and upgrading older layouts,
 * and which records are valid.
 *
 * Version 3 (now): two stores, `kv` (key → value) and `queues` ([queue, writer, seq] → data).
 * `writer` is the id of the handle (the tab) that wrote the entry, so tabs of one origin never
 * write the same key (see `indexeddb-tabs.ts`). Version 2 keyed queues by [queue, seq];
 * version 1 had one store per queue (`requests`, `events`). Their entries move to the writer
 * `legacy` (owned by no live handle: the next boot adopts them), inside the upgrade
 * transaction, so the move is all or nothing.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { QueueName } from '../types.js';
import { isQueueName } from './memory.js';

/** [queue, writer, seq]. */
export type QueueKey = [QueueName, string, number];

/** Keys and values as they may be found, not only as written: `read` checks every record. */
export interface ChartlyDb extends DBSchema {
  kv: { key: IDBValidKey; value: unknown };
  queues: { key: IDBValidKey; value: unknown };
}

export type StoreName = 'kv' | 'queues';
export const STORES: readonly StoreName[] = ['kv', 'queues'];
export const VERSION = 3;
/** The writer of entries from before version 3: never alive, adopted by the next boot. */
export const LEGACY_WRITER = 'legacy';
/** The stores of version 1, one per queue, named after the queue. */
const V1_QUEUE_STORES = ['requests', 'events'];

export function resolveFactory(injected: IDBFactory | undefined): IDBFactory {
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
 * Moves the entries of version 1's per-queue stores into `queues` under the legacy writer,
 * values exactly as they were (records of the wrong type included: `read` counts and removes
 * them like any other), then drops the old stores. Runs inside the upgrade transaction.
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
      keys.result.forEach((key, i) => queues.put(values.result[i], [name, LEGACY_WRITER, key]));
      db.deleteObjectStore(name);
    };
  }
}

/** Moves version 2's [queue, seq] entries to [queue, 'legacy', seq]; other keys stay (and count as corrupt). */
function migrateV2(tx: IDBTransaction): void {
  const queues = tx.objectStore('queues');
  const keys = queues.getAllKeys();
  const values = queues.getAll();
  values.onsuccess = () => {
    keys.result.forEach((key, i) => {
      if (!Array.isArray(key) || key.length !== 2) return;
      queues.delete(key);
      queues.put(values.result[i], [key[0] as IDBValidKey, LEGACY_WRITER, key[1] as IDBValidKey]);
    });
  };
}

export async function openDatabase(factory: IDBFactory, name: string): Promise<IDBPDatabase<ChartlyDb>> {
  const request = factory.open(name, VERSION);
  request.onupgradeneeded = (event) => {
    const db = request.result;
    const tx = request.transaction;
    for (const store of STORES) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
    if (!tx) return;
    if (event.oldVersion === 2) migrateV2(tx);
    else migrateV1(db, tx);
  };
  const db = (await wrap(request)) as IDBPDatabase<ChartlyDb> | undefined;
  if (!db) throw new Error(`indexeddb storage: could not open database "${name}"`);
  // Let a future schema upgrade (another tab, a newer version) proceed instead of blocking it;
  // writes on this connection then reject and the SDK logs them.
  db.addEventListener('versionchange', () => db.close());
  return db;
}

export const isQueueKey = (key: unknown): key is QueueKey =>
  Array.isArray(key) && key.length === 3 && isQueueName(key[0]) && typeof key[1] === 'string' && key[1] !== '' && Number.isSafeInteger(key[2]);

/** Whether a record is one this adapter writes; anything else is counted and removed. */
export function isValid(store: StoreName, key: unknown, value: unknown): boolean {
  return typeof value === 'string' && (store === 'kv' ? typeof key === 'string' : isQueueKey(key));
}

/**
 * Every key one writer holds in one queue, whatever its seq: from `[queue, writer]` (below
 * any `[queue, writer, x]`) to `[queue, writer, []]` (an array sorts above every number and
 * string). Looked up when called, so importing this module touches no browser global.
 */
export const writerRange = (queue: QueueName, writer: string): IDBKeyRange => IDBKeyRange.bound([queue, writer], [queue, writer, []]);
