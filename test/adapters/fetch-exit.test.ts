/**
 * fetchTransport at page exit (issue 11, "Page unload"): keepalive sends within the 64 KiB
 * budget, `sendOnExit` handing the queue over as a prefix (keepalive fetch, then beacon), the
 * request already in flight with keepalive accepted without a second send, and nothing handed
 * over offline or with custom headers a beacon cannot carry.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TransportRequest } from '../../src/adapters/types.js';
import { fetchTransport, KEEPALIVE_BUDGET_BYTES } from '../../src/adapters/transport/fetch.js';
import { FakeLocks } from '../helpers/locks.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const post = (body: string, headers: Record<string, string> = FORM): TransportRequest => ({ method: 'POST', url: 'http://x/i', headers, body, timeoutMs: 1000 });
const get = (query: string): TransportRequest => ({ method: 'GET', url: `http://x/i?${query}`, headers: {}, timeoutMs: 1000 });

interface Sent {
  url: string;
  init: RequestInit;
}

/** A fetch that records its calls and answers when `answer()` is called (or never). */
function recordingFetch() {
  const calls: Sent[] = [];
  const pending: Array<() => void> = [];
  const fake = ((url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Promise<Response>((resolve) => pending.push(() => resolve(new Response('{"result":"Success"}', { status: 200 }))));
  }) as unknown as typeof fetch;
  return { fake, calls, answerAll: () => pending.splice(0).forEach((f) => f()) };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('fetchTransport: keepalive', () => {
  it('sends with keepalive while the bodies in flight fit the budget, plainly beyond it', async () => {
    const f = recordingFetch();
    const t = fetchTransport({ fetch: f.fake, keepalive: true });
    const half = 'a'.repeat(KEEPALIVE_BUDGET_BYTES / 2);
    const first = t.send(post(half));
    const second = t.send(post(half));
    const third = t.send(post('b=1'));
    expect(f.calls.map((c) => c.init.keepalive === true)).toEqual([true, true, false]);
    f.answerAll();
    await Promise.all([first, second, third]);
    // Settled sends give their budget back.
    void t.send(post(half));
    expect(f.calls[3]?.init.keepalive).toBe(true);
  });

  it('is off by default outside a page (no document)', () => {
    const f = recordingFetch();
    void fetchTransport({ fetch: f.fake }).send(post('a=1'));
    expect(f.calls[0]?.init.keepalive).toBeUndefined();
  });

  it('is on by default in a page', () => {
    vi.stubGlobal('document', {});
    const f = recordingFetch();
    void fetchTransport({ fetch: f.fake }).send(post('a=1'));
    expect(f.calls[0]?.init.keepalive).toBe(true);
  });
});

describe('fetchTransport: sendOnExit', () => {
  it('hands requests over with keepalive fetch, then beacons once the budget is spent, and stops at the first refusal', () => {
    const f = recordingFetch();
    const beacons: Array<{ url: string; type: string; size: number }> = [];
    let room = 2;
    const sendBeacon = (url: string, data: Blob): boolean => {
      if (room-- <= 0) return false;
      beacons.push({ url, type: data.type, size: data.size });
      return true;
    };
    const t = fetchTransport({ fetch: f.fake, keepalive: true, sendBeacon });
    const big = 'a'.repeat(40_000);
    const requests = [post(big), post(big), post(big), post(big), post('e=5')];
    expect(t.sendOnExit?.(requests)).toBe(3);
    expect(f.calls.map((c) => c.init.keepalive)).toEqual([true]);
    expect(beacons).toEqual([
      { url: 'http://x/i', type: 'application/x-www-form-urlencoded', size: 40_000 },
      { url: 'http://x/i', type: 'application/x-www-form-urlencoded', size: 40_000 },
    ]);
  });

  it('without fetch, a GET goes by beacon as a urlencoded POST body (a CORS-safelisted type: no preflight)', async () => {
    const beacons: Array<{ url: string; type: string; body: string }> = [];
    const pending: Array<Promise<void>> = [];
    const sendBeacon = (url: string, data: Blob): boolean => {
      pending.push(data.text().then((body) => void beacons.push({ url, type: data.type, body })));
      return true;
    };
    vi.stubGlobal('fetch', undefined);
    const t = fetchTransport({ keepalive: true, sendBeacon });
    expect(t.sendOnExit?.([get('a=1&b=2')])).toBe(1);
    await Promise.all(pending);
    expect(beacons).toEqual([{ url: 'http://x/i', type: 'application/x-www-form-urlencoded', body: 'a=1&b=2' }]);
  });

  it('accepts the request already in flight with keepalive without sending it again', () => {
    const f = recordingFetch();
    const t = fetchTransport({ fetch: f.fake, keepalive: true, sendBeacon: () => true });
    const head = post('head=1');
    void t.send(head);
    expect(t.sendOnExit?.([head, post('next=2')])).toBe(2);
    expect(f.calls.map((c) => c.init.body)).toEqual(['head=1', 'next=2']);
  });

  it('hands nothing over offline: it stays queued for the next visit', () => {
    vi.stubGlobal('navigator', { onLine: false });
    const f = recordingFetch();
    const t = fetchTransport({ fetch: f.fake, keepalive: true, sendBeacon: () => true });
    expect(t.sendOnExit?.([post('a=1')])).toBe(0);
    expect(f.calls).toEqual([]);
  });

  it('hands over no request with custom headers (a beacon would drop them)', () => {
    const f = recordingFetch();
    const t = fetchTransport({ fetch: f.fake, keepalive: true, sendBeacon: () => true });
    expect(t.sendOnExit?.([post('a=1'), post('b=2', { ...FORM, Authorization: 'x' }), post('c=3')])).toBe(1);
  });

  it('a fetch or beacon that throws ends the hand-over there, without throwing', () => {
    const t = fetchTransport({
      fetch: (() => {
        throw new TypeError('refused');
      }) as unknown as typeof fetch,
      keepalive: true,
      sendBeacon: () => {
        throw new Error('no');
      },
    });
    expect(t.sendOnExit?.([post('a=1')])).toBe(0);
  });

  it('property: what is accepted is a prefix, each accepted request left exactly once, the keepalive bytes stay within budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 30_000 }), beaconOk: fc.boolean() }), { maxLength: 12 }),
        (specs) => {
          const f = recordingFetch();
          const answers = specs.map((s) => s.beaconOk);
          const beaconed: string[] = [];
          const sendBeacon = (_url: string, data: Blob): boolean => {
            const ok = answers.shift() ?? false;
            if (ok) beaconed.push(String(data.size));
            return ok;
          };
          const t = fetchTransport({ fetch: f.fake, keepalive: true, sendBeacon });
          // Unique bodies: request k is `k:` padded to its size.
          const requests = specs.map((s, k) => post(`${k}:`.padEnd(s.size + String(k).length + 1, 'x')));
          const accepted = t.sendOnExit?.(requests) ?? 0;
          const left = [...f.calls.map((c) => String(c.init.body)), ...requests.filter((r) => beaconed.includes(String(new Blob([r.body ?? '']).size))).map((r) => r.body)];
          expect(f.calls.length + beaconed.length, 'each accepted request left once').toBe(accepted);
          const keepaliveBytes = f.calls.reduce((sum, c) => sum + new Blob([String(c.init.body)]).size, 0);
          expect(keepaliveBytes).toBeLessThanOrEqual(KEEPALIVE_BUDGET_BYTES);
          expect(left.length).toBeGreaterThanOrEqual(accepted);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('fetchTransport: keepalive budget in bytes', () => {
  it('counts UTF-8 bytes, not characters: a non-ASCII body over the budget in bytes is not sent with keepalive', () => {
    const f = recordingFetch();
    const t = fetchTransport({ fetch: f.fake, keepalive: true });
    // 30,000 characters, 90,000 bytes in UTF-8.
    void t.send(post('€'.repeat(30_000)));
    void t.send(post('a'.repeat(60_000)));
    expect(f.calls.map((c) => c.init.keepalive === true)).toEqual([false, true]);
  });
});

describe('fetchTransport: one send at a time per server across tabs (Web Locks)', () => {
  it('two transports ("tabs") sharing a lock manager never have two requests to one server in flight', async () => {
    const locks = new FakeLocks();
    const f = recordingFetch();
    const a = fetchTransport({ fetch: f.fake, exclusive: true, locks });
    const b = fetchTransport({ fetch: f.fake, exclusive: true, locks });
    const sends = [a.send(post('a=1')), b.send(post('b=1')), a.send(post('a=2'))];
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(f.calls).toHaveLength(1);
    for (let n = 1; n <= 3; n++) {
      f.answerAll();
      for (let i = 0; i < 20; i++) await Promise.resolve();
      expect(f.calls).toHaveLength(Math.min(n + 1, 3));
    }
    await Promise.all(sends);
    expect(new Set(locks.names)).toEqual(new Set(['chartly-send:http://x']));
  });

  it('a lock not granted within the wait does not stop the send; a late grant is given back at once', async () => {
    vi.useFakeTimers();
    try {
      let grant: (() => Promise<unknown>) | undefined;
      const never = { request: (_n: string, cb: () => Promise<unknown>) => ((grant = cb), new Promise<never>(() => undefined)), query: async () => ({}) };
      const f = recordingFetch();
      const sent = fetchTransport({ fetch: f.fake, exclusive: true, locks: never, sendLockWaitMs: 2000 }).send(post('a=1'));
      await vi.advanceTimersByTimeAsync(1999);
      expect(f.calls).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(f.calls).toHaveLength(1);
      f.answerAll();
      await expect(sent).resolves.toMatchObject({ kind: 'response', status: 200 });
      await expect(grant?.()).resolves.toBeUndefined();
      expect(f.calls).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a lock manager that refuses or throws: the send goes at once', async () => {
    const f = recordingFetch();
    const refusing = { request: () => Promise.reject(new DOMException('no', 'SecurityError')), query: async () => ({}) };
    const throwing = { request: () => { throw new Error('sync'); }, query: async () => ({}) };
    const s1 = fetchTransport({ fetch: f.fake, exclusive: true, locks: refusing }).send(post('a=1'));
    const s2 = fetchTransport({ fetch: f.fake, exclusive: true, locks: throwing as never }).send(post('b=1'));
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(f.calls).toHaveLength(2);
    f.answerAll();
    await Promise.all([s1, s2]);
  });

  it('off outside a page and when asked: no lock is taken', async () => {
    const locks = new FakeLocks();
    const f = recordingFetch();
    void fetchTransport({ fetch: f.fake, locks }).send(post('a=1'));
    void fetchTransport({ fetch: f.fake, exclusive: false, locks }).send(post('b=1'));
    expect(locks.names).toEqual([]);
    expect(f.calls).toHaveLength(2);
  });
});
