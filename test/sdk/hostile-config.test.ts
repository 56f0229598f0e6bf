/**
 * `createCountly` throws only for an invalid url/appKey: an option whose getter throws, a
 * proxy, or an adapter of the wrong shape is warned about and replaced by its default.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulatedClock } from '../../src/adapters/clock.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { createCountly, init, resetSharedInstance } from '../../src/sdk.js';

const throwing = (key: string) =>
  Object.defineProperty({ url: 'http://127.0.0.1:9', appKey: `hostile-${key}`, storage: memoryStorage(), clock: simulatedClock() }, key, {
    get() {
      throw new Error(`no ${key}`);
    },
    enumerable: true,
  });

describe('createCountly with hostile options', () => {
  for (const key of ['logging', 'logListener', 'clock', 'platform', 'storage', 'transport', 'behaviorSettings', 'inspect']) {
    it(`a throwing ${key} getter is an invalid option, not an exception`, async () => {
      const countly = createCountly(throwing(key) as never);
      await countly.ready;
      expect(countly.getState().status).toBe('ready');
      await countly.shutdown();
    });
  }

  it('adapters of the wrong shape and revoked proxies fall back to the defaults', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const messages: string[] = [];
    const countly = createCountly({
      url: 'http://127.0.0.1:9',
      appKey: 'hostile-shapes',
      clock: { now: 1 } as never,
      platform: proxy as never,
      storage: 42 as never,
      transport: { send: 'no' } as never,
      logListener: (m) => messages.push(m),
    });
    await countly.ready;
    expect(countly.getState().status).toBe('ready');
    for (const name of ['clock', 'platform', 'storage', 'transport']) expect(messages.some((m) => m.includes(`"${name}" must be an object`)), name).toBe(true);
    await countly.shutdown();
  });

  it('init() with a throwing logging getter does not throw', async () => {
    expect(() => init(throwing('logging') as never)).not.toThrow();
    await resetSharedInstance();
  });

  it('property: any values for the runtime options never make createCountly throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ clock: fc.anything(), platform: fc.anything(), transport: fc.anything(), inspect: fc.anything(), behaviorSettings: fc.anything() }, { requiredKeys: [] }), async (options) => {
        const countly = createCountly({ url: 'http://127.0.0.1:9', appKey: 'hostile-prop', storage: memoryStorage(), ...(options as object) } as never);
        await countly.ready;
        await countly.shutdown();
      }),
      { numRuns: 60 },
    );
  });
});

describe('a platform hook that throws a value with no string form', () => {
  it('is logged and costs the hook, never the host: ready resolves', async () => {
    const hostile = Object.create(null) as object;
    const countly = createCountly({
      url: 'http://127.0.0.1:9',
      appKey: 'hostile-throw',
      storage: memoryStorage(),
      clock: simulatedClock(),
      platform: {
        name: 'X',
        metrics: () => ({}),
        urlDeviceId: () => {
          throw hostile;
        },
        isBot: () => {
          throw hostile;
        },
      },
    });
    await expect(countly.ready).resolves.toBeUndefined();
    expect(countly.getState().status).toBe('ready');
    await countly.shutdown();
  });
});
