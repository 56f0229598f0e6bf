import type { FeatureContext } from '../define.js';
import { isValidDeviceId } from '../../domain/device-id-init.js';
import type { DeviceIdType } from '../../domain/types.js';
import type { DeviceIdContext, DeviceIdEvent, deviceIdMachine } from './machine.js';

type Ctx = FeatureContext<typeof deviceIdMachine>;
import { param } from '../../log.js';
import type { Countly } from '../../types.js';

const MODULE = 'DeviceId';

const sender = (ctx: Ctx) => (event: DeviceIdEvent): void => ctx.send(event);

/** The device-ID machine's context, once the SDK is ready. */
function current(ctx: Ctx): DeviceIdContext | undefined {
  if (!ctx.isReady()) return undefined;
  return ctx.snapshot()?.context;
}

/** Before `ready` the stored ID is not read yet: the type the config points to. */
function expectedType(ctx: Ctx): DeviceIdType {
  if (ctx.config.deviceId !== undefined) return 'DEVELOPER_SUPPLIED';
  return ctx.config.temporaryDeviceId ? 'TEMPORARY_ID' : 'SDK_GENERATED';
}

/**
 * `countly.deviceId` (spec: Device ID Management): validates, logs, and sends one event to
 * the device-ID machine, which decides merge / no merge / temporary mode. `get()` and
 * `type()` read its snapshot (`''` and the config's type before `ready`).
 */
export function createDeviceIdApi(ctx: Ctx): Countly['deviceId'] {
  const { log } = ctx;
  const send = sender(ctx);
  const change = (fn: 'set' | 'changeWithMerge' | 'changeWithoutMerge', id: unknown): void => {
    if (!isValidDeviceId(id)) {
      // spec: "null values are warned and ignored"; so are empty and non-string ones.
      log.warning(MODULE, `${fn}, device ID must be a non-empty string, got ${param(id)}; call ignored`);
      return;
    }
    log.info(MODULE, `${fn}, device ID ${param(id)}`);
    const type = fn === 'set' ? 'deviceId.set' : fn === 'changeWithMerge' ? 'deviceId.changeWithMerge' : 'deviceId.changeWithoutMerge';
    send({ type, id, at: ctx.now() });
  };
  return {
    get() {
      const id = current(ctx)?.deviceId ?? ctx.state().deviceId ?? '';
      // spec: Logging — every call a developer can make logs what is called (line 194).
      log.info(MODULE, `get, the device ID is ${param(id)}`);
      return id;
    },
    type() {
      const type = current(ctx)?.deviceIdType ?? ctx.state().deviceIdType ?? expectedType(ctx);
      log.info(MODULE, `type, the device ID type is ${param(type)}`);
      return type;
    },
    set(id: string) {
      change('set', id);
    },
    changeWithMerge(id: string) {
      change('changeWithMerge', id);
    },
    changeWithoutMerge(id: string) {
      change('changeWithoutMerge', id);
    },
    enableTemporaryIdMode() {
      log.info(MODULE, 'enableTemporaryIdMode, entering temporary ID mode');
      send({ type: 'deviceId.enterTemporaryMode', fn: 'enableTemporaryIdMode', at: ctx.now() });
    },
  };
}

/**
 * `enableOfflineMode()` / `disableOfflineMode(deviceId?)` (spec: Offline Mode): the offline
 * mode is the temporary-ID mode. Leaving it without an ID gives a new SDK-generated one
 * (the ID before offline mode is not restored: offline mode often marks a logout).
 */
export function createOfflineApi(ctx: Ctx): Pick<Countly, 'enableOfflineMode' | 'disableOfflineMode'> {
  const { log } = ctx;
  const send = sender(ctx);
  return {
    enableOfflineMode() {
      log.info('Offline', 'enableOfflineMode, requests are queued, not sent, until offline mode ends');
      send({ type: 'deviceId.enterTemporaryMode', fn: 'enableOfflineMode', at: ctx.now() });
    },
    disableOfflineMode(deviceId?: string) {
      if (deviceId !== undefined && deviceId !== null && !isValidDeviceId(deviceId)) {
        log.warning('Offline', `disableOfflineMode, device ID must be a non-empty string, got ${param(deviceId)}; call ignored`);
        return;
      }
      const id = typeof deviceId === 'string' ? deviceId : undefined;
      log.info('Offline', `disableOfflineMode, ${id === undefined ? 'with a new SDK-generated device ID' : `with device ID ${param(id)}`}`);
      send({ type: 'deviceId.disableOffline', ...(id === undefined ? {} : { id }), generated: ctx.newId(), at: ctx.now() });
    },
  };
}
