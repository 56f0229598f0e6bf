/**
 * Server settings that arrive mid-session happen at the moment they arrive: a session ended
 * by `st: false` reports the seconds up to then, one begun by `st: true` starts then.
 */
import { describe, expect, it } from 'vitest';
import { useLocalServer } from '../helpers/sdk.js';

const local = useLocalServer();
const tick = () => new Promise((r) => setTimeout(r, 20));

const sessionRequests = () =>
  local.server
    .accepted()
    .filter((r) => r.path === '/i' && (r.params.begin_session || r.params.session_duration || r.params.end_session))
    .map((r) => ({ ...r.params }))
    .map(({ begin_session, session_duration, end_session }) => ({
      ...(begin_session ? { begin_session } : {}),
      ...(session_duration ? { session_duration } : {}),
      ...(end_session ? { end_session } : {}),
    }));

describe('settings arriving mid-session', () => {
  it('st: false at 144 s ends the session with the seconds since the last update; st: true later begins one then', async () => {
    // scui 0.04 h = 144 s between downloads.
    local.server.configure({ behaviorSettings: { scui: 0.04 } });
    const { countly, clock } = await local.sdk({ manualSessions: false, disableBehaviorSettingsUpdates: false });
    await local.server.waitFor((r) => r.filter((x) => x.path === '/o/sdk').length === 1);
    await tick();
    local.server.configure({ behaviorSettings: { scui: 0.04, st: false } });
    for (let s = 0; s < 144; s++) clock.advance(1000);
    await local.server.waitFor((r) => r.filter((x) => x.path === '/o/sdk').length === 2);
    await tick();
    local.server.configure({ behaviorSettings: { scui: 0.04, st: true } });
    for (let s = 0; s < 144; s++) clock.advance(1000);
    await local.server.waitFor((r) => r.filter((x) => x.path === '/o/sdk').length === 3);
    await tick();
    clock.advance(10_000);
    countly.lifecycle.background();
    await countly.queue.flush();
    expect(sessionRequests()).toEqual([
      { begin_session: '1' },
      { session_duration: '60' },
      { session_duration: '60' },
      { end_session: '1', session_duration: '24' },
      { begin_session: '1' },
      { end_session: '1', session_duration: '10' },
    ]);
  });
});

describe('networking turned off by the server', () => {
  it('comes back with a later download (the download is not blocked by it), and requests go out again', async () => {
    local.server.configure({ behaviorSettings: { scui: 0.04, networking: false } });
    const { countly, clock } = await local.sdk({ disableBehaviorSettingsUpdates: false });
    await local.server.waitFor((r) => r.filter((x) => x.path === '/o/sdk').length === 1);
    await tick();
    countly.events.record('while-off');
    await countly.queue.flush();
    expect(local.server.received.filter((r) => r.path === '/i')).toEqual([]);
    local.server.configure({ behaviorSettings: { scui: 0.04, networking: true } });
    for (let s = 0; s < 144; s++) clock.advance(1000);
    await local.server.waitFor((r) => r.filter((x) => x.path === '/o/sdk').length === 2);
    await tick();
    await countly.queue.flush();
    expect(local.server.events().map((e) => e.key)).toEqual(['while-off']);
  });
});
