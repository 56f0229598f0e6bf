/**
 * `countly.events` (spec: Events > Exposed Methods): argument validation, the log line of
 * every call, and the event each call sends to the events machine (stamped with the moment
 * of the call and a fresh event ID). The last block drives a real events actor through the
 * namespace.
 */
import { createCallbackRegistry } from '../../../src/runtime/callbacks.js';
import { describe, expect, it } from 'vitest';
import { createActor, type AnyActorRef } from 'xstate';
import { createEventsApi } from '../../../src/features/events/api.js';
import type { ActorName, ApiContext } from '../../../src/runtime/api-context.js';
import { resolveConfig } from '../../../src/config.js';
import { initialConsent } from '../../../src/domain/consent.js';
import type { WireEvent } from '../../../src/domain/types.js';
import type { Command } from '../../../src/effects/commands.js';
import { createLogger } from '../../../src/log.js';
import { eventsInputFrom, eventsMachine } from '../../../src/features/events/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import type { CountlyState } from '../../../src/state.js';
import { forFeature } from '../../../src/runtime/api-context.js';
import { eventsFeature } from '../../../src/features/events/index.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

function fake(options: { actor?: boolean; threshold?: number } = {}) {
  const logs: string[] = [];
  const sent: Array<{ target: ActorName; event: { type: string } & Record<string, unknown> }> = [];
  const commands: Command[] = [];
  const log = createLogger({ console: false, listener: (message, level) => logs.push(`${level}: ${message}`) });
  const config = resolveConfig(
    { url: 'https://c.example', appKey: 'k', ...(options.threshold ? { eventQueueThreshold: options.threshold } : {}) },
    createLogger({ console: false }),
  );
  let actor: AnyActorRef | undefined;
  if (options.actor) {
    actor = createActor(eventsMachine, { input: eventsInputFrom(config, [], initialConsent(config)) });
    actor.on('*', (c) => commands.push(c as Command));
    actor.start();
  }
  let ms = 0;
  let ids = 0;
  const ctx: ApiContext = {
    config,
    log,
    callbacks: createCallbackRegistry(log),
    now: () => instantAt(T0 + (ms += 1000)),
    newId: () => `id-${(ids += 1)}`,
    eventId: () => `id-${(ids += 1)}`,
    // The SDK stamps a record when it hands it over; here at once.
    record(fields) {
      this.send('events', { type: 'events.record', ...fields, at: this.now(), id: this.eventId() } as never);
    },
    send: (target, event) => {
      sent.push({ target, event: event as never });
      if (target === 'events') actor?.send(event);
    },
    broadcast: () => undefined,
    command: () => undefined,
    snapshot: (target) => (target === 'events' ? actor?.getSnapshot() : undefined) as never,
    state: () => ({}) as CountlyState,
    isReady: () => true,
    flush: async () => undefined,
  };
  return { api: createEventsApi(forFeature(ctx, eventsFeature)), logs, sent, commands, take: () => sent.splice(0).map((s) => s.event) };
}

