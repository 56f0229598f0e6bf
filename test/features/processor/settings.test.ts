/**
 * The server settings the request processor owns (spec: SDK Behavior Settings): `networking`
 * (a hold), `rqs` (the queue limit, cut by the queue effect) and `dort` (the drop age handed
 * to each send; developer settings < behavior settings, so a server `0` turns dropping off).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { blocks, HOLDS, type Hold } from '../../../src/domain/holds.js';
import { requestProcessorMachine, type RequestProcessorCommand, type RequestProcessorInput } from '../../../src/features/processor/machine.js';
import type { BehaviorSettings } from '../../../src/domain/behavior-settings.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof requestProcessorMachine>;
const input = (over: Partial<RequestProcessorInput> = {}): RequestProcessorInput => ({ retryCooldownMs: 1000, queueLength: 0, ...over });
const settings = (s: BehaviorSettings) => ({ type: 'settings.updated' as const, settings: s });

/** The commands among the actions `transition()` returned. */
const emitted = (actions: ReadonlyArray<{ type: string; params?: unknown }>): RequestProcessorCommand[] =>
  emittedCommands<RequestProcessorCommand>(actions);

function start(over: Partial<RequestProcessorInput> = {}): { snap: Snap; cmds: RequestProcessorCommand[] } {
  const [snap, actions] = initialTransition(requestProcessorMachine, input(over));
  return { snap, cmds: emitted(actions) };
}
function step(snap: Snap, event: Parameters<typeof transition<typeof requestProcessorMachine>>[2]): { snap: Snap; cmds: RequestProcessorCommand[] } {
  const [next, actions] = transition(requestProcessorMachine, snap, event);
  return { snap: next, cmds: emitted(actions) };
}

describe('request processor: behavior settings', () => {
  it('cuts a stored queue to the boot limit at start', () => {
    expect(start({ maxQueueSize: 5 }).cmds).toEqual([{ type: 'requests.setMaxSize', max: 5, reason: 'boot' }]);
    expect(start().cmds).toEqual([]);
  });

  it('holds on networking: false and sends again on networking: true', () => {
    let { snap } = start();
    expect(snap.value).toBe('idle');
    let cmds: RequestProcessorCommand[];
    ({ snap, cmds } = step(snap, settings({ networking: false })));
    expect(snap.context.holds).toContain('networking-disabled');
    ({ snap, cmds } = step(snap, { type: 'queue.changed', requests: 3, events: 0 }));
    expect(snap.value).toBe('held');
    expect(cmds).toEqual([]);
    ({ snap, cmds } = step(snap, settings({ networking: true })));
    expect(snap.context.holds).not.toContain('networking-disabled');
    expect(cmds).toContainEqual({ type: 'transport.sendHead', dropAgeHours: 0 });
  });

  it('asks for a lower queue limit on rqs, at every announcement', () => {
    const { snap } = start();
    expect(step(snap, settings({ rqs: 10 })).cmds).toEqual([{ type: 'requests.setMaxSize', max: 10, reason: 'settings' }]);
    expect(step(snap, settings({})).cmds).toEqual([]);
  });

  it("hands the drop age to each send; the server's dort overrides the developer's, 0 included", () => {
    let { snap } = start({ queueLength: 1, dropAgeHours: 12, holds: ['booting'] });
    ({ snap } = step(snap, settings({ dort: 0 })));
    const { cmds } = step(snap, { type: 'processor.release', reason: 'booting' });
    expect(cmds).toEqual([{ type: 'transport.sendHead', dropAgeHours: 0 }]);
    ({ snap } = step(start({ queueLength: 1, holds: ['booting'] }).snap, settings({ dort: 3 })));
    expect(step(snap, { type: 'processor.release', reason: 'booting' }).cmds).toEqual([{ type: 'transport.sendHead', dropAgeHours: 3 }]);
  });
});

describe('blocks (the one hold rule)', () => {
  const holds = fc.uniqueArray(fc.constantFrom(...HOLDS));
  it('a send waits for any hold; a flush skips only backoff; the settings download only temporary-ID and offline', () => {
    fc.assert(
      fc.property(holds, (h: Hold[]) => {
        expect(blocks(h, 'send')).toBe(h.length > 0);
        expect(blocks(h, 'flush')).toBe(h.some((x) => x !== 'backoff'));
        expect(blocks(h, 'settings')).toBe(h.includes('temporary-id') || h.includes('offline'));
        // What blocks a flush blocks a send; what blocks the settings download blocks a flush.
        if (blocks(h, 'flush')) expect(blocks(h, 'send')).toBe(true);
        if (blocks(h, 'settings')) expect(blocks(h, 'flush')).toBe(true);
      }),
    );
  });
});
