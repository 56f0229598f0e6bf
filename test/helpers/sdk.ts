/** Helpers for SDK-level tests: an instance against the local server on a simulated clock. */
import { afterEach, beforeEach } from 'vitest';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';
import { createCountly } from '../../src/sdk.js';
import { simulatedClock, type ManualClock } from '../../src/adapters/clock.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import type { StorageAdapter } from '../../src/adapters/types.js';
import type { Countly, CountlyConfig } from '../../src/types.js';
import type { LogLevel } from '../../src/domain/types.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';

export interface TestSdk {
  countly: Countly;
  clock: ManualClock;
  storage: StorageAdapter;
  logs: Array<{ message: string; level: LogLevel }>;
  warnings(): string[];
}

/**
 * A quiet instance — manual sessions, no behavior-settings download and no health-check
 * report unless told otherwise — so tests see only their own requests.
 */
export async function makeSdk(url: string, config: Partial<CountlyConfig> = {}): Promise<TestSdk> {
  const clock = (config.clock as ManualClock | undefined) ?? simulatedClock();
  const storage = config.storage ?? memoryStorage();
  const logs: TestSdk['logs'] = [];
  const countly = createCountly({
    url,
    appKey: 'test-app-key',
    storage,
    clock,
    platform: neutralPlatform(),
    manualSessions: true,
    disableBehaviorSettingsUpdates: true,
    disableHealthCheck: true,
    logListener: (message, level) => logs.push({ message, level }),
    ...config,
  });
  await countly.ready;
  return {
    countly,
    clock,
    storage,
    logs,
    warnings: () => logs.filter((l) => l.level === 'warning' || l.level === 'error').map((l) => l.message),
  };
}

/** A URL where nothing listens (connections are refused at once). */
export const DEAD_URL = 'http://127.0.0.1:9';

/**
 * A fresh local Countly-compatible server for each test, and every instance made through
 * `sdk()` shut down after it. Call at the top of a test file or `describe`.
 */
export function useLocalServer(): {
  readonly server: CountlyTestServer;
  sdk(config?: Partial<CountlyConfig>): Promise<TestSdk>;
  /** Shuts an instance down now and forgets it (a restart test's first run). */
  stop(s: TestSdk): Promise<void>;
} {
  let server: CountlyTestServer | null = null;
  const open: TestSdk[] = [];
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.countly.shutdown();
    await server?.close();
    server = null;
  });
  return {
    get server() {
      if (!server) throw new Error('useLocalServer: no server outside a test');
      return server;
    },
    async sdk(config = {}) {
      if (!server) throw new Error('useLocalServer: no server outside a test');
      const s = await makeSdk(server.url, config);
      open.push(s);
      return s;
    },
    async stop(s) {
      const i = open.indexOf(s);
      if (i >= 0) open.splice(i, 1);
      await s.countly.shutdown();
    },
  };
}
