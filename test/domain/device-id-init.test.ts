/**
 * The device-ID init truth table (spec: Device ID Management > Device ID State Management
 * During Init), driven from `models/device-id-init-table.json`: every one of its 48 cells
 * is run through the device-ID machine (init from input) and checked for the resulting ID,
 * its type, temporary mode, what is persisted and what happens to queued placeholder
 * requests. Plus the stored-data decoder and properties of the pure function.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isRight, isLeft } from 'fp-ts/Either';
import { createActor } from 'xstate';
import { simulatedClock } from '../../src/adapters/clock.js';
import { resolveConfig } from '../../src/config.js';
import {
  DEVICE_ID_KEY,
  decodeStoredIdentity,
  deviceIdAtInit,
  isValidDeviceId,
  type DeviceIdInitInput,
  type InitOutcome,
  type PlaceholderRequests,
} from '../../src/domain/device-id-init.js';
import { TEMPORARY_DEVICE_ID, type DeviceIdType } from '../../src/domain/types.js';
import { createLogger } from '../../src/log.js';
import { deviceIdInputFrom, deviceIdMachine, initialIdentityOf, type DeviceIdCommand } from '../../src/features/device-id/machine.js';

interface Cell {
  outcome: InitOutcome;
  placeholderRequests: PlaceholderRequests;
}
interface Row {
  stored: 'none' | 'normal' | 'temp';
  custom: boolean;
  temp: boolean;
  url: boolean;
  clearNotSet: Cell;
  clearSet: Cell;
}
interface Table {
  outcomes: Record<InitOutcome, { id: 'generated' | 'custom' | 'url' | 'stored' | 'placeholder'; type: DeviceIdType | 'stored'; temporary: boolean }>;
  rows: Row[];
}

const table = JSON.parse(readFileSync(join(import.meta.dirname, '../../models/device-id-init-table.json'), 'utf8')) as Table;

const IDS = { generated: 'generated-uuid', custom: 'custom-id', url: 'url-id', stored: 'stored-id' } as const;
const quiet = createLogger({ console: false });

/** Boots the device-ID machine the way the SDK does: config → resolveConfig, storage, platform. */
function boot(row: Row, clear: boolean, storedType: DeviceIdType) {
  const config = resolveConfig(
    {
      url: 'https://c.example',
      appKey: 'k',
      ...(row.custom ? { deviceId: IDS.custom } : {}),
      ...(row.temp ? { temporaryDeviceId: true } : {}),
      ...(clear ? { clearStoredDeviceId: true } : {}),
    },
    quiet,
  );
  const stored: Record<string, unknown> =
    row.stored === 'none'
      ? {}
      : { [DEVICE_ID_KEY]: row.stored === 'temp' ? { id: TEMPORARY_DEVICE_ID, type: 'TEMPORARY_ID' } : { id: IDS.stored, type: storedType } };
  const input = deviceIdInputFrom(config, stored, row.url ? { urlDeviceId: IDS.url } : {}, { generated: IDS.generated });
  const actor = createActor(deviceIdMachine, { input, clock: simulatedClock() });
  const cmds: DeviceIdCommand[] = [];
  actor.on('*', (c) => cmds.push(c as DeviceIdCommand));
  actor.start();
  return { snap: actor.getSnapshot(), cmds, input };
}

const label = (r: Row) => `stored ${r.stored}, custom ${r.custom ? 'yes' : '-'}, temp ${r.temp ? 'yes' : '-'}, url ${r.url ? 'yes' : '-'}`;

