/**
 * The platforms' uncaught-error hooks (`crashes.autoReport`, docs/crashes.md): Node gives its
 * default behaviour back when the SDK's listener is the only one; browsers keep every other
 * listener and remove the SDK's at unsubscribe.
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { browserPlatform } from '../../src/adapters/platform/browser.js';
import { nodePlatform, nodeUncaughtErrors, type NodeProcessLike } from '../../src/adapters/platform/node.js';

function fakeProcess(execArgv: string[] = []) {
  const emitter = new EventEmitter();
  const ticks: Array<() => void> = [];
  const p = Object.assign(emitter, {
    exit: vi.fn(),
    execArgv,
    env: {} as Record<string, string | undefined>,
    stderr: { write: vi.fn() },
    nextTick: (fn: () => void) => ticks.push(fn),
    exitCode: undefined as number | string | undefined,
  });
  return { p: p as unknown as NodeProcessLike & EventEmitter & { exit: ReturnType<typeof vi.fn>; exitCode?: number }, ticks };
}

describe('node uncaught errors', () => {
  it('alone: records, then prints and exits with 1 once the crash is persisted', async () => {
    const { p } = fakeProcess();
    const seen: unknown[] = [];
    let persist!: () => void;
    const stop = nodeUncaughtErrors(p, (e, origin) => {
      seen.push([e, origin]);
      return new Promise<void>((r) => (persist = r));
    });
    const error = new Error('boom');
    p.emit('uncaughtException', error);
    expect(seen).toEqual([[error, 'error']]);
    expect(p.stderr.write).toHaveBeenCalled();
    await Promise.resolve();
    expect(p.exit).not.toHaveBeenCalled();
    persist();
    await vi.waitFor(() => expect(p.exit).toHaveBeenCalledWith(1));
    stop();
    expect(p.listenerCount('uncaughtException')).toBe(0);
    expect(p.listenerCount('unhandledRejection')).toBe(0);
  });

  it('with a host handler: records and lets the host decide (no exit)', () => {
    const { p } = fakeProcess();
    const host = vi.fn();
    p.on('uncaughtException', host);
    const listener = vi.fn();
    nodeUncaughtErrors(p, listener);
    p.emit('uncaughtException', 'thrown string');
    expect(listener).toHaveBeenCalledWith('thrown string', 'error');
    expect(host).toHaveBeenCalledWith('thrown string');
    expect(p.exit).not.toHaveBeenCalled();
  });

  it('an unhandled rejection under the default mode is raised as an uncaught exception, recorded once', async () => {
    const { p, ticks } = fakeProcess();
    const listener = vi.fn();
    nodeUncaughtErrors(p, listener);
    const reason = new Error('rejected');
    p.emit('unhandledRejection', reason);
    expect(ticks).toHaveLength(1);
    expect(() => ticks[0]!()).toThrow(reason);
    p.emit('uncaughtException', reason); // what Node does with the throw
    expect(listener.mock.calls).toEqual([[reason, 'rejection']]);
    await vi.waitFor(() => expect(p.exit).toHaveBeenCalledWith(1));
  });

  it('warn / warn-with-error-code modes do not raise', () => {
    for (const [mode, code] of [['warn', undefined], ['warn-with-error-code', 1]] as const) {
      const { p, ticks } = fakeProcess([`--unhandled-rejections=${mode}`]);
      nodeUncaughtErrors(p, () => undefined);
      p.emit('unhandledRejection', 1);
      expect(ticks).toHaveLength(0);
      expect(p.exitCode).toBe(code);
    }
  });

  it('a listener that throws costs nothing; the platform reports RAM as crash metrics', () => {
    const { p } = fakeProcess();
    p.on('uncaughtException', () => undefined);
    nodeUncaughtErrors(p, () => {
      throw new Error('sdk bug');
    });
    expect(() => p.emit('uncaughtException', new Error('x'))).not.toThrow();
    expect(nodePlatform().crashMetrics!()).toEqual({ _ram_total: expect.any(Number), _ram_current: expect.any(Number) });
  });
});

describe('browser uncaught errors', () => {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = { addEventListener: g.addEventListener, removeEventListener: g.removeEventListener };
  afterEach(() => Object.assign(g, saved));

  it('listens to error and unhandledrejection beside other listeners, and stops at unsubscribe', () => {
    const target = new EventTarget();
    g.addEventListener = target.addEventListener.bind(target);
    g.removeEventListener = target.removeEventListener.bind(target);
    const other = vi.fn();
    target.addEventListener('error', other);
    const listener = vi.fn();
    const stop = browserPlatform().onUncaughtError!(listener);
    const boom = new Error('boom');
    target.dispatchEvent(Object.assign(new Event('error'), { error: boom, message: 'boom' }));
    target.dispatchEvent(Object.assign(new Event('error'), { error: null, message: 'Script error.' }));
    target.dispatchEvent(Object.assign(new Event('unhandledrejection'), { reason: 'nope' }));
    expect(listener.mock.calls).toEqual([
      [boom, 'error'],
      ['Script error.', 'error'],
      ['nope', 'rejection'],
    ]);
    expect(other).toHaveBeenCalledTimes(2);
    stop();
    target.dispatchEvent(new Event('error'));
    expect(listener).toHaveBeenCalledTimes(3);
  });
});
