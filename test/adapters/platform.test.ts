import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { nodePlatform } from '../../src/adapters/platform/node.js';
import { browserPlatform } from '../../src/adapters/platform/browser.js';

describe('platforms', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('node platform reports OS metrics and is in the foreground', () => {
    const p = nodePlatform();
    const m = p.metrics();
    expect(p.name).toBe('Node');
    expect(m._os).toBeTruthy();
    expect(m._os_version).toBeTruthy();
    expect(m._device_type).toBe('desktop');
    expect(p.isForeground?.()).toBe(true);
    expect(nodePlatform({ foreground: false, deviceType: 'server' }).metrics()._device_type).toBe('server');
  });

  it('node platform never reports the host name (often a person\'s name) as _device', () => {
    const m = nodePlatform().metrics();
    expect(Object.values(m)).not.toContain(os.hostname());
    if (m._device !== undefined) expect(m._device).not.toMatch(/^(to be filled|default string)/i);
  });

  it('neutral platform works without browser globals', () => {
    const p = neutralPlatform();
    expect(p.metrics()._os).toBe('Unknown');
    expect(p.isForeground?.()).toBe(true);
  });

  it('browser platform reads navigator, screen, visibility and the cly_id URL param', () => {
    const listeners: Record<string, () => void> = {};
    const doc = {
      visibilityState: 'visible',
      addEventListener: (t: string, f: () => void) => (listeners[t] = f),
      removeEventListener: (t: string) => delete listeners[t],
    };
    vi.stubGlobal('document', doc);
    vi.stubGlobal('navigator', { userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120', language: 'de-DE' });
    vi.stubGlobal('screen', { width: 1920, height: 1080, orientation: { type: 'landscape-primary' } });
    vi.stubGlobal('devicePixelRatio', 2);
    vi.stubGlobal('location', { search: '?x=1&cly_id=from-url' });
    const p = browserPlatform();
    expect(p.metrics()).toMatchObject({ _os: 'Windows', _os_version: '10.0', _resolution: '1920x1080', _density: '2', _locale: 'de-DE', _device_type: 'desktop' });
    expect(p.urlDeviceId?.()).toBe('from-url');
    expect(p.orientation?.()).toBe('landscape');
    expect(p.isBot?.()).toBe(false);
    const seen: string[] = [];
    const off = p.onLifecycle!((s) => seen.push(s));
    doc.visibilityState = 'hidden';
    listeners.visibilitychange!();
    doc.visibilityState = 'visible';
    listeners.visibilitychange!();
    expect(seen).toEqual(['background', 'foreground']);
    off();
    expect(listeners.visibilitychange).toBeUndefined();
  });

  it('browser platform: pagehide reports background once, then the exit, in one listener; pageshow brings it back', () => {
    const docListeners: Record<string, () => void> = {};
    const winListeners: Record<string, Array<() => void>> = {};
    const doc = {
      visibilityState: 'visible',
      addEventListener: (t: string, f: () => void) => (docListeners[t] = f),
      removeEventListener: (t: string) => delete docListeners[t],
    };
    vi.stubGlobal('document', doc);
    vi.stubGlobal('addEventListener', (t: string, f: () => void) => (winListeners[t] ??= []).push(f));
    vi.stubGlobal('removeEventListener', (t: string, f: () => void) => (winListeners[t] = (winListeners[t] ?? []).filter((g) => g !== f)));
    const p = browserPlatform();
    const seen: string[] = [];
    // Subscribed in the runtime's order: lifecycle first, then exit.
    const offLifecycle = p.onLifecycle!((s) => seen.push(s));
    const offExit = p.onExit!(() => seen.push('exit'));
    expect(winListeners.pagehide).toHaveLength(1);
    winListeners.pagehide!.forEach((f) => f());
    // The browser then says hidden too: heard once only.
    doc.visibilityState = 'hidden';
    docListeners.visibilitychange!();
    expect(seen).toEqual(['background', 'exit']);
    // Back from the back/forward cache.
    doc.visibilityState = 'visible';
    winListeners.pageshow!.forEach((f) => f());
    expect(seen).toEqual(['background', 'exit', 'foreground']);
    offExit();
    expect(winListeners.pagehide).toHaveLength(1);
    offLifecycle();
    expect(winListeners.pagehide).toHaveLength(0);
    expect(winListeners.pageshow).toHaveLength(0);
  });

  it('browser platform detects bots and mobile devices and tolerates missing globals', () => {
    vi.stubGlobal('navigator', { userAgent: 'Mozilla/5.0 (compatible; Googlebot/2.1)' });
    expect(browserPlatform().isBot?.()).toBe(true);
    vi.stubGlobal('navigator', { userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Mobile' });
    vi.stubGlobal('screen', { width: 390, height: 844 });
    const m = browserPlatform().metrics();
    expect(m).toMatchObject({ _os: 'iOS', _os_version: '17.1', _device_type: 'mobile' });
    expect(browserPlatform().orientation?.()).toBe('portrait');
    vi.stubGlobal('location', { search: '' });
    expect(browserPlatform().urlDeviceId?.()).toBeUndefined();
    vi.stubGlobal('document', undefined);
    expect(browserPlatform().isForeground?.()).toBe(true);
    expect(typeof browserPlatform().onLifecycle!(() => undefined)).toBe('function');
  });
});
