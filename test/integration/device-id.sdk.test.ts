/**
 * The device ID across restarts, on the wire: a real SDK instance against the local
 * server, the same storage handed to the next instance (spec: Device ID Management >
 * Storage; the init truth table; Offline Mode).
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import type { StorageAdapter } from '../../src/adapters/types.js';
import { TEMPORARY_DEVICE_ID } from '../../src/domain/types.js';
import type { CountlyConfig } from '../../src/types.js';
import { useLocalServer, type TestSdk } from '../helpers/sdk.js';

const local = useLocalServer();
const sdk = (storage: StorageAdapter, config: Partial<CountlyConfig> = {}): Promise<TestSdk> => local.sdk({ storage, ...config });

async function restart(s: TestSdk, config: Partial<CountlyConfig> = {}): Promise<TestSdk> {
  await local.stop(s);
  return sdk(s.storage, config);
}

const dataRequests = () => local.server.received.filter((r) => r.path === '/i');

describe('device ID across restarts', () => {
  it('a generated ID is a UUID v4, persisted and used again; a config ID does not replace it', async () => {
    const first = await sdk(memoryStorage());
    const id = first.countly.deviceId.get();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.countly.deviceId.type()).toBe('SDK_GENERATED');
    const second = await restart(first, { deviceId: 'config-id' });
    expect(second.countly.deviceId.get()).toBe(id);
    expect(second.countly.deviceId.type()).toBe('SDK_GENERATED');
    expect(second.countly.getState()).toMatchObject({ deviceId: id, deviceIdType: 'SDK_GENERATED', offline: false });
  });

  it('clearStoredDeviceId acquires anew; what the old ID queued still goes out under it', async () => {
    // The server is down during the first run: its request stays queued.
    local.server.setFault({ kind: 'status', status: 503 });
    const first = await sdk(memoryStorage(), { deviceId: 'old-user' });
    first.countly.sessions.begin();
    await first.countly.queue.flush();
    local.server.setFault(null);
    local.server.reset();
    const second = await restart(first, { deviceId: 'new-user', clearStoredDeviceId: true });
    expect(second.countly.deviceId.get()).toBe('new-user');
    second.countly.sessions.begin();
    await second.countly.queue.flush();
    expect(dataRequests().map((r) => [r.params.begin_session, r.params.device_id])).toEqual([
      ['1', 'old-user'],
      ['1', 'new-user'],
    ]);
  });

  it('clearStoredDeviceId: events the old ID recorded but never batched still go out under it', async () => {
    const first = await sdk(memoryStorage(), { deviceId: 'old-user' });
    first.countly.events.record('before-clear');
    expect(first.countly.getState().queue.events).toBe(1);
    const second = await restart(first, { deviceId: 'new-user', clearStoredDeviceId: true });
    second.countly.events.record('after-clear');
    await second.countly.queue.flush();
    const sent = dataRequests()
      .filter((r) => r.params.events)
      .map((r) => [r.params.device_id, (JSON.parse(r.params.events!) as Array<{ key: string }>).map((e) => e.key)]);
    expect(sent).toEqual([
      ['old-user', ['before-clear']],
      ['new-user', ['after-clear']],
    ]);
  });

  it('temporary mode survives a restart; a config ID at the next init exits it and the offline data goes out under it', async () => {
    const first = await sdk(memoryStorage(), { temporaryDeviceId: true });
    first.countly.sessions.begin();
    first.countly.location.set({ gps: '1,2' });
    await first.countly.queue.flush();
    expect(dataRequests()).toEqual([]);
    const second = await restart(first);
    expect(second.countly.deviceId.get()).toBe(TEMPORARY_DEVICE_ID);
    expect(second.countly.getState().offline).toBe(true);
    await second.countly.queue.flush();
    expect(dataRequests()).toEqual([]);
    const third = await restart(second, { deviceId: 'known-user' });
    expect(third.countly.deviceId.type()).toBe('DEVELOPER_SUPPLIED');
    await third.countly.queue.flush();
    expect(dataRequests().map((r) => r.params.device_id)).toEqual(['known-user', 'known-user']);
    // The device ID type travels with the ID: `t` is 0 (developer supplied), no longer 2.
    expect(dataRequests().map((r) => r.params.t)).toEqual(['0', '0']);
    expect(local.server.received.some((r) => JSON.stringify(r.params).includes(TEMPORARY_DEVICE_ID))).toBe(false);
  });

  it('clearStoredDeviceId over a stored temporary ID drops the offline events too; leaving temporary mode sends them', async () => {
    const first = await sdk(memoryStorage(), { temporaryDeviceId: true });
    first.countly.events.record('offline-evt');
    const second = await restart(first, { clearStoredDeviceId: true });
    expect(second.countly.getState().queue.events).toBe(0);
    second.countly.events.record('new-evt');
    await second.countly.queue.flush();
    expect(local.server.events().map((e) => e.key)).toEqual(['new-evt']);

    const storage = memoryStorage();
    const a = await sdk(storage, { temporaryDeviceId: true });
    a.countly.events.record('kept-offline');
    const b = await restart(a, { deviceId: 'real-user' });
    await b.countly.queue.flush();
    const sent = local.server.accepted().filter((r) => r.params.events?.includes('kept-offline'));
    expect(sent.map((r) => r.params.device_id)).toEqual(['real-user']);
  });

  it('clearStoredDeviceId over a stored temporary ID drops the orphaned offline data', async () => {
    const first = await sdk(memoryStorage(), { temporaryDeviceId: true });
    first.countly.sessions.begin();
    const second = await restart(first, { clearStoredDeviceId: true });
    expect(second.countly.deviceId.type()).toBe('SDK_GENERATED');
    await second.countly.queue.flush();
    expect(dataRequests()).toEqual([]);
  });

  it('changeWithoutMerge ends the session under the old ID and begins one under the new ID (automatic sessions)', async () => {
    const { countly } = await sdk(memoryStorage(), {
      deviceId: 'a',
      manualSessions: false,
      platform: { ...neutralPlatform(), isForeground: () => false },
    });
    countly.lifecycle.foreground();
    countly.events.record('before');
    countly.deviceId.changeWithoutMerge('b');
    countly.events.record('after');
    await countly.queue.flush();
    const summary = dataRequests().map((r) => {
      const kind = r.params.begin_session ? 'begin' : r.params.end_session ? 'end' : r.params.events ? `events ${JSON.parse(r.params.events).map((e: { key: string }) => e.key).join(',')}` : 'other';
      return `${kind} @${r.params.device_id}`;
    });
    expect(summary).toEqual(['begin @a', 'events before @a', 'end @a', 'begin @b', 'events after @b']);
  });

  it('an invalid device ID is warned about and ignored', async () => {
    const s = await sdk(memoryStorage(), { deviceId: 'a' });
    s.countly.deviceId.set('');
    s.countly.deviceId.changeWithMerge(null as unknown as string);
    expect(s.countly.deviceId.get()).toBe('a');
    expect(s.warnings()).toEqual([
      '[Countly] [DeviceId] set, device ID must be a non-empty string, got []; call ignored',
      '[Countly] [DeviceId] changeWithMerge, device ID must be a non-empty string, got [null]; call ignored',
    ]);
  });
});
