/**
 * The device-ID machine (spec: Device ID Management, Offline Mode).
 *
 * - unit: pure `initialTransition()` / `transition()`, asserting the commands and their order
 * - model: every shortest path over the chart (abstracted to state, ID and type), replayed
 *   on an actor, plus one more step of every event: the command-order rules hold on each
 *   step and every transition of the chart is taken
 * - property: random call sequences on the in-memory SDK (`identity-harness.ts`): after
 *   leaving temporary mode no later command carries the placeholder, nothing is sent under
 *   it, `identity.changing` < `storage.set` < `identity.changed` for every change, and a
 *   restart restores what was persisted
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createActor, initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { allTransitions, takenTransitions } from '../transition-coverage.js';
import { createHarness, T0 } from '../identity-harness.js';
import { DEVICE_ID_KEY } from '../../../src/domain/device-id-init.js';
import { TEMPORARY_DEVICE_ID as PH, type DeviceIdType, type Instant } from '../../../src/domain/types.js';
import { instantAt } from '../../../src/protocol/time.js';
import {
  deviceIdListensTo,
  deviceIdMachine,
  type DeviceIdCommand,
  type DeviceIdEvent,
  type DeviceIdInput,
} from '../../../src/features/device-id/machine.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof deviceIdMachine>;
type Cmd = DeviceIdCommand;

const at = (ms = 0): Instant => instantAt(T0 + ms);
const input = (over: Partial<DeviceIdInput> = {}): DeviceIdInput => ({
  stored: null,
  custom: undefined,
  temporary: false,
  url: undefined,
  clear: false,
  generated: 'gen',
  storedError: null,
  ...over,
});

const ev = {
  set: (id: string): DeviceIdEvent => ({ type: 'deviceId.set', id, at: at(1) }),
  merge: (id: string): DeviceIdEvent => ({ type: 'deviceId.changeWithMerge', id, at: at(1) }),
  noMerge: (id: string): DeviceIdEvent => ({ type: 'deviceId.changeWithoutMerge', id, at: at(1) }),
  temp: (): DeviceIdEvent => ({ type: 'deviceId.enterTemporaryMode', fn: 'enableTemporaryIdMode', at: at(1) }),
  offline: (): DeviceIdEvent => ({ type: 'deviceId.enterTemporaryMode', fn: 'enableOfflineMode', at: at(1) }),
  online: (id?: string): DeviceIdEvent => ({ type: 'deviceId.disableOffline', ...(id === undefined ? {} : { id }), generated: 'gen2', at: at(1) }),
};

function commands(actions: ReadonlyArray<{ type: string; params?: unknown }>): Cmd[] {
  return emittedCommands<Cmd>(actions);
}

function run(inp: DeviceIdInput, ...events: DeviceIdEvent[]): { snap: Snap; cmds: Cmd[]; boot: Cmd[] } {
  const [s0, a0] = initialTransition(deviceIdMachine, inp);
  let snap = s0;
  const boot = commands(a0);
  const cmds: Cmd[] = [];
  for (const e of events) {
    const [next, actions] = transition(deviceIdMachine, snap, e);
    snap = next;
    cmds.push(...commands(actions));
  }
  return { snap, cmds, boot };
}

/** Commands as short names, logs left out. */
const names = (cmds: Cmd[]): string[] =>
  cmds.filter((c) => c.type !== 'log').map((c) => (c.type === 'broadcast' ? c.event.type : c.type));
const logs = (cmds: Cmd[]): string[] => cmds.flatMap((c) => (c.type === 'log' ? [`${c.level}: ${c.message}`] : []));
/** Whether a command would put the placeholder on a request, in storage or in the identity register. */
function carriesPlaceholder(c: Cmd): boolean {
  switch (c.type) {
    case 'request.enqueue':
      return JSON.stringify(c.params).includes(PH);
    case 'storage.set':
      return JSON.stringify(c.value).includes(PH);
    case 'broadcast':
      return c.event.type === 'identity.changed' ? c.event.deviceId === PH : c.event.type === 'identity.changing' && c.event.to === PH;
    case 'requests.rewriteDeviceId':
      return c.to === PH;
    default:
      return false;
  }
}
const changed = (cmds: Cmd[]) => cmds.flatMap((c) => (c.type === 'broadcast' && c.event.type === 'identity.changed' ? [c.event] : []));

const generated = input({ stored: { id: 'old', type: 'SDK_GENERATED' } });
const developer = input({ stored: { id: 'old', type: 'DEVELOPER_SUPPLIED' } });
const temporary = input({ temporary: true });

