/**
 * The browser UI's pure parts, in Node (no DOM library): origins, placement, the widget
 * message mapping, and that nothing throws or shows without a document body. The DOM part is
 * covered end to end in Chromium (test/browser/ui.test.ts).
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { browserUi, httpOrigin, isHttpUrl, rectFor, rectStyle, widgetMessageUrl } from '../../src/adapters/platform/browser-ui.js';
import { browserPlatform } from '../../src/adapters/platform/browser.js';
import { parseWidgetMessage } from '../../src/features/feedback/webview.js';

const placement = { portrait: { x: 0, y: 10, width: 360, height: 640 }, landscape: { x: 5, y: 0, width: 640, height: 360 } };

describe('origins', () => {
  it('reads the origin of http(s) URLs only', () => {
    expect(httpOrigin('https://c.example:8443/feedback/nps?x=1')).toBe('https://c.example:8443');
    expect(httpOrigin('http://127.0.0.1:3000/content/1')).toBe('http://127.0.0.1:3000');
    expect(httpOrigin('/content/1', 'http://a.test/page')).toBe('http://a.test');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'about:blank', 'not a url', '', '/relative', 42, null, undefined]) {
      expect(httpOrigin(bad)).toBeNull();
    }
  });

  it('opens http(s) URLs only', () => {
    expect(isHttpUrl('https://count.ly')).toBe(true);
    expect(isHttpUrl('javascript:alert(1)')).toBe(false);
    expect(isHttpUrl('mailto:a@b.c')).toBe(false);
  });
});

describe('placement', () => {
  it('picks the rect of the orientation', () => {
    expect(rectFor(placement, true)).toBe(placement.portrait);
    expect(rectFor(placement, false)).toBe(placement.landscape);
  });

  it('writes CSS px, never negative or non-finite', () => {
    expect(rectStyle({ x: 5, y: 10, width: 360, height: 640 })).toEqual({ left: '5px', top: '10px', width: '360px', height: '640px' });
    expect(rectStyle({ x: -3, y: Number.NaN, width: Infinity, height: '9' as unknown as number })).toEqual({ left: '0px', top: '0px', width: '0px', height: '0px' });
  });
});

describe('widget messages', () => {
  it('passes action-event URLs and external links as they are', () => {
    const close = 'https://countly_action_event/?cly_widget_command=1&close=1';
    expect(widgetMessageUrl(close)).toBe(close);
    expect(parseWidgetMessage(widgetMessageUrl(close))).toEqual({ kind: 'close', cancel: true });
    expect(widgetMessageUrl('https://example.com/terms?cly_x_int=1')).toBe('https://example.com/terms?cly_x_int=1');
  });

  it('maps the web widget objects (and their JSON) to the protocol', () => {
    expect(parseWidgetMessage(widgetMessageUrl({ close: true }))).toEqual({ kind: 'close', cancel: false });
    expect(parseWidgetMessage(widgetMessageUrl(JSON.stringify({ close: 1 })))).toEqual({ kind: 'close', cancel: false });
    expect(parseWidgetMessage(widgetMessageUrl({ link: 'https://count.ly/a?b=c&d=e' }))).toEqual({ kind: 'link', url: 'https://count.ly/a?b=c&d=e', close: false });
    expect(parseWidgetMessage(widgetMessageUrl({ link: 'https://count.ly', close: '1' }))).toEqual({ kind: 'link', url: 'https://count.ly', close: true });
  });

  it('ignores anything else', () => {
    for (const other of ['hello', 'https://example.com/', '{bad json', '[1]', {}, { close: 0 }, { type: 'resize' }, [], null, 7, undefined]) {
      expect(widgetMessageUrl(other)).toBeNull();
    }
  });

  it('never throws, and what it returns always parses', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const url = widgetMessageUrl(data);
        if (url !== null) expect(parseWidgetMessage(url).kind).not.toBe('ignore');
      }),
    );
  });
});

describe('without a DOM', () => {
  it('is import-safe and part of the browser platform', () => {
    const ui = browserPlatform().ui;
    expect(typeof ui?.showWidget).toBe('function');
    expect(typeof ui?.showContent).toBe('function');
    expect(typeof ui?.openUrl).toBe('function');
  });

  it('shows nothing without document.body and says closed once', () => {
    const ui = browserUi({ body: null } as unknown as Document);
    const widget = { onMessage: vi.fn(), onClosed: vi.fn() };
    expect(ui.showWidget?.('https://c.example/feedback/nps', widget)).toBeUndefined();
    expect(widget.onClosed).toHaveBeenCalledTimes(1);
    const content = { onMessage: vi.fn(), onClosed: vi.fn() };
    expect(ui.showContent?.('https://c.example/content/1', placement, content)).toBeUndefined();
    expect(content.onClosed).toHaveBeenCalledTimes(1);
    // No global document in Node: the same.
    const global = { onMessage: vi.fn(), onClosed: vi.fn() };
    expect(browserUi().showWidget?.('https://c.example/', global)).toBeUndefined();
    expect(global.onClosed).toHaveBeenCalledTimes(1);
  });

  it('survives a DOM that throws', () => {
    const hostile = { get body(): never { throw new Error('no'); } } as unknown as Document;
    const handlers = { onMessage: vi.fn(), onClosed: vi.fn() };
    expect(() => browserUi(hostile).showContent?.('https://c.example/', placement, handlers)).not.toThrow();
    expect(handlers.onClosed).toHaveBeenCalledTimes(1);
    const broken = { body: {}, createElement: () => { throw new Error('nope'); } } as unknown as Document;
    const h2 = { onMessage: vi.fn(), onClosed: vi.fn() };
    expect(browserUi(broken).showWidget?.('https://c.example/', h2)).toBeUndefined();
    expect(h2.onClosed).toHaveBeenCalledTimes(1);
  });

  it('opens only http(s) URLs, with noopener', () => {
    const open = vi.fn();
    const doc = { defaultView: { open } } as unknown as Document;
    const ui = browserUi(doc);
    ui.openUrl?.('javascript:alert(1)');
    ui.openUrl?.('https://count.ly');
    expect(open.mock.calls).toEqual([['https://count.ly', '_blank', 'noopener']]);
    expect(() => browserUi({ defaultView: { open: () => { throw new Error('blocked'); } } } as unknown as Document).openUrl?.('https://x.test')).not.toThrow();
  });
});
