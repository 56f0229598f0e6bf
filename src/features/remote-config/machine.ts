/**
 * Remote config and A/B testing (spec 001: Remote Config l. 2864-3131, A/B Testing
 * l. 3132-3442): the persisted value store, downloads, enrolment, and the in-memory variant
 * and experiment stores. Every request is immediate (`direct.request`, spec l. 2940, 3072:
 * "they will not be added to the request queue"); its answer comes back by tag (`rc:<n>`).
 *
 * - Downloads (`method=rc` on `/o/sdk`): a full one replaces the values (or, with
 *   `valueCaching`, keeps the old ones marked cached), a partial one updates the keys it
 *   returned (l. 3044-3049); the store is persisted under `remoteConfig` as `{key: {v, c}}`.
 *   Each download ends with the call's callback (if any) and the `rc.downloaded` channel
 *   (registered and config callbacks) called `(result, error, fullValueUpdate, values)`.
 * - Nothing is sent without `remote-config` consent or in temporary-ID mode (l. 2937,
 *   3194-3195): the call's callbacks hear an `Error` at once.
 * - Automatic triggers (`automaticTriggers`, l. 2898-2906): at boot (not in temporary-ID
 *   mode), after a device-ID change, when temporary-ID mode ends, when `remote-config`
 *   consent is given, after enrolling into a variant.
 * - A device-ID change without merge (and entering temporary-ID mode) cache-clears the store:
 *   the values are the previous user's (l. 2902); an answer to a download sent for that user
 *   is dropped. A merge keeps them (the same user on the server).
 * - Consent removed: values and in-memory stores stay as they are (l. 3128-3130, 3440-3442).
 *
 * States: `check` (transient), `idle`, `downloading` (a values download is in flight).
 */
import { left, type Either } from 'fp-ts/Either';
import { assertEvent, enqueueActions, setup } from 'xstate';
import { TEMPORARY_DEVICE_ID, type Instant } from '../../domain/types.js';
import type { Broadcast, Command, EffectResult } from '../../effects/commands.js';
import type { ExperimentInfo, RequestResult } from '../../types.js';
import type { Deliverable } from '../define.js';
import {
  applyDownload,
  cacheClear,
  decodeExperiments,
  decodeResult,
  decodeValues,
  decodeVariants,
  enrollParams,
  enrollVariantParams,
  exitParams,
  isFullUpdate,
  rcParams,
  RC_STORE_KEY,
  toRCData,
  type DownloadMode,
  type Failure,
  type RcStore,
} from './rules.js';

/** The channel every download result is announced on (registered callbacks, `config.remoteConfig.onDownload`). */
export const RC_CHANNEL = 'rc.downloaded';
const TAG_PREFIX = 'rc:';
const MODULE = 'RemoteConfig';

export interface RemoteConfigInput {
  /** The store as read at boot. */
  values: RcStore;
  /** `clearStoredDeviceId` replaced the stored ID at this init: the stored values are an earlier user's. */
  idChangedAtBoot: boolean;
  consent: boolean;
  /** `sessions` consent: the download carries `metrics` (spec l. 3064). */
  sessionsConsent: boolean;
  deviceId: string;
  temporary: boolean;
  automaticTriggers: boolean;
  valueCaching: boolean;
  enrollOnDownload: boolean;
}

/** A request in flight, by tag. `epoch`: the user it was sent for (see `epoch` below). */
export type Pending =
  | { kind: 'rc'; full: boolean; token: string | null; epoch: number }
  | { kind: 'enroll' | 'exit' }
  | { kind: 'variants' | 'experiments' | 'enrollVariant'; token: string | null };

/** The input's facts (the store, consent, identity, options) and what the machine adds. */
export interface RemoteConfigContext extends Omit<RemoteConfigInput, 'idChangedAtBoot'> {
  /** spec l. 3418-3426: in memory only. */
  variants: Record<string, string[]>;
  experiments: Record<string, ExperimentInfo>;
  pending: Record<string, Pending>;
  /** The number of the next tag. */
  next: number;
  /** Bumped at each device-ID change without merge: answers for an earlier user are not stored. */
  epoch: number;
  /** The stored values were cache-cleared at boot (`clearStoredDeviceId`): store the result once. */
  storeAtBoot: boolean;
}

type Stamped<T extends Broadcast['type']> = Extract<Broadcast, { type: T }> & { at?: Instant };

