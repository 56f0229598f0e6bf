/**
 * User profiles over HTTP against the local Countly-compatible server: the `user_details`
 * shape (001 l. 3921–3944), its place before `begin_session` and events, the config's
 * `userProperties`, consent, behavior settings, a device-ID change, and hostile input.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedRequest } from '../../../src/server/index.js';
import { useLocalServer } from '../../helpers/sdk.js';

const details = (r: ReceivedRequest): unknown => JSON.parse(r.params.user_details!);
const kinds = (rs: readonly ReceivedRequest[]): string[] =>
  rs.map((r) => (r.params.user_details ? 'user_details' : r.params.begin_session ? 'begin_session' : r.params.events ? 'events' : r.params.end_session ? 'end_session' : 'other'));

describe('user profiles over HTTP', () => {
  const local = useLocalServer();
  const userRequests = (): ReceivedRequest[] => local.server.accepted().filter((r) => r.params.user_details !== undefined);

  it('sends one user_details on save: predefined keys at the top, custom values and modifiers under custom', async () => {
    const s = await local.sdk();
    s.countly.user.setProperties({ name: 'Jane Doe', email: 'jane@example.com', byear: 1990, picture: 'p'.repeat(5000), level: 5, gone: '' });
    s.countly.user.incrementBy('score', 10);
    s.countly.user.increment('score');
    s.countly.user.push('badges', 'gold');
    s.countly.user.pushUnique('tags', 'beta');
    s.countly.user.pushUnique('tags', 'beta');
    s.countly.user.pull('old', 'alpha');
    s.countly.user.multiply('m', 2);
    s.countly.user.saveMax('hi', 3);
    s.countly.user.saveMin('lo', 1);
    s.countly.user.setOnce('first', 'yes');
    s.countly.user.save();
    await s.countly.queue.flush();
    expect(userRequests()).toHaveLength(1);
    expect(details(userRequests()[0]!)).toEqual({
      name: 'Jane Doe',
      email: 'jane@example.com',
      byear: 1990,
      picture: 'p'.repeat(4096),
      custom: {
        level: 5,
        gone: null,
        $inc: { score: 11 },
        $push: { badges: ['gold'] },
        $addToSet: { tags: ['beta'] },
        $pull: { old: ['alpha'] },
        $mul: { m: 2 },
        $max: { hi: 3 },
        $min: { lo: 1 },
        $setOnce: { first: 'yes' },
      },
    });
  });

  it('queues user_details before begin_session, and before the events and end_session of a session end', async () => {
    const s = await local.sdk();
    s.countly.user.setProperty('name', 'A');
    s.countly.sessions.begin();
    s.countly.user.setProperty('b', 1);
    s.countly.events.record('e');
    s.countly.sessions.end();
    await s.countly.queue.flush();
    const rs = local.server.accepted();
    expect(kinds(rs)).toEqual(['user_details', 'begin_session', 'user_details', 'events', 'end_session']);
    expect(rs.filter((r) => r.params.user_details).map(details)).toEqual([{ name: 'A' }, { custom: { b: 1 } }]);
  });

  it('queues user_details before an events request the event queue threshold causes', async () => {
    const s = await local.sdk({ eventQueueThreshold: 2 });
    s.countly.user.setProperty('name', 'B');
    s.countly.events.record('e1');
    s.countly.events.record('e2');
    await s.countly.queue.flush();
    expect(kinds(local.server.accepted())).toEqual(['user_details', 'events']);
  });

  it('sends the config userProperties right after init, before the automatic begin_session', async () => {
    const s = await local.sdk({ manualSessions: false, userProperties: { name: 'Init', plan: 'pro', bad: null } });
    await s.countly.queue.flush();
    const rs = local.server.accepted();
    expect(kinds(rs).slice(0, 2)).toEqual(['user_details', 'begin_session']);
    expect(details(rs[0]!)).toEqual({ name: 'Init', custom: { plan: 'pro' } });
    expect(s.warnings().some((w) => w.includes('[UserProfile] userProperties, value of [bad] is null, ignored'))).toBe(true);
  });

  it('needs "users" consent; removing it drops what is pending', async () => {
    const s = await local.sdk({ requiresConsent: true });
    s.countly.user.setProperty('name', 'X');
    s.countly.user.save();
    await s.countly.queue.flush();
    expect(userRequests()).toHaveLength(0);
    expect(s.warnings().some((w) => w.includes('[UserProfile] setProperty, no "users" consent; call ignored'))).toBe(true);
    s.countly.consent.give('users');
    s.countly.user.setProperty('name', 'Y');
    s.countly.consent.remove('users');
    s.countly.consent.give('users');
    s.countly.user.save();
    await s.countly.queue.flush();
    expect(userRequests()).toHaveLength(0);
    s.countly.user.setProperty('name', 'Z');
    await s.countly.queue.flush();
    expect(userRequests().map(details)).toEqual([{ name: 'Z' }]);
  });

  it('follows upcl, upb and upw from the behavior settings', async () => {
    const s = await local.sdk({ behaviorSettings: { c: { upcl: 2, upb: ['secret'], upw: ['secret'] } } });
    s.countly.user.setProperty('secret', 1);
    s.countly.user.setProperty('a', 1);
    s.countly.user.setProperty('b', 2);
    await s.countly.queue.flush();
    expect(userRequests().map(details)).toEqual([{ custom: { a: 1, b: 2 } }]);
  });

  it('sends what was pending under the old device ID before a change without merge', async () => {
    const s = await local.sdk({ deviceId: 'old-id' });
    s.countly.user.setProperty('name', 'Old');
    s.countly.deviceId.changeWithoutMerge('new-id');
    s.countly.user.setProperty('name', 'New');
    await s.countly.queue.flush();
    expect(userRequests().map((r) => [r.params.device_id, details(r)])).toEqual([
      ['old-id', { name: 'Old' }],
      ['new-id', { name: 'New' }],
    ]);
  });

  it('clear discards pending changes', async () => {
    const s = await local.sdk();
    s.countly.user.setProperty('name', 'X');
    s.countly.user.clear();
    s.countly.user.save();
    await s.countly.queue.flush();
    expect(userRequests()).toHaveLength(0);
  });

  it('bad input: warned about naming the function, ignored or dropped, nothing thrown, Object.prototype untouched', async () => {
    const s = await local.sdk({ limits: { maxKeyLength: 8, maxValueSize: 10 } });
    const u = s.countly.user as unknown as Record<string, (...args: unknown[]) => void>;
    const cyclic: Record<string, unknown> = { ok: 'fine' };
    cyclic.self = cyclic;
    const hostile = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 1, "keep": "v"}') as Record<string, unknown>;
    const throwing = Object.defineProperty({ good: 1 }, 'bad', { enumerable: true, get: () => { throw new Error('getter'); } });
    const calls: Array<[string, unknown[]]> = [
      ['setProperty', [null, 'x']],
      ['setProperty', ['', 'x']],
      ['setProperty', ['k', null]],
      ['setProperty', ['k', undefined]],
      ['setProperty', ['k', NaN]],
      ['setProperty', ['k', Infinity]],
      ['setProperty', ['k', { a: 1 }]],
      ['setProperty', ['k', cyclic]],
      ['setProperty', ['__proto__', 'x']],
      ['setProperty', ['$inc', 1]],
      ['setProperty', ['byear', 'abc']],
      ['setProperties', [null]],
      ['setProperties', ['str']],
      ['setProperties', [[1, 2]]],
      ['setProperties', [cyclic]],
      ['setProperties', [hostile]],
      ['setProperties', [throwing]],
      ['incrementBy', ['k', '5']],
      ['incrementBy', ['k', NaN]],
      ['multiply', ['k', Infinity]],
      ['saveMax', ['k', null]],
      ['saveMin', [undefined, 1]],
      ['setOnce', ['k', { x: 1 }]],
      ['push', ['k', null]],
      ['pushUnique', ['k', Symbol('s')]],
      ['pull', [123, 'x']],
    ];
    for (const [fn, args] of calls) expect(() => u[fn]!(...args)).not.toThrow();
    s.countly.user.setProperty('averyveryverylongkey', 'x'.repeat(1_000_000));
    s.countly.user.setProperty('name', 'n'.repeat(50));
    s.countly.user.save();
    await s.countly.queue.flush();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const warnings = s.warnings();
    for (const fn of ['setProperty', 'setProperties', 'incrementBy', 'multiply', 'saveMax', 'saveMin', 'setOnce', 'push', 'pushUnique', 'pull']) {
      expect(warnings.some((w) => w.includes(`[UserProfile] ${fn}, `)), fn).toBe(true);
    }
    expect(userRequests().map(details)).toEqual([{ name: 'n'.repeat(10), custom: { ok: 'fine', keep: 'v', good: 1, averyver: 'x'.repeat(10) } }]);
  });
});
