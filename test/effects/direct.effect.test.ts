/**
 * Immediate requests (`direct.request`, effects/direct.effect.ts): sent at once with the base
 * params of the identity current when performed, never queued; withheld in temporary-ID and
 * offline mode and while the server disabled networking, not by backoff; every outcome is a
 * result event carrying the tag. And the callback effect: developer callbacks run after the
 * emitting transition, guarded.
 */
import { lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { TransportRequest, TransportResult } from '../../src/adapters/types.js';
import { resolveConfig } from '../../src/config.js';
import type { Hold } from '../../src/domain/holds.js';
import { RequestQueue } from '../../src/domain/request-queue.js';
import { callbackEffect } from '../../src/effects/callback.effect.js';
import type { Command } from '../../src/effects/commands.js';
import type { EffectDeps, SdkEvent } from '../../src/effects/deps.js';
import { directEffect } from '../../src/effects/direct.effect.js';
import { createLogger } from '../../src/log.js';
import { decodeParamList } from '../../src/protocol/encode.js';
import { instantAt } from '../../src/protocol/time.js';
import { createCallbackRegistry } from '../../src/runtime/callbacks.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

function directDeps(answer: (r: TransportRequest) => TransportResult, holds: Hold[] = [], config: Record<string, unknown> = {}) {
  const log = createLogger({ console: false });
  const sent: TransportRequest[] = [];
  let deviceId = 'dev-1';
  const deps = {
    config: resolveConfig({ url: 'https://x.test', appKey: 'k', salt: 'pepper', ...config }, log),
    log,
    queue: new RequestQueue(),
    identity: () => ({ deviceId, deviceIdType: 'DEVELOPER_SUPPLIED' as const }),
    instant: () => instantAt(T0),
    serverUrl: () => 'https://x.test',
    holds: () => holds,
    transport: { send: async (r: TransportRequest) => (sent.push(r), answer(r)) },
    callbacks: createCallbackRegistry(log),
  } as Partial<EffectDeps> as EffectDeps;
  return { deps, sent, setDevice: (id: string) => (deviceId = id) };
}

const run = (deps: EffectDeps, ...commands: Command[]): Promise<SdkEvent[]> => lastValueFrom(directEffect(of(...commands), deps).pipe(toArray()));
const rc: Command = { type: 'direct.request', tag: 'rc:1', endpoint: '/o/sdk', params: { method: 'rc', keys: '["a"]' } };

describe('directEffect', () => {
  it('sends at once to the endpoint with the base params, the feature params and a checksum; answers with the tag', async () => {
    const { deps, sent } = directDeps(() => ({ kind: 'response', status: 200, body: '{"a":1}', elapsedMs: 3 }));
    expect(await run(deps, rc)).toEqual([{ type: 'direct.answered', tag: 'rc:1', status: 200, body: '{"a":1}' }]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.url).toBe('https://x.test/o/sdk');
    const params = Object.fromEntries(decodeParamList(sent[0]!.body!));
    expect(params).toMatchObject({ app_key: 'k', device_id: 'dev-1', method: 'rc', keys: '["a"]', t: '0', timestamp: String(T0) });
    expect(params.checksum256).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.hasOwn(params, 'new_end_point')).toBe(false);
  });

  it('GET when asked, whatever httpPostForced says', async () => {
    const { deps, sent } = directDeps(() => ({ kind: 'response', status: 200, body: '{}', elapsedMs: 1 }));
    await run(deps, { type: 'direct.request', tag: 'fb:1', endpoint: '/o/surveys/nps/widget', params: { widget_id: 'w', shown: '1' }, get: true });
    expect(sent[0]!.method).toBe('GET');
    expect(sent[0]!.url).toMatch(/^https:\/\/x\.test\/o\/surveys\/nps\/widget\?.*widget_id=w/);
  });

  it.each<Hold>(['temporary-id', 'offline', 'networking-disabled'])('withholds while %s: nothing leaves, the tag gets direct.failed withheld', async (hold) => {
    const { deps, sent } = directDeps(() => ({ kind: 'response', status: 200, body: '{}', elapsedMs: 1 }), [hold]);
    expect(await run(deps, rc)).toEqual([expect.objectContaining({ type: 'direct.failed', tag: 'rc:1', kind: 'withheld' })]);
    expect(sent).toHaveLength(0);
  });

  it.each<Hold>(['backoff', 'booting'])('is not paced by %s (it paces the queue)', async (hold) => {
    const { deps, sent } = directDeps(() => ({ kind: 'response', status: 200, body: '{}', elapsedMs: 1 }), [hold]);
    expect((await run(deps, rc))[0]!.type).toBe('direct.answered');
    expect(sent).toHaveLength(1);
  });

  it('any status is an answer (the asking machine judges it); no answer is direct.failed network', async () => {
    const { deps } = directDeps((r) => (r.url.endsWith('/o/sdk') ? { kind: 'response', status: 500, body: 'oops', elapsedMs: 1 } : { kind: 'timeout', elapsedMs: 30_000 }));
    const out = await run(deps, rc, { type: 'direct.request', tag: 'c:1', endpoint: '/o/sdk/content', params: {} });
    expect(out).toContainEqual({ type: 'direct.answered', tag: 'rc:1', status: 500, body: 'oops' });
    expect(out).toContainEqual({ type: 'direct.failed', tag: 'c:1', kind: 'network', reason: 'timeout' });
  });

  it('a transport that throws (it must not) becomes direct.failed, and the effect goes on', async () => {
    const { deps } = directDeps(() => {
      throw new Error('boom');
    });
    const out = await run(deps, rc, { ...rc, tag: 'rc:2' } as Command);
    expect(out.map((e) => e.type)).toEqual(['direct.failed', 'direct.failed']);
  });

  it('stamps the identity current when performed', async () => {
    const { deps, sent, setDevice } = directDeps(() => ({ kind: 'response', status: 200, body: '{}', elapsedMs: 1 }));
    setDevice('dev-2');
    await run(deps, rc);
    expect(Object.fromEntries(decodeParamList(sent[0]!.body!)).device_id).toBe('dev-2');
  });
});

