import type { Transport, TransportRequest, TransportResult } from '../types.js';
import { findLocks, type Locks } from '../web-locks.js';

export interface FetchTransportOptions {
  /** The fetch to use; default: the global `fetch`, looked up when a request is sent. */
  fetch?: typeof fetch;
  /** Measures elapsed time; default `Date.now`. Pass the SDK clock's `now` for simulated runs. */
  now?: () => number;
  /**
   * Sends with `keepalive: true` whenever the body fits the browser's keepalive budget, so a
   * request in flight when the page goes away still arrives. Default: on where there is a
   * `document` (a page), off elsewhere.
   */
  keepalive?: boolean;
  /** `navigator.sendBeacon` by default, looked up at the moment of use; `sendOnExit` falls back to it. */
  sendBeacon?: (url: string, data: Blob) => boolean;
  /**
   * One send at a time per server across the tabs of an origin: each send holds the Web Lock
   * `chartly-send:<server origin>` while it is in flight, so the server never gets two
   * requests of one device at once. A lock not granted within `sendLockWaitMs` (a tab stuck
   * in a long send, a broken lock manager) does not stop the send. Default: on where
   * `navigator.locks` exists in a page.
   */
  exclusive?: boolean;
  /** How long a send waits for the lock before it goes anyway; default 2,000 ms. */
  sendLockWaitMs?: number;
  /** The lock manager; default `navigator.locks`, looked up per send. */
  locks?: Locks;
}

/** The Web Lock every tab's sends to one server share. */
export const sendLockName = (url: string): string => {
  try {
    return `chartly-send:${new URL(url).origin}`;
  } catch {
    return 'chartly-send:';
  }
};

/**
 * Runs `send` under the exclusive lock `name`, or without it when the lock manager refuses or
 * does not grant it within `waitMs`. Never rejects when `send` does not.
 */
function underSendLock<T>(locks: Locks, name: string, waitMs: number, send: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve) => {
    let started: Promise<T> | null = null;
    const start = (): Promise<T> => {
      if (!started) {
        started = send();
        void started.then(resolve);
      }
      return started;
    };
    const timer = setTimeout(start, waitMs);
    const unlocked = (): void => {
      clearTimeout(timer);
      void start();
    };
    try {
      // Granted after giving up: the send already went; the lock is given back at once.
      locks.request(name, () => (clearTimeout(timer), started ? Promise.resolve() : start().then(() => undefined))).catch(unlocked);
    } catch {
      unlocked();
    }
  });
}

/**
 * Fetch's keepalive budget: the bodies of a page's keepalive requests in flight together may
 * not exceed 64 KiB (Fetch standard, "keepalive"); a request over it is refused.
 */
export const KEEPALIVE_BUDGET_BYTES = 65_536;

const FORM = 'application/x-www-form-urlencoded';

interface Globals {
  fetch?: typeof fetch;
  document?: unknown;
  navigator?: { onLine?: boolean; sendBeacon?: (url: string, data: Blob) => boolean };
}
const globals = (): Globals => globalThis as unknown as Globals;

/** UTF-8 bytes of the body: its length for the urlencoded (ASCII) bodies the SDK sends, a Blob's size otherwise. */
function bytesOf(request: TransportRequest): number {
  const body = request.body;
  if (body === undefined) return 0;
  for (let i = 0; i < body.length; i++) if (body.charCodeAt(i) > 0x7f) return new Blob([body]).size;
  return body.length;
}

/** Only a request a beacon or a header-less keepalive fetch can carry as is: no custom header to lose. */
const plain = (request: TransportRequest): boolean => Object.keys(request.headers).every((h) => h.toLowerCase() === 'content-type');

/**
 * The default transport: one `fetch` per request, aborted by `AbortSignal.timeout` after the
 * request's timeout. Never rejects: a timeout or a network error is returned as a value.
 * In a page it also carries the queue out when the page goes away (`sendOnExit`).
 */
