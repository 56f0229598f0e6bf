/**
 * Identity and privacy properties of a whole SDK instance (issue: Properties): fast-check
 * over random public-API call sequences, with a simulated clock, memory storage and a
 * scripted in-memory transport that records every request sent.
 *
 * 1. No request for a feature leaves the SDK unless that feature had consent when the
 *    data was recorded (the `location=` erasure and the `consent=` / merge requests are
 *    no feature's data).
 * 2. After leaving temporary mode no queued or sent request carries `CLYTemporaryDeviceID`,
 *    and none was ever sent while in it.
 * 3. A device-ID change without merge never lets an event recorded before it go out under
 *    the new ID, nor one recorded after it under the old ID.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulatedClock, type ManualClock } from '../../src/adapters/clock.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import type { Transport } from '../../src/adapters/types.js';
import { allConsent, consentFeatureOfEvent, withConsent } from '../../src/domain/consent.js';
import { ConsentFeatures, TEMPORARY_DEVICE_ID as PH, type ConsentFeature, type ConsentState } from '../../src/domain/types.js';
import { createCountly, instanceInternals } from '../../src/sdk.js';
import type { Countly, CountlyConfig } from '../../src/types.js';

interface Sent {
  path: string;
  params: Record<string, string>;
}

/** Answers every request with success and records it. */
function scriptedTransport(): { transport: Transport; sent: Sent[] } {
  const sent: Sent[] = [];
  const transport: Transport = {
    async send(request) {
      const url = new URL(request.url);
      const params = Object.fromEntries(new URLSearchParams(request.method === 'POST' ? (request.body ?? '') : url.search));
      sent.push({ path: url.pathname, params });
      const body = url.pathname.startsWith('/o/sdk') ? JSON.stringify({ v: 1, t: 1, c: {} }) : '{"result":"Success"}';
      return { kind: 'response', status: 200, body, elapsedMs: 1 };
    },
  };
  return { transport, sent };
}

async function boot(config: Partial<CountlyConfig>): Promise<{ countly: Countly; clock: ManualClock; sent: Sent[] }> {
  const clock = simulatedClock();
  const { transport, sent } = scriptedTransport();
  const countly = createCountly({
    url: 'https://countly.example',
    appKey: 'k',
    storage: memoryStorage(),
    clock,
    transport,
    platform: neutralPlatform(),
    disableBehaviorSettingsUpdates: true,
    ...config,
  });
  await countly.ready;
  return { countly, clock, sent };
}

const queued = (countly: Countly): string[] => instanceInternals(countly)?.queue.toArray().map((r) => r.data) ?? [];
const dataRequests = (sent: Sent[]): Sent[] => sent.filter((s) => s.path === '/i');
const eventsOf = (s: Sent): Array<{ key: string; timestamp: number; segmentation?: Record<string, unknown> }> =>
  s.params.events ? (JSON.parse(s.params.events) as Array<{ key: string; timestamp: number; segmentation?: Record<string, unknown> }>) : [];

// ---- 1. consent gating -------------------------------------------------------------------

type ConsentOp =
  | { op: 'give' | 'remove'; features: ConsentFeature[] }
  | { op: 'giveAll' | 'removeAll' | 'record' | 'view' | 'stopViews' | 'fg' | 'bg' | 'location' | 'noMerge' | 'merge' | 'flush' }
  | { op: 'advance'; ms: number };

const gated: ConsentFeature[] = ['sessions', 'events', 'views', 'location'];
const consentOpArb: fc.Arbitrary<ConsentOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('give' as const, 'remove' as const), features: fc.subarray(gated, { minLength: 1 }) }) },
  { weight: 1, arbitrary: fc.constantFrom<ConsentOp>({ op: 'giveAll' }, { op: 'removeAll' }) },
  {
    weight: 6,
    arbitrary: fc.constantFrom<ConsentOp>(
      { op: 'record' },
      { op: 'view' },
      { op: 'stopViews' },
      { op: 'fg' },
      { op: 'bg' },
      { op: 'location' },
      { op: 'noMerge' },
      { op: 'merge' },
      { op: 'flush' },
    ),
  },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 90_000 }).map((ms) => ({ op: 'advance', ms }) as ConsentOp) },
);

