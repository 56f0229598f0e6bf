/**
 * The events machine's part of journey triggers (spec 001: SDK Behavior Settings, jte
 * l. 4766): a recorded custom event whose key is in the server's `jte` list is broadcast as
 * `journey.triggered`, after its persist (and its request, when it goes at once). Only custom
 * events; the list comes from the settings at boot and from every `settings.updated`.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { resolveConfig } from '../../../src/config.js';
import { ConsentFeatures, type ConsentState } from '../../../src/domain/types.js';
import { createLogger } from '../../../src/log.js';
import { eventsInputFrom, eventsMachine, type EventsCommand, type EventsEvent } from '../../../src/features/events/machine.js';
import { emittedCommands } from '../../helpers/machines.js';
import { instant } from './helpers.js';

const ALL = Object.fromEntries(ConsentFeatures.map((f) => [f, true])) as ConsentState;
const config = resolveConfig({ url: 'https://x.test', appKey: 'k' }, createLogger({ console: false }));

function run(settings: Record<string, unknown>, ...events: EventsEvent[]): EventsCommand[] {
  const [s0] = initialTransition(eventsMachine, eventsInputFrom(config, [], ALL, { settings }));
  let snap = s0;
  const out: EventsCommand[] = [];
  for (const e of events) {
    const [next, actions] = transition(eventsMachine, snap, e);
    snap = next;
    out.push(...emittedCommands<EventsCommand>(actions));
  }
  return out;
}

const record = (key: string, n = 1): EventsEvent => ({ type: 'events.record', key, at: instant(1_000 + n), id: `id${n}` });
const triggers = (cmds: EventsCommand[]) => cmds.flatMap((c) => (c.type === 'broadcast' && c.event.type === 'journey.triggered' ? [c.event] : []));

describe('journey triggers in the events machine', () => {
  it('a custom event in jte is broadcast after it is persisted', () => {
    const cmds = run({ jte: ['purchase'] }, record('purchase'), record('browse', 2));
    expect(triggers(cmds)).toEqual([{ type: 'journey.triggered', key: 'purchase', at: instant(1_001) }]);
    const types = cmds.map((c) => (c.type === 'broadcast' ? c.event.type : c.type));
    expect(types.indexOf('journey.triggered')).toBeGreaterThan(types.indexOf('events.persist'));
  });

  it('the list follows settings.updated; without it nothing is broadcast', () => {
    expect(triggers(run({}, record('purchase')))).toEqual([]);
    const later = run({}, { type: 'settings.updated', settings: { jte: ['purchase'] } }, record('purchase'), { type: 'settings.updated', settings: {} }, record('purchase', 2));
    expect(triggers(later).map((t) => t.key)).toEqual(['purchase']);
  });

  it('only accepted custom events trigger (internal events, filtered and refused ones do not)', () => {
    expect(triggers(run({ jte: ['[CLY]_view'] }, { type: 'event.record', key: '[CLY]_view', segmentation: { name: 'v' }, at: instant(1), id: 'v1' }))).toEqual([]);
    expect(triggers(run({ jte: ['purchase'], eb: ['purchase'] }, record('purchase')))).toEqual([]);
    expect(triggers(run({ jte: ['purchase'], cet: false }, record('purchase')))).toEqual([]);
  });

  it('each event of a burst triggers in order', () => {
    const cmds = run({ jte: ['a', 'b'] }, { type: 'events.recordMany', records: [{ key: 'a', at: instant(1), id: '1' }, { key: 'x', at: instant(2), id: '2' }, { key: 'b', at: instant(3), id: '3' }] });
    expect(triggers(cmds).map((t) => t.key)).toEqual(['a', 'b']);
  });
});
