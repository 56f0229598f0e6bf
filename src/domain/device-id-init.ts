/**
 * Device-ID acquisition at init (spec: Device ID Management > Device ID State Management
 * During Init), as one pure function over the truth table's inputs. The table itself lives
 * as data in `models/device-id-init-table.json`; `test/domain/device-id-init.test.ts`
 * drives every one of its 48 cells through the device-ID machine.
 *
 * Precedence: URL ID > custom ID > temporary mode > generated; a stored normal ID beats all
 * of them unless `clearStoredDeviceId` is set; a stored temporary marker is replaced by any
 * real ID (leaving temporary mode, so its queued requests get the real ID).
 */
import { left, right, type Either } from 'fp-ts/Either';
import { TEMPORARY_DEVICE_ID, type DeviceIdType } from './types.js';

/** What the device-ID machine persists under `DEVICE_ID_KEY`. */
export interface StoredIdentity {
  id: string;
  type: DeviceIdType;
}

/** The storage key of the persisted device ID and its type. */
export const DEVICE_ID_KEY = 'deviceId';

/** The truth table's inputs (spec: the table's columns), plus the ID to use if one is generated. */
export interface DeviceIdInitInput {
  /** What storage held from an earlier run; the temporary marker is `{ id: TEMPORARY_DEVICE_ID, type: 'TEMPORARY_ID' }`. */
  stored: StoredIdentity | null;
  /** config `deviceId` */
  custom: string | undefined;
  /** config `temporaryDeviceId` */
  temporary: boolean;
  /** The platform's URL-provided ID (web: the `cly_id` query parameter). */
  url: string | undefined;
  /** config `clearStoredDeviceId` */
  clear: boolean;
  /** A fresh UUID v4, used only when the table says "SDK generates ID". */
  generated: string;
}

/** The table's cells, in its own words (see `models/device-id-init-table.json`). */
export type InitOutcome =
  | 'SDK generates ID'
  | 'sets custom ID'
  | 'enters temp mode'
  | 'sets URL ID'
  | 'uses stored ID'
  | 'stays in temp mode'
  | 'sets custom ID, exits temp mode'
  | 'sets URL ID, exits temp mode';

/**
 * What happens to queued requests that carry the placeholder `CLYTemporaryDeviceID`:
 * - `rewrite` temporary mode is left at init: they are the offline data of this user and get the real ID
 * - `keep`    the SDK stays in (or enters) temporary mode: they wait for the real ID
 * - `remove`  they are orphans (spec: "On init, orphaned temp ID requests are cleaned up even if
 *             offline mode is not active"; with `clearStoredDeviceId` the previous run's offline
 *             data is dropped, not sent: "to avoid sending orphaned offline data")
 */
export type PlaceholderRequests = 'rewrite' | 'keep' | 'remove';

export interface DeviceIdInitResult {
  deviceId: string;
  deviceIdType: DeviceIdType;
  /** Temporary-ID (offline) mode: requests are queued under the placeholder, never sent. */
  temporary: boolean;
  outcome: InitOutcome;
  placeholderRequests: PlaceholderRequests;
  /** Whether the ID or its type differ from what storage held (then it is written). */
  persist: boolean;
  /**
   * The stored normal ID that `clearStoredDeviceId` replaced. spec: the SDK "temporarily uses
   * it to flush any pending events from the previous session" — what was queued before this
   * boot already carries it; the persisted, not yet batched events belong to it too.
   */
  cleared: StoredIdentity | null;
}

const DEVICE_ID_TYPES: readonly DeviceIdType[] = ['DEVELOPER_SUPPLIED', 'SDK_GENERATED', 'TEMPORARY_ID'];

