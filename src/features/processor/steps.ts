/**
 * The request processor's pure steps (no xstate, no rxjs, no I/O): its input and context,
 * the context at boot, the hold and verdict helpers its guards use, and the bodies of its
 * larger actions as `(context, event) => { context, commands }`. machine.ts wires them
 * into `setup()` and re-exports the public names.
 */
import type { Command, EffectResult } from '../../effects/commands.js';
import type { BehaviorSettings } from '../../domain/behavior-settings.js';
import { judge, type Verdict } from '../../domain/response.js';
import { afterRejection, DEAD_LETTER_POLICY, type DeadLetterPolicy } from '../../domain/dead-letters.js';
import { blocks, isHold, type Hold } from '../../domain/holds.js';

export interface RequestProcessorInput {
  /** Cool-down after a failed send before the same request is tried again (spec: Request Queue). */
  retryCooldownMs: number;
  /** Requests queued at boot. */
  queueLength: number;
  /** Holds active at boot (the SDK starts with `booting`). */
  holds?: readonly Hold[];
  /** The queue limit at boot (config, or the stored/provided `rqs`): a longer stored queue is cut at start. */
  maxQueueSize?: number;
  /** Requests older than this many hours are dropped before sending; 0 = never (config, or `dort`). */
  dropAgeHours?: number;
  /** The server's `networking: false` is known at boot. */
  networkingDisabled?: boolean;
  /** The server's `tracking: false` is known at boot. */
  trackingDisabled?: boolean;
  /** How refused requests are retried and moved aside (default `DEAD_LETTER_POLICY`). */
  deadLetterPolicy?: DeadLetterPolicy;
}

/** How often the current head was refused by an answer that cannot heal. */
export interface Rejections {
  readonly seq: number;
  readonly attempts: number;
}

/** A running `queue.flush()`. */
export interface PendingFlush {
  readonly flushId: number;
  /** Requests delivered by sends this flush covered. */
  readonly delivered: number;
  /**
   * Whether a send started since the flush was asked for. A flush covers only sends that
   * start after it: the result of a send already under way when it arrived does not end it.
   */
  readonly armed: boolean;
}

export interface RequestProcessorContext {
  retryCooldownMs: number;
  /** Active holds, in the order they arrived, without duplicates. */
  holds: Hold[];
  /** Requests in the queue, as last reported by the queue effect. */
  queueLength: number;
  /**
   * The queue may hold something to send: set by `queue.changed` with requests, and by every
   * result (after a delivery the next head may exist; after a failure the head is still
   * there); cleared when the head is asked for, so an empty answer does not loop.
   */
  wake: boolean;
  /** Running flushes, oldest first. Non-empty only while `sending`. */
  flushes: PendingFlush[];
  /** Requests delivered since boot. */
  delivered: number;
  /** Why the last send failed; `null` once a request was delivered. */
  lastFailure: string | null;
  /** When the current backoff pause ends (ms), or `null`. */
  backoffUntilMs: number | null;
  /** spec: Request Drop by Age — hours; 0 = never. The server's `dort` (0 too) overrides the config. */
  dropAgeHours: number;
  /** The queue limit at boot, announced at start. */
  bootQueueLimit: number | null;
  /** The next cool-down: `retryCooldownMs`, or longer after a refusal that cannot heal. */
  cooldownMs: number;
  /** Refusals of the head so far (reset when another request is refused). */
  rejections: Rejections | null;
  /** Requests moved aside since boot (the health check reads it; `state$.deadLetters`). */
  deadLetters: number;
  /** The server's `tracking: false` (spec l. 4836): no new request is queued while set. */
  trackingDisabled: boolean;
  deadLetterPolicy: DeadLetterPolicy;
}

/** A send's result: the head was answered (any status) or the send failed. */
export type SendResult = Extract<EffectResult, { type: 'transport.succeeded' | 'transport.failed' }>;

/** What a step asks for: the context fields it changes (none: `{}`), and its commands in order. */
export interface Step {
  readonly context: Partial<RequestProcessorContext>;
  readonly commands: Extract<Command, { type: 'log' } | { type: 'requests.setMaxSize' }>[];
}

export const MODULE = 'RequestProcessor';
const DEFAULT_RETRY_COOLDOWN_MS = 60_000;

/** spec: Request Queue — delivered iff 2xx and a body of the shape its endpoint/method answers with (`answerShape`); some answers never heal. */
export const verdictOf = (e: SendResult): Verdict =>
  e.type === 'transport.failed' ? { kind: 'retry', reason: e.reason } : judge({ kind: 'response', status: e.status, body: e.body, elapsedMs: e.elapsedMs }, e.route);

/** The refusals of `seq` counting this one, when the answer cannot heal. */
export const rejectionsAfter = (c: RequestProcessorContext, e: SendResult, v: Verdict): Rejections | null =>
  v.kind === 'rejected' ? { seq: e.seq, attempts: (c.rejections?.seq === e.seq ? c.rejections.attempts : 0) + 1 } : c.rejections;

/** This refusal is the last the policy allows: the request is moved aside. */
export const isFinalRejection = (c: RequestProcessorContext, e: SendResult): boolean => {
  const v = verdictOf(e);
  if (v.kind !== 'rejected') return false;
  const r = rejectionsAfter(c, e, v)!;
  return afterRejection(v.cause, r.attempts, c.retryCooldownMs, c.deadLetterPolicy).action === 'deadLetter';
};