describe('device-ID init truth table (models/device-id-init-table.json)', () => {
  it('holds 24 rows covering every input combination once', () => {
    expect(table.rows).toHaveLength(24);
    const keys = new Set(table.rows.map((r) => `${r.stored}|${r.custom}|${r.temp}|${r.url}`));
    expect(keys.size).toBe(24);
  });

  let cells = 0;
  for (const row of table.rows) {
    for (const clear of [false, true]) {
      const cell = clear ? row.clearSet : row.clearNotSet;
      // A stored normal ID is checked with both types it can have.
      const storedTypes: DeviceIdType[] = row.stored === 'normal' ? ['SDK_GENERATED', 'DEVELOPER_SUPPLIED'] : ['SDK_GENERATED'];
      cells++;
      it(`${label(row)}, clear ${clear ? 'set' : 'not set'} → ${cell.outcome}`, () => {
        const expected = table.outcomes[cell.outcome];
        expect(expected, `outcome "${cell.outcome}" is in the legend`).toBeDefined();
        for (const storedType of storedTypes) {
          const { snap, cmds } = boot(row, clear, storedType);
          const id = expected.id === 'placeholder' ? TEMPORARY_DEVICE_ID : IDS[expected.id];
          const type = expected.type === 'stored' ? storedType : expected.type;
          expect(snap.context.deviceId).toBe(id);
          expect(snap.context.deviceIdType).toBe(type);
          expect(snap.value).toBe(expected.temporary ? 'temporary' : 'identified');
          expect(snap.context.init.outcome).toBe(cell.outcome);

          // The SDK stamps requests with the announced identity.
          const changed = cmds.flatMap((c) => (c.type === 'broadcast' && c.event.type === 'identity.changed' ? [c.event] : []));
          expect(changed).toHaveLength(1);
          expect(changed[0]).toMatchObject({ deviceId: id, deviceIdType: type });

          // Temporary mode holds sending; nothing is released at init.
          const holds = cmds.filter((c) => c.type === 'broadcast' && c.event.type === 'sending.hold');
          expect(holds).toHaveLength(expected.temporary ? 1 : 0);
          expect(cmds.some((c) => c.type === 'broadcast' && c.event.type === 'sending.release')).toBe(false);

          // Queued placeholder requests: rewritten, kept or removed, as the cell says.
          const rewrites = cmds.filter((c) => c.type === 'requests.rewriteDeviceId');
          const removals = cmds.filter((c) => c.type === 'requests.removeDeviceId');
          if (cell.placeholderRequests === 'rewrite') {
            expect(rewrites).toEqual([{ type: 'requests.rewriteDeviceId', from: TEMPORARY_DEVICE_ID, to: id, deviceIdType: type }]);
            expect(removals).toEqual([]);
            expect(changed[0]).toMatchObject({ merged: true, previousId: TEMPORARY_DEVICE_ID });
          } else if (cell.placeholderRequests === 'remove') {
            expect(removals).toEqual([{ type: 'requests.removeDeviceId', deviceId: TEMPORARY_DEVICE_ID }]);
            expect(rewrites).toEqual([]);
          } else {
            expect(rewrites).toEqual([]);
            expect(removals).toEqual([]);
          }

          // The result is persisted unless it is exactly what storage held.
          const sets = cmds.filter((c) => c.type === 'storage.set');
          const unchanged =
            row.stored !== 'none' &&
            ((row.stored === 'temp' && expected.temporary) || (row.stored === 'normal' && cell.outcome === 'uses stored ID'));
          expect(sets).toEqual(unchanged ? [] : [{ type: 'storage.set', key: DEVICE_ID_KEY, value: { id, type } }]);
          // Persisting comes before the announcement, the announcement last.
          const order = cmds.filter((c) => c.type !== 'log').map((c) => (c.type === 'broadcast' ? c.event.type : c.type));
          expect(order.at(-1)).toBe('identity.changed');
        }
      });
    }
  }

  it('checks all 48 cells', () => {
    expect(cells).toBe(48);
  });
});

