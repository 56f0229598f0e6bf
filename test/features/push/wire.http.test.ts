/**
 * Push over HTTP (spec 001 l. 2477-2510; 000 l. 195-212): each request shape as the local
 * Countly-compatible server receives it, the timing on the simulated clock, consent, the
 * stored token across a restart, and bad input on every method.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
import type { Platform } from '../../../src/adapters/types.js';
import { useLocalServer } from '../../helpers/sdk.js';

const platform: Platform = { name: 'Test', metrics: () => ({ _os: 'TestOS', _locale: 'et-EE' }) };

describe('push over HTTP', () => {
  const local = useLocalServer();
  const tokens = () => local.server.accepted().filter((r) => r.params.token_session !== undefined);

  it('setToken: token_session=1, the provider key, token_provider, locale (the platform _locale) and test_mode', async () => {
    const s = await local.sdk({ platform, push: { testMode: 1 } });
    s.countly.push.setToken('fcm-token');
    s.countly.push.setToken('apns-token', 'APNs');
    await s.countly.queue.flush();
    expect(tokens().map((r) => r.params)).toEqual([
      expect.objectContaining({ token_session: '1', android_token: 'fcm-token', token_provider: 'FCM', locale: 'et-EE', test_mode: '1' }),
      expect.objectContaining({ token_session: '1', ios_token: 'apns-token', token_provider: 'APNS', locale: 'et-EE', test_mode: '1' }),
    ]);
    expect(tokens()[0]!.params.begin_session).toBeUndefined();
  });

  it('the config provider and metricOverride._locale win over the defaults', async () => {
    const s = await local.sdk({ platform, push: { provider: 'hms' }, metricOverride: { _locale: 'fr-FR' } });
    s.countly.push.setToken('t');
    await s.countly.queue.flush();
    expect(tokens()[0]!.params).toMatchObject({ android_token: 't', token_provider: 'HMS', locale: 'fr-FR', test_mode: '0' });
  });

  it('debounced: the same token/provider within 60 s goes once; after 60 s again (spec l. 2388)', async () => {
    const s = await local.sdk();
    s.countly.push.setToken('t');
    s.clock.advance(30_000);
    s.countly.push.setToken('t');
    await s.countly.queue.flush();
    expect(tokens()).toHaveLength(1);
    // Past the window (the first call's unique timestamp may be a millisecond or so ahead of the clock).
    s.clock.advance(30_010);
    s.countly.push.setToken('t');
    await s.countly.queue.flush();
    expect(tokens()).toHaveLength(2);
  });

  it('a token set as a session begins goes 10 s after begin_session (spec l. 2502)', async () => {
    const s = await local.sdk();
    s.countly.sessions.begin();
    s.countly.push.setToken('t');
    await s.countly.queue.flush();
    expect(tokens()).toHaveLength(0);
    s.clock.advance(9_990);
    await s.countly.queue.flush();
    expect(tokens()).toHaveLength(0);
    s.clock.advance(10);
    await s.countly.queue.flush();
    const sent = local.server.accepted();
    expect(tokens()).toHaveLength(1);
    expect(sent.findIndex((r) => r.params.begin_session === '1')).toBeLessThan(sent.findIndex((r) => r.params.token_session === '1'));
    // ~10 s: the call's unique timestamp may run a millisecond or so ahead of the clock (protocol/time.ts).
    const gap = Number(tokens()[0]!.params.timestamp) - Number(sent.find((r) => r.params.begin_session === '1')!.params.timestamp);
    expect(gap).toBeGreaterThanOrEqual(9_995);
    expect(gap).toBeLessThanOrEqual(10_000);
  });

  it('clearToken sends an empty token', async () => {
    const s = await local.sdk();
    s.countly.push.setToken('t', 'APNS');
    s.countly.push.clearToken();
    await s.countly.queue.flush();
    expect(tokens().map((r) => r.params.ios_token)).toEqual(['t', '']);
  });

  it('recordAction: [CLY]_push_action {i, b, p} is combined into a request at once and sent', async () => {
    const s = await local.sdk({ eventQueueThreshold: 100 });
    s.countly.push.recordAction('598e7e0f4d8c000001000001', 1);
    expect(s.countly.getState().queue.events).toBe(0);
    await s.countly.queue.flush();
    const events = local.server.events().filter((e) => e.key === '[CLY]_push_action');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ count: 1, segmentation: { i: '598e7e0f4d8c000001000001', b: '1', p: 'a' } });
  });

  it('needs push consent: refused with a warning, then sent once given', async () => {
    const s = await local.sdk({ requiresConsent: true });
    s.countly.push.setToken('t');
    s.countly.push.recordAction('n', 0);
    await s.countly.queue.flush();
    expect(tokens()).toHaveLength(0);
    expect(local.server.events().filter((e) => e.key === '[CLY]_push_action')).toHaveLength(0);
    expect(s.warnings().filter((w) => w.includes('no "push" consent'))).toHaveLength(2);
    s.countly.consent.give('push');
    s.countly.push.setToken('t');
    s.countly.push.recordAction('n', 0);
    await s.countly.queue.flush();
    expect(tokens()).toHaveLength(1);
    expect(local.server.events().filter((e) => e.key === '[CLY]_push_action')).toHaveLength(1);
  });

  it('the token is stored: sendTokenAlways re-sends it at the next init, without it it is kept only', async () => {
    const storage = memoryStorage();
    const first = await local.sdk({ storage });
    first.countly.push.setToken('kept', 'HMS');
    await first.countly.queue.flush();
    await local.stop(first);
    const quiet = await local.sdk({ storage });
    await quiet.countly.queue.flush();
    expect(tokens()).toHaveLength(1);
    await local.stop(quiet);
    const always = await local.sdk({ storage, push: { sendTokenAlways: true } });
    await always.countly.queue.flush();
    expect(tokens().map((r) => [r.params.android_token, r.params.token_provider])).toEqual([
      ['kept', 'HMS'],
      ['kept', 'HMS'],
    ]);
  });

  it('bad input on every method: a warning naming the function, nothing thrown, nothing sent', async () => {
    const s = await local.sdk();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const calls: Array<[string, () => void]> = [
      ['setToken', () => s.countly.push.setToken(null as never)],
      ['setToken', () => s.countly.push.setToken(42 as never)],
      ['setToken', () => s.countly.push.setToken('')],
      ['setToken', () => s.countly.push.setToken('x'.repeat(5000))],
      ['setToken', () => s.countly.push.setToken(circular as never)],
      ['setToken', () => s.countly.push.setToken('t', 'GCM')],
      ['setToken', () => s.countly.push.setToken('t', '__proto__')],
      ['setToken', () => s.countly.push.setToken('t', NaN as never)],
      ['recordAction', () => s.countly.push.recordAction('', 1)],
      ['recordAction', () => s.countly.push.recordAction(null as never, 1)],
      ['recordAction', () => s.countly.push.recordAction('n'.repeat(1000), 1)],
      ['recordAction', () => s.countly.push.recordAction('n', NaN)],
      ['recordAction', () => s.countly.push.recordAction('n', Infinity)],
      ['recordAction', () => s.countly.push.recordAction('n', -1)],
      ['recordAction', () => s.countly.push.recordAction('n', 1.5)],
      ['recordAction', () => s.countly.push.recordAction('n', '1' as never)],
    ];
    for (const [fn, call] of calls) {
      const before = s.warnings().length;
      expect(call).not.toThrow();
      const added = s.warnings().slice(before);
      expect(added.some((w) => w.includes(`[Push] ${fn},`))).toBe(true);
    }
    await s.countly.queue.flush();
    expect(tokens()).toHaveLength(0);
    expect(local.server.events().filter((e) => e.key === '[CLY]_push_action')).toHaveLength(0);
  });

  it('bad config values are warned about and replaced by their defaults', async () => {
    const s = await local.sdk({ push: { testMode: 7 as never, provider: 'Carrier Pigeon', sendTokenAlways: 'yes' as never } });
    expect(s.warnings().some((w) => w.includes('"push.testMode"'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('"push.sendTokenAlways"'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('[Push] createCountly, unknown push provider'))).toBe(true);
    s.countly.push.setToken('t');
    await s.countly.queue.flush();
    expect(tokens()[0]!.params).toMatchObject({ android_token: 't', token_provider: 'FCM', test_mode: '0' });
  });
});
