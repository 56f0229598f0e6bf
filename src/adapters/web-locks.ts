/**
 * The part of the Web Locks API (`navigator.locks`) chartly uses: the IndexedDB adapter for
 * tab liveness and adoption (`storage/indexeddb-tabs.ts`), the fetch transport for one send
 * at a time across tabs (`transport/fetch.ts`).
 */
export interface Locks {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
  query(): Promise<{ held?: ReadonlyArray<{ name?: string }>; pending?: ReadonlyArray<{ name?: string }> }>;
}

/** `navigator.locks` when it looks usable, looked up when called; never throws. */
export function findLocks(): Locks | undefined {
  try {
    const locks = (globalThis as { navigator?: { locks?: Partial<Locks> } }).navigator?.locks;
    return locks && typeof locks.request === 'function' && typeof locks.query === 'function' ? (locks as Locks) : undefined;
  } catch {
    return undefined;
  }
}

