/**
 * Crash reporting over HTTP (SDK guide l. 504–777; write API 000_*.txt l. 216–254): the
 * `crash` param as the local Countly-compatible server receives it, always by POST.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Platform } from '../../../src/adapters/types.js';
import type { CrashesContext } from '../../../src/features/crashes/machine.js';
import type { CrashData } from '../../../src/types.js';
import { useLocalServer, type TestSdk } from '../../helpers/sdk.js';

const crashesContext = (s: TestSdk): CrashesContext => (s.countly.actors.crashes!.getSnapshot() as { context: CrashesContext }).context;

const crashesOf = (local: ReturnType<typeof useLocalServer>) =>
  local.server.accepted().filter((r) => r.params.crash !== undefined);
const crashOf = (r: { params: Record<string, string | undefined> }): Record<string, unknown> => JSON.parse(r.params.crash!) as Record<string, unknown>;

/** A platform with every hook the crashes feature reads, and a trigger for its uncaught-error hook. */
function crashPlatform(over: Partial<Platform> = {}) {
  let listener: ((error: unknown, origin: 'error' | 'rejection') => void | Promise<void>) | null = null;
  let subscribed = 0;
  let unsubscribed = 0;
  const platform: Platform = {
    name: 'Web',
    metrics: () => ({ _os: 'TestOS', _os_version: '7', _device: 'Dev', _resolution: '800x600' }),
    crashMetrics: () => ({ _online: true }),
    onUncaughtError(l) {
      listener = l;
      subscribed++;
      return () => {
        listener = null;
        unsubscribed++;
      };
    },
    ...over,
  };
  return {
    platform,
    fire: (error: unknown, origin: 'error' | 'rejection' = 'error') => listener?.(error, origin),
    counts: () => ({ subscribed, unsubscribed }),
  };
}