export const hardHeld = (c: RequestProcessorContext): boolean => blocks(c.holds, 'flush');

/** A flush skips the backoff pause, never a hard hold. */
export const blocked = (c: RequestProcessorContext): boolean => blocks(c.holds, c.flushes.length > 0 ? 'flush' : 'send');

export const validLimit = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
export const validHours = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;

export function initialProcessorContext(input: RequestProcessorInput): RequestProcessorContext {
  const cooldown = input.retryCooldownMs;
  const length = input.queueLength;
  const holds: Hold[] = [];
  for (const h of input.holds ?? []) if (isHold(h) && !holds.includes(h)) holds.push(h);
  if (input.networkingDisabled === true && !holds.includes('networking-disabled')) holds.push('networking-disabled');
  const queueLength = Number.isInteger(length) && length > 0 ? length : 0;
  return {
    retryCooldownMs: Number.isFinite(cooldown) && cooldown >= 0 ? cooldown : DEFAULT_RETRY_COOLDOWN_MS,
    holds,
    queueLength,
    wake: queueLength > 0,
    flushes: [],
    delivered: 0,
    lastFailure: null,
    backoffUntilMs: null,
    dropAgeHours: validHours(input.dropAgeHours) ? input.dropAgeHours : 0,
    bootQueueLimit: validLimit(input.maxQueueSize) ? input.maxQueueSize : null,
    cooldownMs: Number.isFinite(cooldown) && cooldown >= 0 ? cooldown : DEFAULT_RETRY_COOLDOWN_MS,
    rejections: null,
    deadLetters: 0,
    trackingDisabled: input.trackingDisabled === true,
    deadLetterPolicy: input.deadLetterPolicy ?? DEAD_LETTER_POLICY,
  };
}

/**
 * A failed send (or an answer that was not a delivery). The cool-down is the spec's (l. 327),
 * or a growing one after a refusal that cannot heal. The flushes it ends are the caller's.
 */
export function failureStep(context: RequestProcessorContext, e: SendResult): Step {
  const verdict = verdictOf(e);
  const reason = verdict.kind === 'delivered' ? 'not delivered' : verdict.reason;
  const rejections = rejectionsAfter(context, e, verdict);
  const next = verdict.kind === 'rejected' ? afterRejection(verdict.cause, rejections!.attempts, context.retryCooldownMs, context.deadLetterPolicy) : null;
  const cooldownMs = next?.action === 'retry' ? next.delayMs : context.retryCooldownMs;
  return {
    context: { lastFailure: reason, wake: true, flushes: context.flushes.filter((f) => !f.armed), rejections, cooldownMs },
    commands: [
      {
        type: 'log',
        level: verdict.kind === 'rejected' ? 'warning' : 'debug',
        module: MODULE,
        message:
          verdict.kind === 'rejected'
            ? `send, request [${e.seq}] refused (${reason}), attempt ${rejections!.attempts} of ${context.deadLetterPolicy.attempts[verdict.cause]}, retrying in ${cooldownMs} ms`
            : `send, request [${e.seq}] not delivered, retrying later: ${reason}`,
      },
    ],
  };
}

/** The last refusal the policy allows: why, and the log line. The move itself is the caller's command. */
export function deadLetterStep(context: RequestProcessorContext, e: SendResult): Step & { reason: string } {
  const verdict = verdictOf(e);
  const reason = verdict.kind === 'rejected' ? verdict.reason : 'refused';
  const attempts = rejectionsAfter(context, e, verdict)?.attempts ?? 1;
  return {
    reason,
    context: { deadLetters: context.deadLetters + 1, lastFailure: reason, wake: true, rejections: null, cooldownMs: context.retryCooldownMs },
    commands: [
      {
        type: 'log',
        level: 'error',
        module: MODULE,
        message: `send, request [${e.seq}] refused ${attempts} time(s) (${reason}); moved to the dead-letter store so the queue moves on`,
      },
    ],
  };
}

/**
 * The server's settings the processor owns (spec: SDK Behavior Settings): `tracking`,
 * `networking` holds or releases sending, `rqs` sets the queue limit, `dort` the drop age
 * (0 too: developer settings < behavior settings).
 */
export function settingsStep(context: RequestProcessorContext, settings: BehaviorSettings): Step {
  // Typed and valid already (the decoder dropped bad values): absent means "not set".
  const { networking, rqs, dort, tracking } = settings;
  const patch: Partial<RequestProcessorContext> = {};
  const commands: Step['commands'] = [];
  if (tracking !== undefined && tracking === context.trackingDisabled) {
    patch.trackingDisabled = !tracking;
    commands.push({
      type: 'log',
      level: 'info',
      module: MODULE,
      message: tracking ? 'settings, tracking enabled again by the server' : 'settings, tracking disabled by the server: no new request is queued (queued ones are still sent)',
    });
  }
  if (networking === false && !context.holds.includes('networking-disabled')) patch.holds = [...context.holds, 'networking-disabled'];
  if (networking === true && context.holds.includes('networking-disabled')) patch.holds = context.holds.filter((h) => h !== 'networking-disabled');
  if (rqs !== undefined) commands.push({ type: 'requests.setMaxSize', max: rqs, reason: 'settings' });
  if (dort !== undefined && dort !== context.dropAgeHours) patch.dropAgeHours = dort;
  return { context: patch, commands };
}
