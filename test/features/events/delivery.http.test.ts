/**
 * Verification issue item 15, over HTTP against the local server: recorded events reach the
 * server without `flush()` — within `sessionUpdateInterval` in manual-session mode, and at
 * boot after a reload. The SDK runs on a simulated clock; only the transport is real.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
import { useLocalServer } from '../../helpers/sdk.js';

const local = useLocalServer();
const sentKeys = () => local.server.events().map((e) => e.key);
const hasEvent = (key: string) => () => local.server.events().some((e) => e.key === key);

describe('events reach the server without flush()', () => {
  it('manual sessions: a recorded event is sent within sessionUpdateInterval', async () => {
    const { countly, clock } = await local.sdk({ manualSessions: true, sessionUpdateInterval: 5 });
    countly.events.record('purchase', { sum: 2.99 });
    expect(countly.getState().queue.events).toBe(1);
    clock.advance(4_999);
    expect(countly.getState().queue.events).toBe(1);
    clock.advance(1);
    expect(countly.getState().queue.events).toBe(0);
    await local.server.waitFor(hasEvent('purchase'));
    expect(sentKeys()).toEqual(['purchase']);
    expect(local.server.events()[0]).toMatchObject({ key: 'purchase', sum: 2.99 });
  });

  it('automatic sessions: recorded events go right before the next session_duration (item 15: 3 updates, no events)', async () => {
    const { countly, clock } = await local.sdk({ manualSessions: false, sessionUpdateInterval: 2 });
    for (const key of ['a', 'b', 'c']) countly.events.record(key);
    expect(countly.getState().queue.events).toBe(3);
    clock.advance(2_000);
    await local.server.waitFor((r) => r.filter((x) => x.accepted && x.params.session_duration).length === 1 && r.some((x) => x.accepted && x.params.events));
    const kinds = local.server
      .accepted()
      .filter((r) => r.path === '/i')
      .map((r) => (r.params.begin_session ? 'begin' : r.params.session_duration ? 'update' : r.params.events ? 'events' : 'other'));
    expect(kinds).toEqual(['begin', 'events', 'update']);
    expect(sentKeys()).toEqual(['a', 'b', 'c']);
  });

  it('events stored before a reload are sent at the next boot', async () => {
    const storage = memoryStorage();
    const first = await local.sdk({ storage });
    first.countly.events.record('before-reload');
    await local.stop(first);
    expect(sentKeys()).toEqual([]);
    await local.sdk({ storage });
    await local.server.waitFor(hasEvent('before-reload'));
    expect(sentKeys()).toEqual(['before-reload']);
  });
});
