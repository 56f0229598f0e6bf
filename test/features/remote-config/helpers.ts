/** Shared pieces of the remote-config machine tests: input, events, a pure runner. */
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import { TEMPORARY_DEVICE_ID } from '../../../src/domain/types.js';
import {
  remoteConfigMachine,
  type RemoteConfigCommand,
  type RemoteConfigEvent,
  type RemoteConfigInput,
} from '../../../src/features/remote-config/machine.js';
import type { DownloadMode } from '../../../src/features/remote-config/rules.js';
import { emittedCommands } from '../../helpers/machines.js';

export type Snap = SnapshotFrom<typeof remoteConfigMachine>;
type Action = { type: string; params?: unknown };
export const emitted = (actions: ReadonlyArray<Action>): RemoteConfigCommand[] => emittedCommands<RemoteConfigCommand>(actions);

export const input = (over: Partial<RemoteConfigInput> = {}): RemoteConfigInput => ({
  values: {},
  idChangedAtBoot: false,
  consent: true,
  sessionsConsent: true,
  deviceId: 'dev-1',
  temporary: false,
  automaticTriggers: false,
  valueCaching: false,
  enrollOnDownload: false,
  ...over,
});

export const ev = {
  all: (token: string | null = null): RemoteConfigEvent => ({ type: 'rc.download', mode: { kind: 'all' }, token }),
  specific: (keys: string[], token: string | null = null): RemoteConfigEvent => ({ type: 'rc.download', mode: { kind: 'specific', keys }, token }),
  omit: (keys: string[], token: string | null = null): RemoteConfigEvent => ({ type: 'rc.download', mode: { kind: 'omit', keys }, token }),
  download: (mode: DownloadMode, token: string | null = null): RemoteConfigEvent => ({ type: 'rc.download', mode, token }),
  answered: (tag: string, body: unknown, status = 200): RemoteConfigEvent => ({ type: 'direct.answered', tag, status, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  failed: (tag: string, kind: 'withheld' | 'network' = 'network'): RemoteConfigEvent => ({ type: 'direct.failed', tag, kind, reason: 'connection refused' }),
  consent: (given: boolean, sessions = true): RemoteConfigEvent => ({
    type: 'consent.changed',
    before: allConsent(!given),
    after: withConsent(withConsent(allConsent(false), ['remote-config'], given), ['sessions'], sessions),
  }),
  identity: (deviceId: string, merged = false, previousId: string | null = 'dev-1'): RemoteConfigEvent => ({
    type: 'identity.changed',
    deviceId,
    deviceIdType: deviceId === TEMPORARY_DEVICE_ID ? 'TEMPORARY_ID' : 'DEVELOPER_SUPPLIED',
    merged,
    previousId,
  }),
  enroll: (keys: string[]): RemoteConfigEvent => ({ type: 'rc.enroll', keys }),
  exit: (keys: string[] = []): RemoteConfigEvent => ({ type: 'rc.exit', keys }),
  clearAll: (): RemoteConfigEvent => ({ type: 'rc.clearAll' }),
  variants: (token: string | null = null): RemoteConfigEvent => ({ type: 'rc.downloadVariants', token }),
  experiments: (token: string | null = null): RemoteConfigEvent => ({ type: 'rc.downloadExperiments', token }),
  enrollVariant: (key: string, variant: string, token: string | null = null): RemoteConfigEvent => ({ type: 'rc.enrollVariant', key, variant, token }),
};

export function run(i: RemoteConfigInput, ...events: RemoteConfigEvent[]): { snap: Snap; cmds: RemoteConfigCommand[] } {
  let [snap, actions] = initialTransition(remoteConfigMachine, i);
  const cmds: RemoteConfigCommand[] = [...emitted(actions)];
  for (const e of events) {
    [snap, actions] = transition(remoteConfigMachine, snap, e);
    cmds.push(...emitted(actions));
  }
  return { snap, cmds };
}

/** One more step from a snapshot. */
export function step(snap: Snap, e: RemoteConfigEvent): { snap: Snap; cmds: RemoteConfigCommand[] } {
  const [next, actions] = transition(remoteConfigMachine, snap, e);
  return { snap: next, cmds: emitted(actions) };
}

export const requests = (cmds: RemoteConfigCommand[]) => cmds.flatMap((c) => (c.type === 'direct.request' ? [c] : []));
export const invokes = (cmds: RemoteConfigCommand[]) => cmds.flatMap((c) => (c.type === 'callback.invoke' ? [c] : []));
/** The tag of the last request sent. */
export const lastTag = (cmds: RemoteConfigCommand[]): string => requests(cmds).at(-1)!.tag;
