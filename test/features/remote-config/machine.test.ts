/**
 * The remote-config machine as pure transitions (spec 001: Remote Config l. 2864-3131, A/B
 * Testing l. 3132-3442): the commands each call and answer emits — requests, storage,
 * callbacks — the automatic triggers, consent and temporary-ID mode.
 */
import { describe, expect, it } from 'vitest';
import { TEMPORARY_DEVICE_ID } from '../../../src/domain/types.js';
import { RC_CHANNEL } from '../../../src/features/remote-config/machine.js';
import { ev, input, invokes, lastTag, requests, run, step } from './helpers.js';

const fresh = (value: unknown) => ({ value, isCurrentUsersData: true });

describe('remote-config machine: downloads', () => {
  it('downloadAll sends method=rc to /o/sdk with metrics (sessions consent) and waits in `downloading`', () => {
    const { snap, cmds } = run(input(), ev.all('cb#1'));
    expect(cmds).toEqual([{ type: 'direct.request', tag: 'rc:1', endpoint: '/o/sdk', params: { method: 'rc' }, metrics: true }]);
    expect(snap.value).toBe('downloading');
  });

  it('keys / omit_keys / oi=1; no metrics without sessions consent', () => {
    expect(requests(run(input({ enrollOnDownload: true, sessionsConsent: false }), ev.specific(['a', 'b'])).cmds)).toEqual([
      { type: 'direct.request', tag: 'rc:1', endpoint: '/o/sdk', params: { method: 'rc', keys: '["a","b"]', oi: '1' } },
    ]);
    expect(requests(run(input(), ev.omit(['x'])).cmds)[0]!.params).toEqual({ method: 'rc', omit_keys: '["x"]' });
    // spec l. 2976: an empty list is a download of everything.
    expect(requests(run(input(), ev.specific([])).cmds)[0]!.params).toEqual({ method: 'rc' });
  });

  it('a full answer is stored, persisted and announced to the call and the channel with fullValueUpdate true', () => {
    const { snap, cmds } = run(input({ values: { old: { v: 0, c: 1 } } }), ev.all('cb#1'), ev.answered('rc:1', { a: 1, b: 'x' }));
    expect(snap.context.values).toEqual({ a: { v: 1, c: 1 }, b: { v: 'x', c: 1 } });
    expect(snap.value).toBe('idle');
    expect(cmds).toContainEqual({ type: 'storage.set', key: 'remoteConfig', value: { a: { v: 1, c: 1 }, b: { v: 'x', c: 1 } } });
    const args = ['Success', null, true, { a: fresh(1), b: fresh('x') }];
    expect(invokes(cmds)).toEqual([
      { type: 'callback.invoke', token: 'cb#1', args },
      { type: 'callback.invoke', token: RC_CHANNEL, args },
    ]);
  });

  it('a partial answer updates only its keys and says fullValueUpdate false with the delta', () => {
    const { snap, cmds } = run(input({ values: { a: { v: 1, c: 1 }, b: { v: 2, c: 0 } } }), ev.specific(['b']), ev.answered('rc:1', { b: 3 }));
    expect(snap.context.values).toEqual({ a: { v: 1, c: 1 }, b: { v: 3, c: 1 } });
    expect(invokes(cmds)).toEqual([{ type: 'callback.invoke', token: RC_CHANNEL, args: ['Success', null, false, { b: fresh(3) }] }]);
  });

  it('valueCaching: a full answer keeps the old values marked cached', () => {
    const { snap } = run(input({ valueCaching: true, values: { a: { v: 1, c: 1 }, b: { v: 2, c: 1 } } }), ev.all(), ev.answered('rc:1', { b: 5 }));
    expect(snap.context.values).toEqual({ a: { v: 1, c: 0 }, b: { v: 5, c: 1 } });
  });

  it('errors: a non-2xx or invalid body is Error, a failed send NetworkIssue; values untouched, nothing stored', () => {
    const i = input({ values: { a: { v: 1, c: 1 } } });
    const cases: Array<[ReturnType<typeof ev.answered>, string, string]> = [
      [ev.answered('rc:1', { result: 'App does not exist' }, 400), 'Error', 'HTTP 400: App does not exist'],
      [ev.answered('rc:1', '[1,2]'), 'Error', 'the answer is not a JSON object of values'],
      [ev.answered('rc:1', '<html>'), 'Error', 'the answer is not JSON'],
      [ev.failed('rc:1'), 'NetworkIssue', 'connection refused'],
    ];
    for (const [answer, result, error] of cases) {
      const { snap, cmds } = run(i, ev.all('cb#9'), answer);
      expect(snap.context.values).toEqual(i.values);
      expect(cmds.some((c) => c.type === 'storage.set')).toBe(false);
      expect(invokes(cmds)[0]).toEqual({ type: 'callback.invoke', token: 'cb#9', args: [result, error, true, {}] });
    }
  });

  it('answers of other features (other tags) and unknown tags are ignored', () => {
    const { snap, cmds } = run(input(), ev.all(), ev.answered('feedback:1', { a: 1 }), ev.answered('rc:77', { a: 1 }));
    expect(snap.context.values).toEqual({});
    expect(snap.value).toBe('downloading');
    expect(cmds).toHaveLength(1);
  });

  it('concurrent downloads are answered by tag, in any order', () => {
    const { snap } = run(input(), ev.specific(['a']), ev.specific(['b']), ev.answered('rc:2', { b: 2 }), ev.answered('rc:1', { a: 1 }));
    expect(snap.context.values).toEqual({ b: { v: 2, c: 1 }, a: { v: 1, c: 1 } });
    expect(snap.context.pending).toEqual({});
  });
});

