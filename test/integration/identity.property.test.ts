/**
 * Identity and privacy properties of a whole SDK instance (issue: Properties): fast-check
 * over random public-API call sequences, with a simulated clock and memory storage, each in
 * both session modes (manual; automatic with the neutral platform, always in the foreground).
 *
 * 1. No request for a feature leaves the SDK unless that feature had consent when the
 *    data was recorded (the `location=` erasure and the `consent=` / merge requests are
 *    no feature's data).
 * 2. Against the local server, across restarts on the same storage: nothing reaches the
 *    server (or is handed to the transport) while the SDK is in temporary mode, nothing ever
 *    carries `CLYTemporaryDeviceID`, and what was recorded goes out exactly once — or never,
 *    when `clearStoredDeviceId` dropped the offline data it belonged to.
 * 3. A device-ID change without merge never lets an event recorded before it go out under
 *    the new ID, nor one recorded after it under the old ID.
 *
 * 1 and 3 use a scripted in-memory transport that records every request sent.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { simulatedClock, type ManualClock } from '../../src/adapters/clock.js';
import { neutralPlatform } from '../../src/adapters/platform/neutral.js';
import { memoryStorage } from '../../src/adapters/storage/memory.js';
import { fetchTransport } from '../../src/adapters/transport/fetch.js';
import type { Transport } from '../../src/adapters/types.js';
import { allConsent, consentFeatureOfEvent, withConsent } from '../../src/domain/consent.js';
import { ConsentFeatures, TEMPORARY_DEVICE_ID as PH, type ConsentFeature, type ConsentState } from '../../src/domain/types.js';
import { createCountly, instanceInternals } from '../../src/sdk.js';
import { startServer, type ReceivedRequest } from '../../src/server/index.js';
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
  | { op: 'giveAll' | 'removeAll' | 'record' | 'view' | 'stopViews' | 'fg' | 'bg' | 'begin' | 'end' | 'location' | 'noMerge' | 'merge' | 'flush' }
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
      { op: 'begin' },
      { op: 'end' },
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

/** Both session modes: manual, and automatic with the neutral platform (always in the foreground). */
const SESSION_MODES = [
  { name: 'manual sessions', manualSessions: true },
  { name: 'automatic sessions', manualSessions: false },
] as const;

describe.each(SESSION_MODES)('identity properties (whole SDK, scripted transport, $name)', ({ manualSessions }) => {
  it('1) no request for a feature leaves unless that feature had consent when it was recorded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(gated), fc.array(consentOpArb, { maxLength: 25 }), async (initial, ops) => {
        const { countly, clock, sent } = await boot({ requiresConsent: true, consent: initial, manualSessions });
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
            case 'begin':
              countly.sessions.begin();
              break;
            case 'end':
              countly.sessions.end();
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
      { numRuns: 30 },
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
        const { countly, clock, sent } = await boot({ deviceId: 'id-0', manualSessions, eventQueueThreshold: threshold });
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
      { numRuns: 30 },
    );
  });
});

// ---- 2. temporary mode, on the wire, across restarts ---------------------------------------

type RestartWith = 'nothing' | 'cfg-user' | 'clear' | 'temporary';

/** The configs a restart hands the next instance (on the same storage, with the same clock). */
const RESTART_CONFIG: Record<RestartWith, Partial<CountlyConfig>> = {
  nothing: {},
  'cfg-user': { deviceId: 'cfg-user' },
  clear: { clearStoredDeviceId: true },
  temporary: { temporaryDeviceId: true },
};

type TempOp =
  | { op: 'temp' | 'offline' | 'online' | 'record' | 'direct' | 'begin' | 'end' | 'location' | 'fg' | 'bg' | 'flush' }
  | { op: 'set' | 'merge' | 'noMerge' | 'onlineWith'; id: string }
  | { op: 'advance'; ms: number }
  | { op: 'restart'; with: RestartWith };
/** `sync`: the next op follows in the same synchronous run, before anything is settled or sent. */
type TempStep = TempOp & { sync: boolean };

const tempOpArb: fc.Arbitrary<TempOp> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<TempOp>({ op: 'temp' }, { op: 'offline' }, { op: 'online' }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constantFrom('set' as const, 'merge' as const, 'noMerge' as const, 'onlineWith' as const), id: fc.constantFrom('a', 'b', PH) }),
  },
  {
    weight: 6,
    arbitrary: fc.constantFrom<TempOp>(
      { op: 'record' },
      { op: 'direct' },
      { op: 'begin' },
      { op: 'end' },
      { op: 'location' },
      { op: 'fg' },
      { op: 'bg' },
      { op: 'flush' },
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 70_000 }).map((ms) => ({ op: 'advance', ms }) as TempOp) },
  { weight: 2, arbitrary: fc.constantFrom<RestartWith>('nothing', 'cfg-user', 'clear', 'temporary').map((w) => ({ op: 'restart', with: w }) as TempOp) },
);
const tempStepArb: fc.Arbitrary<TempStep> = fc
  .tuple(tempOpArb, fc.integer({ min: 0, max: 3 }))
  .map(([op, r]) => ({ ...op, sync: r === 3 && op.op !== 'flush' && op.op !== 'restart' }));

