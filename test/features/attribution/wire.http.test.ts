/**
 * Attribution over HTTP (spec 001: Attribution, l. 4421-4503): each request shape as the
 * local Countly-compatible server receives it, consent, and bad input on every method.
 */
import { describe, expect, it } from 'vitest';
import { useLocalServer } from '../../helpers/sdk.js';

describe('attribution over HTTP', () => {
  const local = useLocalServer();
  const attributions = () =>
    local.server.accepted().filter((r) => r.params.campaign_id !== undefined || r.params.attribution_data !== undefined || r.params.aid !== undefined);

  it('recordDirect countly: campaign_id and campaign_user, in a request of their own', async () => {
    const s = await local.sdk();
    s.countly.attribution.recordDirect('countly', '{"cid":"camp-1","cuid":"user-1"}');
    s.countly.attribution.recordDirect('countly', '{"cid":"camp-2"}');
    await s.countly.queue.flush();
    const sent = attributions();
    expect(sent.map((r) => [r.params.campaign_id, r.params.campaign_user])).toEqual([
      ['camp-1', 'user-1'],
      ['camp-2', undefined],
    ]);
    for (const r of sent) {
      expect(r.params.begin_session).toBeUndefined();
      expect(r.params.events).toBeUndefined();
    }
  });

  it('recordDirect _special_test: attribution_data arrives as given (HTTP-encoded on the wire)', async () => {
    const s = await local.sdk();
    const data = '{"a":"b & c=d+e%"}';
    s.countly.attribution.recordDirect('_special_test', data);
    await s.countly.queue.flush();
    expect(attributions()[0]!.params.attribution_data).toBe(data);
  });

  it('recordIndirect: aid={...} with the invalid pairs removed (an error each)', async () => {
    const s = await local.sdk();
    s.countly.attribution.recordIndirect({ adid: 'ad-1', idfa: '', rndid: 'r-1', bad: null as never });
    await s.countly.queue.flush();
    expect(JSON.parse(attributions()[0]!.params.aid!)).toEqual({ adid: 'ad-1', rndid: 'r-1' });
    expect(s.logs.filter((l) => l.level === 'error' && l.message.includes('[Attribution] recordIndirect,'))).toHaveLength(2);
  });

  it('needs attribution consent', async () => {
    const s = await local.sdk({ requiresConsent: true });
    s.countly.attribution.recordDirect('countly', '{"cid":"c"}');
    s.countly.attribution.recordIndirect({ adid: 'a' });
    await s.countly.queue.flush();
    expect(attributions()).toHaveLength(0);
    expect(s.warnings().filter((w) => w.includes('no "attribution" consent'))).toHaveLength(2);
    s.countly.consent.give('attribution');
    s.countly.attribution.recordIndirect({ adid: 'a' });
    await s.countly.queue.flush();
    expect(attributions()).toHaveLength(1);
  });

  it('bad input on every method: an error or warning naming the function, nothing thrown, nothing sent', async () => {
    const s = await local.sdk();
    const circular: Record<string, unknown> = { adid: undefined };
    circular.self = circular;
    const withProto = JSON.parse('{"__proto__":"x"}') as Record<string, string>;
    const throwing = Object.defineProperty({}, 'adid', { enumerable: true, get: () => { throw new Error('boom'); } }) as Record<string, string>;
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }) as Record<string, string>;
    const calls: Array<[string, () => void]> = [
      ['recordDirect', () => s.countly.attribution.recordDirect(null as never, null as never)],
      ['recordDirect', () => s.countly.attribution.recordDirect('countly', '')],
      ['recordDirect', () => s.countly.attribution.recordDirect('countly', 'not json')],
      ['recordDirect', () => s.countly.attribution.recordDirect('countly', '{"cid":""}')],
      ['recordDirect', () => s.countly.attribution.recordDirect('countly', 'x'.repeat(100_000))],
      ['recordDirect', () => s.countly.attribution.recordDirect('countly', NaN as never)],
      ['recordDirect', () => s.countly.attribution.recordDirect('countly', circular as never)],
      ['recordDirect', () => s.countly.attribution.recordDirect('unknown', '{"cid":"c"}')],
      ['recordDirect', () => s.countly.attribution.recordDirect(Infinity as never, '{"cid":"c"}')],
      ['recordIndirect', () => s.countly.attribution.recordIndirect(null as never)],
      ['recordIndirect', () => s.countly.attribution.recordIndirect('adid' as never)],
      ['recordIndirect', () => s.countly.attribution.recordIndirect([] as never)],
      ['recordIndirect', () => s.countly.attribution.recordIndirect({})],
      ['recordIndirect', () => s.countly.attribution.recordIndirect(circular as never)],
      ['recordIndirect', () => s.countly.attribution.recordIndirect(withProto)],
      ['recordIndirect', () => s.countly.attribution.recordIndirect(throwing)],
      ['recordIndirect', () => s.countly.attribution.recordIndirect(proxy)],
      ['recordIndirect', () => s.countly.attribution.recordIndirect({ adid: 'y'.repeat(100_000) })],
      ['recordIndirect', () => s.countly.attribution.recordIndirect({ adid: NaN as never, idfa: Infinity as never })],
    ];
    for (const [fn, call] of calls) {
      const before = s.warnings().length;
      expect(call).not.toThrow();
      expect(s.warnings().slice(before).some((w) => w.includes(`[Attribution] ${fn},`))).toBe(true);
    }
    await s.countly.queue.flush();
    expect(attributions()).toHaveLength(0);
  });
});
