/**
 * `t`, the device-ID type on every request: the server and the official web SDK use 3 for an
 * ID provided by URL (browser `cly_id`; server-rules.md "What the params do"). It used to go
 * out as 0.
 */
import { describe, expect, it } from 'vitest';
import { buildStoredRequest, DEVICE_ID_TYPE_WIRE, parseStoredRequest, type WireDeviceIdType } from '../../src/protocol/request.js';
import { instantAt } from '../../src/protocol/time.js';

const stored = (deviceIdType: WireDeviceIdType) =>
  buildStoredRequest({ appKey: 'k', deviceId: 'd', deviceIdType, instant: instantAt(1_767_225_600_000), sdkName: 'n', sdkVersion: '1.0.0', appVersion: '1', params: {} });

describe('t: the device-ID type on the wire', () => {
  it.each([
    ['DEVELOPER_SUPPLIED', '0'],
    ['SDK_GENERATED', '1'],
    ['TEMPORARY_ID', '2'],
    ['URL_PROVIDED', '3'],
  ] as const)('%s → t=%s', (type, wire) => {
    expect(DEVICE_ID_TYPE_WIRE[type]).toBe(wire);
    expect(parseStoredRequest(stored(type)).params.t).toBe(wire);
  });
});
