/**
 * Sessions across a device-ID change without merge (spec: Sessions > Precautions, line 1302 —
 * "Changing the device ID without merge should end the current session and start a new one";
 * Device ID Management > changeWithoutMerge, lines 2103–2130), with the real device-ID,
 * consent, location and session machines wired by the router (identity harness), and on the
 * wire with a real instance.
 *
 * In every mode a running session ends under the old ID before the change, with the old
 * ID's duration. An automatic session begins again under the new ID; in manual and hybrid
 * mode the next begin is the developer's call (see docs/sessions.md).
 */
import { describe, expect, it } from 'vitest';
import { createHarness, describeRequest } from '../identity-harness.js';
import { useLocalServer } from '../../helpers/sdk.js';

const sessionRequests = (rs: ReadonlyArray<{ deviceId: string; params: Record<string, string> }>) =>
  rs.filter((r) => r.params.begin_session || r.params.end_session || r.params.session_duration).map((r) => `${describeRequest(r)} ${r.deviceId}${r.params.end_session ? ` ${r.params.session_duration}` : ''}`);

describe('a device-ID change without merge ends the session under the old ID (machines)', () => {
  for (const mode of [true, 'hybrid'] as const) {
    it(`manualSessions ${String(mode)}: the old ID's session ends under it; nothing begins until begin()`, () => {
      const h = createHarness({ config: { manualSessions: mode, deviceId: 'old' } });
      h.send('session', { type: 'session.begin', at: h.at() });
      h.tick(30_000);
      h.send('deviceId', { type: 'deviceId.changeWithoutMerge', id: 'new', at: h.at() });
      expect(sessionRequests(h.requests())).toEqual(['begin_session old', 'end_session old 30']);
      h.tick(5_000);
      h.send('session', { type: 'session.begin', at: h.at() });
      h.tick(10_000);
      h.send('session', { type: 'session.end', at: h.at() });
      expect(sessionRequests(h.requests())).toEqual(['begin_session old', 'end_session old 30', 'begin_session new', 'end_session new 10']);
      expect(h.logs.filter((l) => l.startsWith('warning'))).toEqual([]);
    });
  }

  it('manual: no session running, nothing is sent for it', () => {
    const h = createHarness({ config: { manualSessions: true, deviceId: 'old' } });
    h.send('deviceId', { type: 'deviceId.changeWithoutMerge', id: 'new', at: h.at() });
    expect(sessionRequests(h.requests())).toEqual([]);
  });

  it('automatic: ends under the old ID and begins under the new one', () => {
    const h = createHarness({ config: { deviceId: 'old' } });
    h.tick(12_000);
    h.send('deviceId', { type: 'deviceId.changeWithoutMerge', id: 'new', at: h.at() });
    expect(sessionRequests(h.requests())).toEqual(['begin_session old', 'end_session old 12', 'begin_session new']);
  });

  it('with merge the session goes on under the new ID', () => {
    const h = createHarness({ config: { manualSessions: true, deviceId: 'old' } });
    h.send('session', { type: 'session.begin', at: h.at() });
    h.send('deviceId', { type: 'deviceId.changeWithMerge', id: 'new', at: h.at() });
    h.tick(4_000);
    h.send('session', { type: 'session.end', at: h.at() });
    expect(sessionRequests(h.requests())).toEqual(['begin_session old', 'end_session new 4']);
  });
});

describe('a device-ID change without merge in manual mode, on the wire', () => {
  const local = useLocalServer();

  it('the server gets begin and end under the old ID, then begin and end under the new one', async () => {
    const { countly, clock } = await local.sdk({ deviceId: 'old-user', manualSessions: true });
    countly.sessions.begin();
    clock.advance(20_000);
    countly.deviceId.changeWithoutMerge('new-user');
    clock.advance(3_000);
    countly.sessions.begin();
    clock.advance(7_000);
    countly.sessions.end();
    await countly.queue.flush();
    const seen = local.server.received
      .filter((r) => r.params.begin_session || r.params.end_session)
      .map((r) => [r.params.begin_session ? 'begin' : `end ${r.params.session_duration}`, r.params.device_id]);
    expect(seen).toEqual([
      ['begin', 'old-user'],
      ['end 20', 'old-user'],
      ['begin', 'new-user'],
      ['end 7', 'new-user'],
    ]);
  });
});
