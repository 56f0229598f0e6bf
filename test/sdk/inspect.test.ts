/**
 * Observable state and inspection: `inspect` is handed to every actor (what the Stately
 * inspector hooks into), `actors` names every running machine, `state$` follows changes.
 */
import type { InspectionEvent } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { makeSdk, DEAD_URL, type TestSdk } from '../helpers/sdk.js';

const open: TestSdk[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.countly.shutdown();
});

describe('inspection', () => {
  it('every feature machine reports to the inspect callback, and actors lists them all', async () => {
    const seen: InspectionEvent[] = [];
    const s = await makeSdk(DEAD_URL, { inspect: (e: InspectionEvent) => seen.push(e) });
    open.push(s);
    s.countly.events.record('tap');
    s.countly.getState();
    const machineIds = new Set(
      seen.filter((e) => e.type === '@xstate.actor').map((e) => (e.actorRef as { logic?: { id?: string } }).logic?.id),
    );
    for (const f of features) expect(machineIds).toContain(f.machine.id);
    expect(Object.keys(s.countly.actors).sort()).toEqual(features.map((f) => f.name).sort());
    // Events the API sends show up as they are processed.
    expect(seen.some((e) => e.type === '@xstate.event' && (e.event as { type: string }).type.startsWith('events.record'))).toBe(true);
  });

  it('an inspect observer object works too, and a throwing one does not break the SDK', async () => {
    let count = 0;
    const s = await makeSdk(DEAD_URL, {
      inspect: {
        next: () => {
          count += 1;
        },
      },
    });
    open.push(s);
    expect(count).toBeGreaterThan(0);
    const t = await makeSdk(DEAD_URL, {
      appKey: 'other-app',
      inspect: () => {
        throw new Error('inspector down');
      },
    });
    open.push(t);
    t.countly.events.record('still-works');
    expect(t.countly.getState().queue.events).toBe(1);
  });

  it('state$ reports device ID, consent, queue sizes and status', async () => {
    const s = await makeSdk(DEAD_URL, { deviceId: 'user-1' });
    open.push(s);
    const states: Array<{ deviceId: unknown; events: number }> = [];
    const sub = s.countly.state$.subscribe((st) => states.push({ deviceId: st.deviceId, events: st.queue.events }));
    s.countly.events.record('a');
    s.countly.events.record('b');
    await Promise.resolve();
    await Promise.resolve();
    sub.unsubscribe();
    expect(states[0]).toEqual({ deviceId: 'user-1', events: 0 });
    expect(states.at(-1)).toEqual({ deviceId: 'user-1', events: 2 });
    expect(s.countly.getState().status).toBe('ready');
  });
});

describe('platform hooks are user code', () => {
  it('a platform whose lifecycle hook throws still gets a working SDK, with an error logged', async () => {
    const { neutralPlatform } = await import('../../src/adapters/platform/neutral.js');
    const platform = {
      ...neutralPlatform(),
      onLifecycle: () => {
        throw new Error('no lifecycle here');
      },
    };
    const s = await makeSdk(DEAD_URL, { platform });
    open.push(s);
    expect(s.countly.getState().status).toBe('ready');
    expect(s.warnings().some((w) => w.includes("platform's onLifecycle hook failed"))).toBe(true);
    s.countly.events.record('ok');
    expect(s.countly.getState().queue.events).toBe(1);
  });
});
