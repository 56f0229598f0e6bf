/**
 * Page exit (issue 11, "Page unload"), at the HTTP level against the local server: when the
 * platform says the app is going away, the pending events become a request, the session
 * ends once, and the queue goes to `Transport.sendOnExit` synchronously; what it accepted
 * leaves the queue and storage, so a next visit on the same storage sends nothing twice.
 */
import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { fetchTransport } from '../../src/adapters/transport/fetch.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import type { LifecycleState, Platform, Transport, TransportRequest } from '../../src/adapters/types.js';
import { useLocalServer } from '../helpers/sdk.js';

/** A page: visible at start; `leave()` fires the lifecycle and exit listeners in one go, as `pagehide` does. */
function pagePlatform() {
  const lifecycle = new Set<(s: LifecycleState) => void>();
  const exits = new Set<() => void>();
  const platform: Platform = {
    ...neutralPlatform(),
    isForeground: () => true,
    onLifecycle: (l) => (lifecycle.add(l), () => lifecycle.delete(l)),
    onExit: (l) => (exits.add(l), () => exits.delete(l)),
  };
  return {
    platform,
    leave(): void {
      for (const l of lifecycle) l('background');
      for (const l of exits) l();
    },
  };
}

/** The shipped fetch transport in page mode, with the hand-overs it made recorded. */
function recordingTransport(sendBeacon?: (url: string, data: Blob) => boolean) {
  const exits: TransportRequest[][] = [];
  /** Every request body (or query) that left through fetch. */
  const fetched: string[] = [];
  const countingFetch = ((url: string, init: RequestInit) => {
    fetched.push(String(init.body ?? url));
    return fetch(url, init);
  }) as typeof fetch;
  const base = fetchTransport({ fetch: countingFetch, keepalive: true, ...(sendBeacon ? { sendBeacon } : {}) });
  const transport: Transport = {
    send: (r) => base.send(r),
    sendOnExit(requests) {
      exits.push([...requests]);
      return base.sendOnExit?.(requests) ?? 0;
    },
  };
  return { transport, exits, fetched };
}

const sessionCalls = (received: ReadonlyArray<{ params: Record<string, string> }>, key: string) => received.filter((r) => r.params[key] !== undefined).length;

describe('page exit: the queue leaves with the page, once', () => {
  const local = useLocalServer();

  it('events and end_session are handed over at exit, arrive once, and a next visit sends nothing again', async () => {
    const page = pagePlatform();
    const { transport } = recordingTransport();
    const storage = memoryStorage();
    const s = await local.sdk({ platform: page.platform, transport, storage, manualSessions: false });
    await s.countly.queue.flush();
    // Hold every answer: the requests are in flight or queued when the page goes away.
    local.server.setFault({ kind: 'hang' });
    for (let i = 0; i < 5; i++) s.countly.events.record('leave-event', { segmentation: { i } });
    page.leave();
    expect(s.countly.getState().queue).toEqual({ requests: 0, events: 0 });
    local.server.setFault(null);
    await local.server.waitFor((r) => r.filter((x) => x.params.end_session !== undefined).length >= 1);
    await s.countly.shutdown();

    // The next visit on the same storage: nothing left to send twice.
    const next = await local.sdk({ storage, manualSessions: true });
    await next.countly.queue.flush();
    const received = local.server.received;
    expect(local.server.events().filter((e) => e.key === 'leave-event')).toHaveLength(5);
    expect(sessionCalls(received, 'begin_session')).toBe(1);
    expect(sessionCalls(received, 'end_session')).toBe(1);
  });

  it('the request in flight with keepalive is not sent a second time', async () => {
    const page = pagePlatform();
    const { transport, exits, fetched } = recordingTransport();
    const s = await local.sdk({ platform: page.platform, transport });
    local.server.setFault({ kind: 'hang' });
    s.countly.events.record('in-flight');
    await s.countly.getState(); // the record is handed to the events machine
    void s.countly.queue.flush();
    await local.server.waitFor((r) => r.length >= 1);
    page.leave();
    expect(exits).toHaveLength(1);
    expect(s.countly.getState().queue.requests).toBe(0);
    local.server.setFault(null);
    await s.countly.shutdown();
    expect(fetched.filter((body) => body.includes('in-flight'))).toHaveLength(1);
  });

  it('after a failed send nothing is handed over: the queue stays for the next visit', async () => {
    const page = pagePlatform();
    const { transport, exits } = recordingTransport();
    const storage = memoryStorage();
    const s = await local.sdk({ platform: page.platform, transport, storage });
    local.server.setFault({ kind: 'status', status: 500 });
    s.countly.events.record('kept');
    await s.countly.queue.flush();
    page.leave();
    expect(exits).toEqual([]);
    expect(s.countly.getState().queue.requests).toBe(1);
    expect(s.logs.some((l) => l.message.includes('exit, the queue stays for the next visit'))).toBe(true);
  });

  it('offline mode (a hard hold) hands nothing over', async () => {
    const page = pagePlatform();
    const { transport, exits } = recordingTransport();
    const s = await local.sdk({ platform: page.platform, transport });
    s.countly.enableOfflineMode();
    s.countly.events.record('offline');
    page.leave();
    expect(exits).toEqual([]);
  });

  it('with a salt nothing is handed over (the checksum needs a later task); the queue stays', async () => {
    const page = pagePlatform();
    const { transport, exits } = recordingTransport();
    const s = await local.sdk({ platform: page.platform, transport, salt: 'pepper' });
    local.server.setFault({ kind: 'hang' });
    s.countly.events.record('salted');
    page.leave();
    expect(exits).toEqual([]);
    expect(s.countly.getState().queue.requests).toBeGreaterThanOrEqual(1);
    local.server.setFault(null);
  });
});