export type RemoteConfigEvent =
  | { type: 'rc.download'; mode: DownloadMode; token: string | null }
  | { type: 'rc.enroll'; keys: readonly string[] }
  | { type: 'rc.exit'; keys: readonly string[] }
  | { type: 'rc.clearAll' }
  | { type: 'rc.downloadVariants'; token: string | null }
  | { type: 'rc.downloadExperiments'; token: string | null }
  | { type: 'rc.enrollVariant'; key: string; variant: string; token: string | null }
  | Extract<EffectResult, { type: 'direct.answered' | 'direct.failed' }>
  | Stamped<'identity.changed'>
  | Stamped<'consent.changed'>;

export type RemoteConfigCommand = Extract<Command, { type: 'direct.request' | 'callback.invoke' | 'storage.set' | 'storage.delete' | 'log' }>;

export const remoteConfigListensTo: readonly Deliverable[] = /* @__PURE__ */ Object.freeze(['identity.changed', 'consent.changed', 'direct.answered', 'direct.failed'] as const);

type Enqueue = { emit: (c: RemoteConfigCommand) => void; assign: (a: Partial<RemoteConfigContext>) => void };
const log = (level: 'warning' | 'debug' | 'info', message: string): RemoteConfigCommand => ({ type: 'log', level, module: MODULE, message });
const invoke = (token: string, args: readonly unknown[]): RemoteConfigCommand => ({ type: 'callback.invoke', token, args });
const persist = (values: RcStore): RemoteConfigCommand =>
  Object.keys(values).length === 0 ? { type: 'storage.delete', key: RC_STORE_KEY } : { type: 'storage.set', key: RC_STORE_KEY, value: values };

/** A download's end: the call's own callback, then every listener of the channel. */
function notifyDownload(enqueue: Enqueue, token: string | null, result: RequestResult, error: string | null, full: boolean, values: RcStore): void {
  const args = [result, error, full, toRCData(values)];
  if (token !== null) enqueue.emit(invoke(token, args));
  enqueue.emit(invoke(RC_CHANNEL, args));
}

/** Why nothing can be sent now, if so (spec l. 2937, 3194: no consent, temporary-ID mode). */
function blocked(context: RemoteConfigContext): string | null {
  if (!context.consent) return 'no "remote-config" consent';
  if (context.temporary) return 'the SDK is in temporary device ID mode';
  return null;
}

/** Sends one request and remembers what it was for. */
function send(context: RemoteConfigContext, enqueue: Enqueue, pending: Pending, endpoint: string, params: Record<string, string>, metrics = false): void {
  const tag = `${TAG_PREFIX}${context.next}`;
  enqueue.emit({ type: 'direct.request', tag, endpoint, params, ...(metrics ? { metrics: true as const } : {}) });
  enqueue.assign({ next: context.next + 1, pending: { ...context.pending, [tag]: pending } });
}

/** A values download, or the `Error` its callbacks hear when it cannot go out. */
function download(context: RemoteConfigContext, enqueue: Enqueue, mode: DownloadMode, token: string | null, fn: string): void {
  const full = isFullUpdate(mode);
  const why = blocked(context);
  if (why !== null) {
    enqueue.emit(log('warning', `${fn}, ${why}; nothing downloaded`));
    notifyDownload(enqueue, token, 'Error', why, full, {});
    return;
  }
  // spec l. 3064: `metrics` only with `sessions` consent.
  send(context, enqueue, { kind: 'rc', full, token, epoch: context.epoch }, '/o/sdk', rcParams(mode, context.enrollOnDownload), context.sessionsConsent);
}

/** An automatic trigger (spec l. 2898-2906): a full download, heard on the channel only, when allowed. */
function trigger(context: RemoteConfigContext, enqueue: Enqueue, why: string): void {
  if (!context.automaticTriggers || blocked(context) !== null) return;
  enqueue.emit(log('debug', `automatic download, ${why}`));
  download(context, enqueue, { kind: 'all' }, null, 'automatic download');
}

function variantCallback(enqueue: Enqueue, token: string | null, result: RequestResult, error: string | null): void {
  if (token !== null) enqueue.emit(invoke(token, [result, error]));
}

export function remoteConfigContextFrom(input: RemoteConfigInput): RemoteConfigContext {
  return {
    values: input.idChangedAtBoot ? cacheClear(input.values, input.valueCaching) : input.values,
    consent: input.consent,
    sessionsConsent: input.sessionsConsent,
    deviceId: input.deviceId,
    temporary: input.temporary,
    automaticTriggers: input.automaticTriggers,
    valueCaching: input.valueCaching,
    enrollOnDownload: input.enrollOnDownload,
    variants: {},
    experiments: {},
    pending: {},
    next: 1,
    epoch: 0,
    storeAtBoot: input.idChangedAtBoot && Object.keys(input.values).length > 0,
  };
}

