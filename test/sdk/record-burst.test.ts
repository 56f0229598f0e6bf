/**
 * `events.record` bursts: calls in one synchronous run reach the events machine as one
 * `events.recordMany`, yet everything keeps call order and nothing waits past the run.
 */
import { describe, expect, it } from 'vitest';
import { instanceInternals } from '../../src/sdk.js';
import { useLocalServer } from '../helpers/sdk.js';

const local = useLocalServer();
const sdk = (config = {}) => local.sdk(config);
const sentKeys = () => local.server.events().map((e) => e.key);

describe('events.record bursts', () => {
  it('250 records in one run go out as batches of the threshold, in order', async () => {
    const { countly } = await sdk();
    for (let i = 0; i < 250; i++) countly.events.record(`e${i}`);
    expect(countly.getState().queue).toMatchObject({ events: 50, requests: 2 });
    await countly.queue.flush();
    expect(sentKeys()).toEqual(Array.from({ length: 250 }, (_, i) => `e${i}`));
    expect(local.server.accepted().filter((r) => r.params.events).map((r) => (JSON.parse(r.params.events!) as unknown[]).length)).toEqual([100, 100, 50]);
  });

  it('records and other calls in one run keep call order', async () => {
    const { countly } = await sdk();
    countly.events.record('a');
    const id = countly.views.start('Home');
    countly.events.record('b');
    countly.views.stopById(id!);
    countly.events.record('c');
    await countly.queue.flush();
    expect(sentKeys()).toEqual(['a', '[CLY]_view', 'b', '[CLY]_view', 'c']);
  });

  it('a burst is written to storage by the end of the run, not later', async () => {
    const { countly, storage } = await sdk();
    for (let i = 0; i < 10; i++) countly.events.record(`e${i}`);
    await instanceInternals(countly)!.writer.drain();
    const handle = await storage.open('test-app-key');
    const contents = await handle.read();
    expect(contents.queues.events.map((e) => (JSON.parse(e.data) as { key: string }).key)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
  });

  it('state$ emits once per burst with the final counts', async () => {
    const { countly } = await sdk();
    const seen: number[] = [];
    const sub = countly.state$.subscribe((s) => seen.push(s.queue.events));
    for (let i = 0; i < 30; i++) countly.events.record(`e${i}`);
    await Promise.resolve();
    await Promise.resolve();
    sub.unsubscribe();
    expect(seen[0]).toBe(0);
    expect(seen.at(-1)).toBe(30);
    expect(seen.length).toBeLessThanOrEqual(3);
  });

  it('records made before ready are kept and delivered in order', async () => {
    const { createCountly } = await import('../../src/sdk.js');
    const { memoryStorage } = await import('../../src/adapters/storage/memory.js');
    const { neutralPlatform } = await import('../../src/adapters/platform/neutral.js');
    const countly = createCountly({ url: local.server.url, appKey: 'k', storage: memoryStorage(), platform: neutralPlatform(), manualSessions: true, disableBehaviorSettingsUpdates: true });
    for (let i = 0; i < 5; i++) countly.events.record(`early${i}`);
    await countly.ready;
    countly.events.record('late');
    await countly.queue.flush();
    expect(sentKeys()).toEqual(['early0', 'early1', 'early2', 'early3', 'early4', 'late']);
    await countly.shutdown();
  });
});

describe('events.record keeps what was passed at the call', () => {
  it('a segmentation object changed right after the call does not change the event', async () => {
    const { countly } = await sdk();
    const seg: Record<string, unknown> = { plan: 'free', tags: ['a'] };
    countly.events.record('upgrade', { segmentation: seg as never });
    seg.plan = 'pro';
    (seg.tags as string[]).push('b');
    await countly.queue.flush();
    expect(local.server.events()[0]?.segmentation).toEqual({ plan: 'free', tags: ['a'] });
  });
});