export function fetchTransport(options: FetchTransportOptions = {}): Transport {
  const now = options.now ?? (() => Date.now());
  const keepalive = options.keepalive ?? typeof globals().document === 'object';
  const exclusive = options.exclusive ?? typeof globals().document === 'object';
  const sendLockWaitMs = options.sendLockWaitMs ?? 2000;
  /** Keepalive requests in flight and their body bytes: the budget they use. */
  const outliving = new Map<TransportRequest, number>();
  let used = 0;
  const lookupFetch = (): typeof fetch | undefined => options.fetch ?? globals().fetch;
  /** Reserves budget for a keepalive send; false when it does not fit. */
  const reserve = (request: TransportRequest): boolean => {
    const bytes = bytesOf(request);
    if (used + bytes > KEEPALIVE_BUDGET_BYTES) return false;
    used += bytes;
    outliving.set(request, bytes);
    return true;
  };
  const release = (request: TransportRequest): void => {
    used -= outliving.get(request) ?? 0;
    outliving.delete(request);
  };
  const initOf = (request: TransportRequest): RequestInit => {
    const init: RequestInit = { method: request.method, headers: { ...request.headers } };
    if (request.method === 'POST' && request.body !== undefined) init.body = request.body;
    return init;
  };

  /** One fetch, keepalive while the budget allows; every failure a value. */
  async function sendNow(request: TransportRequest): Promise<TransportResult> {
    const started = now();
    const doFetch = lookupFetch();
    if (!doFetch) {
      return { kind: 'network-error', message: 'no fetch available on this platform', elapsedMs: 0 };
    }
    let signal: AbortSignal | undefined;
    const outlives = keepalive && reserve(request);
    try {
      // Inside the try: a timeout AbortSignal refuses (RangeError) is a failed send, not a throw.
      signal = AbortSignal.timeout(request.timeoutMs);
      const init: RequestInit = { ...initOf(request), signal };
      if (outlives) init.keepalive = true;
      const response = await doFetch(request.url, init);
      const body = await response.text();
      return { kind: 'response', status: response.status, body, elapsedMs: now() - started };
    } catch (error) {
      const elapsedMs = now() - started;
      const name = (error as { name?: string } | null)?.name;
      if (name === 'TimeoutError' || (name === 'AbortError' && signal?.aborted === true)) return { kind: 'timeout', elapsedMs };
      return { kind: 'network-error', message: error instanceof Error ? error.message : String(error), elapsedMs };
    } finally {
      if (outlives) release(request);
    }
  }

  const transport: Transport = {
    send(request: TransportRequest): Promise<TransportResult> {
      const locks = exclusive ? (options.locks ?? findLocks()) : undefined;
      return locks ? underSendLock(locks, sendLockName(request.url), sendLockWaitMs, () => sendNow(request)) : sendNow(request);
    },
    sendOnExit(requests: readonly TransportRequest[]): number {
      // Offline: nothing would arrive, and what is handed over counts as sent. Keep it queued.
      if (globals().navigator?.onLine === false) return 0;
      const doFetch = lookupFetch();
      let accepted = 0;
      for (const request of requests) {
        // Already on its way with keepalive: it outlives the page; a second copy would be a duplicate.
        if (outliving.has(request)) {
          accepted++;
          continue;
        }
        if (!plain(request) || !handOver(request)) break;
        accepted++;
      }
      return accepted;

      function handOver(request: TransportRequest): boolean {
        try {
          if (doFetch && reserve(request)) {
            // Nobody will read the answer: the page is going away. A page that stays (the
            // back/forward cache) releases the budget when it settles.
            void doFetch(request.url, { ...initOf(request), keepalive: true }).then(
              () => release(request),
              () => release(request),
            );
            return true;
          }
          const beacon = options.sendBeacon ?? globals().navigator?.sendBeacon?.bind(globals().navigator);
          if (!beacon) return false;
          // A beacon is a POST: a GET's query travels as its urlencoded body instead.
          const [url, query] = request.method === 'GET' ? splitQuery(request.url) : [request.url, request.body ?? ''];
          return beacon(url, new Blob([query], { type: FORM })) === true;
        } catch {
          release(request);
          return false;
        }
      }
    },
  };
  return transport;
}

function splitQuery(url: string): [string, string] {
  const at = url.indexOf('?');
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at + 1)];
}
