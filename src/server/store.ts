/**
 * The recorded-request store of chartly-server: every request in arrival order, the
 * `waitFor` waiters woken on each change, and the query helpers over the records.
 */
import { isObject, summarizeParams, type Params } from './rules.js';
import type { ReceivedRequest, ServerEvent } from './types.js';

interface Waiter {
  check(): void;
  fail(error: Error): void;
}

export interface RequestStore {
  /** The current list (replaced by `reset`). */
  readonly received: ReceivedRequest[];
  /** The id for the next record. */
  nextId(): number;
  add(record: ReceivedRequest): void;
  /** Re-checks every waiter. */
  notify(): void;
  /** Forgets the records (ids keep counting) and re-checks the waiters. */
  reset(): void;
  waitFor(predicate: (r: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Rejects every pending waiter with `error`. */
  failWaiters(error: Error): void;
}

export function createRequestStore(): RequestStore {
  let received: ReceivedRequest[] = [];
  let nextId = 1;
  const waiters = new Set<Waiter>();

  const notify = (): void => {
    for (const waiter of [...waiters]) waiter.check();
  };

  return {
    get received() {
      return received;
    },
    nextId: () => nextId++,
    add: (record) => {
      received.push(record);
      notify();
    },
    notify,
    reset: () => {
      received = [];
      notify();
    },
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise<void>((resolveWait, rejectWait) => {
        const waiter: Waiter = {
          check: () => {
            let done: boolean;
            try {
              done = predicate(received);
            } catch (error) {
              waiter.fail(error instanceof Error ? error : new Error(String(error)));
              return;
            }
            if (!done) return;
            clearTimeout(timer);
            waiters.delete(waiter);
            resolveWait();
          },
          fail: (error) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            rejectWait(error);
          },
        };
        const timer = setTimeout(
          () => waiter.fail(new Error(`waitFor: timed out after ${timeoutMs} ms (${received.length} requests received)`)),
          timeoutMs,
        );
        waiters.add(waiter);
        waiter.check();
      }),
    failWaiters: (error) => {
      for (const waiter of [...waiters]) waiter.fail(error);
    },
  };
}

/** Every event of accepted /i (and /i/bulk item) requests, flattened, in order. */
export function collectEvents(records: readonly ReceivedRequest[]): ServerEvent[] {
  const out: ServerEvent[] = [];
  const take = (params: Params): void => {
    if (params.events === undefined) return;
    const events = JSON.parse(params.events) as Array<Record<string, unknown> & { key: string }>;
    for (const event of events) out.push({ ...event, device_id: params.device_id ?? '' });
  };
  for (const record of records) {
    if (!record.accepted) continue;
    if (record.path === '/i') take(record.params);
    for (const item of record.bulk ?? []) if (item.accepted) take(item.params);
  }
  return out;
}

/** The per-request log line: `#id METHOD path status summary → result`. */
export function formatLine(record: ReceivedRequest): string {
  const status = record.status === 0 ? '---' : String(record.status);
  const summary = summarizeParams(record.params);
  const result = isObject(record.response) && typeof record.response.result === 'string' ? record.response.result : undefined;
  const outcome = record.error ?? result ?? (record.accepted ? 'ok' : '');
  return [`#${record.id}`, record.method, record.path, status, summary, outcome === '' ? '' : `→ ${outcome}`]
    .filter((part) => part !== '')
    .join(' ');
}
