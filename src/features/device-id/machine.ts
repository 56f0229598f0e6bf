/**
 * The device ID (spec: Device ID Management, Offline Mode): acquired at init by the truth
 * table (`deviceIdAtInit`), persisted with its type, changed at run time with or without a
 * server-side merge, and the temporary-ID (offline) mode.
 *
 * States: `booting` (one eventless step: the init announcement) → `identified` (a real ID)
 * ⇄ `temporary` (the placeholder `CLYTemporaryDeviceID`: requests are queued, never sent).
 *
 * What other machines learn, in this order:
 * - without merge: `identity.changing { from, to }` (events are flushed under the old ID,
 *   the session ends, views stop, timed events clear, consent is removed without a request),
 *   then `storage.set`, then `identity.changed { merged: false }` (a new session begins).
 * - with merge: `storage.set`, `identity.changed { merged: true }`, then the request
 *   `old_device_id=<old>` — stamped by the queue with the new ID, which is current by then.
 * - entering temporary mode: as without merge, with `sending.hold` before anything can be
 *   queued under the placeholder.
 * - leaving temporary mode (any change call, `disableOfflineMode`): `requests.rewriteDeviceId`
 *   placeholder → real ID, `storage.set`, `identity.changed { merged: true }` (the offline
 *   data is the new ID's: nothing restarts), then `sending.release`.
 *
 * The SDK stamps requests with the ID of the last `identity.changed`, so the init
 * announcement is the first thing this machine emits that matters.
 */
import { enqueueActions, setup } from 'xstate';
import { fold } from 'fp-ts/Either';
import type { ResolvedConfig } from '../../config.js';
import {
  DEVICE_ID_KEY,
  decodeStoredIdentity,
  deviceIdAtInit,
  isValidDeviceId,
  type DeviceIdInitInput,
  type DeviceIdInitResult,
  type StoredIdentity,
} from '../../domain/device-id-init.js';
import { TEMPORARY_DEVICE_ID, type DeviceIdType, type Instant } from '../../domain/types.js';
import type { Broadcast, Command } from '../../effects/commands.js';
import { param } from '../../log.js';

export interface DeviceIdInput extends DeviceIdInitInput {
  /** Why what storage held under `deviceId` could not be used, if it could not. */
  storedError: string | null;
}

export interface DeviceIdContext {
  deviceId: string;
  deviceIdType: DeviceIdType;
  /** The ID before the last change (null until one happens, unless init replaced one). */
  previousId: string | null;
  /** How the ID was acquired at init (the truth-table cell). */
  init: DeviceIdInitResult;
  /** Device-ID changes since boot. */
  changes: number;
  /** Why the stored device ID was unusable at boot, if it was. */
  storedError: string | null;
}

export type DeviceIdEvent =
  | { type: 'deviceId.set'; id: string; at: Instant }
  | { type: 'deviceId.changeWithMerge'; id: string; at: Instant }
  | { type: 'deviceId.changeWithoutMerge'; id: string; at: Instant }
  | { type: 'deviceId.enterTemporaryMode'; fn: 'enableTemporaryIdMode' | 'enableOfflineMode'; at: Instant }
  /** `disableOfflineMode(id?)`: leave temporary mode with `id`, or with `generated` (SDK_GENERATED). */
  | { type: 'deviceId.disableOffline'; id?: string; generated: string; at: Instant };

export type DeviceIdCommand = Extract<
  Command,
  { type: 'storage.set' | 'broadcast' | 'log' | 'request.enqueue' | 'requests.rewriteDeviceId' | 'requests.removeDeviceId' }
>;

/** The device-ID machine hears no broadcasts: it is the source of identity facts. */
export const deviceIdListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze([]);

const MODULE = 'DeviceId';

/**
 * The machine's input: the truth table's inputs from config, storage and the platform.
 * `ids.generated` is a fresh `crypto.randomUUID()`, used only if the table says so.
 */
