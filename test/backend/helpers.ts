/** Helpers for backend tests: a backend on a simulated clock against the local server, its log kept. */
import { afterEach, beforeEach } from 'vitest';
import { simulatedClock, type ManualClock } from '../../src/adapters/clock.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { createBackend } from '../../src/backend/index.js';
import type { BackendConfig, CountlyBackend } from '../../src/backend/types.js';
import type { LogLevel } from '../../src/domain/types.js';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';

export interface TestBackend {
  backend: CountlyBackend;
  clock: ManualClock;
  logs: Array<{ message: string; level: LogLevel }>;
  warnings(): string[];
}

export function makeBackend(url: string, config: Partial<BackendConfig> = {}): TestBackend {
  const clock = (config.clock as ManualClock | undefined) ?? simulatedClock();
  const logs: TestBackend['logs'] = [];
  const backend = createBackend({
    url,
    appKey: 'app-main',
    storage: memoryStorage(),
    clock,
    platform: neutralPlatform(),
    logListener: (message, level) => logs.push({ message, level }),
    ...config,
  });
  return { backend, clock, logs, warnings: () => logs.filter((l) => l.level === 'warning' || l.level === 'error').map((l) => l.message) };
}

/** A fresh server per test; every backend made through `make()` shut down after it. */
export function useBackendServer(): { readonly server: CountlyTestServer; make(config?: Partial<BackendConfig>): Promise<TestBackend> } {
  let server: CountlyTestServer | null = null;
  const open: TestBackend[] = [];
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    for (const b of open.splice(0)) await b.backend.shutdown();
    await server?.close();
    server = null;
  });
  return {
    get server() {
      if (!server) throw new Error('no server outside a test');
      return server;
    },
    async make(config = {}) {
      if (!server) throw new Error('no server outside a test');
      const b = makeBackend(server.url, config);
      open.push(b);
      await b.backend.ready;
      return b;
    },
  };
}

/** The `/i` requests the server accepted, params only, without the send-time `rr`/`checksum256`. */
export function accepted(server: CountlyTestServer): Array<Record<string, string>> {
  return server.received
    .filter((r) => r.path === '/i' && r.accepted)
    .map((r) => {
      const { rr: _rr, checksum256: _c, ...rest } = r.params;
      return rest;
    });
}

export const eventsOf = (params: Record<string, string>): Array<Record<string, unknown>> => JSON.parse(params.events ?? '[]') as Array<Record<string, unknown>>;