describe('events.record', () => {
  it('logs the call with its params and sends events.record with at and id', () => {
    const f = fake();
    f.api.record('purchase', { count: 2, sum: 2.99, dur: 30, segmentation: { screen: 'main' } });
    expect(f.logs).toEqual(['info: [Countly] [Events] record, key [purchase], options [{"count":2,"sum":2.99,"dur":30,"segmentation":{"screen":"main"}}]']);
    expect(f.sent.map((s) => s.target)).toEqual(['events']);
    expect(f.take()).toEqual([
      { type: 'events.record', key: 'purchase', count: 2, sum: 2.99, dur: 30, segmentation: { screen: 'main' }, at: instantAt(T0 + 1000), id: 'id-1' },
    ]);
  });

  it('works with the key alone', () => {
    const f = fake();
    f.api.record('login');
    expect(f.logs).toEqual(['info: [Countly] [Events] record, key [login]']);
    expect(f.take()).toEqual([{ type: 'events.record', key: 'login', at: instantAt(T0 + 1000), id: 'id-1' }]);
  });

  it('ignores a missing, empty or non-string key with a warning', () => {
    const f = fake();
    for (const key of [undefined, null, '', '   ', 5, {}]) f.api.record(key as unknown as string);
    expect(f.take()).toEqual([]);
    const warnings = f.logs.filter((l) => l.startsWith('warning'));
    expect(warnings).toHaveLength(6);
    expect(warnings[2]).toBe('warning: [Countly] [Events] record, event key must be a non-empty string, got []; call ignored');
  });

  it('drops options of the wrong type with a warning, keeping the rest', () => {
    const f = fake();
    f.api.record('a', { count: '2', sum: 1, dur: null, segmentation: 'x' } as never);
    expect(f.take()).toEqual([{ type: 'events.record', key: 'a', sum: 1, at: instantAt(T0 + 1000), id: 'id-1' }]);
    expect(f.logs.filter((l) => l.startsWith('warning'))).toEqual([
      'warning: [Countly] [Events] record, count must be a number, got [2]; default used',
      'warning: [Countly] [Events] record, segmentation must be an object, got [x]; segmentation ignored',
    ]);
    f.api.record('b', 'options' as never);
    expect(f.take()).toEqual([{ type: 'events.record', key: 'b', at: instantAt(T0 + 2000), id: 'id-2' }]);
    expect(f.logs.at(-1)).toBe('warning: [Countly] [Events] record, options must be an object, got [options]; defaults used');
    f.api.record('c', null as never);
    expect(f.take()).toHaveLength(1);
  });
});

describe('events.start / end / cancel', () => {
  it('start sends the key and the moment', () => {
    const f = fake();
    f.api.start('load');
    expect(f.logs).toEqual(['info: [Countly] [Events] start, key [load]']);
    expect(f.take()).toEqual([{ type: 'events.start', key: 'load', at: instantAt(T0 + 1000) }]);
  });

  it('end sends count, sum and segmentation, never dur', () => {
    const f = fake();
    f.api.end('load', { count: 3, sum: 1, segmentation: { a: 1 }, dur: 9 } as never);
    expect(f.take()).toEqual([{ type: 'events.end', key: 'load', count: 3, sum: 1, segmentation: { a: 1 }, at: instantAt(T0 + 1000), id: 'id-1' }]);
    f.api.end('load', [] as never);
    expect(f.logs.at(-1)).toBe('warning: [Countly] [Events] end, options must be an object, got [[]]; defaults used');
  });

  it('cancel sends the key', () => {
    const f = fake();
    f.api.cancel('load');
    expect(f.take()).toEqual([{ type: 'events.cancel', key: 'load' }]);
  });

  it('each refuses a bad key with its own message', () => {
    const f = fake();
    f.api.start('');
    f.api.end('');
    f.api.cancel('');
    expect(f.take()).toEqual([]);
    const warnings = f.logs.filter((l) => l.startsWith('warning'));
    expect(new Set(warnings).size).toBe(3);
    expect(warnings.map((w) => w.split(', ')[0])).toEqual(['warning: [Countly] [Events] start', 'warning: [Countly] [Events] end', 'warning: [Countly] [Events] cancel']);
  });
});

describe('events namespace → events machine', () => {
  const persisted = (cmds: Command[]): WireEvent[] => cmds.flatMap((c) => (c.type === 'events.persist' ? c.events : []));

  it('records, times and batches through a real actor', () => {
    const f = fake({ actor: true, threshold: 3 });
    f.api.record('a', { count: 0 });
    f.api.start('t');
    f.api.end('t', { sum: 2 });
    f.api.record('b');
    const events = persisted(f.commands);
    expect(events.map((e) => e.key)).toEqual(['a', 't', 'b']);
    expect(events[0]?.count).toBe(1);
    expect(events[1]).toMatchObject({ dur: 1, sum: 2, timestamp: T0 + 2000, id: 'id-2' });
    expect(f.commands.filter((c) => c.type === 'request.enqueue')).toHaveLength(1);
    expect(f.commands.filter((c) => c.type === 'log').map((c) => (c as { message: string }).message)).toEqual([
      'record, count [0] must be a positive integer, using 1',
    ]);
  });
});