export function deviceIdInputFrom(
  config: ResolvedConfig,
  stored: Record<string, unknown>,
  platform: { urlDeviceId?: string | undefined },
  ids: { generated: string },
): DeviceIdInput {
  const decoded = fold<string, StoredIdentity | null, { stored: StoredIdentity | null; storedError: string | null }>(
    (error) => ({ stored: null, storedError: error }),
    (value) => ({ stored: value, storedError: null }),
  )(decodeStoredIdentity(stored[DEVICE_ID_KEY]));
  return {
    ...decoded,
    custom: config.deviceId,
    temporary: config.temporaryDeviceId,
    url: isValidDeviceId(platform.urlDeviceId) ? platform.urlDeviceId : undefined,
    clear: config.clearStoredDeviceId,
    generated: ids.generated,
  };
}

/** The identity the SDK starts with (for the boot wiring, before any actor runs). */
export function initialIdentityOf(input: DeviceIdInput): { deviceId: string; deviceIdType: DeviceIdType } {
  const { deviceId, deviceIdType } = deviceIdAtInit(input);
  return { deviceId, deviceIdType };
}

type ChangeEvent = Extract<DeviceIdEvent, { id: string }>;
const fnOf = (event: DeviceIdEvent): string =>
  event.type === 'deviceId.set'
    ? 'set'
    : event.type === 'deviceId.changeWithMerge'
      ? 'changeWithMerge'
      : event.type === 'deviceId.changeWithoutMerge'
        ? 'changeWithoutMerge'
        : event.type === 'deviceId.disableOffline'
          ? 'disableOfflineMode'
          : event.fn;
/** The real ID a change event asks for (`disableOffline` without one: the generated ID). */
const targetOf = (event: DeviceIdEvent): { id: string; type: DeviceIdType } =>
  event.type === 'deviceId.disableOffline'
    ? event.id !== undefined
      ? { id: event.id, type: 'DEVELOPER_SUPPLIED' }
      : { id: event.generated, type: 'SDK_GENERATED' }
    : { id: (event as ChangeEvent).id ?? '', type: 'DEVELOPER_SUPPLIED' };

const log = (level: 'warning' | 'info' | 'debug', message: string): DeviceIdCommand => ({ type: 'log', level, module: MODULE, message });
const persist = (id: string, type: DeviceIdType): DeviceIdCommand => ({ type: 'storage.set', key: DEVICE_ID_KEY, value: { id, type } satisfies StoredIdentity });
const broadcast = (event: Broadcast & { at?: Instant }): DeviceIdCommand => ({ type: 'broadcast', event });