describe('callbackEffect and the callback registry', () => {
  it('calls a one-shot callback once, after the current run, with the args', async () => {
    const { deps } = directDeps(() => ({ kind: 'timeout', elapsedMs: 0 }));
    const fn = vi.fn();
    const token = deps.callbacks.once(fn);
    const cmd: Command = { type: 'callback.invoke', token, args: ['Success', null] };
    callbackEffect(of(cmd, cmd), deps).subscribe();
    expect(fn).not.toHaveBeenCalled();
    await Promise.resolve();
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn).toHaveBeenCalledWith('Success', null);
  });

  it('release forgets one-shot callbacks without calling them, after the calls emitted before it', async () => {
    const { deps } = directDeps(() => ({ kind: 'timeout', elapsedMs: 0 }));
    const kept = vi.fn();
    const dropped = vi.fn();
    const a = deps.callbacks.once(kept);
    const b = deps.callbacks.once(dropped);
    const commands: Command[] = [{ type: 'callback.invoke', token: a, args: [] }, { type: 'callback.release', tokens: [a, b] }, { type: 'callback.invoke', token: b, args: [] }];
    callbackEffect(of(...commands), deps).subscribe();
    await Promise.resolve();
    expect(kept).toHaveBeenCalledTimes(1);
    expect(dropped).not.toHaveBeenCalled();
  });

  it('calls every listener of a channel until it unsubscribes; a throwing or rejecting callback is logged, the others still run', async () => {
    const lines: string[] = [];
    const log = createLogger({ console: false, listener: (m) => lines.push(m) });
    const registry = createCallbackRegistry(log);
    const a = vi.fn(() => {
      throw new Error('host bug');
    });
    const b = vi.fn(() => Promise.reject(new Error('async bug')));
    const c = vi.fn();
    registry.on('rc.downloaded', a);
    registry.on('rc.downloaded', b);
    const off = registry.on('rc.downloaded', c);
    registry.invoke('rc.downloaded', [1]);
    off();
    registry.invoke('rc.downloaded', [2]);
    await new Promise((r) => setImmediate(r));
    expect(c).toHaveBeenCalledTimes(1);
    expect(a).toHaveBeenCalledTimes(2);
    expect(lines.filter((l) => l.includes('[Callbacks]'))).toHaveLength(4);
    registry.clear();
    registry.invoke('rc.downloaded', [3]);
    expect(a).toHaveBeenCalledTimes(2);
  });
});
