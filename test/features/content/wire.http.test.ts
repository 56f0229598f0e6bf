/**
 * The content zone over HTTP against the local Countly-compatible server, on a simulated clock
 * (spec 001: Content Zone l. 1346-1604; jte l. 4766): the request's params, content shown
 * through a fake `platform.ui`, messages from content, the waits, and a journey trigger whose
 * event is delivered before the zone refreshes.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ContentPlacement, Platform, UiHandle } from '../../../src/adapters/types.js';
import type { ReceivedRequest } from '../../../src/server/types.js';
import { useLocalServer, type TestSdk } from '../../helpers/sdk.js';

const GEO = { p: { x: 10, y: 20, w: 340, h: 600 }, l: { x: 5, y: 5, w: 600, h: 340 } };
const block = (url: string) => ({ html: `${url}/content/page`, geo: GEO });

interface Shown {
  url: string;
  placement: ContentPlacement;
  onMessage(message: unknown, origin: string): void;
  onClosed(): void;
  closed: number;
  posted: unknown[];
  placed: unknown[];
}

/** A platform with a screen and a UI that records what it is asked to show. */
function fakePlatform(metrics: Record<string, string> = { _os: 'TestOS', _resolution: '1080x1920', _locale: 'de-DE', _device_type: 'mobile' }) {
  const shown: Shown[] = [];
  const opened: string[] = [];
  const platform: Platform = {
    name: 'Test',
    metrics: () => ({ ...metrics }),
    orientation: () => 'portrait',
    ui: {
      showContent(url, placement, handlers): UiHandle {
        const s: Shown = { url, placement, ...handlers, closed: 0, posted: [], placed: [] };
        shown.push(s);
        return {
          close: () => {
            s.closed += 1;
            handlers.onClosed();
          },
          post: (m) => s.posted.push(m),
          place: (r) => s.placed.push(r),
        };
      },
      openUrl: (url) => void opened.push(url),
    },
  };
  return { platform, shown, opened };
}

