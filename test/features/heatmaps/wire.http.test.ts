/**
 * Heatmaps over HTTP (SDK guide l.2782–2860): the `[CLY]_action`, `linkClick` and `formSubmit`
 * events as the local Countly-compatible server receives them, from a fake platform
 * implementing `onInteraction`, on a simulated clock.
 */
import { describe, expect, it } from 'vitest';
import type { InteractionEvent, InteractionKinds, Platform } from '../../../src/adapters/types.js';
import { neutralPlatform } from '../../../src/adapters/platform/neutral.js';
import { useLocalServer } from '../../helpers/sdk.js';

/** A platform whose interaction hook the test drives, recording what it was asked for. */
function interactionPlatform() {
  let listener: ((e: InteractionEvent) => void) | null = null;
  const asked: InteractionKinds[] = [];
  let stopped = 0;
  const platform: Platform = {
    ...neutralPlatform(),
    name: 'Web',
    onInteraction(kinds, l) {
      asked.push({ ...kinds });
      listener = l;
      return () => {
        listener = null;
        stopped++;
      };
    },
  };
  return { platform, fire: (e: unknown) => listener?.(e as InteractionEvent), asked, stopped: () => stopped, listening: () => listener !== null };
}

const click = (x: number, y: number, view = 'https://sth.com'): InteractionEvent => ({ kind: 'click', x, y, width: 1920, height: 1200, view });
const scroll = (y: number, view = 'https://sth.com'): InteractionEvent => ({ kind: 'scroll', y, width: 1920, height: 1200, view });

describe('heatmaps over HTTP', () => {
  const local = useLocalServer();
  const actions = () => local.server.events().filter((e) => e.key === '[CLY]_action' || e.key === 'linkClick' || e.key === 'formSubmit');

  it('trackClicks: the exact click event of the spec reaches /i, with the 1 s cool-down', async () => {
    const p = interactionPlatform();
    const s = await local.sdk({ platform: p.platform });
    s.countly.heatmaps.trackClicks();
    await Promise.resolve();
    expect(p.asked).toEqual([{ clicks: true, links: true, scrolls: false, forms: true }]);
    p.fire(click(120, 200));
    s.clock.advance(500);
    p.fire(click(5, 5)); // within the cool-down
    s.clock.advance(600);
    p.fire(click(7.4, 8.6));
    p.fire({ kind: 'link', href: 'https://b.test/x', text: 'Next', id: 'n', view: 'https://sth.com' });
    p.fire({ kind: 'form', id: 'f1', name: 'signup', action: '/join', method: 'post', view: 'https://sth.com' });
    p.fire({ kind: 'click', x: 'junk' }); // a hostile platform object is dropped
    await s.countly.queue.flush();
    expect(actions().map((e) => [e.key, e.count, e.segmentation])).toEqual([
      ['[CLY]_action', 1, { type: 'click', x: 120, y: 200, width: 1920, height: 1200, view: 'https://sth.com' }],
      ['[CLY]_action', 1, { type: 'click', x: 7, y: 9, width: 1920, height: 1200, view: 'https://sth.com' }],
      ['linkClick', 1, { href: 'https://b.test/x', text: 'Next', id: 'n', view: 'https://sth.com' }],
      ['formSubmit', 1, { id: 'f1', name: 'signup', action: '/join', method: 'post', view: 'https://sth.com' }],
    ]);
    expect(s.warnings()).toEqual([]);
  });

  it('scrolls from the config: the max depth per view, once, on view change and on page hide (same request as the flush)', async () => {
    const p = interactionPlatform();
    const s = await local.sdk({ platform: p.platform, heatmaps: { scrolls: true } });
    await Promise.resolve();
    expect(p.asked).toEqual([{ clicks: false, links: false, scrolls: true, forms: false }]);
    p.fire(scroll(300));
    p.fire(scroll(900));
    p.fire(scroll(600));
    p.fire(scroll(200, 'https://sth.com/b'));
    p.fire(scroll(1500, 'https://sth.com/b'));
    s.countly.lifecycle.background();
    p.fire({ kind: 'leave' });
    await s.countly.queue.flush();
    expect(actions().map((e) => e.segmentation)).toEqual([
      { type: 'scroll', y: 900, width: 1920, height: 1200, view: 'https://sth.com' },
      { type: 'scroll', y: 1500, width: 1920, height: 1200, view: 'https://sth.com/b' },
    ]);
    // Both went out in the request the page hide flushed, not a later one.
    const withActions = local.server.accepted().filter((r) => (r.params.events ?? '').includes('[CLY]_action'));
    expect(withActions).toHaveLength(1);
  });

  it('consent: nothing watched or sent without `clicks` / `scrolls`; giving it starts; removing it stops listening', async () => {
    const p = interactionPlatform();
    const s = await local.sdk({ platform: p.platform, requiresConsent: true, consent: ['events'], heatmaps: { clicks: true, scrolls: true } });
    await Promise.resolve();
    p.fire(click(1, 1));
    p.fire(scroll(100));
    expect(p.listening()).toBe(false);
    s.countly.consent.give(['clicks']);
    await Promise.resolve();
    expect(p.asked.at(-1)).toEqual({ clicks: true, links: true, scrolls: false, forms: false });
    p.fire(click(2, 2));
    p.fire(scroll(100));
    s.countly.consent.remove(['clicks']);
    await Promise.resolve();
    expect(p.listening()).toBe(false);
    await s.countly.queue.flush();
    expect(actions().map((e) => (e.segmentation as { type?: string } | undefined)?.type)).toEqual(['click']);
  });

  it('a platform without the hook (Node): trackClicks warns and tracks nothing', async () => {
    const s = await local.sdk();
    s.countly.heatmaps.trackClicks();
    s.countly.heatmaps.trackScrolls();
    await Promise.resolve();
    expect(s.warnings()).toEqual([
      '[Countly] [Heatmaps] trackClicks, this platform reports no clicks; nothing is tracked',
      '[Countly] [Heatmaps] trackScrolls, this platform reports no scrolls; nothing is tracked',
    ]);
  });

  it('a throwing hook costs heatmaps, never the SDK', async () => {
    const platform: Platform = { ...neutralPlatform(), onInteraction: () => { throw new Error('nope'); } };
    const s = await local.sdk({ platform });
    expect(() => s.countly.heatmaps.trackClicks()).not.toThrow();
    await Promise.resolve();
    s.countly.events.record('still-works');
    await s.countly.queue.flush();
    expect(local.server.events().map((e) => e.key)).toContain('still-works');
    expect(s.warnings().some((w) => w.includes("onInteraction hook failed"))).toBe(true);
  });
});
