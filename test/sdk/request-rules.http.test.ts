/**
 * Request rules over HTTP against the local server: refused requests moved aside (dead
 * letters), the server's `tracking: false` (spec l. 4836), bot detection (spec l. 383),
 * requests other app keys left on the store (spec l. 5088–5097), and request timestamps
 * unique and increasing in queue order (spec l. 405).
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { DEAD_LETTER_QUEUE } from '../../src/domain/dead-letters.js';
import { DEAD_URL, makeSdk, useLocalServer } from '../helpers/sdk.js';

const realWait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const dataRequests = (local: ReturnType<typeof useLocalServer>) => local.server.received.filter((r) => r.path === '/i');

describe('a request the server refuses every time', () => {
  const local = useLocalServer();

  it('is retried 3 times with a growing delay, then moved aside, counted and logged; the queue moves on', async () => {
    local.server.rejectWhen((p) => p.poison === '1', { status: 400, body: '{"result":"Invalid parameter"}' });
    const storage = memoryStorage();
    const { countly, clock, logs } = await local.sdk({ storage, retryCooldownSeconds: 1 });
    countly.queue.addDirectRequest({ poison: '1' });
    countly.queue.addDirectRequest({ fine: '1' });
    // Attempt 1 as soon as it is queued; the flush skips the cool-down: attempt 2. Both refused.
    await countly.queue.flush();
    expect(dataRequests(local).map((r) => r.status)).toEqual([400, 400]);
    clock.advance(1000);
    await realWait(30);
    expect(dataRequests(local)).toHaveLength(2); // after the second refusal the delay is 2 s
    clock.advance(1000); // attempt 3: refused for good; the next head goes at once
    await local.server.waitFor((r) => r.filter((x) => x.accepted).length === 1);
    await countly.queue.flush();
    expect(dataRequests(local).map((r) => [r.params.poison ?? r.params.fine, r.status])).toEqual([
      ['1', 400],
      ['1', 400],
      ['1', 400],
      ['1', 200],
    ]);
    expect(countly.getState().deadLetters).toBe(1);
    expect(countly.getState().queue.requests).toBe(0);
    expect(logs.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      expect.stringContaining('moved to the dead-letter store so the queue moves on'),
    ]);
    await local.stop({ countly } as never);
    const stored = await (await storage.open('test-app-key')).read();
    const letters = (stored.queues[DEAD_LETTER_QUEUE] ?? []).map((e) => JSON.parse(e.data) as { request: string; reason: string });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.request).toContain('poison=1');
    expect(letters[0]!.reason).toBe('HTTP status 400, "Invalid parameter"');
  });

  it('a 500 keeps the spec rule: tried again and again, never moved aside', async () => {
    local.server.setFault({ kind: 'status', status: 500 });
    const { countly, clock } = await local.sdk({ retryCooldownSeconds: 1 });
    countly.queue.addDirectRequest({ a: '1' });
    await countly.queue.flush();
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await local.server.waitFor((r) => r.length === i + 2);
      await realWait(10);
    }
    expect(countly.getState().deadLetters).toBe(0);
    expect(countly.getState().queue.requests).toBe(1);
  });
});

describe("the server's tracking: false", () => {
  const local = useLocalServer();

  it('stops consent=, old_device_id, location= and addDirectRequest requests; the settings download goes on', async () => {
    local.server.configure({ behaviorSettings: { tracking: false } });
    const { countly, logs } = await local.sdk({ disableBehaviorSettingsUpdates: false, requiresConsent: true, deviceId: 'first-id' });
    await local.server.waitFor((r) => r.some((x) => x.path === '/o/sdk'));
    await realWait(20);
    await countly.queue.flush();
    const before = dataRequests(local).length;
    countly.consent.give('sessions'); // consent=
    countly.deviceId.changeWithMerge('merged-id'); // old_device_id
    countly.location.disable(); // location=
    countly.queue.addDirectRequest({ direct: '1' });
    await countly.queue.flush();
    const after = dataRequests(local).slice(before);
    expect(after.map((r) => Object.keys(r.params).filter((k) => ['consent', 'old_device_id', 'location', 'direct'].includes(k)))).toEqual([]);
    expect(logs.some((l) => l.level === 'debug' && l.message.includes('tracking is disabled'))).toBe(true);
  });
});

describe('a bot', () => {
  const local = useLocalServer();

  it('sends nothing: every request dropped silently, one info log at boot', async () => {
    const { countly, logs } = await local.sdk({ platform: { ...neutralPlatform(), isBot: () => true }, eventQueueThreshold: 1 });
    countly.sessions.begin();
    countly.events.record('click');
    countly.queue.addDirectRequest({ a: '1' });
    countly.sessions.end();
    await countly.queue.flush();
    expect(dataRequests(local)).toEqual([]);
    expect(countly.getState().queue.requests).toBe(0);
    expect(logs.filter((l) => l.message.includes('bot'))).toEqual([expect.objectContaining({ level: 'info' })]);
  });
});

describe('requests of an earlier app key on the same store', () => {
  const local = useLocalServer();

  async function queueUnder(appKey: string, storage: ReturnType<typeof memoryStorage>, tag: string) {
    const s = await makeSdk(DEAD_URL, { appKey, storage });
    s.countly.queue.addDirectRequest({ tag });
    return s;
  }
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await realWait(10);
  };

  it('replaceAllAppKeysWithCurrent: what key A queued offline is sent under key B; a live instance is left alone', async () => {
    const storage = memoryStorage();
    const a = await queueUnder('key-a', storage, 'from-a');
    await a.countly.shutdown();
    const c = await queueUnder('key-c', storage, 'from-c'); // still live
    const b = await local.sdk({ appKey: 'key-b', storage });
    b.countly.queue.replaceAllAppKeysWithCurrent();
    await until(() => b.countly.getState().queue.requests === 1);
    await b.countly.queue.flush();
    const got = local.server.accepted().filter((r) => r.path === '/i');
    expect(got.map((r) => [r.params.tag, r.params.app_key])).toEqual([['from-a', 'key-b']]);
    expect(b.warnings().some((w) => w.includes('[key-c] is in use by a live instance'))).toBe(true);
    expect(c.countly.getState().queue.requests).toBe(1);
    await c.countly.shutdown();
    // Gone from A's namespace: a second call moves nothing.
    expect((await (await storage.open('key-a')).read()).queues.requests).toEqual([]);
  });

  it('removeDifferentAppKeys: clears what key A left', async () => {
    const storage = memoryStorage();
    const a = await queueUnder('key-a', storage, 'from-a');
    await a.countly.shutdown();
    const b = await local.sdk({ appKey: 'key-b', storage });
    b.countly.queue.removeDifferentAppKeys();
    await until(() => b.logs.some((l) => l.message.includes('removed 1 request(s)')));
    expect((await (await storage.open('key-a')).read()).queues.requests).toEqual([]);
    await b.countly.queue.flush();
    expect(dataRequests(local)).toEqual([]);
  });
});

describe('request timestamps', () => {
  const local = useLocalServer();

  it('are unique and strictly increasing in queue order (the events request before end_session)', async () => {
    const { countly, clock } = await local.sdk({ platform: neutralPlatform() });
    countly.sessions.begin();
    clock.advance(5000);
    countly.events.record('a');
    countly.events.record('b');
    countly.sessions.end();
    countly.queue.addDirectRequest({ x: '1' });
    await countly.queue.flush();
    const sent = dataRequests(local).map((r) => Number(r.params.timestamp));
    expect(sent.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!).toBeGreaterThan(sent[i - 1]!);
  });
});