export const deviceIdMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as DeviceIdContext,
      events: {} as DeviceIdEvent,
      input: {} as DeviceIdInput,
      emitted: {} as DeviceIdCommand,
    },
    guards: {
      startsTemporary: ({ context }) => context.init.temporary,
      sameId: ({ context, event }) => 'id' in event && event.id === context.deviceId,
      isPlaceholder: ({ event }) => 'id' in event && event.id === TEMPORARY_DEVICE_ID,
      isGenerated: ({ context }) => context.deviceIdType === 'SDK_GENERATED',
    },
    actions: {
      /** The init announcement: queue clean-up, hold, persistence, then the identity. */
      announceInit: enqueueActions(({ context, enqueue }) => {
        const { init } = context;
        if (context.storedError !== null) {
          enqueue.emit(log('warning', `createCountly, the stored device ID was unusable (${context.storedError}) and was ignored`));
        }
        enqueue.emit(log('info', `createCountly, device ID ${param(init.deviceId)} of type ${init.deviceIdType}: ${init.outcome}`));
        if (init.cleared) enqueue.emit(log('info', `createCountly, clearStoredDeviceId replaced the stored device ID ${param(init.cleared.id)}`));
        // spec: Offline Mode — "the placeholder is replaced in all queued requests"; orphans are cleaned at init.
        if (init.placeholderRequests === 'rewrite') {
          enqueue.emit({ type: 'requests.rewriteDeviceId', from: TEMPORARY_DEVICE_ID, to: init.deviceId, deviceIdType: init.deviceIdType });
        } else if (init.placeholderRequests === 'remove') {
          enqueue.emit({ type: 'requests.removeDeviceId', deviceId: TEMPORARY_DEVICE_ID });
        }
        if (init.temporary) enqueue.emit(broadcast({ type: 'sending.hold', reason: 'temporary-id' }));
        if (init.persist) enqueue.emit(persist(init.deviceId, init.deviceIdType));
        enqueue.emit(
          broadcast({
            type: 'identity.changed',
            deviceId: init.deviceId,
            deviceIdType: init.deviceIdType,
            merged: init.placeholderRequests === 'rewrite',
            previousId: init.placeholderRequests === 'rewrite' ? TEMPORARY_DEVICE_ID : (init.cleared?.id ?? null),
          }),
        );
      }),
      ignore: enqueueActions(({ event, enqueue }, params: { reason: string }) => {
        // spec: "If the provided ID is the same as the current ID, the call is silently ignored".
        enqueue.emit(log('debug', `${fnOf(event)}, ${params.reason}; call ignored`));
      }),
      warnNotOffline: enqueueActions(({ enqueue }) => {
        enqueue.emit(log('warning', 'disableOfflineMode, offline mode is not enabled; call ignored'));
      }),
      changeWithoutMerge: enqueueActions(({ context, event, enqueue }) => {
        const { id: to, type } = targetOf(event);
        const from = context.deviceId;
        const at = event.at;
        enqueue.emit(log('info', `${fnOf(event)}, changing the device ID ${param(from)} to ${param(to)} without merge`));
        enqueue.emit(broadcast({ type: 'identity.changing', from, to, at }));
        enqueue.emit(persist(to, type));
        enqueue.assign({ deviceId: to, deviceIdType: type, previousId: from, changes: context.changes + 1 });
        enqueue.emit(broadcast({ type: 'identity.changed', deviceId: to, deviceIdType: type, merged: false, previousId: from, at }));
      }),
      changeWithMerge: enqueueActions(({ context, event, enqueue }) => {
        const { id: to, type } = targetOf(event);
        const from = context.deviceId;
        const at = event.at;
        enqueue.emit(log('info', `${fnOf(event)}, changing the device ID ${param(from)} to ${param(to)} with merge`));
        enqueue.emit(persist(to, type));
        enqueue.assign({ deviceId: to, deviceIdType: type, previousId: from, changes: context.changes + 1 });
        enqueue.emit(broadcast({ type: 'identity.changed', deviceId: to, deviceIdType: type, merged: true, previousId: from, at }));
        // spec: Change ID and merge data — device_id=<new> (stamped now) & old_device_id=<old>.
        enqueue.emit({ type: 'request.enqueue', params: { old_device_id: from }, at });
      }),
      enterTemporary: enqueueActions(({ context, event, enqueue }) => {
        const from = context.deviceId;
        const at = event.at;
        enqueue.emit(log('info', `${fnOf(event)}, entering temporary ID mode: requests are queued, not sent, until a device ID is set`));
        // spec: Offline Mode — no network request while in it. The hold comes first: what the
        // old ID still queues on `identity.changing` (its end_session, its events) waits too.
        enqueue.emit(broadcast({ type: 'sending.hold', reason: 'temporary-id' }));
        enqueue.emit(broadcast({ type: 'identity.changing', from, to: TEMPORARY_DEVICE_ID, at }));
        enqueue.emit(persist(TEMPORARY_DEVICE_ID, 'TEMPORARY_ID'));
        enqueue.assign({ deviceId: TEMPORARY_DEVICE_ID, deviceIdType: 'TEMPORARY_ID', previousId: from, changes: context.changes + 1 });
        enqueue.emit(
          broadcast({ type: 'identity.changed', deviceId: TEMPORARY_DEVICE_ID, deviceIdType: 'TEMPORARY_ID', merged: false, previousId: from, at }),
        );
      }),
      leaveTemporary: enqueueActions(({ context, event, enqueue }) => {
        const { id: to, type } = targetOf(event);
        const at = event.at;
        enqueue.emit(log('info', `${fnOf(event)}, leaving temporary ID mode with device ID ${param(to)}; queued requests get it and are sent`));
        // spec: Offline Mode — the placeholder is replaced in all queued requests, then they are sent.
        enqueue.emit({ type: 'requests.rewriteDeviceId', from: TEMPORARY_DEVICE_ID, to, deviceIdType: type });
        enqueue.emit(persist(to, type));
        enqueue.assign({ deviceId: to, deviceIdType: type, previousId: TEMPORARY_DEVICE_ID, changes: context.changes + 1 });
        enqueue.emit(broadcast({ type: 'identity.changed', deviceId: to, deviceIdType: type, merged: true, previousId: TEMPORARY_DEVICE_ID, at }));
        enqueue.emit(broadcast({ type: 'sending.release', reason: 'temporary-id' }));
      }),
    },
  }).createMachine({
    id: 'deviceId',
    context: ({ input }) => {
      const init = deviceIdAtInit(input);
      return {
        deviceId: init.deviceId,
        deviceIdType: init.deviceIdType,
        previousId: init.cleared?.id ?? null,
        init,
        changes: 0,
        storedError: input.storedError,
      };
    },
    initial: 'booting',
    states: {
      booting: {
        always: [
          { guard: 'startsTemporary', target: 'temporary', actions: 'announceInit' },
          { target: 'identified', actions: 'announceInit' },
        ],
      },
      identified: {
        on: {
          'deviceId.set': [
            { guard: 'sameId', actions: { type: 'ignore', params: { reason: 'the device ID is already the given one' } } },
            { guard: 'isPlaceholder', target: 'temporary', actions: 'enterTemporary' },
            // spec: setID — merge for an SDK-generated ID, no merge for a developer-supplied one.
            { guard: 'isGenerated', actions: 'changeWithMerge' },
            { actions: 'changeWithoutMerge' },
          ],
          'deviceId.changeWithMerge': [
            { guard: 'sameId', actions: { type: 'ignore', params: { reason: 'the device ID is already the given one' } } },
            { guard: 'isPlaceholder', target: 'temporary', actions: 'enterTemporary' },
            { actions: 'changeWithMerge' },
          ],
          'deviceId.changeWithoutMerge': [
            { guard: 'sameId', actions: { type: 'ignore', params: { reason: 'the device ID is already the given one' } } },
            { guard: 'isPlaceholder', target: 'temporary', actions: 'enterTemporary' },
            { actions: 'changeWithoutMerge' },
          ],
          'deviceId.enterTemporaryMode': { target: 'temporary', actions: 'enterTemporary' },
          'deviceId.disableOffline': { actions: 'warnNotOffline' },
        },
      },
      temporary: {
        on: {
          // spec: "If already in temporary ID mode and temp ID is provided, the call is silently ignored".
          'deviceId.set': [
            { guard: 'isPlaceholder', actions: { type: 'ignore', params: { reason: 'already in temporary ID mode' } } },
            { target: 'identified', actions: 'leaveTemporary' },
          ],
          'deviceId.changeWithMerge': [
            { guard: 'isPlaceholder', actions: { type: 'ignore', params: { reason: 'already in temporary ID mode' } } },
            { target: 'identified', actions: 'leaveTemporary' },
          ],
          'deviceId.changeWithoutMerge': [
            { guard: 'isPlaceholder', actions: { type: 'ignore', params: { reason: 'already in temporary ID mode' } } },
            { target: 'identified', actions: 'leaveTemporary' },
          ],
          'deviceId.enterTemporaryMode': { actions: { type: 'ignore', params: { reason: 'already in temporary ID mode' } } },
          'deviceId.disableOffline': [
            { guard: 'isPlaceholder', actions: { type: 'ignore', params: { reason: 'the temporary ID cannot end offline mode' } } },
            { target: 'identified', actions: 'leaveTemporary' },
          ],
        },
      },
    },
}))();

