/**
 * The boot read: storage and the platform, read once into plain `BootData` before any actor
 * starts. Corrupt stored records are skipped (and logged), the behavior settings merged in
 * the spec's precedence, the device-ID truth table run once.
 */
import { isLeft } from 'fp-ts/Either';
import type { Platform, StorageContents, StorageHandle, StorageOp } from '../adapters/types.js';
import { isForegroundNow, localeNow, orientationNow } from '../adapters/platform/hooks.js';
import type { ResolvedConfig } from '../config.js';
import { mergeSettings, typedSettings, unwrapProvidedSettings } from '../domain/behavior-settings.js';
import { initialConsent } from '../domain/consent.js';
import { DEVICE_ID_KEY, deviceIdAtInit, isTemporaryMarker, URL_DEVICE_ID_KEY, urlIdentityAtInit } from '../domain/device-id-init.js';
import { RequestQueue } from '../domain/request-queue.js';
import { DeadLetterStore, DEAD_LETTER_QUEUE } from '../domain/dead-letters.js';
import type { Instant, PlatformFacts } from '../domain/types.js';
import { EventStore } from '../effects/event-store.js';
import type { BootData } from '../features/define.js';
import { deviceIdInputFrom } from '../features/device-id/machine.js';
import { errorText, param, type Logger } from '../log.js';
import { parseStoredRequest } from '../protocol/request.js';

export const EMPTY_CONTENTS: StorageContents = { kv: {}, queues: { requests: [], events: [] }, corrupt: 0 };

export interface BootResult {
  readonly data: BootData;
  readonly queue: RequestQueue;
  readonly eventStore: EventStore;
  /** Writes the boot read decided on (corrupt requests removed, orphaned offline events dropped). */
  readonly ops: readonly StorageOp[];
  /** Requests moved aside in earlier runs (`domain/dead-letters.ts`). */
  readonly deadLetters: DeadLetterStore;
  /** The platform's `isBot()`, read once (spec l. 383: a bot's requests are dropped silently). */
  readonly bot: boolean;
}

function parseKv(kv: Readonly<Record<string, string>>, log: Logger): Record<string, unknown> {
  // No prototype: a stored key named `__proto__` stays an ordinary key.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(kv)) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      log.error('Storage', `read, stored value for key [${k}] is corrupt and was skipped`);
    }
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The platform's facts, each hook read once; a hook that throws reads as its default. */
export function readPlatformFacts(platform: Platform): PlatformFacts {
  const locale = localeNow(platform);
  return { name: platform.name, foreground: isForegroundNow(platform), orientation: orientationNow(platform), ...(locale !== undefined ? { locale } : {}) };
}

export interface BootInput {
  readonly config: ResolvedConfig;
  readonly log: Logger;
  readonly platform: Platform;
  readonly contents: StorageContents;
  /** The developer's `behaviorSettings` option, as given. */
  readonly providedSettings: unknown;
  readonly instant: () => Instant;
  readonly newId: () => string;
  /** The platform's URL device ID, read once (`readUrlDeviceId`). */
  readonly urlDeviceId: string | undefined;
}

/** The platform's URL device ID (web: `cly_id`); a hook that throws reads as none, logged. */
export function readUrlDeviceId(platform: Platform, log: Logger): string | undefined {
  try {
    return platform.urlDeviceId?.();
  } catch (error) {
    log.error('Init', `createCountly, the platform's urlDeviceId hook failed: ${errorText(error)}`);
    return undefined;
  }
}

