/** The content zone's pure rules (spec 001: Content Zone l. 1394-1520, 1577-1598). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { contentParams, entryDelayMs, intervalMsFrom, parseContentAnswer, resizeMessage, resolutionParam } from '../../../src/features/content/rules.js';

describe('content rules', () => {
  it('the request params (l. 1456-1468), a preview adds content_id and preview=true, the web adds cly_ws/cly_origin', () => {
    const metrics = { _resolution: '1920x1080', _locale: 'en_GB', _device_type: 'tablet' };
    expect(contentParams({ metrics, webOrigin: null }, null)).toEqual({
      method: 'queue',
      resolution: '{"p":{"w":1080,"h":1920},"l":{"w":1920,"h":1080}}',
      category: '[]',
      la: 'en',
      dt: 'tablet',
    });
    expect(contentParams({ metrics: {}, webOrigin: 'https://shop.example' }, 'id1')).toEqual({
      method: 'queue',
      resolution: '{"p":{"w":0,"h":0},"l":{"w":0,"h":0}}',
      category: '[]',
      la: 'en',
      dt: 'desktop',
      content_id: 'id1',
      preview: 'true',
      cly_ws: '1',
      cly_origin: 'https://shop.example',
    });
  });

  it('resolution: portrait is the short side wide, landscape the long side wide, whatever the input orientation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99999 }), fc.integer({ min: 0, max: 99999 }), (w, h) => {
        const r = JSON.parse(resolutionParam({ _resolution: `${w}x${h}` })) as { p: { w: number; h: number }; l: { w: number; h: number } };
        expect(r.p).toEqual({ w: Math.min(w, h), h: Math.max(w, h) });
        expect(r.l).toEqual({ w: Math.max(w, h), h: Math.min(w, h) });
        expect(resizeMessage({ _resolution: `${w}x${h}` }, 'landscape')).toEqual({ type: 'resize', width: r.l.w, height: r.l.h });
      }),
    );
  });

  it('the interval: czi ≥ 15 overrides the config; the 4 s initial delay only in the first 4 s', () => {
    expect(intervalMsFrom(30, undefined)).toBe(30_000);
    expect(intervalMsFrom(30, 15)).toBe(15_000);
    expect(intervalMsFrom(30, 14)).toBe(30_000);
    expect(entryDelayMs(1000, 1000)).toBe(4000);
    expect(entryDelayMs(1000, 4999)).toBe(4000);
    expect(entryDelayMs(1000, 5000)).toBe(0);
  });

  it('an answer is content only with html and geo (l. 1520)', () => {
    const geo = { p: { x: 0, y: 0, w: 1, h: 2 }, l: { x: 0, y: 0, w: 2, h: 1 } };
    expect(parseContentAnswer(200, JSON.stringify({ html: 'https://x/c', geo }))).toEqual({
      url: 'https://x/c',
      placement: { portrait: { x: 0, y: 0, width: 1, height: 2 }, landscape: { x: 0, y: 0, width: 2, height: 1 } },
    });
    for (const body of [{ html: 'https://x/c' }, { geo }, { html: '', geo }, { html: 'u', geo: {} }, { result: 'No content block found!' }, []]) {
      expect(parseContentAnswer(200, JSON.stringify(body))).toBeNull();
    }
    expect(parseContentAnswer(404, JSON.stringify({ html: 'u', geo }))).toBeNull();
    fc.assert(fc.property(fc.string(), (body) => void parseContentAnswer(200, body)));
  });
});
