/**
 * SDK behavior settings (spec: SDK Behavior Settings): what the server says the SDK may do
 * and with which limits. At boot the provided and stored settings apply at once (SDK
 * default < developer config < provided settings < stored settings); then, unless updates
 * are disabled or the SDK is in temporary-ID mode, the settings are downloaded from
 * `/o/sdk?method=sc`, merged key by key into what is stored, persisted and broadcast —
 * again every `scui` hours (default 4), and at once after a device-ID change to a real ID
 * (spec: Device ID Management — changeWithoutMerge and changeWithMerge "Trigger SDK
 * behavior settings fetch").
 *
 * States:
 * - `waiting`  no download now: updates disabled, or temporary-ID mode (spec: fetches must be
 *              omitted then); leaves when a real device ID arrives
 * - `fetching` one `settings.fetch` outstanding (a device-ID change meanwhile waits for it:
 *              one download at a time)
 * - `idle`     waits `updateInterval` (scui hours), or a device-ID change, then fetches again
 */
import { mergeSettings, typedSettings } from '../../domain/behavior-settings.js';
import { param } from '../../log.js';
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { Broadcast, Command } from '../../effects/commands.js';

export interface SettingsInput {
  /** Provided (config) settings merged with the stored ones; stored keys win. */
  settings: Record<string, unknown>;
  /** `false` with `disableBehaviorSettingsUpdates`: never download. */
  updatesEnabled: boolean;
  /** Whether the device ID is temporary at boot (then no download until it is real). */
  temporaryId: boolean;
}

export interface SettingsContext {
  settings: Record<string, unknown>;
  updatesEnabled: boolean;
  temporaryId: boolean;
  /** Downloads that succeeded / failed since boot. */
  fetched: number;
  failed: number;
  lastError: string | null;
}

export type SettingsEvent =
  | { type: 'settings.fetched'; settings: Record<string, unknown> }
  | { type: 'settings.fetchFailed'; reason: string }
  | Extract<Broadcast, { type: 'identity.changed' }>;

export type SettingsCommand = Extract<Command, { type: 'settings.fetch' } | { type: 'storage.set' } | { type: 'broadcast' } | { type: 'log' } | { type: 'log.configure' }>;

export const settingsListensTo: readonly Broadcast['type'][] = /* @__PURE__ */ Object.freeze(['identity.changed'] as const);

/** The storage key of the merged settings. */
export const SETTINGS_KEY = 'behaviorSettings';
const DEFAULT_UPDATE_HOURS = 4;
const MODULE = 'BehaviorSettings';

/** spec: scui — hours between downloads; invalid values fall back to the default. */
export function updateIntervalMs(settings: Record<string, unknown>): number {
  return (typedSettings(settings).settings.scui ?? DEFAULT_UPDATE_HOURS) * 3_600_000;
}

export const settingsMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      context: {} as SettingsContext,
      events: {} as SettingsEvent,
      input: {} as SettingsInput,
      emitted: {} as SettingsCommand,
    },
    delays: {
      updateInterval: ({ context }) => updateIntervalMs(context.settings),
    },
    guards: {
      canFetch: ({ context }) => context.updatesEnabled && !context.temporaryId,
      /** The device ID is (now) a real one and downloads are allowed. */
      becameReal: ({ context, event }) =>
        context.updatesEnabled && event.type === 'identity.changed' && event.deviceIdType !== 'TEMPORARY_ID',
    },
    actions: {
      announceInitial: enqueueActions(({ context, enqueue }) => {
        if (Object.keys(context.settings).length > 0) {
          const settings = typedSettings(context.settings).settings;
          // spec: `log` — the server turns console logging on or off.
          if (settings.log !== undefined) enqueue.emit({ type: 'log.configure', console: settings.log });
          enqueue.emit({ type: 'broadcast', event: { type: 'settings.updated', settings } });
        }
      }),
      requestFetch: emit({ type: 'settings.fetch' } as const),
      trackIdentity: assign({
        temporaryId: ({ event, context }) => (event.type === 'identity.changed' ? event.deviceIdType === 'TEMPORARY_ID' : context.temporaryId),
      }),
      // spec: the fetched configuration is merged into the stored one, key by key.
      merge: assign({
        settings: ({ context, event }) => (event.type === 'settings.fetched' ? mergeSettings(context.settings, event.settings) : context.settings),
        fetched: ({ context }) => context.fetched + 1,
        lastError: () => null,
      }),
      /**
       * Stored as received (spec: "Values are preserved in their original format"), announced
       * decoded; each invalid key of the download is warned about once, here.
       */
      persistAndAnnounce: enqueueActions(({ context, event, enqueue }) => {
        if (event.type === 'settings.fetched') {
          for (const { key, value } of typedSettings(event.settings).invalid) {
            enqueue.emit({ type: 'log', level: 'warning', module: MODULE, message: `settings, invalid ${key} ${param(value)} ignored` });
          }
        }
        enqueue.emit({ type: 'storage.set', key: SETTINGS_KEY, value: context.settings });
        const settings = typedSettings(context.settings).settings;
        // spec: `log` — the server turns console logging on or off; without the key, the developer's choice.
        enqueue.emit({ type: 'log.configure', console: settings.log ?? null });
        enqueue.emit({ type: 'broadcast', event: { type: 'settings.updated', settings } });
      }),
      recordFailure: assign({
        failed: ({ context }) => context.failed + 1,
        lastError: ({ event, context }) => (event.type === 'settings.fetchFailed' ? event.reason : context.lastError),
      }),
      // spec: if the request fails or the settings are invalid, keep using what it has.
      logFailure: enqueueActions(({ event, enqueue }) => {
        if (event.type === 'settings.fetchFailed') {
          enqueue.emit({ type: 'log', level: 'debug', module: MODULE, message: `fetch, keeping the current settings: ${event.reason}` });
        }
      }),
    },
  }).createMachine({
    id: 'settings',
    context: ({ input }) => ({
      settings: { ...input.settings },
      updatesEnabled: input.updatesEnabled,
      temporaryId: input.temporaryId,
      fetched: 0,
      failed: 0,
      lastError: null,
    }),
    entry: 'announceInitial',
    initial: 'deciding',
    on: {
      'identity.changed': { actions: 'trackIdentity' },
    },
    states: {
      deciding: {
        always: [{ guard: 'canFetch', target: 'fetching' }, { target: 'waiting' }],
      },
      waiting: {
        on: {
          'identity.changed': { guard: 'becameReal', target: 'fetching', actions: 'trackIdentity' },
        },
      },
      fetching: {
        entry: 'requestFetch',
        on: {
          'settings.fetched': { target: 'idle', actions: ['merge', 'persistAndAnnounce'] },
          'settings.fetchFailed': { target: 'idle', actions: ['recordFailure', 'logFailure'] },
        },
      },
      idle: {
        on: {
          // A temporary ID falls through to the root: tracked, no fetch; the next interval waits.
          'identity.changed': { guard: 'becameReal', target: 'fetching', actions: 'trackIdentity' },
        },
        after: {
          updateInterval: [{ guard: 'canFetch', target: 'fetching' }, { target: 'waiting' }],
        },
      },
    },
}))();
