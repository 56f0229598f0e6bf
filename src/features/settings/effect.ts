import { catchError, defer, filter, from, mergeMap, of, type Observable } from 'rxjs';
import type { Command, SettingsFetchCommand } from '../../effects/commands.js';
import { sendDirect } from '../../effects/direct.effect.js';
import type { Effect, EffectDeps, SdkEvent } from '../../effects/deps.js';

/** Reads the `c` object of a behavior settings answer `{ v, t, c }` (spec: SDK Behavior Settings). */
export function decodeSettingsAnswer(body: string): Record<string, unknown> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'the answer is not JSON';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'the answer is not a JSON object';
  const c = (parsed as { c?: unknown }).c;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) return 'the answer has no "c" object';
  return c as Record<string, unknown>;
}

async function fetchSettings(deps: EffectDeps): Promise<SdkEvent> {
  // spec: Offline Mode — no download in temporary-ID mode, even one asked for just before it.
  const result = await sendDirect(deps, { endpoint: '/o/sdk', params: { method: 'sc' }, purpose: 'settings' });
  if (result === null) return { type: 'settings.fetchFailed', reason: 'withheld: sending is on hold' };
  if (result.kind !== 'response') return { type: 'settings.fetchFailed', reason: result.kind };
  if (result.status < 200 || result.status >= 300) return { type: 'settings.fetchFailed', reason: `HTTP status ${result.status}` };
  const settings = decodeSettingsAnswer(result.body);
  return typeof settings === 'string' ? { type: 'settings.fetchFailed', reason: settings } : { type: 'settings.fetched', settings };
}

/** Behavior settings downloads: an immediate request, never queued, not subject to backoff. */
export const settingsEffect: Effect = (cmd$, deps) =>
  cmd$.pipe(
    filter((c: Command): c is SettingsFetchCommand => c.type === 'settings.fetch'),
    mergeMap(
      (): Observable<SdkEvent> =>
        defer(() => from(fetchSettings(deps))).pipe(
          catchError((error: unknown) => of<SdkEvent>({ type: 'settings.fetchFailed', reason: String(error) })),
        ),
    ),
  );