describe('deviceIdMachine: unit', () => {
  it('listens to no broadcasts', () => {
    expect(deviceIdListensTo).toEqual([]);
  });

  it('announces the stored identity at init and persists nothing', () => {
    const { snap, boot } = run(generated);
    expect(snap.value).toBe('identified');
    expect(names(boot)).toEqual(['requests.removeDeviceId', 'identity.changed']);
    expect(changed(boot)).toEqual([{ type: 'identity.changed', deviceId: 'old', deviceIdType: 'SDK_GENERATED', merged: false, previousId: null }]);
    expect(logs(boot)).toEqual(['info: createCountly, device ID [old] of type SDK_GENERATED: uses stored ID']);
  });

  it('starts in temporary mode with the hold before the identity', () => {
    const { snap, boot } = run(temporary);
    expect(snap.value).toBe('temporary');
    expect(names(boot)).toEqual(['sending.hold', 'storage.set', 'identity.changed']);
    expect(boot).toContainEqual({ type: 'storage.set', key: DEVICE_ID_KEY, value: { id: PH, type: 'TEMPORARY_ID' } });
  });

  it('clearStoredDeviceId notes the replaced ID', () => {
    const { snap, boot } = run(input({ stored: { id: 'old', type: 'DEVELOPER_SUPPLIED' }, clear: true }));
    expect(snap.context).toMatchObject({ deviceId: 'gen', deviceIdType: 'SDK_GENERATED', previousId: 'old' });
    expect(snap.context.init.cleared).toEqual({ id: 'old', type: 'DEVELOPER_SUPPLIED' });
    expect(changed(boot)[0]).toMatchObject({ previousId: 'old', merged: false });
    expect(logs(boot)).toContain('info: createCountly, clearStoredDeviceId replaced the stored device ID [old]');
  });

  it('changeWithoutMerge: identity.changing, then storage.set, then identity.changed without merge', () => {
    const { snap, cmds } = run(generated, ev.noMerge('new'));
    expect(names(cmds)).toEqual(['identity.changing', 'storage.set', 'identity.changed']);
    expect(cmds).toContainEqual({ type: 'broadcast', event: { type: 'identity.changing', from: 'old', to: 'new', at: at(1) } });
    expect(cmds).toContainEqual({ type: 'storage.set', key: DEVICE_ID_KEY, value: { id: 'new', type: 'DEVELOPER_SUPPLIED' } });
    expect(changed(cmds)).toEqual([
      { type: 'identity.changed', deviceId: 'new', deviceIdType: 'DEVELOPER_SUPPLIED', merged: false, previousId: 'old', at: at(1) },
    ]);
    expect(snap.context).toMatchObject({ deviceId: 'new', deviceIdType: 'DEVELOPER_SUPPLIED', previousId: 'old', changes: 1 });
    // No old_device_id without merge.
    expect(cmds.some((c) => c.type === 'request.enqueue')).toBe(false);
  });

  it('changeWithMerge: storage.set, identity.changed with merge, then old_device_id', () => {
    const { snap, cmds } = run(developer, ev.merge('new'));
    expect(names(cmds)).toEqual(['storage.set', 'identity.changed', 'request.enqueue']);
    expect(changed(cmds)[0]).toMatchObject({ deviceId: 'new', merged: true, previousId: 'old' });
    expect(cmds).toContainEqual({ type: 'request.enqueue', params: { old_device_id: 'old' }, at: at(1) });
    expect(snap.context.deviceIdType).toBe('DEVELOPER_SUPPLIED');
  });

  it('a change to the same ID is ignored', () => {
    for (const e of [ev.set('old'), ev.merge('old'), ev.noMerge('old')]) {
      const { snap, cmds } = run(generated, e);
      expect(names(cmds)).toEqual([]);
      expect(logs(cmds)[0]).toMatch(/^debug: (set|changeWithMerge|changeWithoutMerge), the device ID is already the given one; call ignored$/);
      expect(snap.context.changes).toBe(0);
    }
  });

  it('set merges an SDK-generated ID and does not merge a developer-supplied one', () => {
    expect(names(run(generated, ev.set('new')).cmds)).toEqual(['storage.set', 'identity.changed', 'request.enqueue']);
    expect(names(run(developer, ev.set('new')).cmds)).toEqual(['identity.changing', 'storage.set', 'identity.changed']);
    // After a set the ID is developer supplied: the next set does not merge.
    expect(names(run(generated, ev.set('a'), ev.set('b')).cmds)).toEqual([
      'storage.set',
      'identity.changed',
      'request.enqueue',
      'identity.changing',
      'storage.set',
      'identity.changed',
    ]);
  });

  it('entering temporary mode: hold, changing, persist, changed — in that order (nothing the old ID queues on changing is sent)', () => {
    for (const e of [ev.temp(), ev.offline(), ev.noMerge(PH), ev.merge(PH), ev.set(PH)]) {
      const { snap, cmds } = run(developer, e);
      expect(snap.value).toBe('temporary');
      expect(names(cmds)).toEqual(['sending.hold', 'identity.changing', 'storage.set', 'identity.changed']);
      expect(changed(cmds)[0]).toMatchObject({ deviceId: PH, deviceIdType: 'TEMPORARY_ID', merged: false, previousId: 'old' });
    }
  });

  it('leaving temporary mode: rewrite, persist, changed (merged), release — by any change call', () => {
    for (const e of [ev.set('real'), ev.merge('real'), ev.noMerge('real'), ev.online('real')]) {
      const { snap, cmds } = run(temporary, e);
      expect(snap.value).toBe('identified');
      expect(names(cmds)).toEqual(['requests.rewriteDeviceId', 'storage.set', 'identity.changed', 'sending.release']);
      expect(cmds[1]).toEqual({ type: 'requests.rewriteDeviceId', from: PH, to: 'real', deviceIdType: 'DEVELOPER_SUPPLIED' });
      expect(changed(cmds)[0]).toMatchObject({ deviceId: 'real', deviceIdType: 'DEVELOPER_SUPPLIED', merged: true, previousId: PH });
      // No merge request: the placeholder is no user on the server.
      expect(cmds.some((c) => c.type === 'request.enqueue')).toBe(false);
    }
  });

  it('disableOfflineMode without an ID leaves with a new SDK-generated ID', () => {
    const { snap, cmds } = run(temporary, ev.online());
    expect(snap.context).toMatchObject({ deviceId: 'gen2', deviceIdType: 'SDK_GENERATED' });
    expect(cmds).toContainEqual({ type: 'storage.set', key: DEVICE_ID_KEY, value: { id: 'gen2', type: 'SDK_GENERATED' } });
  });

  it('temporary-mode calls that change nothing are ignored', () => {
    const { snap, cmds } = run(temporary, ev.temp(), ev.noMerge(PH), ev.set(PH), ev.merge(PH), ev.online(PH));
    expect(snap.value).toBe('temporary');
    expect(names(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual([
      'debug: enableTemporaryIdMode, already in temporary ID mode; call ignored',
      'debug: changeWithoutMerge, already in temporary ID mode; call ignored',
      'debug: set, already in temporary ID mode; call ignored',
      'debug: changeWithMerge, already in temporary ID mode; call ignored',
      'debug: disableOfflineMode, the temporary ID cannot end offline mode; call ignored',
    ]);
  });

  it('disableOfflineMode outside offline mode warns and does nothing', () => {
    const { cmds } = run(generated, ev.online('x'));
    expect(names(cmds)).toEqual([]);
    expect(logs(cmds)).toEqual(['warning: disableOfflineMode, offline mode is not enabled; call ignored']);
  });

  it('what was persisted is restored at the next boot', () => {
    const h = createHarness({ config: { deviceId: 'first' } });
    h.send('deviceId', ev.merge('second'));
    const again = createHarness({ stored: h.kv, config: { deviceId: 'ignored' } });
    expect(again.identity()).toEqual({ deviceId: 'second', deviceIdType: 'DEVELOPER_SUPPLIED' });
    h.send('deviceId', ev.temp());
    const third = createHarness({ stored: h.kv });
    expect(third.identity()).toEqual({ deviceId: PH, deviceIdType: 'TEMPORARY_ID' });
    expect(third.holds.has('temporary-id')).toBe(true);
  });
});

// ---- model-based paths ---------------------------------------------------------------

const MODEL_EVENTS: DeviceIdEvent[] = [
  ev.set('a'),
  ev.set('b'),
  ev.merge('a'),
  ev.merge('b'),
  ev.noMerge('a'),
  ev.noMerge('b'),
  ev.noMerge(PH),
  ev.merge(PH),
  ev.set(PH),
  ev.temp(),
  ev.online(),
  ev.online('a'),
  ev.online(PH),
];

const abstractState = (s: Snap): string => `${JSON.stringify(s.value)}|${s.context.deviceId}|${s.context.deviceIdType}`;

interface Ledger {
  /** Whether sending is held (temporary mode). */
  held: boolean;
  /** Whether temporary mode was left and not entered again since. */
  leftTemporary: boolean;
  id: string;
}

/** Checks the rules on the commands of one step and advances the ledger. */
function checkStep(ledger: Ledger, cmds: Cmd[], snap: Snap): void {
  const order = names(cmds);
  const iChanging = order.indexOf('identity.changing');
  const iSet = order.indexOf('storage.set');
  const iChanged = order.indexOf('identity.changed');
  if (iChanged >= 0) {
    // Every change persists before it is announced, and is announced after identity.changing.
    expect(iSet).toBeGreaterThanOrEqual(0);
    expect(iSet).toBeLessThan(iChanged);
    if (iChanging >= 0) expect(iChanging).toBeLessThan(iSet);
    const e = changed(cmds)[0]!;
    expect(e.previousId).toBe(ledger.id);
    expect(e.deviceId).toBe(snap.context.deviceId);
    ledger.id = e.deviceId;
  } else {
    expect(order).toEqual([]);
  }
  for (const c of cmds) {
    // Entering temporary mode again starts with identity.changing to the placeholder.
    if (c.type === 'broadcast' && c.event.type === 'identity.changing' && c.event.to === PH) ledger.leftTemporary = false;
    if (c.type === 'broadcast' && c.event.type === 'sending.hold') {
      expect(ledger.held).toBe(false);
      ledger.held = true;
      ledger.leftTemporary = false;
    }
    if (c.type === 'requests.rewriteDeviceId') ledger.leftTemporary = true;
    if (c.type === 'broadcast' && c.event.type === 'sending.release') {
      expect(ledger.held).toBe(true);
      ledger.held = false;
    }
    // After leaving temporary mode nothing carries the placeholder until it is entered again
    // (the announcement of leaving names it as the previous ID, and the rewrite as its source).
    if (ledger.leftTemporary) expect(carriesPlaceholder(c)).toBe(false);
  }
  expect(ledger.held).toBe(snap.value === 'temporary');
  expect(snap.context.deviceIdType === 'TEMPORARY_ID').toBe(snap.value === 'temporary');
}

function replay(inp: DeviceIdInput, steps: ReadonlyArray<{ event: { type: string } }>): void {
  const actor = createActor(deviceIdMachine, { input: inp });
  const cmds: Cmd[] = [];
  actor.on('*', (c) => cmds.push(c as Cmd));
  actor.start();
  const boot = actor.getSnapshot();
  const ledger: Ledger = { held: boot.value === 'temporary', leftTemporary: false, id: boot.context.deviceId };
  for (const step of steps) {
    if (step.event.type === 'xstate.init') continue;
    const before = cmds.length;
    actor.send(step.event as DeviceIdEvent);
    checkStep(ledger, cmds.slice(before), actor.getSnapshot());
  }
  actor.stop();
}

describe('deviceIdMachine: model-based paths', () => {
  const taken = new Set<string>();
  const inputs: Array<[string, DeviceIdInput]> = [
    ['SDK-generated', generated],
    ['developer-supplied', developer],
    ['temporary', temporary],
  ];
  for (const [name, inp] of inputs) {
    it(`every shortest path from a ${name} ID, and one more step of every event, keeps the rules`, () => {
      const paths = getShortestPaths(deviceIdMachine, { input: inp, events: MODEL_EVENTS, serializeState: abstractState as never });
      expect(paths.length).toBeGreaterThanOrEqual(4);
      for (const path of paths) {
        replay(inp, path.steps);
        for (const event of MODEL_EVENTS) {
          for (const t of takenTransitions(deviceIdMachine, path.state, event)) taken.add(t);
          const [next] = transition(deviceIdMachine, path.state, event);
          replay(inp, [...path.steps, { event, state: next }] as never);
        }
      }
    });
  }

  it('the paths take every transition of the chart', () => {
    const missing = [...allTransitions(deviceIdMachine)].filter((t) => !taken.has(t));
    expect(missing).toEqual([]);
  });
});

// ---- properties over the wired machines ------------------------------------------------

type Op =
  | { op: 'set' | 'merge' | 'noMerge' | 'disableOffline'; id: string }
  | { op: 'temp' | 'online' | 'flush' | 'record' | 'giveAll' | 'fg' | 'bg' }
  | { op: 'advance'; ms: number };

const idArb = fc.constantFrom('u1', 'u2', 'u3', PH);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constantFrom('set', 'merge', 'noMerge', 'disableOffline'), id: idArb }) as fc.Arbitrary<Op> },
  { weight: 4, arbitrary: fc.constantFrom('temp', 'online', 'flush', 'record', 'record', 'giveAll', 'fg', 'bg').map((op) => ({ op }) as Op) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((ms) => ({ op: 'advance', ms }) as Op) },
);