/**
 * The test's own reading of the spec (Offline Mode; Device ID Management): what a runtime
 * call does to temporary mode. A placeholder ID given while in temporary mode is ignored
 * ("If already in temporary ID mode and temp ID is provided, the call is silently
 * ignored"); given outside it, it enters temporary mode.
 */
function modeChange(temp: boolean, op: TempOp): 'enter' | 'leave' | null {
  switch (op.op) {
    case 'temp':
    case 'offline':
      return temp ? null : 'enter';
    case 'online':
      return temp ? 'leave' : null;
    case 'onlineWith':
      return temp && op.id !== PH ? 'leave' : null;
    case 'set':
    case 'merge':
    case 'noMerge':
      if (temp) return op.id === PH ? null : 'leave';
      return op.id === PH ? 'enter' : null;
    default:
      return null;
  }
}

/**
 * The init truth table (../shared/spec/device-id-init-table.md) for the cells a restart
 * reaches: storage always holds an ID by then (a real one or the temporary marker).
 * - stored real ID: it is used, whatever the config says, unless `clearStoredDeviceId`
 *   (then a generated one).
 * - stored temporary marker: nothing new / `temporaryDeviceId` stay in temporary mode; a
 *   config ID exits it (its offline data goes out under that ID); `clearStoredDeviceId`
 *   generates an ID and drops the offline data (it must never be sent).
 */
function restartOutcome(temp: boolean, w: RestartWith): 'stay' | 'leave' | 'drop' | 'real' {
  if (!temp) return 'real';
  if (w === 'cfg-user') return 'leave';
  if (w === 'clear') return 'drop';
  return 'stay';
}

/** Lets the SDK and the server run until nothing is in flight and nothing sendable is queued. */
async function settle(countly: Countly, inflight: () => number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (let quiet = 0; quiet < 3; ) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const s = countly.getState();
    const idle = inflight() === 0 && (s.queue.requests === 0 || s.processor.holds.length > 0);
    quiet = idle ? quiet + 1 : 0;
    if (Date.now() > deadline) throw new Error(`the SDK did not settle: ${JSON.stringify({ inflight: inflight(), queue: s.queue, processor: s.processor })}`);
  }
}

const eventKeysOf = (r: ReceivedRequest): string[] => {
  try {
    return r.params.events ? (JSON.parse(r.params.events) as Array<{ key: string }>).map((e) => e.key) : [];
  } catch {
    return [];
  }
};

/**
 * Shrunk counterexamples found by this property, replayed first on every run:
 * - entering temporary mode flushes the events pending under the real ID (and, with automatic
 *   sessions, ends the session): those requests are queued under the old ID a moment before
 *   the hold, and go out after `enableTemporaryIdMode()` / `set(CLYTemporaryDeviceID)` returned.
 * - a request queued under a real ID and temporary mode entered in the same synchronous run
 *   (here the merge request of `set('a')` and the behavior-settings download it triggers).
 */
const TEMP_COUNTEREXAMPLES: Array<[boolean, TempStep[]]> = [
  [false, [{ op: 'temp', sync: false }]],
  [false, [{ op: 'record', sync: false }, { op: 'temp', sync: false }]],
  [false, [{ op: 'set', id: 'a', sync: true }, { op: 'set', id: PH, sync: false }]],
];

