/**
 * The spec's four location test scenarios (spec: Recording Location > Test scenarios) over
 * HTTP: a real SDK instance against the local Countly-compatible server, manual sessions
 * (the scenarios call begin_session / end_session), a simulated clock. Asserts the exact
 * sequence of requests the server receives. Plus the consent and offline paths of location
 * and device ID on the wire.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedRequest } from '../../src/server/index.js';
import { useLocalServer, type TestSdk } from '../helpers/sdk.js';
import type { CountlyConfig } from '../../src/types.js';
import { TEMPORARY_DEVICE_ID } from '../../src/domain/types.js';

const local = useLocalServer();
const sdk = (config: Partial<CountlyConfig> = {}): Promise<TestSdk> => local.sdk(config);

const LOCATION_KEYS = ['country_code', 'city', 'location', 'ip_address'];

/** The data requests the server got, as short strings (as in the spec's scenarios). */
function sequence(received: readonly ReceivedRequest[]): string[] {
  return received
    .filter((r) => r.path === '/i')
    .map((r) => {
      const p = r.params;
      const loc = LOCATION_KEYS.filter((k) => p[k] !== undefined)
        .map((k) => `${k}=${p[k]}`)
        .join('&');
      if (p.begin_session) return loc ? `begin_session(${loc})` : 'begin_session';
      if (p.end_session) return 'end_session';
      if (p.consent !== undefined) return 'consent';
      if (p.old_device_id !== undefined) return `merge(${p.old_device_id})`;
      if (loc) return `location(${loc})`;
      return Object.keys(p).filter((k) => !['app_key', 'device_id', 'timestamp', 'hour', 'dow', 'tz', 'sdk_version', 'sdk_name', 'av', 't', 'rr', 'checksum256'].includes(k)).join(',');
    });
}

const CITY = { countryCode: 'us', city: 'Panama' };
const GPS = '56.42345,123.45325';
const GPS2 = '12.5,-70.1';
const IP = '192.168.88.33';

describe('location scenarios over HTTP (spec: Recording Location > Test scenarios)', () => {
  it('1) Dev sets location sometime after init', async () => {
    const { countly, clock } = await sdk();
    const step = () => clock.advance(1000);
    countly.sessions.begin();
    step();
    countly.location.set({ gps: GPS });
    step();
    countly.sessions.end();
    countly.sessions.begin();
    step();
    countly.sessions.end();
    countly.sessions.begin();
    step();
    countly.sessions.end();
    await countly.queue.flush();
    expect(sequence(local.server.received)).toEqual([
      'begin_session',
      `location(location=${GPS})`,
      'end_session',
      `begin_session(location=${GPS})`,
      'end_session',
      `begin_session(location=${GPS})`,
      'end_session',
    ]);
  });

  it('2) Dev sets location during init and a separate call', async () => {
    const { countly, clock } = await sdk({ location: CITY });
    countly.sessions.begin();
    clock.advance(1000);
    countly.location.set({ gps: GPS });
    countly.sessions.end();
    countly.sessions.begin();
    countly.sessions.end();
    countly.sessions.begin();
    countly.sessions.end();
    await countly.queue.flush();
    expect(sequence(local.server.received)).toEqual([
      'begin_session(country_code=us&city=Panama)',
      `location(location=${GPS})`,
      'end_session',
      `begin_session(location=${GPS})`,
      'end_session',
      `begin_session(location=${GPS})`,
      'end_session',
    ]);
  });

  it('3) Dev sets location during init and after begin_session calls (IP only with begin_session)', async () => {
    const { countly } = await sdk({ location: CITY });
    countly.sessions.begin();
    countly.location.set({ gps: GPS });
    countly.sessions.end();
    countly.sessions.begin();
    countly.location.set({ ipAddress: IP });
    countly.sessions.end();
    countly.sessions.begin();
    countly.sessions.end();
    await countly.queue.flush();
    expect(sequence(local.server.received)).toEqual([
      'begin_session(country_code=us&city=Panama)',
      `location(location=${GPS})`,
      'end_session',
      `begin_session(location=${GPS})`,
      'end_session',
      `begin_session(ip_address=${IP})`,
      'end_session',
    ]);
  });

  it('4) Dev sets location before the first begin_session', async () => {
    const { countly } = await sdk({ location: CITY });
    countly.location.set({ gps: GPS, ipAddress: IP });
    countly.sessions.begin();
    countly.location.set({ ...CITY, gps: GPS2 });
    countly.sessions.end();
    countly.sessions.begin();
    countly.sessions.end();
    await countly.queue.flush();
    expect(sequence(local.server.received)).toEqual([
      `location(location=${GPS})`,
      `begin_session(location=${GPS}&ip_address=${IP})`,
      `location(country_code=us&city=Panama&location=${GPS2})`,
      'end_session',
      `begin_session(country_code=us&city=Panama&location=${GPS2})`,
      'end_session',
    ]);
  });
});

describe('identity and consent on the wire', () => {
  it('consent: one consent request with the full state per change call, in call order; location erased when its consent goes', async () => {
    const { countly } = await sdk({ requiresConsent: true, consent: ['location'], location: { gps: GPS } });
    countly.consent.give(['sessions', 'events']);
    countly.consent.remove('views'); // changes nothing: no request
    countly.consent.remove('location');
    await countly.queue.flush();
    const consents = local.server.received.filter((r) => r.params.consent !== undefined).map((r) => JSON.parse(r.params.consent!) as Record<string, boolean>);
    // The state at init, then one per effective change.
    expect(consents).toHaveLength(3);
    expect(Object.keys(consents[0]!)).toHaveLength(17);
    expect(consents[0]).toMatchObject({ location: true, sessions: false, events: false, views: false });
    expect(consents[1]).toMatchObject({ location: true, sessions: true, events: true, views: false });
    expect(consents[2]).toMatchObject({ location: false, sessions: true, events: true });
    expect(sequence(local.server.received)).toContain('location(location=)');
  });

  it('changeWithMerge sends device_id=<new>&old_device_id=<old>', async () => {
    const { countly } = await sdk({ deviceId: 'old-user' });
    countly.deviceId.changeWithMerge('new-user');
    await countly.queue.flush();
    const merge = local.server.received.find((r) => r.params.old_device_id !== undefined);
    expect(merge?.params).toMatchObject({ device_id: 'new-user', old_device_id: 'old-user' });
    expect(countly.deviceId.get()).toBe('new-user');
  });

  it('offline mode: nothing is sent with the placeholder; leaving it sends everything under the real ID', async () => {
    const { countly } = await sdk({ temporaryDeviceId: true });
    expect(countly.deviceId.type()).toBe('TEMPORARY_ID');
    countly.sessions.begin();
    countly.location.set({ gps: GPS });
    await countly.queue.flush();
    expect(local.server.received.filter((r) => r.path === '/i')).toEqual([]);
    countly.disableOfflineMode('real-user');
    await countly.queue.flush();
    const data = local.server.received.filter((r) => r.path === '/i');
    expect(sequence(data)).toEqual(['begin_session', `location(location=${GPS})`]);
    expect(data.map((r) => r.params.device_id)).toEqual(['real-user', 'real-user']);
    expect(local.server.received.some((r) => JSON.stringify(r.params).includes(TEMPORARY_DEVICE_ID))).toBe(false);
  });
});
