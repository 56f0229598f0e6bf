/**
 * Backend mode reuses the client's request processor, backoff and persisted queue: a failed
 * send is retried after the cool-down with the same request, the queue survives a restart
 * (file storage) with every request's device ID and app key as given, a full queue drops its
 * oldest request (spec l. 5266), and bad input is warned about, never thrown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileStorage } from '../../src/adapters/storage/file.js';
import { createBackend } from '../../src/backend/index.js';
import { accepted, eventsOf, makeBackend, useBackendServer } from './helpers.js';

const DEAD_URL = 'http://127.0.0.1:9';

describe('backend mode: retries, persistence, limits', () => {
  const s = useBackendServer();
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('retries a failed request after the cool-down, unchanged (the processor’s rules)', async () => {
    const { backend, clock } = await s.make({ retryCooldownSeconds: 10 });
    s.server.injectFaults({ kind: 'status', status: 500 });
    backend.recordDirectRequest('d1', { a: '1' });
    await s.server.waitFor((list) => list.length >= 1 && list[0]?.status !== 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.server.received.map((r) => r.status)).toEqual([500]);
    expect(backend.pending().requests).toBe(1);
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.server.received.length).toBe(1);
    clock.advance(1);
    await s.server.waitFor((list) => list.length >= 2);
    await backend.flush();
    const [first, second] = s.server.received;
    expect(second?.status).toBe(200);
    expect(second?.params.timestamp).toBe(first?.params.timestamp);
    expect(backend.pending().requests).toBe(0);
  });

  it('keeps the queue across a restart (file storage), each request with its own device ID and app key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chartly-backend-'));
    dirs.push(dir);
    const first = makeBackend(DEAD_URL, { storage: fileStorage(dir), deviceEventThreshold: 2 });
    await first.backend.ready;
    first.backend.recordEvent('d1', 'a', { appKey: 'k1' });
    first.backend.recordEvent('d1', 'b', { appKey: 'k1' }); // a request
    first.backend.recordEvent('d2', 'c', { appKey: 'k2' }); // pooled: shutdown drains it
    first.backend.beginSession('d3', { appKey: 'k3', metrics: { _os: 'X' } });
    await first.backend.shutdown();
    const second = makeBackend(s.server.url, { storage: fileStorage(dir) });
    await second.backend.ready;
    expect(second.backend.pending()).toEqual({ events: 0, requests: 3 });
    await second.backend.flush();
    await second.backend.shutdown();
    const reqs = accepted(s.server);
    expect(reqs.map((r) => `${r.app_key}/${r.device_id}`)).toEqual(['k1/d1', 'k3/d3', 'k2/d2']);
    expect(eventsOf(reqs[0] as Record<string, string>).map((e) => e.key)).toEqual(['a', 'b']);
    expect(reqs[1]?.begin_session).toBe('1');
  });

  it('drops the oldest request when the queue is full (spec l. 5266)', async () => {
    const { backend, warnings } = makeBackend(DEAD_URL, { maxRequestQueueSize: 2 });
    await backend.ready;
    backend.recordDirectRequest('d1', { n: '1' });
    backend.recordDirectRequest('d2', { n: '2' });
    backend.recordDirectRequest('d3', { n: '3' });
    expect(backend.pending().requests).toBe(2);
    expect(warnings()).toContain('[Countly] [RequestQueue] enqueue, queue is full, dropped the 1 oldest request(s)');
    await backend.shutdown();
  });

  it('warns about bad input naming the method, throws nothing, sends nothing for refused calls', async () => {
    const { backend, warnings } = await s.make();
    const b = backend as unknown as Record<string, (...args: unknown[]) => void>;
    b.recordEvent?.('', 'k');
    b.recordEvent?.('d', '');
    b.recordEvent?.('d', 'k', { count: -3, appKey: 5 });
    b.recordEvent?.('d', 'k', { count: -3, timestamp: 'yesterday', sum: 'x' });
    b.recordUserProperties?.('d', null);
    b.recordException?.('d', 42);
    b.beginSession?.(null);
    b.updateSession?.('d', 0);
    b.endSession?.('d', -1);
    b.startView?.('d', '');
    b.stopView?.('d', 'v', -5);
    b.changeDeviceIdWithMerge?.('same', 'same');
    b.changeDeviceIdWithMerge?.('new', '');
    b.recordDirectRequest?.('d', { device_id: 'x' });
    b.recordEvent?.('d', 'k', 'options');
    await backend.flush();
    expect(warnings()).toEqual([
      '[Countly] [Backend] recordEvent, deviceId must be a non-empty string, got []; call ignored',
      '[Countly] [Backend] recordEvent, key must be a non-empty string, got []; call ignored',
      '[Countly] [Backend] recordEvent, appKey must be a non-empty string, got [5]; call ignored',
      '[Countly] [Backend] recordEvent, timestamp must be a positive integer of ms, got [yesterday]; using now',
      '[Countly] [Backend] recordEvent, count must be a positive integer, got [-3]; using 1',
      '[Countly] [Backend] recordEvent, sum must be a finite number, got [x]; left out',
      '[Countly] [Backend] recordUserProperties, properties must be an object, got [null]',
      '[Countly] [Backend] recordUserProperties, no valid property given; call ignored',
      '[Countly] [Backend] recordException, error must be a non-empty string, got [42]; call ignored',
      '[Countly] [Backend] beginSession, deviceId must be a non-empty string, got [null]; call ignored',
      '[Countly] [Backend] updateSession, duration must be a number of seconds >= 1, got [0]; call ignored',
      '[Countly] [Backend] endSession, duration must be a number of seconds >= 0, got [-1]; call ignored',
      '[Countly] [Backend] startView, name must be a non-empty string, got []; call ignored',
      '[Countly] [Backend] stopView, duration must be a number of seconds >= 0, got [-5]; call ignored',
      '[Countly] [Backend] changeDeviceIdWithMerge, newDeviceId and oldDeviceId are the same [same]; call ignored',
      '[Countly] [Backend] changeDeviceIdWithMerge, oldDeviceId must be a non-empty string, got []; call ignored',
      '[Countly] [Backend] recordDirectRequest, param [device_id] is set by the SDK, dropped',
      '[Countly] [Backend] recordDirectRequest, params must hold at least one string param; call ignored',
      '[Countly] [Backend] recordEvent, options must be an object, got [options]; ignored',
    ]);
    // The two events recorded despite their bad options: count 1, no sum.
    expect(accepted(s.server).flatMap((r) => eventsOf(r).map((e) => [e.key, e.count, e.sum]))).toEqual([['k', 1, undefined], ['k', 1, undefined]]);
  });

  it('refuses calls after shutdown and throws only on a bad url or app key', async () => {
    const { backend, warnings } = await s.make();
    await backend.shutdown();
    await backend.shutdown();
    backend.recordEvent('d', 'late');
    await backend.flush();
    expect(warnings()).toEqual(['[Countly] [Backend] recordEvent, the backend is shut down; call ignored']);
    expect(() => createBackend({ url: 'nope', appKey: 'k' })).toThrow(/url/);
    expect(() => createBackend({ url: s.server.url, appKey: '' })).toThrow(/appKey/);
    const bad = makeBackend(s.server.url, { deviceEventThreshold: 0, flushIntervalSeconds: 1.5 } as never);
    await bad.backend.shutdown();
    expect(bad.warnings()).toEqual([
      '[Countly] [Backend] createBackend, invalid deviceEventThreshold [0], using [10]',
      '[Countly] [Backend] createBackend, invalid flushIntervalSeconds [1.5], using [60]',
    ]);
  });
});
