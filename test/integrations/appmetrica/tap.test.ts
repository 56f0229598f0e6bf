/**
 * The exporter hook on the instance (src/exporters/host.ts, export.effect.ts): every event the
 * SDK accepts reaches each exporter exactly once, in record order, with the device ID it was
 * recorded under (temporary-ID events wait for the real ID); exporters are guarded, started
 * before their first export, flushed and shut down with the instance.
 */
import { describe, expect, it } from 'vitest';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { ExportedEvent, Exporter, ExporterHost } from '../../../src/exporters/types.js';
import { ExporterSet, readExporters } from '../../../src/exporters/host.js';
import { appMetricaExporter } from '../../../src/integrations/appmetrica/index.js';
import { createLogger } from '../../../src/log.js';
import { memoryStorage } from '../../../src/adapters/storage/memory.js';
import { useLocalServer } from '../../helpers/sdk.js';

function recorder(): Exporter & { events: ExportedEvent[]; calls: string[]; host: ExporterHost | null } {
  const self = {
    name: 'Recorder',
    events: [] as ExportedEvent[],
    calls: [] as string[],
    host: null as ExporterHost | null,
    start(h: ExporterHost) {
      self.host = h;
      self.calls.push('start');
    },
    export(events: readonly ExportedEvent[]) {
      self.calls.push('export');
      self.events.push(...events);
    },
    async flush() {
      self.calls.push('flush');
    },
    async shutdown() {
      self.calls.push('shutdown');
    },
  };
  return self;
}

describe('the exporter tap on an instance', () => {
  const local = useLocalServer();

  it('hands every accepted event once, in order, with the current device ID — also across a device ID change', async () => {
    const rec = recorder();
    const { countly } = await local.sdk({ deviceId: 'dev-a', exporters: [rec] });
    countly.events.record('one', { segmentation: { k: 'v' } });
    countly.events.record('two', { count: 3, sum: 1.5 });
    countly.deviceId.changeWithoutMerge('dev-b');
    countly.events.record('three');
    await countly.queue.flush();
    await countly.queue.flush();
    expect(rec.events.map((e) => [e.key, e.deviceId, e.appKey])).toEqual([
      ['one', 'dev-a', 'test-app-key'],
      ['two', 'dev-a', 'test-app-key'],
      ['three', 'dev-b', 'test-app-key'],
    ]);
    expect(rec.events[1]).toMatchObject({ count: 3, sum: 1.5 });
    expect(local.server.events().map((e) => [e.key, e.device_id])).toEqual([
      ['one', 'dev-a'],
      ['two', 'dev-a'],
      ['three', 'dev-b'],
    ]);
    expect(rec.calls[0]).toBe('start');
    expect(rec.calls).toContain('flush');
    await countly.shutdown();
    expect(rec.calls.at(-1)).toBe('shutdown');
    expect(typeof rec.host?.metrics()._os).toBe('string');
  });

  it('events recorded with a temporary ID go out with the ID that ends the mode', async () => {
    const clock = simulatedClock();
    local.server.configure({ appMetrica: { now: () => clock.now() } });
    const rec = recorder();
    const { countly } = await local.sdk({
      clock,
      temporaryDeviceId: true,
      exporters: [rec, appMetricaExporter({ postApiKey: 'KEY', applicationId: 1, url: local.server.url })],
    });
    countly.events.record('offline');
    await countly.queue.flush();
    expect(rec.events).toEqual([]);
    countly.disableOfflineMode('user-1');
    countly.events.record('online');
    await countly.queue.flush();
    expect(rec.events.map((e) => [e.key, e.deviceId])).toEqual([
      ['offline', 'user-1'],
      ['online', 'user-1'],
    ]);
    expect(local.server.appMetrica().map((r) => [r.event_name, r.profile_id])).toEqual([
      ['offline', 'user-1'],
      ['online', 'user-1'],
    ]);
  });
});

describe('ExporterSet', () => {
  const host = { storage: memoryStorage(), transport: { send: async () => ({ kind: 'timeout' as const, elapsedMs: 0 }) }, clock: simulatedClock(), metrics: () => ({}) };

  it('keeps events until start() settled, then delivers them in order', async () => {
    let release!: () => void;
    const rec = recorder();
    const slow: Exporter = { ...rec, start: () => new Promise<void>((r) => (release = r)), export: (e) => rec.export(e) };
    const set = new ExporterSet([slow], createLogger({ console: false }), host);
    set.export([{ appKey: 'k', deviceId: 'd', key: 'a', count: 1, timestamp: 1 }]);
    set.export([{ appKey: 'k', deviceId: 'd', key: 'b', count: 1, timestamp: 2 }]);
    expect(rec.events).toEqual([]);
    release();
    await set.flush();
    expect(rec.events.map((e) => e.key)).toEqual(['a', 'b']);
  });

  it('an exporter that throws or fails to start costs only itself', async () => {
    const lines: string[] = [];
    const log = createLogger({ console: false, listener: (m) => lines.push(m) });
    const rec = recorder();
    const failing: Exporter = { name: 'Bad', start: () => Promise.reject(new Error('no')), export: () => {}, flush: async () => {}, shutdown: async () => {} };
    const throwing: Exporter = { name: 'Thrower', start: () => {}, export: () => { throw new Error('boom'); }, flush: () => Promise.reject(new Error('late')), shutdown: async () => {} };
    const set = new ExporterSet([failing, throwing, rec], log, host);
    await set.flush();
    set.export([{ appKey: 'k', deviceId: 'd', key: 'a', count: 1, timestamp: 1 }]);
    await set.flush();
    await set.shutdown();
    expect(rec.events.map((e) => e.key)).toEqual(['a']);
    expect(lines).toEqual([
      '[Countly] [Exporters] start, exporter [Bad] failed to start (Error: no); it receives no events',
      '[Countly] [Exporters] flush, exporter [Thrower] failed: Error: late',
      '[Countly] [Exporters] export, exporter [Thrower] threw: Error: boom',
      '[Countly] [Exporters] flush, exporter [Thrower] failed: Error: late',
    ]);
  });

  it('readExporters keeps exporter-shaped objects only', () => {
    const lines: string[] = [];
    const log = createLogger({ console: false, listener: (m) => lines.push(m) });
    const rec = recorder();
    expect(readExporters(undefined, log)).toEqual([]);
    expect(readExporters('x', log)).toEqual([]);
    expect(readExporters([rec, null, { start() {} }, rec], log)).toEqual([rec]);
    expect(lines).toHaveLength(4);
  });
});