export function readBoot(input: BootInput): BootResult {
  const { config, log, platform, contents } = input;
  const ops: StorageOp[] = [];
  if (contents.corrupt > 0) log.error('Storage', `read, skipped ${contents.corrupt} corrupt stored record(s)`);
  for (const problem of contents.problems ?? []) log.error('Storage', `read, ${problem}`);
  for (const warning of contents.warnings ?? []) log.warning('Storage', `read, degraded: ${warning}`);
  const kv = parseKv(contents.kv, log);
  const decoded = EventStore.decode(contents.queues.events ?? []);
  let storedEvents = decoded.events;
  if (decoded.corrupt > 0) log.error('Storage', `read, skipped ${decoded.corrupt} corrupt stored event(s)`);
  // A stored request must at least name its app and device; anything else is corrupt.
  const requests = contents.queues.requests ?? [];
  const usable = requests.filter((e) => {
    const parsed = parseStoredRequest(e.data);
    return parsed.appKey !== null && parsed.appKey !== '' && parsed.deviceId !== null && parsed.deviceId !== '';
  });
  if (usable.length < requests.length) {
    log.error('Storage', `read, skipped ${requests.length - usable.length} corrupt stored request(s)`);
    const good = new Set(usable.map((e) => e.seq));
    ops.push({ op: 'remove', queue: 'requests', seqs: requests.filter((e) => !good.has(e.seq)).map((e) => e.seq) });
  }
  const queue = new RequestQueue(usable, config.maxRequestQueueSize);
  const eventStore = new EventStore(contents.queues.events ?? []);

  // spec: SDK Behavior Settings — SDK default < dev config < provided SBS < stored SBS.
  const provided = unwrapProvidedSettings(input.providedSettings);
  if (isLeft(provided)) log.warning('Init', `createCountly, ${provided.left} and was ignored`);
  const rawSettings = mergeSettings(isLeft(provided) ? {} : (provided.right as Record<string, unknown>), isRecord(kv.behaviorSettings) ? kv.behaviorSettings : {});
  // Decoded once, at the boundary: each invalid key is warned about here, once.
  const { settings, invalid } = typedSettings(rawSettings);
  for (const { key, value } of invalid) log.warning('BehaviorSettings', `createCountly, invalid ${key} ${param(value)} ignored`);

  let bot = false;
  try {
    bot = platform.isBot?.() === true;
  } catch (error) {
    log.error('Init', `createCountly, the platform's isBot hook failed: ${errorText(error)}`);
  }
  // spec l. 383: dropped silently — one line at boot says why nothing will be sent.
  if (bot) log.info('Init', 'createCountly, the platform reports a bot or crawler: no request will be queued or sent');

  const generatedId = input.newId();
  const urlDeviceId = input.urlDeviceId;
  const deviceIdInput = deviceIdInputFrom(config, kv, { urlDeviceId }, { generated: generatedId });
  // The truth table once: the identity every actor starts with, and what it replaced.
  const init = deviceIdAtInit(deviceIdInput);
  // spec: Device ID Management — offline data of an earlier run that will not go out under
  // a real ID (its placeholder requests are removed) is orphaned: its stored events too.
  if (init.placeholderRequests === 'remove' && deviceIdInput.stored !== null && isTemporaryMarker(deviceIdInput.stored) && storedEvents.length > 0) {
    log.warning('DeviceId', `createCountly, ${storedEvents.length} event(s) recorded offline in an earlier run were dropped with its placeholder requests`);
    storedEvents = [];
    ops.push(...eventStore.clear());
  }
  const urlIdentity = urlIdentityAtInit(init, kv[URL_DEVICE_ID_KEY]);
  // Remembered so a later visit without `cly_id` still says where the ID came from.
  if (urlIdentity !== null && kv[URL_DEVICE_ID_KEY] !== urlIdentity) ops.push({ op: 'set', key: URL_DEVICE_ID_KEY, value: JSON.stringify(urlIdentity) });
  const data: BootData = {
    config,
    stored: kv,
    storedEvents,
    platform: readPlatformFacts(platform),
    urlDeviceId,
    generatedId,
    queueLength: queue.length,
    initialIdentity: { deviceId: init.deviceId, deviceIdType: init.deviceIdType },
    urlIdentity,
    clearedIdentity: init.cleared ? { deviceId: init.cleared.id, deviceIdType: init.cleared.type } : null,
    settings,
    rawSettings,
    consent: initialConsent(config, settings),
    at: input.instant(),
    idSeed: input.newId(),
  };
  return { data, queue, eventStore, ops, deadLetters: new DeadLetterStore(contents.queues[DEAD_LETTER_QUEUE] ?? []), bot };
}

/**
 * Many tabs, one device ID: when nothing is stored and the truth table would generate an ID,
 * the generated one is claimed in storage first (`StorageHandle.claim`, one IndexedDB
 * transaction). A tab that lost the race (another tab of the origin claimed first, at the
 * same moment on a fresh origin) boots as if the winner's ID had been stored all along.
 * Returns the contents to boot from; storage without `claim` leaves them as they are.
 */
export async function agreeOnGeneratedId(
  handle: StorageHandle,
  contents: StorageContents,
  input: { config: ResolvedConfig; urlDeviceId: string | undefined; generated: string; log: Logger },
): Promise<StorageContents> {
  if (typeof handle.claim !== 'function' || contents.kv[DEVICE_ID_KEY] !== undefined) return contents;
  const decision = deviceIdAtInit(deviceIdInputFrom(input.config, {}, { urlDeviceId: input.urlDeviceId }, { generated: input.generated }));
  if (decision.deviceIdType !== 'SDK_GENERATED' || decision.deviceId !== input.generated) return contents;
  const ours = JSON.stringify({ id: input.generated, type: 'SDK_GENERATED' });
  let agreed: unknown;
  try {
    agreed = await handle.claim(DEVICE_ID_KEY, ours);
  } catch (error) {
    input.log.error('Storage', `claim, could not agree on the device ID with other tabs (this tab keeps its own): ${errorText(error)}`);
    return contents;
  }
  if (typeof agreed !== 'string' || agreed === ours) return contents;
  input.log.info('DeviceId', 'createCountly, another tab of this origin generated the device ID at the same moment; using it');
  return { ...contents, kv: { ...contents.kv, [DEVICE_ID_KEY]: agreed } };
}