describe('remote-config machine: consent, temporary-ID mode, identity', () => {
  it('without consent or in temporary-ID mode nothing is sent; both callbacks hear Error at once', () => {
    for (const [i, why] of [
      [input({ consent: false }), 'no "remote-config" consent'],
      [input({ temporary: true, deviceId: TEMPORARY_DEVICE_ID }), 'the SDK is in temporary device ID mode'],
    ] as const) {
      const { cmds, snap } = run(i, ev.all('cb#1'), ev.enroll(['a']), ev.exit(), ev.variants('cb#2'), ev.enrollVariant('k', 'v', 'cb#3'));
      expect(requests(cmds)).toEqual([]);
      expect(invokes(cmds)).toEqual([
        { type: 'callback.invoke', token: 'cb#1', args: ['Error', why, true, {}] },
        { type: 'callback.invoke', token: RC_CHANNEL, args: ['Error', why, true, {}] },
        { type: 'callback.invoke', token: 'cb#2', args: ['Error', why] },
        { type: 'callback.invoke', token: 'cb#3', args: ['Error', why] },
      ]);
      expect(snap.value).toBe('idle');
    }
  });

  it('consent removed keeps the values (spec l. 3128); given again downloads only with automatic triggers', () => {
    const values = { a: { v: 1, c: 1 as const } };
    const manual = run(input({ values }), ev.consent(false), ev.consent(true));
    expect(manual.snap.context.values).toEqual(values);
    expect(requests(manual.cmds)).toEqual([]);
    const auto = run(input({ values, automaticTriggers: true, consent: false }), ev.consent(true, false));
    expect(requests(auto.cmds)).toEqual([{ type: 'direct.request', tag: 'rc:1', endpoint: '/o/sdk', params: { method: 'rc' } }]);
  });

  it('automatic triggers: a download at boot (not temporary, with consent), none otherwise', () => {
    expect(requests(run(input({ automaticTriggers: true })).cmds)).toHaveLength(1);
    expect(requests(run(input({ automaticTriggers: true, consent: false })).cmds)).toHaveLength(0);
    expect(requests(run(input({ automaticTriggers: true, temporary: true })).cmds)).toHaveLength(0);
    expect(requests(run(input()).cmds)).toHaveLength(0);
  });

  it('the init announcement (same ID) changes nothing', () => {
    const values = { a: { v: 1, c: 1 as const } };
    const { snap, cmds } = run(input({ values, automaticTriggers: true }), ev.identity('dev-1', false, null));
    expect(snap.context.values).toEqual(values);
    expect(requests(cmds)).toHaveLength(1);
  });

  it('a change without merge cache-clears (dropped, or kept as cached) and, with automatic triggers, downloads', () => {
    const values = { a: { v: 1, c: 1 as const } };
    const plain = run(input({ values }), ev.identity('dev-2'));
    expect(plain.snap.context.values).toEqual({});
    expect(plain.cmds).toEqual([{ type: 'storage.delete', key: 'remoteConfig' }]);
    const caching = run(input({ values, valueCaching: true, automaticTriggers: true }), ev.identity('dev-2'));
    expect(caching.snap.context.values).toEqual({ a: { v: 1, c: 0 } });
    expect(requests(caching.cmds).map((r) => r.tag)).toEqual(['rc:1', 'rc:2']);
  });

  it('a merge keeps the values; with automatic triggers it downloads', () => {
    const values = { a: { v: 1, c: 1 as const } };
    const { snap, cmds } = run(input({ values, automaticTriggers: true }), ev.identity('dev-2', true));
    expect(snap.context.values).toEqual(values);
    expect(requests(cmds)).toHaveLength(2);
  });

  it('an answer for the previous user is not stored; the callback hears Error', () => {
    const { snap, cmds } = run(input(), ev.all('cb#1'), ev.identity('dev-2'), ev.answered('rc:1', { a: 1 }));
    expect(snap.context.values).toEqual({});
    expect(invokes(cmds)[0]!.args.slice(0, 2)).toEqual(['Error', 'the device ID changed while downloading; the values were not stored']);
  });

  it('entering temporary-ID mode cache-clears and sends nothing; leaving it downloads (automatic triggers)', () => {
    const i = input({ values: { a: { v: 1, c: 1 } }, valueCaching: true, automaticTriggers: true });
    const bootCmds = run(i).cmds;
    const enter = step(run(i).snap, ev.identity(TEMPORARY_DEVICE_ID));
    expect(enter.snap.context.temporary).toBe(true);
    expect(enter.snap.context.values).toEqual({ a: { v: 1, c: 0 } });
    expect(requests(enter.cmds)).toEqual([]);
    const leave = step(enter.snap, ev.identity('dev-3', true, TEMPORARY_DEVICE_ID));
    expect(leave.snap.context.temporary).toBe(false);
    expect(leave.snap.context.values).toEqual({ a: { v: 1, c: 0 } });
    expect(requests(leave.cmds)).toHaveLength(1);
    expect(requests(bootCmds)).toHaveLength(1);
  });

  it('clearStoredDeviceId at boot: the stored values are an earlier user\'s — cache-cleared and stored', () => {
    const { snap, cmds } = run(input({ idChangedAtBoot: true, valueCaching: true, values: { a: { v: 1, c: 1 } } }));
    expect(snap.context.values).toEqual({ a: { v: 1, c: 0 } });
    expect(cmds).toEqual([{ type: 'storage.set', key: 'remoteConfig', value: { a: { v: 1, c: 0 } } }]);
  });

  it('clearAll forgets every value, cached or not, and the stored record', () => {
    const { snap, cmds } = run(input({ valueCaching: true, values: { a: { v: 1, c: 0 }, b: { v: 2, c: 1 } } }), ev.clearAll());
    expect(snap.context.values).toEqual({});
    expect(cmds).toEqual([{ type: 'storage.delete', key: 'remoteConfig' }]);
  });
});

