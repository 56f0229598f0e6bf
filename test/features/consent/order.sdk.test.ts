/**
 * Consent on the wire, in historical order (spec: Request Queue — "requests should be made
 * in historical order", line 317): the `consent=` request that tells the server about a
 * change reaches it before any data recorded after the change. A real instance against the
 * local server, on a simulated clock.
 */
import { describe, expect, it } from 'vitest';
import { useLocalServer } from '../../helpers/sdk.js';

const local = useLocalServer();

const BASE = new Set(['app_key', 'device_id', 'sdk_name', 'sdk_version', 'timestamp', 'hour', 'dow', 'tz', 'rr', 'av', 't', 'checksum256']);

/** What each `/i` request was, in the order the server received them. */
const kinds = (): string[] =>
  local.server.received
    .filter((r) => r.path === '/i')
    .map((r) => {
      const p = r.params;
      if (p.consent !== undefined) {
        const state = JSON.parse(p.consent) as Record<string, boolean>;
        return `consent ${Object.keys(state).filter((k) => state[k]).join(',')}`;
      }
      if (p.begin_session) return 'begin_session';
      if (p.end_session) return 'end_session';
      if (p.events) return `events ${(JSON.parse(p.events) as Array<{ key: string }>).map((e) => e.key).join(',')}`;
      return Object.keys(p).filter((k) => !BASE.has(k)).join(',');
    });

describe('consent requests in historical order', () => {
  it('give → record → begin: the consent request goes first (it was the first thing that happened)', async () => {
    const { countly } = await local.sdk({ requiresConsent: true });
    countly.consent.give(['events', 'sessions']);
    countly.events.record('e1');
    countly.sessions.begin();
    await countly.queue.flush();
    // At init: the state then, and location="" (neither location nor session consent).
    expect(kinds()).toEqual(['consent ', 'location', 'consent sessions,events', 'events e1', 'begin_session']);
  });

  it('removal: the data recorded while consent held goes first, the consent request after it', async () => {
    const { countly } = await local.sdk({ requiresConsent: true, consent: ['events', 'sessions'] });
    countly.sessions.begin();
    countly.events.record('e1');
    countly.consent.remove('sessions');
    countly.events.record('e2');
    await countly.queue.flush();
    expect(kinds()).toEqual(['consent sessions,events', 'begin_session', 'events e1', 'end_session', 'consent events', 'events e2']);
  });

  it('each change call is one request with the full state; a call that changes nothing sends none', async () => {
    const { countly } = await local.sdk({ requiresConsent: true });
    countly.consent.give('events');
    countly.consent.give('events');
    countly.consent.give(['views', 'sessions']);
    await countly.queue.flush();
    expect(kinds()).toEqual(['consent ', 'location', 'consent events', 'consent sessions,events,views']);
  });
});
