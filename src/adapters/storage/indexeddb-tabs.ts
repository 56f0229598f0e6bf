/**
 * Many tabs on one IndexedDB database (issue 11, "Many tabs, one SDK").
 *
 * Every handle (one per tab and app key) is a writer with a random id; its queue entries are
 * keyed [queue, writer, seq], so tabs never overwrite each other. While open, a handle holds
 * the Web Lock `chartly-writer:<db>:<writer>`; the browser drops it when the tab goes away,
 * however it goes. At `read()` (boot) a handle takes `chartly-adopt:<db>`, asks the lock
 * manager which writers still live, and adopts the entries of every other writer in one
 * transaction: re-keyed under its own id, so they are sent by exactly one tab. Entries of live
 * writers stay where they are: their own tab sends them.
 *
 * Without Web Locks (old browsers, insecure origins, a blocked API, Node) every other writer
 * counts as gone: the adapter behaves as the single-tab adapter it was, minus key collisions.
 */
import type { QueueName } from '../types.js';
import { isValid, LEGACY_WRITER, type QueueKey } from './indexeddb-schema.js';

import { findLocks, type Locks } from '../web-locks.js';

export { findLocks, type Locks };

/** A writer id: `crypto.randomUUID()` where offered (secure contexts), else 128 random bits. */
export function newWriterId(): string {
  const c = (globalThis as { crypto?: Partial<Crypto> }).crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export const writerLockName = (db: string, writer: string): string => `chartly-writer:${db}:${writer}`;
export const adoptLockName = (db: string): string => `chartly-adopt:${db}`;

/**
 * Takes the exclusive lock `name` and keeps it until `release()`. Resolves once granted;
 * `undefined` when the lock manager refuses, throws, or does not grant within `waitMs` (a
 * fresh lock name is granted at once, so a lock manager that keeps it waiting is broken). The
 * handle then looks dead to other tabs: they may adopt its entries, the single-tab behaviour.
 * A grant that comes after giving up is released at once.
 */
export async function holdLock(locks: Locks, name: string, waitMs = Number.POSITIVE_INFINITY): Promise<{ release(): void } | undefined> {
  let release = (): void => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((granted, refused) => {
      if (Number.isFinite(waitMs)) timer = setTimeout(() => refused(new Error('not granted in time')), waitMs);
      locks.request(name, () => (granted(), held)).catch(refused);
    });
    return { release };
  } catch {
    release();
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `fn` under the exclusive lock `name`. When the lock cannot be taken at all, runs
 * `fallback` instead; an error of `fn` itself is passed on.
 */
export async function underLock<T>(
  locks: Locks,
  name: string,
  fn: () => Promise<T>,
  fallback: () => Promise<T>,
  wait?: { ms: number; timedOut: () => Promise<T> },
): Promise<T> {
  let ran = false;
  let gaveUp = false;
  const locked = (async () => {
    try {
      // A grant that comes after we gave up runs nothing: the boot went on without it.
      return { value: (await locks.request(name, () => (gaveUp ? Promise.resolve(undefined) : ((ran = true), fn())))) as T };
    } catch (error) {
      if (ran) throw error;
      return { value: await fallback() };
    }
  })();
  if (wait === undefined) return (await locked).value;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), wait.ms)));
  const first = await Promise.race([locked, expired]);
  clearTimeout(timer);
  if (first !== 'expired') return first.value;
  gaveUp = true;
  // Granted at the very same moment: its result stands.
  if (ran) return (await locked).value;
  return wait.timedOut();
}

/** The writers of database `db` whose lock is held (or asked for) in any tab of the origin. */
export async function liveWriters(locks: Locks, db: string): Promise<Set<string>> {
  const prefix = writerLockName(db, '');
  const { held = [], pending = [] } = await locks.query();
  const live = new Set<string>();
  for (const { name } of [...held, ...pending]) {
    if (typeof name === 'string' && name.startsWith(prefix)) live.add(name.slice(prefix.length));
  }
  return live;
}

export interface AdoptionPlan {
  /** This writer's entries after adoption, by queue: what `read()` returns. */
  own: Map<QueueName, Map<number, string>>;
  /** Entries of gone writers: deleted at `from`, put at `to` (this writer's key). */
  moves: Array<{ from: QueueKey; to: QueueKey; data: string }>;
  /** Records this adapter did not write. */
  corrupt: IDBValidKey[];
}

/**
 * Which queue entries `me` owns and adopts. `alive` says whether another writer still lives
 * (`legacy` never does). Adopted entries of a queue are ordered by seq, then writer id (each
 * writer's own order is kept; writers interleave by seq), and numbered above this writer's
 * own entries, keeping their seq where it is free: a single gone writer's entries keep their
 * numbers, so a reopened handle reads back exactly what the last one wrote.
 */
export function planAdoption(keys: readonly IDBValidKey[], values: readonly unknown[], me: string, alive: (writer: string) => boolean): AdoptionPlan {
  const own = new Map<QueueName, Map<number, string>>();
  const orphans = new Map<QueueName, Array<{ key: QueueKey; data: string }>>();
  const corrupt: IDBValidKey[] = [];
  const ownQueue = (queue: QueueName): Map<number, string> => {
    let entries = own.get(queue);
    if (!entries) own.set(queue, (entries = new Map()));
    return entries;
  };
  keys.forEach((key, i) => {
    const data = values[i];
    if (!isValid('queues', key, data)) return void corrupt.push(key);
    const [queue, writer, seq] = key as QueueKey;
    if (writer === me) ownQueue(queue).set(seq, data as string);
    else if (writer === LEGACY_WRITER || !alive(writer)) {
      let list = orphans.get(queue);
      if (!list) orphans.set(queue, (list = []));
      list.push({ key: key as QueueKey, data: data as string });
    }
  });
  const moves: AdoptionPlan['moves'] = [];
  for (const [queue, list] of orphans) {
    list.sort((a, b) => a.key[2] - b.key[2] || (a.key[1] < b.key[1] ? -1 : a.key[1] > b.key[1] ? 1 : 0));
    const entries = ownQueue(queue);
    let last = -Infinity;
    for (const seq of entries.keys()) if (seq > last) last = seq;
    for (const { key, data } of list) {
      const seq = Math.max(key[2], last + 1);
      last = seq;
      entries.set(seq, data);
      moves.push({ from: key, to: [queue, me, seq], data });
    }
  }
  return { own, moves, corrupt };
}