export const remoteConfigMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as RemoteConfigInput,
      context: {} as RemoteConfigContext,
      events: {} as RemoteConfigEvent,
      emitted: {} as RemoteConfigCommand,
    },
    guards: {
      ours: ({ context, event }) => (event.type === 'direct.answered' || event.type === 'direct.failed') && Object.hasOwn(context.pending, event.tag),
      downloading: ({ context }) => Object.values(context.pending).some((p) => p.kind === 'rc'),
    },
    actions: {
      boot: enqueueActions(({ context, enqueue }) => {
        // The stored values were cache-cleared in the context: store what is left.
        if (context.storeAtBoot) {
          enqueue.emit(persist(context.values));
          enqueue.assign({ storeAtBoot: false });
        }
        // spec l. 2906: "After init is finished if we are not in the temporary id mode".
        trigger(context, enqueue, 'after init');
      }),
      download: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'rc.download');
        const fn = event.mode.kind === 'all' ? 'downloadAll' : event.mode.kind === 'specific' ? 'downloadSpecific' : 'downloadOmitting';
        download(context, enqueue, event.mode, event.token, fn);
      }),
      enroll: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['rc.enroll', 'rc.exit']);
        const fn = event.type === 'rc.enroll' ? 'enroll' : 'exit';
        const why = blocked(context);
        if (why !== null) {
          // spec l. 3194-3195, 3207-3208: the call is omitted.
          enqueue.emit(log('warning', `${fn}, ${why}; call ignored`));
          return;
        }
        if (event.type === 'rc.enroll') send(context, enqueue, { kind: 'enroll' }, '/o/sdk', enrollParams(event.keys));
        else send(context, enqueue, { kind: 'exit' }, '/i', exitParams(event.keys));
      }),
      clearAll: enqueueActions(({ context, enqueue }) => {
        // spec l. 3015-3020: everything, "caching is not important here".
        if (Object.keys(context.values).length > 0) enqueue.emit(persist({}));
        enqueue.assign({ values: {} });
      }),
      testing: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['rc.downloadVariants', 'rc.downloadExperiments', 'rc.enrollVariant']);
        const fn = event.type === 'rc.downloadVariants' ? 'downloadVariants' : event.type === 'rc.downloadExperiments' ? 'downloadExperiments' : 'enrollIntoVariant';
        const why = blocked(context);
        if (why !== null) {
          // spec l. 3258-3260, 3287-3289, 3307-3309: "call will be omitted and callback is notified".
          enqueue.emit(log('warning', `testing.${fn}, ${why}; call ignored`));
          variantCallback(enqueue, event.token, 'Error', why);
          return;
        }
        if (event.type === 'rc.downloadVariants') send(context, enqueue, { kind: 'variants', token: event.token }, '/o/sdk', { method: 'ab_fetch_variants' });
        else if (event.type === 'rc.downloadExperiments') send(context, enqueue, { kind: 'experiments', token: event.token }, '/o/sdk', { method: 'ab_fetch_experiments' });
        else send(context, enqueue, { kind: 'enrollVariant', token: event.token }, '/i', enrollVariantParams(event.key, event.variant));
      }),
      answer: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, ['direct.answered', 'direct.failed']);
        const p = context.pending[event.tag]!;
        const pending = { ...context.pending };
        delete pending[event.tag];
        enqueue.assign({ pending });
        // spec l. 2942, 3262: no answer is a `NetworkIssue`; an answer that is not what was asked an `Error`.
        const decode = <T>(decoder: (status: number, body: string) => Either<Failure, T>): Either<Failure, T> =>
          event.type === 'direct.failed' ? left({ result: 'NetworkIssue', error: event.reason }) : decoder(event.status, event.body);
        switch (p.kind) {
          case 'rc': {
            const decoded = decode(decodeValues);
            if (decoded._tag === 'Left') {
              enqueue.emit(log('warning', `download, failed (${decoded.left.result}): ${decoded.left.error}`));
              notifyDownload(enqueue, p.token, decoded.left.result, decoded.left.error, p.full, {});
            } else if (p.epoch !== context.epoch) {
              const error = 'the device ID changed while downloading; the values were not stored';
              enqueue.emit(log('debug', `download, ${error}`));
              notifyDownload(enqueue, p.token, 'Error', error, p.full, {});
            } else {
              const values = applyDownload(context.values, decoded.right, p.full, context.valueCaching);
              enqueue.assign({ values });
              enqueue.emit(persist(values));
              enqueue.emit(log('debug', `download, ${Object.keys(decoded.right).length} value(s) downloaded${p.full ? ' (full update)' : ''}`));
              notifyDownload(enqueue, p.token, 'Success', null, p.full, applyDownload({}, decoded.right, false, false));
            }
            return;
          }
          case 'enroll':
          case 'exit': {
            const decoded = decode((status, body) => decodeResult(status, body, false));
            const fn = p.kind === 'enroll' ? 'enroll' : 'exit';
            if (decoded._tag === 'Left') enqueue.emit(log('warning', `${fn}, failed (${decoded.left.result}): ${decoded.left.error}`));
            else enqueue.emit(log('debug', `${fn}, the server answered ${decoded.right}`));
            return;
          }
          case 'variants':
          case 'experiments': {
            const decoded = p.kind === 'variants' ? decode(decodeVariants) : decode(decodeExperiments);
            if (decoded._tag === 'Left') {
              enqueue.emit(log('warning', `testing, ${p.kind} download failed (${decoded.left.result}): ${decoded.left.error}`));
              variantCallback(enqueue, p.token, decoded.left.result, decoded.left.error);
              return;
            }
            // spec l. 3271, 3300: the fresh download replaces everything.
            enqueue.assign(p.kind === 'variants' ? { variants: decoded.right as Record<string, string[]> } : { experiments: decoded.right as Record<string, ExperimentInfo> });
            variantCallback(enqueue, p.token, 'Success', null);
            return;
          }
          case 'enrollVariant': {
            const decoded = decode((status, body) => decodeResult(status, body, true));
            if (decoded._tag === 'Left') {
              enqueue.emit(log('warning', `testing.enrollIntoVariant, failed (${decoded.left.result}): ${decoded.left.error}`));
              variantCallback(enqueue, p.token, decoded.left.result, decoded.left.error);
              return;
            }
            // spec l. 3315-3317, 2905: the values are cache-cleared and downloaded again.
            const values = cacheClear(context.values, context.valueCaching);
            if (Object.keys(context.values).length > 0) enqueue.emit(persist(values));
            enqueue.assign({ values });
            trigger({ ...context, pending }, enqueue, 'after enrolling into a variant');
            variantCallback(enqueue, p.token, 'Success', null);
            return;
          }
        }
      }),
      identityChanged: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'identity.changed');
        // The init announcement (and any non-change) carries the ID the machine started with.
        if (event.deviceId === context.deviceId) return;
        const temporary = event.deviceIdType === 'TEMPORARY_ID';
        const leavingTemporary = context.temporary && !temporary && event.previousId === TEMPORARY_DEVICE_ID;
        let next: RemoteConfigContext = { ...context, deviceId: event.deviceId, temporary };
        if (!event.merged && !leavingTemporary) {
          // spec l. 2902: the values were the previous user's.
          const values = cacheClear(context.values, context.valueCaching);
          if (Object.keys(context.values).length > 0) enqueue.emit(persist(values));
          next = { ...next, values, epoch: context.epoch + 1 };
        }
        enqueue.assign(next);
        if (!temporary) trigger(next, enqueue, leavingTemporary ? 'temporary device ID mode ended' : 'the device ID changed');
      }),
      consentChanged: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'consent.changed');
        const given = event.after['remote-config'];
        const next = { ...context, consent: given, sessionsConsent: event.after.sessions };
        enqueue.assign({ consent: given, sessionsConsent: event.after.sessions });
        // spec l. 2905, 3128: given → downloaded; removed → the values stay as they are.
        if (given && !context.consent) trigger(next, enqueue, '"remote-config" consent was given');
      }),
    },
  }).createMachine({
    id: 'remoteConfig',
    context: ({ input }) => remoteConfigContextFrom(input),
    entry: 'boot',
    initial: 'check',
    on: {
      'rc.download': { target: '.check', actions: 'download' },
      'rc.enroll': { actions: 'enroll' },
      'rc.exit': { actions: 'enroll' },
      'rc.clearAll': { actions: 'clearAll' },
      'rc.downloadVariants': { actions: 'testing' },
      'rc.downloadExperiments': { actions: 'testing' },
      'rc.enrollVariant': { actions: 'testing' },
      'direct.answered': { guard: 'ours', target: '.check', actions: 'answer' },
      'direct.failed': { guard: 'ours', target: '.check', actions: 'answer' },
      'identity.changed': { target: '.check', actions: 'identityChanged' },
      'consent.changed': { target: '.check', actions: 'consentChanged' },
    },
    states: {
      check: {
        always: [{ guard: 'downloading', target: 'downloading' }, { target: 'idle' }],
      },
      idle: {},
      downloading: {},
    },
}))();
