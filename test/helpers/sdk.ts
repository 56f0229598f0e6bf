/** Helpers for SDK-level tests: an instance against the local server on a simulated clock. */
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
 * A quiet instance — manual sessions and no behavior-settings download unless told
 * otherwise — so tests see only their own requests.
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
