/**
 * The view machine, properties on a live actor with a simulated clock:
 * - random view calls, lifecycle, sessions, consent, device-ID and settings changes: every
 *   started view ends at most once, `start` "1" at most once per session, durations never
 *   negative, a view never paused lasts exactly from its start to its end
 * - random view calls interleaved with background/foreground and device-ID changes: a view the
 *   host stopped never starts again, valid calls on remembered views are not warned about, the
 *   host's pause and added segmentation survive a restart
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor } from 'xstate';
import { simulatedClock } from '../../../src/adapters/clock.js';
import { viewMachine } from '../../../src/features/views/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { T0, check, consent, input, records, type Cmd, type ViewLedger } from './harness.js';

type ViewOp =
  | { op: 'auto' | 'start'; name: string }
  | { op: 'stopById' | 'pause' | 'resume'; pick: number }
  | { op: 'stopByName'; name: string }
  | { op: 'stopAll' | 'fg' | 'bg' | 'began' | 'ended' | 'removeConsent' | 'giveConsent' | 'changeId' | 'vtOff' | 'vtOn' }
  | { op: 'advance'; ms: number };

const NAMES = ['Home', 'Settings', 'Cart'];
const viewOpArb: fc.Arbitrary<ViewOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('auto', 'start'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<ViewOp> },
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('stopById', 'pause', 'resume'), pick: fc.nat(5) }) as fc.Arbitrary<ViewOp> },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('stopByName'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<ViewOp> },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom('stopAll', 'fg', 'bg', 'began', 'ended', 'removeConsent', 'giveConsent', 'changeId', 'vtOff', 'vtOn')
      .map((op) => ({ op }) as ViewOp),
  },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((ms) => ({ op: 'advance', ms }) as ViewOp) },
);

describe('viewMachine: properties', () => {
  it('every started view ends at most once, and start "1" appears at most once per session', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(viewOpArb, { maxLength: 60 }), (foreground, restartManualViews, ops) => {
        const clock = simulatedClock(T0);
        const actor = createActor(viewMachine, { clock, input: input({ foreground, restartManualViews }) });
        const cmds: Cmd[] = [];
        actor.on('*', (c) => cmds.push(c as Cmd));
        actor.start();
        const ledger: ViewLedger = { started: new Set(), ended: new Set(), startFlags: 0 };
        const startedAt = new Map<string, number>();
        const paused = new Set<string>();
        let ids = 0;
        let views = true;
        for (const o of ops) {
          const t = instantAt(clock.now());
          const known = [...ledger.started];
          const pick = (n: number) => known[n % Math.max(1, known.length)] ?? 'none';
          const before = cmds.length;
          switch (o.op) {
            case 'advance':
              clock.advance(o.ms);
              break;
            case 'auto':
            case 'start':
              actor.send({ type: o.op === 'auto' ? 'views.startAutoStopped' : 'views.start', id: `v${(ids += 1)}`, name: o.name, at: t });
              break;
            case 'stopById':
            case 'pause':
            case 'resume': {
              const id = pick(o.pick);
              if (o.op === 'pause' && actor.getSnapshot().context.running.some((v) => v.id === id && !v.paused)) paused.add(id);
              actor.send({ type: `views.${o.op}`, id, at: t });
              break;
            }
            case 'stopByName':
              actor.send({ type: 'views.stopByName', name: o.name, at: t });
              break;
            case 'stopAll':
              actor.send({ type: 'views.stopAll', at: t });
              break;
            case 'fg':
              actor.send({ type: 'app.visible', at: t });
              break;
            case 'bg':
              actor.send({ type: 'app.hidden', at: t });
              break;
            case 'began':
              ledger.startFlags = 0;
              actor.send({ type: 'session.began', at: t });
              break;
            case 'ended':
              actor.send({ type: 'session.ended', at: t });
              break;
            case 'removeConsent':
            case 'giveConsent': {
              const before = consent(true, { views });
              const after = consent(true, { views: o.op === 'giveConsent' });
              actor.send({ type: 'consent.changing', before, after, at: t });
              actor.send({ type: 'consent.changed', before, after, at: t });
              views = after.views;
              break;
            }
            case 'changeId':
              actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: t });
              actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: false, previousId: 'a', at: t });
              break;
            case 'vtOff':
            case 'vtOn':
              actor.send({ type: 'settings.updated', settings: { vt: o.op === 'vtOn' }, at: t });
              break;
          }
          const fresh = cmds.slice(before);
          for (const c of fresh) {
            if (c.type === 'event.record' && c.key === '[CLY]_view' && c.dur === undefined) startedAt.set(c.id, c.at.timestamp);
            // A view never paused lasts exactly from its start to its end.
            if (c.type === 'event.record' && c.key === '[CLY]_view' && c.dur !== undefined && !paused.has(c.id)) {
              expect(c.dur).toBe(Math.round((c.at.timestamp - (startedAt.get(c.id) ?? 0)) / 1000));
            }
          }
          check(ledger, fresh, true);
          // A view remembered as paused restarts paused under a new ID.
          for (const v of actor.getSnapshot().context.running) if (v.paused) paused.add(v.id);
          const running = actor.getSnapshot().context.running.map((v) => v.id).sort();
          expect(running).toEqual([...ledger.started].filter((id) => !ledger.ended.has(id)).sort());
          expect(running.length === 0 || views).toBe(true);
        }
        actor.stop();
      }),
      { numRuns: 300 },
    );
  });

  it('with background/foreground and device-ID changes, a view the host stopped never restarts; pause and added segmentation survive', () => {
    type HostOp =
      | { op: 'auto' | 'start'; name: string }
      | { op: 'stopById' | 'pause' | 'resume' | 'addSegmentation'; pick: number }
      | { op: 'stopByName'; name: string }
      | { op: 'stopAll' | 'fg' | 'bg' | 'idChanging' | 'idChanged' }
      | { op: 'advance'; ms: number };
    const hostOpArb: fc.Arbitrary<HostOp> = fc.oneof(
      { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('auto', 'start'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<HostOp> },
      { weight: 5, arbitrary: fc.record({ op: fc.constantFrom('stopById', 'pause', 'resume', 'addSegmentation'), pick: fc.nat(7) }) as fc.Arbitrary<HostOp> },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('stopByName'), name: fc.constantFrom(...NAMES) }) as fc.Arbitrary<HostOp> },
      { weight: 4, arbitrary: fc.constantFrom('stopAll', 'fg', 'bg', 'bg', 'idChanging', 'idChanged').map((op) => ({ op }) as HostOp) },
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 60_000 }).map((ms) => ({ op: 'advance', ms }) as HostOp) },
    );
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(hostOpArb, { maxLength: 60 }), (foreground, restartManualViews, ops) => {
        const clock = simulatedClock(T0);
        const actor = createActor(viewMachine, { clock, input: input({ foreground, restartManualViews }) });
        const cmds: Cmd[] = [];
        actor.on('*', (c) => cmds.push(c as Cmd));
        actor.start();
        const ledger: ViewLedger = { started: new Set(), ended: new Set(), startFlags: 0 };
        /** The IDs `start` returned, the views the host stopped, paused, and the keys added since the view's last end. */
        const hostIds: string[] = [];
        const stoppedByHost = new Set<string>();
        const hostPaused = new Map<string, boolean>();
        const addedSinceEnd = new Map<string, Set<string>>();
        let keys = 0;
        /** Every view the machine still knows (running or remembered), by the ID `start` returned. */
        const live = () => {
          const c = actor.getSnapshot().context;
          return new Map<string, { name: string; remembered: boolean }>([
            ...c.running.map((v) => [v.originalId, { name: v.name, remembered: false }] as const),
            ...c.suspended.map((v) => [v.originalId, { name: v.name, remembered: true }] as const),
          ]);
        };
        for (const o of ops) {
          const t = instantAt(clock.now());
          const before = cmds.length;
          const liveBefore = live();
          const originalOf = new Map(actor.getSnapshot().context.running.map((v) => [v.id, v.originalId]));
          const pick = (n: number) => hostIds[n % Math.max(1, hostIds.length)] ?? 'none';
          let expectQuiet = false;
          switch (o.op) {
            case 'advance':
              clock.advance(o.ms);
              break;
            case 'auto':
            case 'start': {
              const id = `v${hostIds.length + 1}`;
              hostIds.push(id);
              actor.send({ type: o.op === 'auto' ? 'views.startAutoStopped' : 'views.start', id, name: o.name, at: t });
              break;
            }
            case 'stopById': {
              const id = pick(o.pick);
              expectQuiet = liveBefore.has(id);
              actor.send({ type: 'views.stopById', id, at: t });
              stoppedByHost.add(id);
              expect(live().has(id), 'stopById forgets the view').toBe(false);
              break;
            }
            case 'stopByName': {
              actor.send({ type: 'views.stopByName', name: o.name, at: t });
              const after = live();
              const removed = [...liveBefore.keys()].filter((id) => !after.has(id));
              const named = [...liveBefore.values()].some((v) => v.name === o.name);
              expect(removed.length, 'stopByName stops one view of that name, if any').toBe(named ? 1 : 0);
              for (const id of removed) {
                expect(liveBefore.get(id)?.name).toBe(o.name);
                stoppedByHost.add(id);
              }
              expectQuiet = named;
              break;
            }
            case 'stopAll':
              actor.send({ type: 'views.stopAll', at: t });
              for (const id of liveBefore.keys()) stoppedByHost.add(id);
              expect(live().size, 'stopAll forgets every view').toBe(0);
              expectQuiet = true;
              break;
            case 'pause':
            case 'resume': {
              const id = pick(o.pick);
              const known = liveBefore.has(id);
              const was = hostPaused.get(id) ?? false;
              expectQuiet = known && was !== (o.op === 'pause');
              actor.send({ type: `views.${o.op}`, id, at: t });
              if (known) hostPaused.set(id, o.op === 'pause');
              break;
            }
            case 'addSegmentation': {
              const id = pick(o.pick);
              const key = `k${(keys += 1)}`;
              expectQuiet = liveBefore.has(id);
              actor.send({ type: 'views.addSegmentationById', id, segmentation: { [key]: 1 } });
              if (liveBefore.has(id)) addedSinceEnd.set(id, new Set([...(addedSinceEnd.get(id) ?? []), key]));
              break;
            }
            case 'fg':
              actor.send({ type: 'app.visible', at: t });
              break;
            case 'bg':
              actor.send({ type: 'app.hidden', at: t });
              break;
            case 'idChanging':
              actor.send({ type: 'identity.changing', from: 'a', to: 'b', at: t });
              break;
            case 'idChanged':
              actor.send({ type: 'identity.changed', deviceId: 'b', deviceIdType: 'DEVELOPER_SUPPLIED', merged: false, previousId: 'a', at: t });
              break;
          }
          const fresh = cmds.slice(before);
          check(ledger, fresh, true);
          if (expectQuiet) expect(fresh.filter((c) => c.type === 'log' && c.level === 'warning'), 'a valid call is not warned about').toEqual([]);
          const snap = actor.getSnapshot().context;
          const originalNow = new Map(snap.running.map((v) => [v.id, v.originalId]));
          for (const r of records(fresh)) {
            if (r.dur === undefined) {
              const original = originalNow.get(r.id);
              expect(original, 'a started view is running').toBeDefined();
              expect(stoppedByHost.has(original!), `view ${String(original)} stopped by the host starts again`).toBe(false);
            } else {
              // The end event carries everything added since the previous end, in the background too.
              const original = originalOf.get(r.id) ?? r.id;
              for (const key of addedSinceEnd.get(original) ?? []) expect(r.segmentation).toHaveProperty(key, 1);
              addedSinceEnd.delete(original);
            }
          }
          for (const v of [...snap.running, ...snap.suspended]) {
            expect(v.paused, `view ${v.originalId} keeps the host's pause`).toBe(hostPaused.get(v.originalId) ?? false);
          }
          for (const v of snap.running) if (v.paused) expect(v.resumedAtMs).toBeNull();
        }
        actor.stop();
      }),
      { numRuns: 300 },
    );
  });
});
