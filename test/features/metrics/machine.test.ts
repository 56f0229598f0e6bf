/**
 * Manual metrics (spec: Device Metrics > recordMetrics): unit tests of the pure transitions,
 * every path of the statechart, a property over consent changes, and the wire shape over HTTP.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { getShortestPaths, getSimplePaths } from 'xstate/graph';
import { allConsent, withConsent } from '../../../src/domain/consent.js';
import { metricsMachine, type MetricsCommand, type MetricsEvent } from '../../../src/features/metrics/machine.js';
import { instantAt } from '../../../src/protocol/time.js';
import { useLocalServer } from '../../helpers/sdk.js';
import { emittedCommands } from '../../helpers/machines.js';

type Snap = SnapshotFrom<typeof metricsMachine>;
const emitted = (actions: ReadonlyArray<{ type: string; params?: unknown }>): MetricsCommand[] =>
  emittedCommands<MetricsCommand>(actions);
const at = instantAt(Date.UTC(2026, 0, 1));
const record = (overrides: Record<string, string> = {}): MetricsEvent => ({ type: 'metrics.record', overrides, at });
const consent = (metrics: boolean): MetricsEvent => ({
  type: 'consent.changed',
  before: allConsent(!metrics),
  after: withConsent(allConsent(!metrics), ['metrics'], metrics),
});

function run(initial: boolean, ...events: MetricsEvent[]): { snap: Snap; cmds: MetricsCommand[] } {
  let [snap] = initialTransition(metricsMachine, { consent: initial });
  const cmds: MetricsCommand[] = [];
  for (const e of events) {
    const [next, actions] = transition(metricsMachine, snap, e);
    snap = next;
    cmds.push(...emitted(actions));
  }
  return { snap, cmds };
}

describe('metrics machine', () => {
  it('queues a metrics request with the call overrides, stamped with the call', () => {
    expect(run(true, record({ _os: 'X' })).cmds).toEqual([{ type: 'request.enqueue', params: {}, at, metrics: { _os: 'X' } }]);
  });

  it('refuses without metrics consent, with a warning, and follows consent changes', () => {
    expect(run(false, record()).cmds).toEqual([{ type: 'log', level: 'warning', module: 'Metrics', message: 'record, no "metrics" consent; call ignored' }]);
    expect(run(false, consent(true), record()).cmds.map((c) => c.type)).toEqual(['request.enqueue']);
    expect(run(true, consent(false), record()).cmds.map((c) => c.type)).toEqual(['log']);
  });

  it('every path of the statechart keeps the rule: a request only with consent', () => {
    const events = [record(), consent(true), consent(false)];
    for (const initial of [false, true]) {
      const input = { consent: initial };
      for (const path of [...getShortestPaths(metricsMachine, { events, input }), ...getSimplePaths(metricsMachine, { events, input })]) {
        let [snap] = initialTransition(metricsMachine, input);
        for (const step of path.steps) {
          const before = snap.context.consent;
          const [next, actions] = transition(metricsMachine, snap, step.event as MetricsEvent);
          if (step.event.type === 'metrics.record') expect(emitted(actions).some((c) => c.type === 'request.enqueue')).toBe(before);
          snap = next;
        }
      }
    }
  });

  it('property: requests queued = records made while consent was given', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(fc.oneof(fc.constant('record'), fc.constant('give'), fc.constant('remove')), { maxLength: 40 }), (initial, ops) => {
        let given = initial;
        let expected = 0;
        const events = ops.map((op): MetricsEvent => {
          if (op === 'record') {
            if (given) expected++;
            return record();
          }
          given = op === 'give';
          return consent(given);
        });
        expect(run(initial, ...events).cmds.filter((c) => c.type === 'request.enqueue')).toHaveLength(expected);
      }),
    );
  });
});

describe('metrics over HTTP', () => {
  const local = useLocalServer();

  it('sends metrics= with the SDK metrics, then the config overrides, then the call overrides', async () => {
    const s = await local.sdk({
      appVersion: '2.1',
      metricOverride: { _os: 'ConfigOS', _device: 'ConfigDevice' },
      platform: { name: 'Test', metrics: () => ({ _os: 'PlatformOS', _os_version: '9', _device: 'PlatformDevice' }) },
    });
    s.countly.metrics.record({ _device: 'CallDevice', _carrier: 'Net' });
    await s.countly.queue.flush();
    const sent = local.server.accepted().filter((r) => r.params.metrics !== undefined);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.params.begin_session).toBeUndefined();
    expect(JSON.parse(sent[0]!.params.metrics!)).toEqual({ _os: 'ConfigOS', _os_version: '9', _device: 'CallDevice', _app_version: '2.1', _carrier: 'Net' });
  });

  it('ignores a null argument and drops non-string overrides, with warnings; needs metrics consent', async () => {
    const s = await local.sdk({ requiresConsent: true });
    s.countly.metrics.record(null as never);
    s.countly.metrics.record({ a: 1 as never });
    await s.countly.queue.flush();
    expect(local.server.accepted().filter((r) => r.params.metrics !== undefined)).toHaveLength(0);
    expect(s.warnings().some((w) => w.includes('[Metrics] record, overrides must be an object'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('[Metrics] record, override [a]'))).toBe(true);
    expect(s.warnings().some((w) => w.includes('no "metrics" consent'))).toBe(true);
    s.countly.consent.give('metrics');
    s.countly.metrics.record();
    await s.countly.queue.flush();
    expect(local.server.accepted().filter((r) => r.params.metrics !== undefined)).toHaveLength(1);
  });
});
