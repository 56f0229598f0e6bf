/**
 * `chartly/node` defaults (src/node.ts, src/node-defaults.ts): file storage under the working
 * directory by default, so a restarted process loses nothing without the developer having
 * read about storage (tested with two real processes), and the opt-in graceful shutdown.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultStorageDir, gracefulShutdown, type ProcessLike } from '../../src/node-defaults.js';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');

describe('defaultStorageDir', () => {
  it('is .chartly under the working directory', () => {
    expect(defaultStorageDir('/srv/app')).toBe(path.join('/srv/app', '.chartly'));
    expect(defaultStorageDir('/srv/app/')).toBe(path.join('/srv/app', '.chartly'));
  });

  it('is never inside node_modules: beside the outermost one', () => {
    expect(defaultStorageDir('/srv/app/node_modules/some-cli')).toBe(path.join('/srv/app', '.chartly'));
    expect(defaultStorageDir('/srv/app/node_modules/a/node_modules/b')).toBe(path.join('/srv/app', '.chartly'));
  });

  it('defaults to the process working directory', () => {
    expect(defaultStorageDir()).toBe(defaultStorageDir(process.cwd()));
  });
});

describe('a restarted process loses nothing (two real processes, no storage option)', () => {
  let dir = '';
  let server: CountlyTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('events recorded while the server is unreachable are sent by the next process (createCountly and createBackend)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'chartly-node-'));
    const script = path.join(dir, 'app.mts');
    writeFileSync(
      script,
      `import { createBackend, createCountly } from ${JSON.stringify(path.join(root, 'src', 'node.ts'))};
const [url, phase] = process.argv.slice(2);
const countly = createCountly({ url, appKey: 'node-defaults', deviceId: 'restart-user', manualSessions: true, disableHealthCheck: true, disableBehaviorSettingsUpdates: true });
const backend = createBackend({ url, appKey: 'node-defaults', requestTimeoutSeconds: 2 });
await countly.ready;
if (phase === 'record') {
  for (let i = 0; i < 5; i++) countly.events.record('step', { segmentation: { i } });
  backend.recordEvent('server-user', 'imported', { count: 3 });
}
await countly.queue.flush();
await backend.flush();
console.log(JSON.stringify(countly.getState().queue));
await countly.shutdown();
await backend.shutdown();
`,
    );
    const first = await run(tsx, [script, 'http://127.0.0.1:9', 'record'], { cwd: dir });
    expect(JSON.parse(first.stdout.trim())).toEqual({ requests: 1, events: 0 });
    expect(existsSync(path.join(dir, '.chartly'))).toBe(true);

    server = await startServer();
    const second = await run(tsx, [script, server.url, 'send'], { cwd: dir });
    expect(JSON.parse(second.stdout.trim())).toEqual({ requests: 0, events: 0 });
    expect(server.events().filter((e) => e.key === 'step').map((e) => (e.segmentation as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
    // createBackend from chartly/node persists there too (its own namespace).
    expect(server.events().filter((e) => e.key === 'imported')).toEqual([expect.objectContaining({ device_id: 'server-user', count: 3 })]);
  }, 60_000);
});

/** A process stand-in: listeners by event, and the exit code asked for. */
function fakeProcess() {
  const listeners = new Map<string, Set<(...args: never[]) => void>>();
  const exits: number[] = [];
  const proc: ProcessLike = {
    on: (e, l) => listeners.set(e, (listeners.get(e) ?? new Set()).add(l)),
    off: (e, l) => listeners.get(e)?.delete(l),
    exit: (code) => void exits.push(code ?? 0),
  };
  const emit = (e: string, ...args: unknown[]) => [...(listeners.get(e) ?? [])].forEach((l) => (l as (...a: unknown[]) => void)(...args));
  return { proc, emit, exits, count: (e: string) => listeners.get(e)?.size ?? 0 };
}

describe('gracefulShutdown (opt-in)', () => {
  it('on SIGTERM: flushes, shuts down (persisting the rest), exits with 143', async () => {
    const f = fakeProcess();
    const order: string[] = [];
    gracefulShutdown({ queue: { flush: async () => void order.push('flush') }, shutdown: async () => void order.push('shutdown') }, { process: f.proc });
    f.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(f.exits).toEqual([143]));
    expect(order).toEqual(['flush', 'shutdown']);
  });

  it('a flush that outlasts the budget is cut short; the shutdown still persists; a second signal drains once', async () => {
    const f = fakeProcess();
    const shutdown = vi.fn(async () => undefined);
    gracefulShutdown({ flush: () => new Promise<void>(() => undefined), shutdown }, { process: f.proc, budgetMs: 20 });
    f.emit('SIGINT', 'SIGINT');
    f.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(f.exits).toEqual([130, 130]));
    expect(shutdown).toHaveBeenCalledTimes(1);
  });

  it('beforeExit drains without exiting; errors are reported, never thrown; the remover removes', async () => {
    const f = fakeProcess();
    const errors: unknown[] = [];
    const remove = gracefulShutdown(
      { flush: () => Promise.reject(new Error('flush broke')), shutdown: () => Promise.reject(new Error('shutdown broke')) },
      { process: f.proc, onError: (e) => errors.push(e) },
    );
    f.emit('beforeExit');
    await vi.waitFor(() => expect(errors).toHaveLength(2));
    expect(f.exits).toEqual([]);
    expect(f.count('SIGTERM')).toBe(1);
    remove();
    expect(f.count('SIGTERM') + f.count('SIGINT') + f.count('beforeExit')).toBe(0);
  });
});