describe('remote-config machine: A/B testing', () => {
  it('enroll: method=ab with keys on /o/sdk; exit: ab_opt_out on /i, keys only when given', () => {
    const { cmds } = run(input(), ev.enroll(['a', 'b']), ev.exit(['a']), ev.exit());
    expect(requests(cmds)).toEqual([
      { type: 'direct.request', tag: 'rc:1', endpoint: '/o/sdk', params: { method: 'ab', keys: '["a","b"]' } },
      { type: 'direct.request', tag: 'rc:2', endpoint: '/i', params: { method: 'ab_opt_out', keys: '["a"]' } },
      { type: 'direct.request', tag: 'rc:3', endpoint: '/i', params: { method: 'ab_opt_out' } },
    ]);
  });

  it('variants and experiments: downloaded, decoded, replacing the in-memory stores; callback (Success, null)', () => {
    const v = run(input(), ev.variants('cb#1'));
    expect(requests(v.cmds)[0]).toMatchObject({ endpoint: '/o/sdk', params: { method: 'ab_fetch_variants' } });
    const after = step(v.snap, ev.answered(lastTag(v.cmds), { k: [{ name: 'A', value: 1 }, { name: 'B', value: 2 }] }));
    expect(after.snap.context.variants).toEqual({ k: ['A', 'B'] });
    expect(invokes(after.cmds)).toEqual([{ type: 'callback.invoke', token: 'cb#1', args: ['Success', null] }]);
    const e = step(after.snap, ev.experiments('cb#2'));
    expect(requests(e.cmds)[0]).toMatchObject({ endpoint: '/o/sdk', params: { method: 'ab_fetch_experiments' } });
    const done = step(e.snap, ev.answered(lastTag(e.cmds), [{ id: 'x', name: 'X', description: 'd', currentVariant: 'A', variants: { A: { k: 1 } } }]));
    expect(done.snap.context.experiments).toEqual({ x: { id: 'x', name: 'X', description: 'd', currentVariant: 'A', variants: { A: { k: 1 } } } });
    // The variants are in memory only: nothing is stored.
    expect([...v.cmds, ...after.cmds, ...e.cmds, ...done.cmds].some((c) => c.type === 'storage.set')).toBe(false);
  });

  it('enrollIntoVariant: ab_enroll_variant on /i; Success cache-clears, downloads (automatic triggers), then calls back', () => {
    const i = input({ values: { a: { v: 1, c: 1 } }, automaticTriggers: true });
    const sent = step(run(i).snap, ev.enrollVariant('k', 'B', 'cb#1'));
    expect(requests(sent.cmds)).toEqual([{ type: 'direct.request', tag: 'rc:2', endpoint: '/i', params: { method: 'ab_enroll_variant', key: 'k', variant: 'B' } }]);
    const ok = step(sent.snap, ev.answered('rc:2', { result: 'Success' }));
    expect(ok.snap.context.values).toEqual({});
    expect(ok.cmds.map((c) => c.type)).toEqual(['storage.delete', 'log', 'direct.request', 'callback.invoke']);
    expect(invokes(ok.cmds)).toEqual([{ type: 'callback.invoke', token: 'cb#1', args: ['Success', null] }]);
    const refused = step(sent.snap, ev.answered('rc:2', { result: 'Request does not match checksum' }));
    expect(refused.snap.context.values).toEqual({ a: { v: 1, c: 1 } });
    expect(invokes(refused.cmds)).toEqual([{ type: 'callback.invoke', token: 'cb#1', args: ['Error', 'Request does not match checksum'] }]);
  });

  it('a variants download that fails keeps the stores and reports the failure', () => {
    const v = run(input(), ev.variants('cb#1'), ev.answered('rc:1', { k: [{ name: 'A' }] }), ev.variants('cb#2'), ev.failed('rc:2'));
    expect(v.snap.context.variants).toEqual({ k: ['A'] });
    expect(invokes(v.cmds).at(-1)).toEqual({ type: 'callback.invoke', token: 'cb#2', args: ['NetworkIssue', 'connection refused'] });
  });
});
