/**
 * The feature registry: every machine of the SDK, its actor name, the broadcasts it hears
 * and how its `input` is built at boot. Listed in boot order — identity first, so every
 * later actor's start-up requests carry the right device ID; the request processor last.
 */
import type { AnyStateMachine } from 'xstate';
import type { Platform } from './adapters/types.js';
import { isForegroundNow } from './adapters/platform/hooks.js';
import type { ActorName } from './api/context.js';
import type { ResolvedConfig } from './config.js';
import type { Instant, WireEvent } from './domain/types.js';
import { backoffListensTo, backoffMachine } from './machines/backoff.machine.js';
import { requestProcessorListensTo, requestProcessorMachine } from './machines/request-processor.machine.js';
import { deviceIdInputFrom, deviceIdListensTo, deviceIdMachine } from './machines/device-id.machine.js';
import { consentInputFrom, consentListensTo, consentMachine } from './machines/consent.machine.js';
import { locationInputFrom, locationListensTo, locationMachine, locationParamsAtBoot } from './machines/location.machine.js';
import { eventsInputFrom, eventsListensTo, eventsMachine } from './machines/events.machine.js';
import { viewInputFrom, viewListensTo, viewMachine } from './machines/view.machine.js';
import { sessionInputFrom, sessionListensTo, sessionMachine } from './machines/session.machine.js';
import { initialConsent } from './domain/consent.js';
import { settingsListensTo, settingsMachine } from './machines/settings.machine.js';

/** What storage and the platform gave at boot. */
export interface FeatureBootContext {
  config: ResolvedConfig;
  /** The parsed key-value storage. */
  stored: Record<string, unknown>;
  /** The persisted event queue. */
  storedEvents: WireEvent[];
  platform: Platform;
  /** The device ID the platform found in the URL (browser `cly_id`), read once. */
  urlDeviceId: string | undefined;
  /** A fresh UUID the device-ID machine uses if it has to generate an ID. */
  generatedId: string;
  queueLength: number;
  /** The stored identity `clearStoredDeviceId` replaced at this init, if any. */
  clearedIdentity: { deviceId: string; deviceIdType: import('./domain/types.js').DeviceIdType } | null;
  /** The device ID the truth table gives at boot (the device-ID machine starts with it). */
  initialIdentity: { deviceId: string; deviceIdType: import('./domain/types.js').DeviceIdType };
  /** Behavior settings known at boot (provided and stored). */
  settings: Record<string, unknown>;
  /** The moment of boot (a session that begins at init is stamped with it). */
  at: Instant;
  /** A seed for view and orientation event IDs. */
  idSeed: string;
}

const consentAtBoot = (b: FeatureBootContext) => initialConsent(b.config, b.settings);

export interface Feature {
  name: ActorName;
  /** File name under src/machines (without .ts), also the models/ file name. */
  file: string;
  machine: AnyStateMachine;
  listensTo: readonly string[];
  input(boot: FeatureBootContext): unknown;
}

export const features: readonly Feature[] = [
  {
    name: 'deviceId',
    file: 'device-id.machine',
    machine: deviceIdMachine,
    listensTo: deviceIdListensTo,
    input: (b) => deviceIdInputFrom(b.config, b.stored, { urlDeviceId: b.urlDeviceId }, { generated: b.generatedId }),
  },
  {
    name: 'settings',
    file: 'settings.machine',
    machine: settingsMachine,
    listensTo: settingsListensTo,
    input: (b) => ({ settings: b.settings, updatesEnabled: b.config.behaviorSettingsUpdates, temporaryId: b.initialIdentity.deviceIdType === 'TEMPORARY_ID' }),
  },
  {
    name: 'consent',
    file: 'consent.machine',
    machine: consentMachine,
    listensTo: consentListensTo,
    input: (b) => consentInputFrom(b.config, { settings: b.settings }),
  },
  {
    name: 'location',
    file: 'location.machine',
    machine: locationMachine,
    listensTo: locationListensTo,
    input: (b) => locationInputFrom(b.config, consentAtBoot(b), { settings: b.settings }),
  },
  {
    name: 'events',
    file: 'events.machine',
    machine: eventsMachine,
    listensTo: eventsListensTo,
    input: (b) => eventsInputFrom(b.config, b.storedEvents, consentAtBoot(b), { settings: b.settings, foreground: isForegroundNow(b.platform), storedOwner: b.clearedIdentity }),
  },
  {
    name: 'views',
    file: 'view.machine',
    machine: viewMachine,
    listensTo: viewListensTo,
    input: (b) => viewInputFrom(b.config, b.platform, consentAtBoot(b), { idSeed: b.idSeed, settings: b.settings }),
  },
  {
    name: 'session',
    file: 'session.machine',
    machine: sessionMachine,
    listensTo: sessionListensTo,
    input: (b) =>
      sessionInputFrom(b.config, b.platform, consentAtBoot(b), {
        at: b.at,
        settings: b.settings,
        location: locationParamsAtBoot(locationInputFrom(b.config, consentAtBoot(b), { settings: b.settings })),
      }),
  },
  {
    name: 'backoff',
    file: 'backoff.machine',
    machine: backoffMachine,
    listensTo: backoffListensTo,
    input: (b) => ({ enabled: b.config.backoff, maxQueueSize: b.config.maxRequestQueueSize }),
  },
  {
    name: 'processor',
    file: 'request-processor.machine',
    machine: requestProcessorMachine,
    listensTo: requestProcessorListensTo,
    input: (b) => ({ retryCooldownMs: b.config.retryCooldownSeconds * 1000, queueLength: b.queueLength, holds: ['booting'] }),
  },
];