function apply(h: ReturnType<typeof createHarness>, op: Op): void {
  const now = h.at();
  switch (op.op) {
    case 'set':
      return h.send('deviceId', { type: 'deviceId.set', id: op.id, at: now });
    case 'merge':
      return h.send('deviceId', { type: 'deviceId.changeWithMerge', id: op.id, at: now });
    case 'noMerge':
      return h.send('deviceId', { type: 'deviceId.changeWithoutMerge', id: op.id, at: now });
    case 'disableOffline':
      return h.send('deviceId', { type: 'deviceId.disableOffline', id: op.id, generated: h.newId(), at: now });
    case 'online':
      return h.send('deviceId', { type: 'deviceId.disableOffline', generated: h.newId(), at: now });
    case 'temp':
      return h.send('deviceId', { type: 'deviceId.enterTemporaryMode', fn: 'enableTemporaryIdMode', at: now });
    case 'flush':
      return h.flush();
    case 'record':
      h.record('e');
      return;
    case 'giveAll':
      return h.send('consent', { type: 'consent.giveAll', at: now });
    case 'fg':
      return h.broadcast({ type: 'app.visible', at: now });
    case 'bg':
      return h.broadcast({ type: 'app.hidden', at: now });
    case 'advance':
      return h.tick(op.ms);
  }
}

