/**
 * The one hold rule: what may go out while sending is paused. Used by the request processor
 * (whether to ask for the head) and by the effects (checked again right before bytes leave,
 * so nothing started before a hold goes out after it).
 */

/** Why sending is paused. Every hold but `backoff` is "hard": even `queue.flush()` respects it. */
export type Hold = 'temporary-id' | 'offline' | 'networking-disabled' | 'backoff' | 'booting';

export const HOLDS: readonly Hold[] = /* @__PURE__ */ Object.freeze(['temporary-id', 'offline', 'networking-disabled', 'backoff', 'booting'] as const);

export const isHold = (value: unknown): value is Hold => HOLDS.includes(value as Hold);

/**
 * - `send`: the processor's own sends — any hold pauses them.
 * - `flush`: `queue.flush()` and a send already started — the backoff pause is skipped, a hard hold is not.
 * - `settings`: the behavior-settings download — only temporary-ID and offline mode stop it
 *   (spec: "If temporary id is enabled, SDK Behavior Settings fetches must be omitted"); the
 *   download is how the server's `networking: true` ever comes back, and it runs at boot.
 * - `direct`: immediate requests (remote config, feedback, content, health check) — temporary-ID
 *   mode, offline mode and the server's `networking: false` stop them; backoff does not (it
 *   paces the queue, spec: Backoff Mechanism "excluding immediate requests").
 */
export type Purpose = 'send' | 'flush' | 'settings' | 'direct';

const SETTINGS_BLOCKERS: readonly Hold[] = ['temporary-id', 'offline'];
const DIRECT_BLOCKERS: readonly Hold[] = ['temporary-id', 'offline', 'networking-disabled'];

export function blocks(holds: readonly Hold[], purpose: Purpose): boolean {
  switch (purpose) {
    case 'send':
      return holds.length > 0;
    case 'flush':
      return holds.some((h) => h !== 'backoff');
    case 'settings':
      return holds.some((h) => SETTINGS_BLOCKERS.includes(h));
    case 'direct':
      return holds.some((h) => DIRECT_BLOCKERS.includes(h));
  }
}