/** A usable device ID: a string with something besides whitespace. */
export function isValidDeviceId(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Whether a stored identity is the temporary-ID marker. */
export const isTemporaryMarker = (stored: StoredIdentity): boolean => stored.type === 'TEMPORARY_ID' || stored.id === TEMPORARY_DEVICE_ID;

/** Decodes what storage held under `DEVICE_ID_KEY` (a trust boundary: anything may be there). */
export function decodeStoredIdentity(value: unknown): Either<string, StoredIdentity | null> {
  if (value === undefined || value === null) return right(null);
  if (typeof value !== 'object' || Array.isArray(value)) return left(`expected an object, got ${typeof value}`);
  const { id, type } = value as { id?: unknown; type?: unknown };
  if (!isValidDeviceId(id)) return left('the stored device ID is missing or empty');
  if (typeof type !== 'string' || !(DEVICE_ID_TYPES as readonly string[]).includes(type)) {
    return left(`unknown device ID type [${String(type)}]`);
  }
  // A placeholder ID is the temporary marker whatever type was written with it.
  return right(id === TEMPORARY_DEVICE_ID ? { id, type: 'TEMPORARY_ID' } : { id, type: type as DeviceIdType });
}

/** Storage key of the device ID the platform found in the URL (kept so later visits still send `t=3`). */
export const URL_DEVICE_ID_KEY = 'urlDeviceId';

/**
 * The device ID that came from the URL and is in use after init, if any: the URL ID the truth
 * table just set, or one an earlier visit set (`storedUrlId`) that is still the stored ID. The
 * wire sends such an ID with `t=3` (server-rules.md: `t` 3 = provided by URL).
 */
export function urlIdentityAtInit(result: Pick<DeviceIdInitResult, 'deviceId' | 'deviceIdType' | 'outcome'>, storedUrlId: unknown): string | null {
  if (result.outcome === 'sets URL ID' || result.outcome === 'sets URL ID, exits temp mode') return result.deviceId;
  if (result.outcome === 'uses stored ID' && result.deviceIdType === 'DEVELOPER_SUPPLIED' && result.deviceId === storedUrlId) return result.deviceId;
  return null;
}

/** The ID a fresh acquisition gives (no stored ID, or a cleared one): URL > custom > temporary > generated. */
function acquire(input: DeviceIdInitInput): Pick<DeviceIdInitResult, 'deviceId' | 'deviceIdType' | 'temporary' | 'outcome'> {
  if (input.url !== undefined) return { deviceId: input.url, deviceIdType: 'DEVELOPER_SUPPLIED', temporary: false, outcome: 'sets URL ID' };
  if (input.custom !== undefined) return { deviceId: input.custom, deviceIdType: 'DEVELOPER_SUPPLIED', temporary: false, outcome: 'sets custom ID' };
  if (input.temporary) return { deviceId: TEMPORARY_DEVICE_ID, deviceIdType: 'TEMPORARY_ID', temporary: true, outcome: 'enters temp mode' };
  return { deviceId: input.generated, deviceIdType: 'SDK_GENERATED', temporary: false, outcome: 'SDK generates ID' };
}

/** spec: Device ID Management > the init truth table. */
export function deviceIdAtInit(input: DeviceIdInitInput): DeviceIdInitResult {
  const { stored, clear } = input;
  const persistUnless = (r: Pick<DeviceIdInitResult, 'deviceId' | 'deviceIdType'>): boolean =>
    stored === null || stored.id !== r.deviceId || stored.type !== r.deviceIdType;

  if (stored === null || clear) {
    const fresh = acquire(input);
    const cleared = stored !== null && !isTemporaryMarker(stored) ? stored : null;
    return {
      ...fresh,
      // A fresh start keeps nothing of an earlier offline run; on a first init placeholder
      // requests without a stored marker can only be orphans unless temporary mode begins now.
      placeholderRequests: !clear && fresh.temporary ? 'keep' : 'remove',
      persist: persistUnless(fresh),
      cleared,
    };
  }
  if (!isTemporaryMarker(stored)) {
    return {
      deviceId: stored.id,
      deviceIdType: stored.type,
      temporary: false,
      outcome: 'uses stored ID',
      placeholderRequests: 'remove',
      persist: false,
      cleared: null,
    };
  }
  // A stored temporary marker: any real ID leaves temporary mode, the temporary flag alone stays.
  if (input.url !== undefined || input.custom !== undefined) {
    const real = acquire(input);
    return {
      ...real,
      outcome: real.outcome === 'sets URL ID' ? 'sets URL ID, exits temp mode' : 'sets custom ID, exits temp mode',
      placeholderRequests: 'rewrite',
      persist: true,
      cleared: null,
    };
  }
  return {
    deviceId: TEMPORARY_DEVICE_ID,
    deviceIdType: 'TEMPORARY_ID',
    temporary: true,
    outcome: 'stays in temp mode',
    placeholderRequests: 'keep',
    persist: persistUnless({ deviceId: TEMPORARY_DEVICE_ID, deviceIdType: 'TEMPORARY_ID' }),
    cleared: null,
  };
}
