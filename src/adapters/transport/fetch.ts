import type { Transport, TransportRequest, TransportResult } from '../types.js';

export interface FetchTransportOptions {
  /** The fetch to use; default: the global `fetch`, looked up when a request is sent. */
  fetch?: typeof fetch;
  /** Measures elapsed time; default `Date.now`. Pass the SDK clock's `now` for simulated runs. */
  now?: () => number;
}

/**
 * The default transport: one `fetch` per request, aborted by `AbortSignal.timeout` after the
 * request's timeout. Never rejects: a timeout or a network error is returned as a value.
 */
export function fetchTransport(options: FetchTransportOptions = {}): Transport {
  const now = options.now ?? (() => Date.now());
  return {
    async send(request: TransportRequest): Promise<TransportResult> {
      const started = now();
      const doFetch = options.fetch ?? (globalThis as { fetch?: typeof fetch }).fetch;
      if (!doFetch) {
        return { kind: 'network-error', message: 'no fetch available on this platform', elapsedMs: 0 };
      }
      let signal: AbortSignal | undefined;
      try {
        // Inside the try: a timeout AbortSignal refuses (RangeError) is a failed send, not a throw.
        signal = AbortSignal.timeout(request.timeoutMs);
        const init: RequestInit = { method: request.method, headers: { ...request.headers }, signal };
        if (request.method === 'POST' && request.body !== undefined) init.body = request.body;
        const response = await doFetch(request.url, init);
        const body = await response.text();
        return { kind: 'response', status: response.status, body, elapsedMs: now() - started };
      } catch (error) {
        const elapsedMs = now() - started;
        const name = (error as { name?: string } | null)?.name;
        if (name === 'TimeoutError' || (name === 'AbortError' && signal?.aborted === true)) return { kind: 'timeout', elapsedMs };
        return { kind: 'network-error', message: error instanceof Error ? error.message : String(error), elapsedMs };
      }
    },
  };
}