describe('crashes over HTTP', () => {
  const local = useLocalServer();

  it('sends a handled crash as crash={...} by POST even with httpPostForced: false, with metrics, _run, _logs, _custom', async () => {
    const p = crashPlatform();
    const s = await local.sdk({ httpPostForced: false, appVersion: '2.1', platform: p.platform, crashes: { segmentation: { build: 'b1', both: 'global' } } });
    s.countly.crashes.addBreadcrumb('opened settings');
    s.countly.crashes.addBreadcrumb('tapped save');
    s.clock.advance(181_000);
    const error = new TypeError('bad thing');
    s.countly.crashes.recordHandled(error, { both: 'call', n: 3 });
    await s.countly.queue.flush();
    const sent = crashesOf(local);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe('POST');
    expect(sent[0]!.path).toBe('/i');
    const crash = crashOf(sent[0]!);
    expect(crash).toMatchObject({
      _os: 'TestOS',
      _os_version: '7',
      _device: 'Dev',
      _resolution: '800x600',
      _app_version: '2.1',
      _online: true,
      _run: 181,
      _background: false,
      _javascript: true,
      _not_os_specific: true,
      _nonfatal: true,
      _logs: 'opened settings\ntapped save',
      _custom: { both: 'call', n: 3, build: 'b1' },
    });
    expect(String(crash._error)).toMatch(/^TypeError: bad thing\n/);
    expect(crash._ob).toBeUndefined();
  });

  it('sends _background from the lifecycle and _view from the current view', async () => {
    const s = await local.sdk({ platform: crashPlatform().platform });
    s.countly.views.start('Checkout');
    s.countly.lifecycle.background();
    s.countly.crashes.recordHandled('in background');
    s.countly.lifecycle.foreground();
    s.countly.crashes.recordHandled('in foreground');
    await s.countly.queue.flush();
    expect(crashesOf(local).map(crashOf).map((c) => [c._error, c._background, c._view])).toEqual([
      // The view the views feature last announced: in the background, the one the app left on.
      ['in background', true, 'Checkout'],
      ['in foreground', false, 'Checkout'],
    ]);
  });

  it('records unhandled crashes with _nonfatal false, strings and other thrown values as readable text', async () => {
    const s = await local.sdk({ platform: crashPlatform().platform });
    s.countly.crashes.recordUnhandled('plain text failure');
    s.countly.crashes.recordHandled({ code: 42, reason: 'nope' });
    s.countly.crashes.recordHandled(17);
    await s.countly.queue.flush();
    const crashes = crashesOf(local).map(crashOf);
    expect(crashes.map((c) => [c._error, c._nonfatal])).toEqual([
      ['plain text failure', false],
      ['{"code":42,"reason":"nope"}', true],
      ['17', true],
    ]);
  });

  it('applies the filter: edits are sent with their _ob bits, true drops the crash, limits apply again', async () => {
    const seen: CrashData[] = [];
    const s = await local.sdk({
      platform: crashPlatform().platform,
      limits: { maxValueSize: 10 },
      crashes: {
        filter: (crash) => {
          seen.push(crash);
          if (crash.stackTrace.includes('secret')) return true;
          crash.segmentation = { ...crash.segmentation, scrubbed: 'a very long value indeed' };
          crash.fatal = !crash.fatal;
          crash.stackTrace = 'Error: replaced';
          crash.breadcrumbs = null as never; // refused by the setter
          return false;
        },
      },
    });
    s.countly.crashes.addBreadcrumb('x');
    s.countly.crashes.recordHandled(new Error('secret token'));
    s.countly.crashes.recordHandled(new Error('public'));
    await s.countly.queue.flush();
    const crashes = crashesOf(local).map(crashOf);
    expect(seen).toHaveLength(2);
    expect(crashes).toHaveLength(1);
    // spec 769: segmentation 8 + unhandled 1 + stack trace 16 = 25.
    expect(crashes[0]).toMatchObject({ _ob: 25, _error: 'Error: replaced', _nonfatal: false, _custom: { scrubbed: 'a very lon' }, _logs: 'x' });
    expect(s.warnings().some((w) => w.includes('[Crashes] filter, CrashData.breadcrumbs must be an array of strings'))).toBe(true);
  });

  it('keeps the crash when the filter throws, and logs it', async () => {
    const s = await local.sdk({
      platform: crashPlatform().platform,
      crashes: {
        filter: () => {
          throw new Error('filter bug');
        },
      },
    });
    s.countly.crashes.recordHandled(new Error('kept'));
    await s.countly.queue.flush();
    expect(crashesOf(local)).toHaveLength(1);
    expect(crashOf(crashesOf(local)[0]!)._ob).toBe(0);
    expect(s.warnings().some((w) => w.includes('[Crashes] filter, the crash filter threw; the crash is kept'))).toBe(true);
  });

  it('autoReport: an uncaught error is recorded as unhandled; the hook is removed at shutdown', async () => {
    const p = crashPlatform();
    const s = await local.sdk({ platform: p.platform, crashes: { autoReport: true } });
    expect(p.counts()).toEqual({ subscribed: 1, unsubscribed: 0 });
    await p.fire(new RangeError('boom'), 'rejection');
    await s.countly.queue.flush();
    const crashes = crashesOf(local).map(crashOf);
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatchObject({ _nonfatal: false });
    expect(String(crashes[0]!._error)).toMatch(/^RangeError: boom/);
    await local.stop(s);
    expect(p.counts()).toEqual({ subscribed: 1, unsubscribed: 1 });
  });

  it('needs crashes consent', async () => {
    const s = await local.sdk({ platform: crashPlatform().platform, requiresConsent: true });
    s.countly.crashes.addBreadcrumb('before consent');
    s.countly.crashes.recordHandled(new Error('no consent'));
    s.countly.consent.give('crashes');
    s.countly.crashes.recordHandled('with consent');
    await s.countly.queue.flush();
    expect(crashesOf(local).map((r) => [crashOf(r)._error, crashOf(r)._logs])).toEqual([['with consent', undefined]]);
    expect(s.warnings().some((w) => w.includes('[Crashes] recordHandled, no "crashes" consent'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('[Crashes] addBreadcrumb, no "crashes" consent'))).toBe(true);
  });

  it("honours the server's limits live (ltlpt, ltl, lbc, lvs, lsv, lkl); the call's segmentation is kept first", async () => {
    local.server.configure({ behaviorSettings: { ltlpt: 2, ltl: 6, lbc: 1, lvs: 3, lsv: 1, lkl: 2 } });
    const s = await local.sdk({ platform: crashPlatform().platform, disableBehaviorSettingsUpdates: false });
    // The download's answer is read asynchronously: wait until the crashes actor has it.
    await vi.waitFor(() => expect(crashesContext(s).limits.maxBreadcrumbCount).toBe(1));
    s.countly.crashes.addBreadcrumb('first');
    s.countly.crashes.addBreadcrumb('second');
    s.countly.crashes.recordHandled('line one\nline two\nline three', { keep: 'value', other: 'x' });
    await s.countly.queue.flush();
    expect(crashesOf(local).map(crashOf)).toMatchObject([{ _error: 'line o\nline t', _logs: 'sec', _custom: { ke: 'val' } }]);
  });

  it('records nothing while the settings say crt=false', async () => {
    const s = await local.sdk({ platform: crashPlatform().platform, behaviorSettings: { crt: false } });
    s.countly.crashes.recordHandled('off');
    await s.countly.queue.flush();
    expect(crashesOf(local)).toHaveLength(0);
    expect(s.warnings().some((w) => w.includes('[Crashes] recordHandled, crash reporting is disabled by the server'))).toBe(true);
  });

  it('ignores bad input with a warning naming the function, never throws, leaves Object.prototype alone', async () => {
    const s = await local.sdk({ platform: crashPlatform().platform });
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('trap'); }, get: () => { throw new Error('trap'); } });
    expect(() => {
      s.countly.crashes.recordHandled(null);
      s.countly.crashes.recordHandled(undefined);
      s.countly.crashes.recordHandled('   ');
      s.countly.crashes.addBreadcrumb(42 as never);
      s.countly.crashes.addBreadcrumb('');
      s.countly.crashes.recordHandled(circular);
      s.countly.crashes.recordHandled(hostile);
      s.countly.crashes.recordHandled(new Error('seg'), JSON.parse('{"__proto__":{"polluted":1},"constructor":"c","nan":NaN}'.replace('NaN', '0')) as never);
      s.countly.crashes.recordHandled(new Error('seg2'), { nan: Number.NaN, inf: Infinity, nested: { a: 1 } as never, ok: 'y' });
      s.countly.crashes.recordHandled(new Error('seg3'), 'not an object' as never);
      s.countly.crashes.recordHandled('x'.repeat(1_000_000));
    }).not.toThrow();
    await s.countly.queue.flush();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const crashes = crashesOf(local).map(crashOf);
    expect(crashes).toHaveLength(6);
    expect(crashes[0]!._error).toBe('[object Object]');
    // `__proto__` (an object value: unsupported) is dropped; `constructor` stays plain data.
    expect(crashes[2]!._custom).toEqual({ constructor: 'c', nan: 0 });
    expect(Object.getPrototypeOf(crashes[2]!._custom)).toBe(Object.prototype);
    expect(crashes[3]!._custom).toEqual({ ok: 'y' });
    expect(crashes[4]!._custom).toBeUndefined();
    expect(String(crashes[5]!._error)).toHaveLength(200);
    const w = s.warnings();
    for (const fn of ['recordHandled, error must be', 'addBreadcrumb, breadcrumb must be', 'recordHandled, segmentation [nan]', 'recordHandled, segmentation must be an object']) {
      expect(w.some((line) => line.includes(`[Crashes] ${fn}`)), fn).toBe(true);
    }
  });
});
