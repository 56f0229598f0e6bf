/**
 * Immediate requests (`direct.request`): built with the base params of the identity current
 * now, sent at once, never queued, not paced by backoff (spec: Backoff Mechanism applies to
 * the queue). The hold is checked right before the bytes leave, so a request asked for just
 * before temporary-ID or offline mode began never goes out.
 */
import { catchError, defer, filter, from, mergeMap, of, type Observable } from 'rxjs';
import type { TransportResult } from '../adapters/types.js';
import { blocks, type Purpose } from '../domain/holds.js';
import { buildHttpRequest, buildStoredRequest } from '../protocol/request.js';
import type { Command, DirectRequestCommand } from './commands.js';
import { httpInputOf, type Effect, type EffectDeps, type SdkEvent } from './deps.js';

export interface DirectSend {
  endpoint: string;
  params: Readonly<Record<string, string>>;
  /** GET whatever `httpPostForced` says (a long payload still goes as POST). */
  get?: boolean;
  /** Which holds stop it (`domain/holds.ts`). */
  purpose: Purpose;
}

/** Sends one immediate request; `null` when a hold withheld it. Never rejects on a transport failure (transports never do). */
export async function sendDirect(deps: EffectDeps, send: DirectSend): Promise<TransportResult | null> {
  const identity = deps.identity();
  const stored = buildStoredRequest({
    appKey: deps.config.appKey,
    deviceId: identity.deviceId,
    deviceIdType: identity.wireType ?? identity.deviceIdType,
    instant: deps.instant(),
    sdkName: deps.config.sdkName,
    sdkVersion: deps.config.sdkVersion,
    appVersion: deps.config.appVersion,
    params: send.params,
    endpoint: send.endpoint,
  });
  const request = await buildHttpRequest({ ...httpInputOf(deps, stored, deps.queue.length), ...(send.get === true ? { httpPostForced: false } : {}) });
  if (blocks(deps.holds(), send.purpose)) return null;
  return deps.transport.send(request);
}

async function perform(deps: EffectDeps, c: DirectRequestCommand): Promise<SdkEvent> {
  const params = c.metrics === true ? { ...c.params, metrics: deps.metrics() } : c.params;
  const result = await sendDirect(deps, { endpoint: c.endpoint, params, purpose: 'direct', ...(c.get === true ? { get: true } : {}) });
  if (result === null) return { type: 'direct.failed', tag: c.tag, kind: 'withheld', reason: 'sending is on hold (temporary ID, offline or networking disabled)' };
  if (result.kind === 'response') return { type: 'direct.answered', tag: c.tag, status: result.status, body: result.body };
  return { type: 'direct.failed', tag: c.tag, kind: 'network', reason: result.kind === 'timeout' ? 'timeout' : result.message };
}

/** `direct.request` → `direct.answered` / `direct.failed`; requests run concurrently. */
export const directEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter((c: Command): c is DirectRequestCommand => c.type === 'direct.request'),
    mergeMap(
      (c): Observable<SdkEvent> =>
        defer(() => from(perform(deps, c))).pipe(
          catchError((error: unknown) => of<SdkEvent>({ type: 'direct.failed', tag: c.tag, kind: 'network', reason: String(error) })),
        ),
    ),
  );
