/**
 * chartly-server: a local Countly-compatible HTTP server for the SDK's wire tests, the
 * demo and the benchmark. It answers like a real Countly server
 * (/work/shared/spec/server-rules.md), records every request, and fails on demand.
 * Self-contained: node:http and node:crypto only, bound to 127.0.0.1.
 *
 * Parts: types.ts (public shapes), request.ts (URL/body parsing), rules.ts (pure Countly
 * rules), routes.ts (the answers per path), faults.ts (fault injection, reject rule),
 * store.ts (recorded requests, waitFor, events, log line), handler.ts (the HTTP handler).
 * This file wires them and owns the lifecycle.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFaultControl } from './faults.js';
import { createRequestListener } from './handler.js';
import { createRouter } from './routes.js';
import { collectEvents, createRequestStore } from './store.js';
import type { CountlyTestServer, ServerOptions, ServerSettings } from './types.js';

export { checksum256, ZERO_DEVICE_ID } from './rules.js';
export { formatLine } from './store.js';
export type { AppMetricaReceivedRow, AppMetricaSettings } from './appmetrica.js';
export type {
  BulkItem,
  CountlyTestServer,
  Fault,
  ReceivedRequest,
  ServerEvent,
  ServerOptions,
  ServerSettings,
} from './types.js';

const HOST = '127.0.0.1';

export function startServer(options: ServerOptions = {}): Promise<CountlyTestServer> {
  const settings: ServerSettings = { ...options };
  delete (settings as ServerOptions).port;
  delete (settings as ServerOptions).log;

  const store = createRequestStore();
  const faults = createFaultControl();
  const router = createRouter(settings);
  let closed = false;
  const sleepers = new Set<() => void>();

  /** Resolves after `ms`, or at once when the server closes (then answers `false`). */
  const sleep = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve(!closed);
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });

  const server = createServer(
    createRequestListener({ store, faults, router, log: options.log, isClosed: () => closed, sleep }),
  );

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      const url = `http://${HOST}:${port}`;
      resolve({
        url,
        port,
        get received() {
          return store.received;
        },
        accepted: () => store.received.filter((r) => r.accepted),
        events: () => collectEvents(store.received),
        appMetrica: () => router.appMetrica.rows(),
        injectFaults: (...injected) => {
          faults.inject(injected);
        },
        setFault: (fault) => {
          faults.setSticky(fault);
        },
        rejectWhen: (match, answer) => {
          faults.rejectWhen(match, answer);
        },
        configure: (changes) => {
          Object.assign(settings, changes);
        },
        reset: () => {
          faults.reset();
          router.forgetDuplicates();
          router.appMetrica.reset();
          // Last: it wakes the waiters.
          store.reset();
        },
        waitFor: (predicate, timeoutMs) => store.waitFor(predicate, timeoutMs),
        close: () =>
          new Promise<void>((resolveClose) => {
            if (closed) {
              resolveClose();
              return;
            }
            closed = true;
            for (const wake of [...sleepers]) wake();
            store.failWaiters(new Error('waitFor: server closed'));
            server.close(() => resolveClose());
            // Hung and keep-alive connections would hold close() open forever.
            server.closeAllConnections();
          }),
      });
    });
  });
}
