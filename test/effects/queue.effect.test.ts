/**
 * The queue effect's `metrics` flag (spec: Device Metrics — metrics are "fetched from device
 * on demand"): a `request.enqueue` with `metrics: true` gets the `metrics` param read from
 * `deps.metrics()` when the command is performed, right after `begin_session`; other
 * commands never read the metrics.
 */
import fc from 'fast-check';
import { lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { RequestQueue } from '../../src/domain/request-queue.js';
import type { Command } from '../../src/effects/commands.js';
import type { EffectDeps } from '../../src/effects/deps.js';
import { EventStore } from '../../src/effects/event-store.js';
import { queueEffect, withMetrics } from '../../src/effects/queue.effect.js';
import { StorageWriter } from '../../src/effects/storage-writer.js';
import { createLogger } from '../../src/log.js';
import { decodeParamList } from '../../src/protocol/encode.js';
import { BASE_PARAMS } from '../../src/protocol/request.js';
import { instantAt } from '../../src/protocol/time.js';

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);

/** The effect's dependencies for queue commands; `metrics()` counts its calls. */
function queueDeps(readMetrics: () => string) {
  const log = createLogger({ console: false });
  const reads: string[] = [];
  const deps = {
    config: resolveConfig({ url: 'https://x.test', appKey: 'k' }, log),
    log,
    queue: new RequestQueue(),
    writer: new StorageWriter(log),
    eventStore: new EventStore(),
    identity: () => ({ deviceId: 'd', deviceIdType: 'DEVELOPER_SUPPLIED' as const }),
    instant: () => instantAt(T0),
    trackingDisabled: () => false,
    bot: false,
    metrics: () => {
      const m = readMetrics();
      reads.push(m);
      return m;
    },
  } as Partial<EffectDeps> as EffectDeps;
  return { deps, reads };
}

async function perform(deps: EffectDeps, ...commands: Command[]): Promise<void> {
  await lastValueFrom(queueEffect(of(...commands), deps).pipe(toArray()));
}

/** The feature params of each queued request, in wire order. */
const featureParams = (deps: EffectDeps): Array<Array<[string, string]>> =>
  deps.queue.toArray().map((r) => decodeParamList(r.data).filter(([k]) => !(BASE_PARAMS as readonly string[]).includes(k)));

describe('queueEffect: metrics of begin_session', () => {
  it('reads the metrics when each flagged request is queued: begin_session, metrics, then location', async () => {
    let n = 0;
    const { deps, reads } = queueDeps(() => JSON.stringify({ _resolution: `${++n}x1` }));
    await perform(
      deps,
      { type: 'request.enqueue', params: { begin_session: '1', country_code: 'DE', city: 'Berlin' }, metrics: true, at: instantAt(T0) },
      { type: 'request.enqueue', params: { end_session: '1', session_duration: '5' } },
      { type: 'request.enqueue', params: { begin_session: '1', location: '' }, metrics: true },
    );
    expect(reads).toEqual(['{"_resolution":"1x1"}', '{"_resolution":"2x1"}']);
    expect(featureParams(deps)).toEqual([
      [
        ['begin_session', '1'],
        ['metrics', '{"_resolution":"1x1"}'],
        ['country_code', 'DE'],
        ['city', 'Berlin'],
      ],
      [
        ['end_session', '1'],
        ['session_duration', '5'],
      ],
      [
        ['begin_session', '1'],
        ['metrics', '{"_resolution":"2x1"}'],
        ['location', ''],
      ],
    ]);
  });

  it('does not read the metrics for requests without the flag', async () => {
    const { deps, reads } = queueDeps(() => '{}');
    await perform(deps, { type: 'request.enqueue', params: { events: '[]' } }, { type: 'request.enqueue', params: { begin_session: '1' } });
    expect(reads).toEqual([]);
    expect(featureParams(deps)).toEqual([[['events', '[]']], [['begin_session', '1']]]);
  });
});

const paramName = fc.oneof(fc.constantFrom('begin_session', 'metrics', 'location', 'city', '__proto__'), fc.string().map((s) => `k${s}`));

describe('withMetrics', () => {
  it('puts metrics right after begin_session, or first without it, replacing any metrics given', () => {
    expect(Object.entries(withMetrics({ begin_session: '1', city: 'X' }, 'M'))).toEqual([
      ['begin_session', '1'],
      ['metrics', 'M'],
      ['city', 'X'],
    ]);
    expect(Object.entries(withMetrics({ city: 'X', metrics: 'old', begin_session: '1' }, 'M'))).toEqual([
      ['city', 'X'],
      ['begin_session', '1'],
      ['metrics', 'M'],
    ]);
    expect(Object.entries(withMetrics({ city: 'X' }, 'M'))).toEqual([
      ['metrics', 'M'],
      ['city', 'X'],
    ]);
  });

  it('keeps every other param in its order and adds exactly one metrics', () => {
    fc.assert(
      // Param names are never integer-like ("0"): JS objects put those first, whatever the order.
      fc.property(fc.dictionary(paramName, fc.string()), fc.string(), (params, metrics) => {
        const out = withMetrics(params, metrics);
        const others = (p: Record<string, string>) => Object.entries(p).filter(([k]) => k !== 'metrics');
        expect(others(out)).toEqual(others(params));
        expect(Object.keys(out).filter((k) => k === 'metrics')).toHaveLength(1);
        expect(out.metrics).toBe(metrics);
        const keys = Object.keys(out);
        const begin = keys.indexOf('begin_session');
        expect(keys.indexOf('metrics')).toBe(begin + 1);
      }),
    );
  });
});