describe('deviceIdAtInit: properties', () => {
  const idArb = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== '' && s !== TEMPORARY_DEVICE_ID);
  const inputArb: fc.Arbitrary<DeviceIdInitInput> = fc.record({
    stored: fc.oneof(
      fc.constant(null),
      fc.record({ id: idArb, type: fc.constantFrom<DeviceIdType>('SDK_GENERATED', 'DEVELOPER_SUPPLIED') }),
      fc.constant({ id: TEMPORARY_DEVICE_ID, type: 'TEMPORARY_ID' as const }),
    ),
    custom: fc.option(idArb, { nil: undefined }),
    temporary: fc.boolean(),
    url: fc.option(idArb, { nil: undefined }),
    clear: fc.boolean(),
    generated: idArb,
  });

  it('the ID is one of the inputs, its type fits its source, and temporary mode means the placeholder', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = deviceIdAtInit(input);
        expect(r.temporary).toBe(r.deviceId === TEMPORARY_DEVICE_ID);
        expect(r.temporary).toBe(r.deviceIdType === 'TEMPORARY_ID');
        if (r.deviceIdType === 'SDK_GENERATED' && r.outcome !== 'uses stored ID') expect(r.deviceId).toBe(input.generated);
        // URL beats custom beats temporary beats generated whenever a fresh ID is acquired.
        if (input.stored === null || input.clear) {
          if (input.url !== undefined) expect(r.deviceId).toBe(input.url);
          else if (input.custom !== undefined) expect(r.deviceId).toBe(input.custom);
          else if (input.temporary) expect(r.deviceId).toBe(TEMPORARY_DEVICE_ID);
          else expect(r.deviceId).toBe(input.generated);
        }
        // A rewrite only ever leaves temporary mode for a real ID.
        if (r.placeholderRequests === 'rewrite') expect(r.temporary).toBe(false);
        // Placeholder requests survive only while temporary mode goes on.
        if (r.placeholderRequests === 'keep') expect(r.temporary).toBe(true);
      }),
    );
  });

  it('is stable: booting again on what was persisted gives the same identity', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const first = deviceIdAtInit(input);
        const again = deviceIdAtInit({ ...input, clear: false, stored: { id: first.deviceId, type: first.deviceIdType } });
        if (first.temporary && (input.url !== undefined || input.custom !== undefined)) return; // unreachable: a real ID wins
        expect({ id: again.deviceId, type: again.deviceIdType }).toEqual({ id: first.deviceId, type: first.deviceIdType });
        expect(again.persist).toBe(false);
      }),
    );
  });

  it('initialIdentityOf gives what the machine announces', () => {
    const config = resolveConfig({ url: 'https://c.example', appKey: 'k', deviceId: 'dev' }, quiet);
    const input = deviceIdInputFrom(config, {}, {}, { generated: 'g' });
    expect(initialIdentityOf(input)).toEqual({ deviceId: 'dev', deviceIdType: 'DEVELOPER_SUPPLIED' });
  });
});

describe('stored device ID decoding', () => {
  it('accepts { id, type } and nothing stored', () => {
    expect(decodeStoredIdentity(undefined)).toEqual({ _tag: 'Right', right: null });
    expect(decodeStoredIdentity({ id: 'a', type: 'SDK_GENERATED' })).toEqual({ _tag: 'Right', right: { id: 'a', type: 'SDK_GENERATED' } });
    // The placeholder is the temporary marker whatever type it was written with.
    expect(decodeStoredIdentity({ id: TEMPORARY_DEVICE_ID, type: 'DEVELOPER_SUPPLIED' })).toEqual({
      _tag: 'Right',
      right: { id: TEMPORARY_DEVICE_ID, type: 'TEMPORARY_ID' },
    });
  });

  it.each([['a string'], [42], [[1]], [{ id: '', type: 'SDK_GENERATED' }], [{ id: 'a', type: 'NOPE' }], [{ type: 'SDK_GENERATED' }]])(
    'rejects %j',
    (value) => {
      expect(isLeft(decodeStoredIdentity(value))).toBe(true);
    },
  );

  it('a corrupt stored ID is ignored with a warning and a new one is acquired', () => {
    const config = resolveConfig({ url: 'https://c.example', appKey: 'k' }, quiet);
    const input = deviceIdInputFrom(config, { [DEVICE_ID_KEY]: 'garbage' }, {}, { generated: 'fresh' });
    expect(input.stored).toBeNull();
    expect(input.storedError).toMatch(/expected an object/);
    const actor = createActor(deviceIdMachine, { input });
    const logs: string[] = [];
    actor.on('log', (c) => logs.push(`${c.level}: ${c.message}`));
    actor.start();
    expect(actor.getSnapshot().context.deviceId).toBe('fresh');
    expect(logs).toContain('warning: createCountly, the stored device ID was unusable (expected an object, got string) and was ignored');
  });

  it('an invalid URL-provided ID is not used', () => {
    const config = resolveConfig({ url: 'https://c.example', appKey: 'k' }, quiet);
    expect(deviceIdInputFrom(config, {}, { urlDeviceId: '  ' }, { generated: 'g' }).url).toBeUndefined();
    expect(isValidDeviceId(' x ')).toBe(true);
    expect(isRight(decodeStoredIdentity(null))).toBe(true);
  });
});