describe.each(SESSION_MODES)('identity properties (whole SDK, local server, $name)', ({ manualSessions }) => {
  it('2) nothing reaches the server while in temporary mode, nothing ever carries CLYTemporaryDeviceID, and offline data goes out once, or never when cleared', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(tempStepArb, { maxLength: 25 }), async (startTemporary, steps) => {
        const server = await startServer();
        const instances: Countly[] = [];
        const storage = memoryStorage();
        const clock = simulatedClock();
        let inflight = 0;
        /** Requests handed to the transport while the SDK itself said it was offline. */
        const sentWhileOffline: string[] = [];

        const start = async (config: Partial<CountlyConfig>): Promise<Countly> => {
          let self: Countly | null = null;
          const inner = fetchTransport({ now: () => clock.now() });
          const transport: Transport = {
            async send(request) {
              // The SDK's own mode at the moment a request leaves it (spec: Offline Mode —
              // "No network requests will be made while in offline mode").
              if (self?.getState().offline) sentWhileOffline.push(`${request.method} ${request.url} ${request.body ?? ''}`);
              inflight++;
              try {
                return await inner.send(request);
              } finally {
                inflight--;
              }
            },
          };
          self = createCountly({
            url: server.url,
            appKey: 'k',
            storage,
            clock,
            transport,
            platform: neutralPlatform(),
            manualSessions,
            // Behavior settings are downloaded: their fetch must be blocked in temporary mode too.
            disableBehaviorSettingsUpdates: false,
            ...config,
          });
          instances.push(self);
          await self.ready;
          return self;
        };

        try {
          let countly = await start({ temporaryDeviceId: startTemporary });
          // The model: temporary mode, the current offline period, the periods whose data was dropped.
          let temp = startTemporary;
          let periods = startTemporary ? 1 : 0;
          const dropped = new Set<number>();
          /** Event keys and direct-request markers, with the offline period they were recorded in (null: a real ID). */
          const tracked = new Map<string, number | null>();
          let n = 0;
          let arrived = server.received.length;
          const log: string[] = [`boot temporaryDeviceId=${startTemporary}`];

          const checkMode = (): void => {
            const s = countly.getState();
            expect(s.offline, `offline after: ${log.join(' > ')}`).toBe(temp);
            expect(s.deviceIdType === 'TEMPORARY_ID', `type ${s.deviceIdType} after: ${log.join(' > ')}`).toBe(temp);
            if (!temp) expect(queued(countly).filter((d) => d.includes(PH)), `placeholder queued after: ${log.join(' > ')}`).toEqual([]);
          };
          /**
           * Settles; in temporary mode nothing may have arrived since the last checkpoint. Sound
           * because the last one left nothing in flight and the ops between run synchronously (only
           * `flush` and `restart` await, and neither is `sync`): whatever arrived was handed to the
           * transport after the last op, in the mode the SDK is in now.
           */
          const checkpoint = async (): Promise<void> => {
            await settle(countly, () => inflight);
            const now = server.received.length;
            if (temp) {
              const extra = server.received.slice(arrived).map((r) => `${r.path}?${r.rawQuery}${r.rawBody}`);
              expect(extra, `arrived while in temporary mode, after: ${log.join(' > ')}`).toEqual([]);
            }
            arrived = now;
            expect(sentWhileOffline, `handed to the transport while offline, after: ${log.join(' > ')}`).toEqual([]);
          };

          await checkpoint();
          for (const step of steps) {
            clock.advance(100);
            log.push(step.op + ('id' in step ? `(${step.id})` : '') + ('with' in step ? `(${step.with})` : '') + ('ms' in step ? `(${step.ms})` : ''));
            const change = modeChange(temp, step);
            switch (step.op) {
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
                countly.disableOfflineMode(step.id);
                break;
              case 'set':
                countly.deviceId.set(step.id);
                break;
              case 'merge':
                countly.deviceId.changeWithMerge(step.id);
                break;
              case 'noMerge':
                countly.deviceId.changeWithoutMerge(step.id);
                break;
              case 'record': {
                const key = `e${++n}`;
                countly.events.record(key);
                tracked.set(key, temp ? periods : null);
                break;
              }
              case 'direct': {
                const marker = `m${++n}`;
                countly.queue.addDirectRequest({ marker });
                tracked.set(marker, temp ? periods : null);
                break;
              }
              case 'begin':
                countly.sessions.begin();
                break;
              case 'end':
                countly.sessions.end();
                break;
              case 'location':
                countly.location.set({ gps: '1,2' });
                break;
              case 'fg':
                countly.lifecycle.foreground();
                break;
              case 'bg':
                countly.lifecycle.background();
                break;
              case 'flush':
                await countly.queue.flush();
                break;
              case 'advance':
                clock.advance(step.ms);
                break;
              case 'restart': {
                await checkpoint();
                await countly.shutdown();
                const outcome = restartOutcome(temp, step.with);
                if (outcome === 'drop') dropped.add(periods);
                temp = outcome === 'stay';
                countly = await start(RESTART_CONFIG[step.with]);
                break;
              }
            }
            if (change === 'enter') periods++;
            if (change !== null) temp = change === 'enter';
            checkMode();
            if (!step.sync) await checkpoint();
          }

          // Leave temporary mode for good: everything not dropped goes out under a real ID.
          await checkpoint();
          if (temp) {
            countly.disableOfflineMode('final');
            temp = false;
          }
          await countly.queue.flush();
          await checkpoint();
          checkMode();
          expect(countly.getState().queue, 'left in the queue').toEqual({ requests: 0, events: 0 });

          const withPlaceholder = server.received.filter((r) => `${r.rawQuery}&${r.rawBody}`.includes(PH) || Object.values(r.params).some((v) => v.includes(PH)));
          expect(withPlaceholder.map((r) => `${r.path}?${r.rawQuery}${r.rawBody}`), 'placeholder on the wire').toEqual([]);
          const count = new Map<string, number>();
          for (const r of server.received) {
            for (const key of [...eventKeysOf(r), ...(r.params.marker ? [r.params.marker] : [])]) count.set(key, (count.get(key) ?? 0) + 1);
          }
          for (const [key, period] of tracked) {
            const expected = period !== null && dropped.has(period) ? 0 : 1;
            expect(count.get(key) ?? 0, `${key} (offline period ${String(period)}, dropped ${[...dropped].join(',')}) after: ${log.join(' > ')}`).toBe(expected);
          }
        } finally {
          for (const c of instances) await c.shutdown();
          await server.close();
        }
      }),
      { numRuns: 60, examples: TEMP_COUNTEREXAMPLES },
    );
  }, 60_000);
});

// Keeps the feature list honest: every feature the property classifies is a consent feature.
it('classifies only known features', () => {
  for (const f of gated) expect(ConsentFeatures).toContain(f);
});
