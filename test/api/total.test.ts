/**
 * The SDK never breaks the host app: every public method of an instance and of a backend,
 * called with anything (wrong types, null-prototype objects, throwing getters and proxies,
 * huge strings, functions), returns without throwing, a returned promise never rejects, and
 * the instance keeps working afterwards (a record still reaches the server).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../../src/backend/index.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { simulatedClock } from '../../src/adapters/clock.js';
import { UNFORESEEN } from '../../src/runtime/guard-api.js';
import { useLocalServer } from '../helpers/sdk.js';

/** Values a careless or hostile host may pass. */
const hostile = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.anything(),
    fc.constantFrom(
      null,
      undefined,
      Number.NaN,
      -1,
      1e309,
      '',
      'x'.repeat(5000),
      Symbol('s'),
      10n,
      () => {
        throw new Error('callback boom');
      },
      Object.create(null) as object,
      new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); } }),
      Object.defineProperty({}, 'key', { enumerable: true, get: () => { throw new Error('getter'); } }),
      [1, { a: () => 1 }],
      { nps: 1, type: 'nps', id: 'w', name: 'n', tags: ['t'] },
    ),
  );

/** `[path, fn]` for every function reachable from the object's namespaces (one level of nesting more: `remoteConfig.testing`). */
function methodsOf(root: object, skip: ReadonlySet<string>): Array<[string, (...args: unknown[]) => unknown]> {
  const out: Array<[string, (...args: unknown[]) => unknown]> = [];
  const walk = (obj: object, prefix: string, depth: number): void => {
    for (const [key, value] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (skip.has(path)) continue;
      if (typeof value === 'function') out.push([path, value as (...args: unknown[]) => unknown]);
      else if (value !== null && typeof value === 'object' && depth < 2 && key !== 'actors') walk(value as object, path, depth + 1);
    }
  };
  walk(root, '', 0);
  return out;
}

async function settle(result: unknown): Promise<void> {
  if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') await (result as Promise<unknown>);
}

/**
 * Calls random methods with random arguments; returns what threw or rejected as
 * `path: error` lines (collected, not asserted inside: a hostile argument cannot be printed).
 */
async function callAll(methods: Array<[string, (...args: unknown[]) => unknown]>, runs: number): Promise<string[]> {
  const failures: string[] = [];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...methods), fc.array(hostile(), { maxLength: 4 }), async ([path, fn], args) => {
      try {
        await settle(fn(...args));
      } catch (error) {
        failures.push(`${path}: ${String(error)}`);
      }
    }),
    { numRuns: runs },
  );
  return [...new Set(failures)];
}

describe('every public method is total', () => {
  const local = useLocalServer();

  it('instance: any arguments to any method; nothing throws or rejects, and the instance still works', async () => {
    const s = await local.sdk({ consent: 'all', requiresConsent: false });
    const skip = new Set(['shutdown', 'state$', 'ready', 'queue.flushQueues']);
    const methods = methodsOf(s.countly, skip);
    expect(methods.map(([p]) => p)).toEqual(expect.arrayContaining(['remoteConfig.downloadAll', 'remoteConfig.testing.enrollIntoVariant', 'feedback.presentNps', 'content.enterZone', 'events.record']));
    const failures = await callAll(methods, Number(process.env.TOTAL_RUNS ?? 300));
    expect(failures).toEqual([]);
    // The last safety net (runtime/guard-api.ts) was never needed: each method validated its arguments itself.
    expect(s.logs.filter((l) => l.message.includes(UNFORESEEN)).map((l) => l.message)).toEqual([]);
    // Random calls may legitimately have changed the state (offline mode, consent, server URL): back to sending.
    s.countly.setServerUrl(local.server.url);
    s.countly.disableOfflineMode('dev-after');
    s.countly.consent.giveAll();
    s.countly.events.record('still-works');
    await s.countly.queue.flush();
    expect(local.server.events().some((e) => e.key === 'still-works')).toBe(true);
  }, 60_000);

  it('backend: any arguments to any method; nothing throws or rejects, and it still delivers', async () => {
    const backend = createBackend({ url: local.server.url, appKey: 'total', storage: memoryStorage(), clock: simulatedClock() });
    const methods = methodsOf(backend, new Set(['shutdown', 'ready']));
    expect(methods.map(([p]) => p)).toEqual(expect.arrayContaining(['recordEvent', 'recordUserProperties', 'recordException', 'beginSession', 'updateSession', 'endSession', 'startView', 'stopView', 'changeDeviceIdWithMerge', 'recordDirectRequest', 'flush']));
    const failures = await callAll(methods, Number(process.env.TOTAL_RUNS ?? 300));
    expect(failures).toEqual([]);
    backend.recordEvent('dev-ok', 'still-works');
    await backend.flush();
    expect(local.server.events().some((e) => e.key === 'still-works' && e.device_id === 'dev-ok')).toBe(true);
    await backend.shutdown();
  }, 60_000);
});