describe('content zone over HTTP', () => {
  const local = useLocalServer();
  const contentRequests = (): ReceivedRequest[] => local.server.received.filter((r) => r.path === '/o/sdk/content');
  const waitForContentRequests = (n: number) => local.server.waitFor((all) => all.filter((r) => r.path === '/o/sdk/content').length >= n);
  const state = (s: TestSdk) => s.countly.getState().content;

  it('enterZone: after the 4 s initial delay, POST /o/sdk/content with method, resolution, category, la, dt and the base params', async () => {
    const { platform } = fakePlatform();
    const s = await local.sdk({ platform });
    s.countly.content.enterZone();
    s.clock.advance(3_999);
    await s.countly.queue.flush();
    expect(contentRequests()).toHaveLength(0);
    s.clock.advance(1);
    await waitForContentRequests(1);
    const r = contentRequests()[0]!;
    expect(r.method).toBe('POST');
    expect(r.params).toMatchObject({
      method: 'queue',
      resolution: '{"p":{"w":1080,"h":1920},"l":{"w":1920,"h":1080}}',
      category: '[]',
      la: 'de',
      dt: 'phone',
      app_key: 'test-app-key',
      device_id: s.countly.deviceId.get(),
    });
    expect(r.params.content_id).toBeUndefined();
    expect(r.params.preview).toBeUndefined();
    expect(r.params.timestamp).toBeDefined();
    expect(r.params.sdk_name).toBeDefined();
    expect(state(s)).toEqual({ inZone: true, showing: false });
    // No content: the next fetch one interval (30 s) later.
    await vi.waitFor(() => expect(s.countly.actors.content!.getSnapshot().value).toBe('waiting'));
    s.clock.advance(29_999);
    expect(contentRequests()).toHaveLength(1);
    s.clock.advance(1);
    await waitForContentRequests(2);
  });

  it('preview(id): content_id and preview=true, shown once, no zone', async () => {
    const { platform, shown } = fakePlatform();
    local.server.configure({ contentPreviews: { abc123: block(local.server.url) } });
    const s = await local.sdk({ platform });
    s.clock.advance(10_000);
    s.countly.content.preview('abc123');
    await waitForContentRequests(1);
    expect(contentRequests()[0]!.params).toMatchObject({ method: 'queue', content_id: 'abc123', preview: 'true', la: 'de', dt: 'phone' });
    await vi.waitFor(() => expect(shown).toHaveLength(1));
    expect(state(s)).toEqual({ inZone: false, showing: true });
  });

  it('shown content: placement from geo, messages from content, close last, onContent, 2 × interval wait', async () => {
    const { platform, shown, opened } = fakePlatform();
    local.server.configure({ contentBlock: block(local.server.url) });
    const onContent = vi.fn();
    const s = await local.sdk({ platform, content: { onContent, zoneTimerInterval: 20 } });
    s.clock.advance(10_000);
    s.countly.content.enterZone();
    await vi.waitFor(() => expect(shown).toHaveLength(1));
    const c = shown[0]!;
    expect(c.url).toBe(`${local.server.url}/content/page`);
    expect(c.placement).toEqual({ portrait: { x: 10, y: 20, width: 340, height: 600 }, landscape: { x: 5, y: 5, width: 600, height: 340 } });
    expect(state(s)).toEqual({ inZone: true, showing: true });

    // A foreign origin is ignored; the server's origin is heard.
    c.onMessage({ close: 1 }, 'https://elsewhere.example');
    expect(state(s).showing).toBe(true);
    c.onMessage({ resize_me: { p: { x: 0, y: 0, w: 300, h: 300 }, l: { x: 0, y: 0, w: 400, h: 200 } } }, local.server.url);
    expect(c.placed).toEqual([{ x: 0, y: 0, width: 300, height: 300 }]);
    s.clock.advance(199);
    expect(c.posted).toEqual([]);
    s.clock.advance(1);
    expect(c.posted).toEqual([{ type: 'resize', width: 1080, height: 1920 }]);

    c.onMessage(JSON.stringify({ event: [{ key: 'content_click', segmentation: { button: 'buy' } }], link: 'https://example.com/offer', close: 1 }), local.server.url);
    expect(opened).toEqual(['https://example.com/offer']);
    expect(c.closed).toBe(1);
    expect(state(s)).toEqual({ inZone: true, showing: false });
    await vi.waitFor(() => expect(onContent).toHaveBeenCalledTimes(1));
    expect(onContent).toHaveBeenCalledWith('COMPLETED', { url: c.url, closedBy: 'content' });

    await s.countly.queue.flush();
    expect(local.server.events().filter((e) => e.key === 'content_click')).toEqual([expect.objectContaining({ key: 'content_click', segmentation: { button: 'buy' } })]);

    // spec l. 1414: 2 × the interval (here 20 s) before the next fetch.
    s.clock.advance(39_999);
    expect(contentRequests()).toHaveLength(1);
    s.clock.advance(1);
    await waitForContentRequests(2);
  });

  it('no fetch while a feedback widget is shown', async () => {
    const { platform } = fakePlatform();
    const s = await local.sdk({ platform });
    s.clock.advance(10_000);
    s.countly.actors.content!.send({ type: 'overlay.shown', by: 'feedback' });
    s.countly.content.enterZone();
    await s.countly.queue.flush();
    expect(contentRequests()).toHaveLength(0);
    s.countly.actors.content!.send({ type: 'overlay.closed', by: 'feedback' });
    s.clock.advance(30_000);
    await waitForContentRequests(1);
  });

  it('consent removal removes the content and leaves the zone', async () => {
    const { platform, shown } = fakePlatform();
    local.server.configure({ contentBlock: block(local.server.url) });
    const s = await local.sdk({ platform, requiresConsent: true, consent: ['content'] });
    s.clock.advance(10_000);
    s.countly.content.enterZone();
    await vi.waitFor(() => expect(shown).toHaveLength(1));
    s.countly.consent.remove('content');
    expect(shown[0]!.closed).toBe(1);
    expect(state(s)).toEqual({ inZone: false, showing: false });
    s.countly.content.enterZone();
    expect(s.warnings().some((w) => w.includes('enterZone, no "content" consent'))).toBe(true);
  });

  it('a jte event: its request is delivered first, then the zone refreshes', async () => {
    const { platform, shown } = fakePlatform();
    local.server.configure({ contentBlock: block(local.server.url) });
    const s = await local.sdk({ platform, behaviorSettings: { jte: ['purchase'] } });
    s.clock.advance(10_000);
    s.countly.events.record('purchase');
    await waitForContentRequests(1);
    const paths = local.server.received.map((r) => r.path);
    const eventRequest = local.server.received.findIndex((r) => r.path === '/i' && (r.params.events ?? '').includes('"purchase"'));
    expect(eventRequest).toBeGreaterThanOrEqual(0);
    expect(eventRequest).toBeLessThan(paths.indexOf('/o/sdk/content'));
    await vi.waitFor(() => expect(shown).toHaveLength(1));
    expect(state(s)).toEqual({ inZone: true, showing: true });
  });

  it('a jte event whose request fails is retried 1 s later, then the zone refreshes', async () => {
    const { platform } = fakePlatform();
    const s = await local.sdk({ platform, behaviorSettings: { jte: ['purchase'] } });
    s.clock.advance(10_000);
    local.server.setFault({ kind: 'status', status: 500 });
    s.countly.events.record('purchase');
    await vi.waitFor(() => expect(s.countly.actors.content!.getSnapshot().value).toBe('retrying'));
    expect(contentRequests()).toHaveLength(0);
    local.server.setFault(null);
    s.clock.advance(1_000);
    await waitForContentRequests(1);
    expect(local.server.accepted().some((r) => (r.params.events ?? '').includes('"purchase"'))).toBe(true);
  });

  it('nothing is fetched in temporary-ID mode', async () => {
    const { platform } = fakePlatform();
    const s = await local.sdk({ platform, temporaryDeviceId: true });
    s.clock.advance(10_000);
    s.countly.content.enterZone();
    s.countly.content.preview('x');
    s.clock.advance(60_000);
    await s.countly.queue.flush();
    expect(contentRequests()).toHaveLength(0);
    expect(s.warnings().filter((w) => w.includes('temporary'))).toHaveLength(2);
  });
});