describe('deviceIdMachine: properties (wired with consent, location and session)', () => {
  const startArb = fc.record({
    temporaryDeviceId: fc.boolean(),
    requiresConsent: fc.boolean(),
    deviceId: fc.option(fc.constantFrom('u1', 'dev'), { nil: undefined }),
  });

  it('nothing is sent under the placeholder, and after leaving temporary mode nothing queued carries it', () => {
    fc.assert(
      fc.property(startArb, fc.array(opArb, { maxLength: 40 }), (config, ops) => {
        const h = createHarness({ config: { ...config, consent: 'all' } });
        for (const op of ops) {
          apply(h, op);
          if (h.identity()?.deviceIdType !== 'TEMPORARY_ID') {
            expect(h.queue.filter((r) => r.deviceId === PH)).toEqual([]);
          }
          expect(h.holds.has('temporary-id')).toBe(h.identity()?.deviceIdType === 'TEMPORARY_ID');
        }
        h.flush();
        expect(h.sent.filter((r) => r.deviceId === PH)).toEqual([]);
        // After leaving temporary mode, no command but the rewrite itself names the placeholder.
        let left = false;
        for (const { command } of h.commands) {
          if (command.type === 'broadcast' && command.event.type === 'identity.changing' && command.event.to === PH) left = false;
          if (command.type === 'requests.rewriteDeviceId') {
            left = true;
            continue;
          }
          if (left) expect(carriesPlaceholder(command as Cmd)).toBe(false);
        }
      }),
    );
  });

  it('every change orders identity.changing < storage.set < identity.changed, and merges name the right IDs', () => {
    fc.assert(
      fc.property(startArb, fc.array(opArb, { maxLength: 40 }), (config, ops) => {
        const h = createHarness({ config });
        for (const op of ops) {
          const before = h.commands.length;
          const id = h.identity()!.deviceId;
          apply(h, op);
          const mine = h.commands.slice(before).map((c) => c.command);
          const kinds = mine.map((c) => (c.type === 'broadcast' ? c.event.type : c.type));
          const iChanged = kinds.indexOf('identity.changed');
          if (iChanged < 0) continue;
          const iSet = kinds.lastIndexOf('storage.set', iChanged);
          expect(iSet).toBeGreaterThanOrEqual(0);
          const iChanging = kinds.indexOf('identity.changing');
          if (iChanging >= 0) expect(iChanging).toBeLessThan(iSet);
          const merge = h.commands.slice(before).find((c) => c.command.type === 'request.enqueue' && 'old_device_id' in c.command.params);
          if (merge) {
            // The merge request goes out under the new ID, naming the old one.
            expect(merge.deviceId).toBe(h.identity()!.deviceId);
            expect((merge.command as { params: Record<string, string> }).params.old_device_id).toBe(id);
          }
        }
      }),
    );
  });

  it('a restart restores the persisted identity and temporary mode', () => {
    fc.assert(
      fc.property(startArb, fc.array(opArb, { maxLength: 25 }), (config, ops) => {
        const h = createHarness({ config });
        for (const op of ops) apply(h, op);
        const again = createHarness({ stored: h.kv });
        expect(again.identity()).toEqual(h.identity());
        const type: DeviceIdType = h.identity()!.deviceIdType;
        expect(again.holds.has('temporary-id')).toBe(type === 'TEMPORARY_ID');
      }),
    );
  });
});
