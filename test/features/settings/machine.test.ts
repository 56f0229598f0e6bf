import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, type SnapshotFrom } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { simulatedClock } from '../../../src/adapters/clock.js';
import type { Command } from '../../../src/effects/commands.js';
import { decodeSettingsAnswer } from '../../../src/features/settings/effect.js';
import { settingsMachine, updateIntervalMs, type SettingsInput } from '../../../src/features/settings/machine.js';

function run(input: Partial<SettingsInput> = {}) {
  const clock = simulatedClock();
  const actor = createActor(settingsMachine, { clock, input: { settings: {}, updatesEnabled: true, temporaryId: false, ...input } });
  const commands: Command[] = [];
  actor.on('*', (c) => commands.push(c as Command));
  actor.start();
  return { actor, clock, commands };
}
const real = { type: 'identity.changed', deviceId: 'd', deviceIdType: 'SDK_GENERATED', merged: false, previousId: null } as const;
const temp = { ...real, deviceIdType: 'TEMPORARY_ID' } as const;
const merged = { ...real, deviceId: 'e', merged: true, previousId: 'd' } as const;

describe('settings machine', () => {
  it('announces provided/stored settings at once and downloads at boot', () => {
    const { actor, commands } = run({ settings: { eqs: 5 } });
    expect(commands).toEqual([
      { type: 'broadcast', event: { type: 'settings.updated', settings: { eqs: 5 } } },
      { type: 'settings.fetch' },
    ]);
    expect(actor.getSnapshot().value).toBe('fetching');
  });

  it('merges a download key by key, persists and broadcasts it, then downloads again after scui hours', () => {
    const { actor, clock, commands } = run({ settings: { eqs: 5, sui: 30 } });
    commands.length = 0;
    actor.send({ type: 'settings.fetched', settings: { sui: 10, scui: 1 } });
    const merged = { eqs: 5, sui: 10, scui: 1 };
    expect(commands).toEqual([
      { type: 'storage.set', key: 'behaviorSettings', value: merged },
      { type: 'log.configure', console: null },
      { type: 'broadcast', event: { type: 'settings.updated', settings: merged } },
    ]);
    commands.length = 0;
    clock.advance(3_600_000 - 1);
    expect(commands).toEqual([]);
    clock.advance(1);
    expect(commands).toEqual([{ type: 'settings.fetch' }]);
    expect(actor.getSnapshot().context.fetched).toBe(1);
  });

  it('keeps what it has when a download fails, and retries after the interval', () => {
    const { actor, clock, commands } = run({ settings: { eqs: 5 } });
    commands.length = 0;
    actor.send({ type: 'settings.fetchFailed', reason: 'timeout' });
    expect(commands).toEqual([{ type: 'log', level: 'debug', module: 'BehaviorSettings', message: 'fetch, keeping the current settings: timeout' }]);
    expect(actor.getSnapshot().context).toMatchObject({ settings: { eqs: 5 }, failed: 1, lastError: 'timeout' });
    commands.length = 0;
    clock.advance(4 * 3_600_000);
    expect(commands).toEqual([{ type: 'settings.fetch' }]);
  });

  it('never downloads in temporary-ID mode, and downloads once the ID is real', () => {
    const { actor, commands } = run({ temporaryId: true });
    expect(commands).toEqual([]);
    actor.send(temp);
    expect(commands).toEqual([]);
    actor.send(real);
    expect(commands).toEqual([{ type: 'settings.fetch' }]);
  });

  it('goes back to waiting when the interval ends in temporary-ID mode', () => {
    const { actor, clock, commands } = run();
    actor.send({ type: 'settings.fetched', settings: {} });
    actor.send(temp);
    commands.length = 0;
    clock.advance(4 * 3_600_000);
    expect(actor.getSnapshot().value).toBe('waiting');
    expect(commands).toEqual([]);
  });

  it('downloads at once after a device-ID change to a real ID, with or without merge (spec: Device ID Management)', () => {
    for (const change of [real, merged]) {
      const { actor, clock, commands } = run();
      actor.send({ type: 'settings.fetched', settings: { scui: 1 } });
      commands.length = 0;
      actor.send(change);
      expect(commands, `merged: ${change.merged}`).toEqual([{ type: 'settings.fetch' }]);
      expect(actor.getSnapshot().value).toBe('fetching');
      // The interval starts again from this download.
      actor.send({ type: 'settings.fetched', settings: {} });
      commands.length = 0;
      clock.advance(3_600_000 - 1);
      expect(commands).toEqual([]);
      clock.advance(1);
      expect(commands).toEqual([{ type: 'settings.fetch' }]);
    }
  });

  it('entering temporary-ID mode does not download; leaving it does', () => {
    const { actor, commands } = run();
    actor.send({ type: 'settings.fetchFailed', reason: 'x' });
    commands.length = 0;
    actor.send(temp);
    expect(commands).toEqual([]);
    expect(actor.getSnapshot().value).toBe('idle');
    expect(actor.getSnapshot().context.temporaryId).toBe(true);
    actor.send(real);
    expect(commands).toEqual([{ type: 'settings.fetch' }]);
    expect(actor.getSnapshot().context.temporaryId).toBe(false);
  });

  it('a device-ID change during a download does not start a second one', () => {
    const { actor, commands } = run();
    commands.length = 0;
    actor.send(real);
    expect(commands).toEqual([]);
    expect(actor.getSnapshot().value).toBe('fetching');
  });

  it('never downloads with updates disabled, but still announces what it has', () => {
    const { actor, commands } = run({ updatesEnabled: false, settings: { cr: true } });
    expect(commands).toEqual([{ type: 'broadcast', event: { type: 'settings.updated', settings: { cr: true } } }]);
    actor.send(real);
    actor.send(merged);
    expect(actor.getSnapshot().value).toBe('waiting');
    expect(commands.filter((c) => c.type === 'settings.fetch')).toEqual([]);
  });

  it('reads scui with a fallback', () => {
    expect(updateIntervalMs({})).toBe(4 * 3_600_000);
    expect(updateIntervalMs({ scui: 2 })).toBe(2 * 3_600_000);
    expect(updateIntervalMs({ scui: -1 })).toBe(4 * 3_600_000);
    expect(updateIntervalMs({ scui: '3' })).toBe(4 * 3_600_000);
  });

  it('decodes server answers', () => {
    expect(decodeSettingsAnswer('{"v":1,"t":1,"c":{"eqs":3}}')).toEqual({ eqs: 3 });
    expect(decodeSettingsAnswer('nope')).toBe('the answer is not JSON');
    expect(decodeSettingsAnswer('[1]')).toBe('the answer is not a JSON object');
    expect(decodeSettingsAnswer('{"v":1}')).toBe('the answer has no "c" object');
  });

  it('model: every path keeps at most one download outstanding, and a change to a real ID starts one unless one runs', () => {
    const events = [
      { type: 'settings.fetched', settings: { eqs: 1 } },
      { type: 'settings.fetchFailed', reason: 'x' },
      real,
      merged,
      temp,
    ] as const;
    for (const updatesEnabled of [true, false]) {
      for (const temporaryId of [false, true]) {
        const input = { settings: {}, updatesEnabled, temporaryId };
        // The download counters grow on every cycle: the model state leaves them out.
        const serializeState = (snap: SnapshotFrom<typeof settingsMachine>) => JSON.stringify([snap.value, snap.context.temporaryId, snap.context.settings]);
        const paths = getShortestPaths(settingsMachine, { input, events: [...events], serializeState });
        const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
        expect(reached.has('"fetching"')).toBe(updatesEnabled);
        if (updatesEnabled) expect(reached.has('"idle"')).toBe(true);
        // Every shortest path, and one more step of every event from where it ends.
        for (const path of paths) {
          for (const last of [undefined, ...events]) {
            const { actor, commands } = run(input);
            let outstanding = commands.filter((c) => c.type === 'settings.fetch').length;
            for (const event of [...path.steps.slice(1).map((s) => s.event), ...(last ? [last] : [])]) {
              const before = commands.length;
              const wasFetching = actor.getSnapshot().value === 'fetching';
              actor.send(event as never);
              const fetches = commands.slice(before).filter((c) => c.type === 'settings.fetch').length;
              if (event.type === 'settings.fetched' || event.type === 'settings.fetchFailed') outstanding = 0;
              outstanding += fetches;
              expect(outstanding).toBeLessThanOrEqual(1);
              if (event.type === 'identity.changed') {
                const starts = updatesEnabled && event.deviceIdType !== 'TEMPORARY_ID' && !wasFetching;
                expect(fetches, JSON.stringify(event)).toBe(starts ? 1 : 0);
              }
            }
            if (!last) expect(actor.getSnapshot().value).toEqual(path.state.value);
          }
        }
      }
    }
  });

  it('property: the stored settings are always the provided ones overlaid by every download in order', () => {
    const settingsArb = fc.dictionary(fc.constantFrom('eqs', 'sui', 'cr', 'st', 'vt'), fc.oneof(fc.integer(), fc.boolean()));
    fc.assert(
      fc.property(settingsArb, fc.array(fc.oneof(settingsArb, fc.constant(null)), { maxLength: 8 }), (initial, downloads) => {
        const { actor, clock } = run({ settings: initial });
        let model = { ...initial };
        for (const d of downloads) {
          if (actor.getSnapshot().value !== 'fetching') clock.advance(4 * 3_600_000);
          if (d === null) actor.send({ type: 'settings.fetchFailed', reason: 'x' });
          else {
            actor.send({ type: 'settings.fetched', settings: d });
            model = { ...model, ...d };
          }
          expect(actor.getSnapshot().context.settings).toEqual(model);
        }
      }),
    );
  });

  it("applies the server's log key to console output: at boot, on download, and gives the developer's choice back when it goes", () => {
    const boot = run({ settings: { log: true } });
    expect(boot.commands[0]).toEqual({ type: 'log.configure', console: true });
    boot.commands.length = 0;
    boot.actor.send({ type: 'settings.fetched', settings: { log: false } });
    expect(boot.commands).toContainEqual({ type: 'log.configure', console: false });
    const plain = run();
    plain.commands.length = 0;
    plain.actor.send({ type: 'settings.fetched', settings: { sui: 5 } });
    expect(plain.commands).toContainEqual({ type: 'log.configure', console: null });
  });

  it('warns once about each invalid key of a download, and keeps it out of the typed settings', () => {
    const { actor, commands } = run();
    commands.length = 0;
    actor.send({ type: 'settings.fetched', settings: { sui: 'x', rqs: 5 } });
    expect(commands.filter((c) => c.type === 'log')).toEqual([{ type: 'log', level: 'warning', module: 'BehaviorSettings', message: 'settings, invalid sui [x] ignored' }]);
    expect(commands).toContainEqual({ type: 'broadcast', event: { type: 'settings.updated', settings: { rqs: 5 } } });
  });
});
