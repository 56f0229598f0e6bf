/**
 * A device ID the platform found in the URL (browser `cly_id`) goes out with `t=3`
 * (server-rules.md: `t` 3 = provided by URL), on this visit and later ones while it is in use;
 * after a change the new ID has its own type.
 */
import { describe, expect, it } from 'vitest';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { useLocalServer } from '../helpers/sdk.js';

describe('URL-provided device ID on the wire', () => {
  const local = useLocalServer();

  it('sends t=3 while the URL ID is in use, across a restart, and the new type after a change', async () => {
    const storage = memoryStorage();
    const first = await local.sdk({ storage, platform: { ...neutralPlatform(), urlDeviceId: () => 'from-url' } });
    first.countly.events.record('a');
    await first.countly.queue.flush();
    await local.stop(first);
    const second = await local.sdk({ storage });
    expect(second.countly.deviceId.get()).toBe('from-url');
    second.countly.events.record('b');
    await second.countly.queue.flush();
    second.countly.deviceId.changeWithoutMerge('chosen');
    second.countly.events.record('c');
    await second.countly.queue.flush();
    const sent = local.server.accepted().filter((r) => r.params.events);
    expect(sent.map((r) => [r.params.device_id, r.params.t])).toEqual([
      ['from-url', '3'],
      ['from-url', '3'],
      ['chosen', '0'],
    ]);
  });
});