/** The feature whose consent a request's data needs, by param; null: no feature's data. */
function featuresOf(s: Sent): Array<{ feature: ConsentFeature; timestamp: number }> {
  const p = s.params;
  const at = Number(p.timestamp);
  const out: Array<{ feature: ConsentFeature; timestamp: number }> = [];
  if (p.begin_session || p.end_session || p.session_duration) out.push({ feature: 'sessions', timestamp: at });
  if (['country_code', 'city', 'ip_address'].some((k) => p[k] !== undefined) || (p.location !== undefined && p.location !== '')) {
    out.push({ feature: 'location', timestamp: at });
  }
  for (const e of eventsOf(s)) out.push({ feature: consentFeatureOfEvent(e.key, e.segmentation), timestamp: e.timestamp });
  return out;
}

describe('identity properties (whole SDK, scripted transport)', () => {
  it('1) no request for a feature leaves unless that feature had consent when it was recorded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(gated), fc.array(consentOpArb, { maxLength: 25 }), async (initial, ops) => {
        const { countly, clock, sent } = await boot({ requiresConsent: true, consent: initial, manualSessions: false });
        // The consent model, per op window: before and after the op (a removal lets what is
        // recorded while it is announced — the session end, view ends — still go out).
        let model: ConsentState = withConsent(allConsent(false), initial, true);
        const windows: Array<{ from: number; before: ConsentState; after: ConsentState }> = [{ from: 0, before: model, after: model }];
        let ids = 0;
        for (const op of ops) {
          clock.advance(1000);
          const before = model;
          const from = clock.now();
          switch (op.op) {
            case 'give':
              countly.consent.give(op.features);
              model = withConsent(model, op.features, true);
              break;
            case 'remove':
              countly.consent.remove(op.features);
              model = withConsent(model, op.features, false);
              break;
            case 'giveAll':
              countly.consent.giveAll();
              model = allConsent(true);
              break;
            case 'removeAll':
              countly.consent.removeAll();
              model = allConsent(false);
              break;
            case 'record':
              countly.events.record('purchase');
              break;
            case 'view':
              countly.views.start('home');
              break;
            case 'stopViews':
              countly.views.stopAll();
              break;
            case 'fg':
              countly.lifecycle.foreground();
              break;
            case 'bg':
              countly.lifecycle.background();
              break;
            case 'location':
              countly.location.set({ gps: '1,2', countryCode: 'lv', city: 'Riga' });
              break;
            case 'noMerge':
              countly.deviceId.changeWithoutMerge(`user-${++ids}`);
              // spec: changeWithoutMerge removes all consent.
              model = allConsent(false);
              break;
            case 'merge':
              countly.deviceId.changeWithMerge(`user-${++ids}`);
              break;
            case 'flush':
              await countly.queue.flush();
              break;
            case 'advance':
              clock.advance(op.ms);
              break;
          }
          windows.push({ from, before, after: model });
        }
        await countly.queue.flush();
        await countly.shutdown();
        const windowAt = (ts: number) => [...windows].reverse().find((w) => w.from <= ts)!;
        for (const s of dataRequests(sent)) {
          for (const { feature, timestamp } of featuresOf(s)) {
            const w = windowAt(timestamp);
            expect(w.before[feature] || w.after[feature], `${feature} data recorded at ${timestamp} without consent: ${JSON.stringify(s.params)}`).toBe(
              true,
            );
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  // ---- 2. temporary mode ------------------------------------------------------------------

  type TempOp =
    | { op: 'temp' | 'offline' | 'online' | 'record' | 'begin' | 'end' | 'location' | 'flush' }
    | { op: 'set' | 'merge' | 'noMerge' | 'onlineWith'; id: string }
    | { op: 'advance'; ms: number };

  const tempOpArb: fc.Arbitrary<TempOp> = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<TempOp>({ op: 'temp' }, { op: 'offline' }, { op: 'online' }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'merge' as const, 'noMerge' as const, 'onlineWith' as const), id: fc.constantFrom('a', 'b', PH) }),
    },
    { weight: 5, arbitrary: fc.constantFrom<TempOp>({ op: 'record' }, { op: 'begin' }, { op: 'end' }, { op: 'location' }, { op: 'flush' }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }).map((ms) => ({ op: 'advance', ms }) as TempOp) },
  );

  it('2) after leaving temporary mode nothing queued or sent carries CLYTemporaryDeviceID, and nothing was sent while in it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(tempOpArb, { maxLength: 25 }), async (startTemporary, ops) => {
        const { countly, clock, sent } = await boot({ temporaryDeviceId: startTemporary, manualSessions: true });
        for (const op of ops) {
          clock.advance(100);
          switch (op.op) {
            case 'temp':
              countly.deviceId.enableTemporaryIdMode();
              break;
            case 'offline':
              countly.enableOfflineMode();
              break;
            case 'online':
              countly.disableOfflineMode();
              break;
            case 'onlineWith':
              countly.disableOfflineMode(op.id);
              break;
            case 'set':
              countly.deviceId.set(op.id);
              break;
            case 'merge':
              countly.deviceId.changeWithMerge(op.id);
              break;
            case 'noMerge':
              countly.deviceId.changeWithoutMerge(op.id);
              break;
            case 'record':
              countly.events.record('e');
              break;
            case 'begin':
              countly.sessions.begin();
              break;
            case 'end':
              countly.sessions.end();
              break;
            case 'location':
              countly.location.set({ gps: '1,2' });
              break;
            case 'flush':
              await countly.queue.flush();
              break;
            case 'advance':
              clock.advance(op.ms);
              break;
          }
          const temporary = countly.deviceId.type() === 'TEMPORARY_ID';
          expect(countly.getState().offline).toBe(temporary);
          if (!temporary) expect(queued(countly).filter((d) => d.includes(PH))).toEqual([]);
          expect(sent.filter((s) => JSON.stringify(s).includes(PH))).toEqual([]);
        }
        // Leave temporary mode for good: everything goes out under a real ID.
        countly.disableOfflineMode('final');
        await countly.queue.flush();
        expect(queued(countly)).toEqual([]);
        expect(sent.filter((s) => JSON.stringify(s).includes(PH))).toEqual([]);
        await countly.shutdown();
      }),
      { numRuns: 40 },
    );
  });

  // ---- 3. no event crosses a change without merge -----------------------------------------

  type IdOp = { op: 'record' | 'noMerge' | 'merge' | 'flush' } | { op: 'advance'; ms: number };
  const idOpArb: fc.Arbitrary<IdOp> = fc.oneof(
    { weight: 5, arbitrary: fc.constant<IdOp>({ op: 'record' }) },
    { weight: 3, arbitrary: fc.constantFrom<IdOp>({ op: 'noMerge' }, { op: 'merge' }, { op: 'flush' }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }).map((ms) => ({ op: 'advance', ms }) as IdOp) },
  );

  it('3) a change without merge never lets an event recorded before it go out under the new ID, nor one after it under the old ID', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 10 }), fc.array(idOpArb, { maxLength: 30 }), async (threshold, ops) => {
        const { countly, clock, sent } = await boot({ deviceId: 'id-0', manualSessions: true, eventQueueThreshold: threshold });
        // IDs in order of use; `segment` counts the changes without merge so far.
        const order = ['id-0'];
        const segmentOfId = new Map<string, number>([['id-0', 0]]);
        let segment = 0;
        const recorded = new Map<string, number>();
        let n = 0;
        for (const op of ops) {
          clock.advance(100);
          switch (op.op) {
            case 'record': {
              const key = `e${++n}`;
              countly.events.record(key);
              recorded.set(key, segment);
              break;
            }
            case 'noMerge': {
              const id = `id-${order.length}`;
              order.push(id);
              segment++;
              segmentOfId.set(id, segment);
              countly.deviceId.changeWithoutMerge(id);
              break;
            }
            case 'merge': {
              const id = `id-${order.length}`;
              order.push(id);
              segmentOfId.set(id, segment);
              countly.deviceId.changeWithMerge(id);
              break;
            }
            case 'flush':
              await countly.queue.flush();
              break;
            case 'advance':
              clock.advance(op.ms);
              break;
          }
        }
        await countly.queue.flush();
        await countly.shutdown();
        const seen = new Set<string>();
        for (const s of dataRequests(sent)) {
          for (const e of eventsOf(s)) {
            if (!recorded.has(e.key)) continue;
            seen.add(e.key);
            // The event goes out under an ID of the segment it was recorded in: merges may move
            // it forward within its segment, a change without merge never.
            expect(segmentOfId.get(s.params.device_id!), `event ${e.key} under ${s.params.device_id}`).toBe(recorded.get(e.key));
          }
        }
        expect(seen.size).toBe(recorded.size);
      }),
      { numRuns: 40 },
    );
  });
});

// Keeps the feature list honest: every feature the property classifies is a consent feature.
it('classifies only known features', () => {
  for (const f of gated) expect(ConsentFeatures).toContain(f);
});
