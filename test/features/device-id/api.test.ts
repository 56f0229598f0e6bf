/** `countly.deviceId` and the offline functions: validation, logging, the events sent, the reads. */
import { describe, expect, it } from 'vitest';
import { createDeviceIdApi, createOfflineApi } from '../../../src/features/device-id/api.js';
import { TEMPORARY_DEVICE_ID } from '../../../src/domain/types.js';
import { instantAt } from '../../../src/protocol/time.js';
import { fakeContext, T0 } from '../identity-context.js';
import { forFeature } from '../../../src/runtime/api-context.js';
import { deviceIdFeature } from '../../../src/features/device-id/index.js';

describe('deviceId API', () => {
  it('sends set / changeWithMerge / changeWithoutMerge with the moment, and logs each call', () => {
    const f = fakeContext();
    const api = createDeviceIdApi(forFeature(f.ctx, deviceIdFeature));
    api.set('a');
    api.changeWithMerge('b');
    api.changeWithoutMerge('c');
    api.enableTemporaryIdMode();
    expect(f.take()).toEqual([
      { type: 'deviceId.set', id: 'a', at: instantAt(T0) },
      { type: 'deviceId.changeWithMerge', id: 'b', at: instantAt(T0) },
      { type: 'deviceId.changeWithoutMerge', id: 'c', at: instantAt(T0) },
      { type: 'deviceId.enterTemporaryMode', fn: 'enableTemporaryIdMode', at: instantAt(T0) },
    ]);
    expect(f.logs).toEqual([
      'info: [Countly] [DeviceId] set, device ID [a]',
      'info: [Countly] [DeviceId] changeWithMerge, device ID [b]',
      'info: [Countly] [DeviceId] changeWithoutMerge, device ID [c]',
      'info: [Countly] [DeviceId] enableTemporaryIdMode, entering temporary ID mode',
    ]);
  });

  it('warns about invalid IDs, names the function, ignores the call and never throws', () => {
    const f = fakeContext();
    const api = createDeviceIdApi(forFeature(f.ctx, deviceIdFeature));
    const bad: unknown[] = [null, undefined, '', '   ', 42, {}, ['a']];
    for (const id of bad) {
      expect(() => api.set(id as string)).not.toThrow();
      expect(() => api.changeWithMerge(id as string)).not.toThrow();
      expect(() => api.changeWithoutMerge(id as string)).not.toThrow();
    }
    expect(f.take()).toEqual([]);
    expect(f.logs).toHaveLength(bad.length * 3);
    expect(f.logs[0]).toBe('warning: [Countly] [DeviceId] set, device ID must be a non-empty string, got [null]; call ignored');
    expect(f.logs[2]).toBe('warning: [Countly] [DeviceId] changeWithoutMerge, device ID must be a non-empty string, got [null]; call ignored');
  });

  it('get() and type() read the machine, and log the call with what they return (spec: Logging, line 194)', () => {
    const f = fakeContext({ deviceId: 'dev' });
    const api = createDeviceIdApi(forFeature(f.ctx, deviceIdFeature));
    expect(api.get()).toBe('dev');
    expect(api.type()).toBe('DEVELOPER_SUPPLIED');
    expect(f.logs).toEqual([
      'info: [Countly] [DeviceId] get, the device ID is [dev]',
      'info: [Countly] [DeviceId] type, the device ID type is [DEVELOPER_SUPPLIED]',
    ]);
    api.enableTemporaryIdMode();
    expect(api.get()).toBe(TEMPORARY_DEVICE_ID);
    expect(api.type()).toBe('TEMPORARY_ID');
    api.set('u');
    expect(api.get()).toBe('u');
  });

  it('before ready: an empty ID and the type the config points to', () => {
    for (const [config, type] of [
      [{}, 'SDK_GENERATED'],
      [{ deviceId: 'x' }, 'DEVELOPER_SUPPLIED'],
      [{ temporaryDeviceId: true }, 'TEMPORARY_ID'],
    ] as const) {
      const f = fakeContext(config, { ready: false });
      const api = createDeviceIdApi(forFeature(f.ctx, deviceIdFeature));
      expect(api.get()).toBe('');
      expect(api.type()).toBe(type);
    }
  });
});

describe('offline API', () => {
  it('enableOfflineMode enters temporary mode; disableOfflineMode leaves it with the given or a new ID', () => {
    const f = fakeContext();
    const offline = createOfflineApi(forFeature(f.ctx, deviceIdFeature));
    const api = createDeviceIdApi(forFeature(f.ctx, deviceIdFeature));
    offline.enableOfflineMode();
    expect(api.type()).toBe('TEMPORARY_ID');
    offline.disableOfflineMode('real');
    expect(api.get()).toBe('real');
    offline.enableOfflineMode();
    offline.disableOfflineMode();
    expect(api.get()).toBe('new-2');
    expect(api.type()).toBe('SDK_GENERATED');
    expect(f.logs.filter((l) => l.includes('[Offline]'))).toEqual([
      'info: [Countly] [Offline] enableOfflineMode, requests are queued, not sent, until offline mode ends',
      'info: [Countly] [Offline] disableOfflineMode, with device ID [real]',
      'info: [Countly] [Offline] enableOfflineMode, requests are queued, not sent, until offline mode ends',
      'info: [Countly] [Offline] disableOfflineMode, with a new SDK-generated device ID',
    ]);
  });

  it('disableOfflineMode with an invalid ID warns and does nothing; null means "generate"', () => {
    const f = fakeContext({ temporaryDeviceId: true });
    const offline = createOfflineApi(forFeature(f.ctx, deviceIdFeature));
    offline.disableOfflineMode('');
    offline.disableOfflineMode(5 as unknown as string);
    expect(f.take()).toEqual([]);
    expect(f.logs).toEqual([
      'warning: [Countly] [Offline] disableOfflineMode, device ID must be a non-empty string, got []; call ignored',
      'warning: [Countly] [Offline] disableOfflineMode, device ID must be a non-empty string, got [5]; call ignored',
    ]);
    offline.disableOfflineMode(null as unknown as string);
    expect(f.take()).toEqual([{ type: 'deviceId.disableOffline', generated: 'new-1', at: instantAt(T0) }]);
  });
});
