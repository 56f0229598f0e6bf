/**
 * The AppMetrica uploader: decides what is persisted, what is sent, what is dropped and when
 * to try again. Pure (XState v5, no I/O): it emits storage ops and uploads; the exporter
 * (`exporter.ts`) performs them and answers with events that carry the moment (`at`).
 *
 * States:
 *   loading      the exporter's queue is being read; accepted rows wait in `early`
 *   idle         nothing pending
 *   sending      the head batch (≤ batchSize rows) is on the wire
 *   coolingDown  the last upload failed; `cooldown` (a named delay on the host clock) runs
 *   stopped      shut down (final)
 *
 * Rules (spec: /work/shared/spec/004_339a322340c1863a.txt):
 * - every accepted row is appended to the store at once; rows leave the store only after a
 *   2xx (l. 104: 200 = uploaded) — or when dropped below;
 * - rows older than seven days (l. 55) are dropped with a warning whenever the moment is known
 *   (arrival, load, every answer), with `ageMarginMs` to spare: a cool-down never outlasts the
 *   margin, so no row reaches the API past its limit;
 * - 400/403 (l. 105–106) and other 4xx are configuration errors: logged as errors, tried
 *   `maxRefusals` times with cool-downs, then the batch is dropped (never retried forever);
 * - 5xx, 408, 429, timeouts and network errors are retried after an exponential cool-down.
 */
import { assertEvent, assign, enqueueActions, setup } from 'xstate';
import type { StorageOp } from '../../adapters/types.js';
import type { LogLevel } from '../../domain/types.js';
import { fresh, type AppMetricaRow } from './rows.js';

/** The exporter's queue in its storage namespace. */
export const QUEUE = 'events';

export interface PendingRow {
  readonly seq: number;
  readonly row: AppMetricaRow;
}

export interface UploaderOptions {
  readonly batchSize: number;
  readonly maxRefusals: number;
  readonly cooldownBaseMs: number;
  readonly cooldownMaxMs: number;
  readonly ageMarginMs: number;
  /** At most this many rows wait; beyond it the oldest not on the wire are dropped (warned), like the SDK's request queue. */
  readonly maxQueueSize: number;
}

export const DEFAULT_UPLOADER: UploaderOptions = {
  batchSize: 500,
  maxRefusals: 3,
  cooldownBaseMs: 5_000,
  cooldownMaxMs: 300_000,
  ageMarginMs: 3_600_000,
  maxQueueSize: 10_000,
};

export interface UploaderContext {
  readonly options: UploaderOptions;
  /** Persisted and not yet acknowledged, in seq order; the head `inFlight` are on the wire. */
  readonly rows: readonly PendingRow[];
  /** Accepted while loading: appended once the stored seqs are known. */
  readonly early: readonly AppMetricaRow[];
  readonly nextSeq: number;
  readonly inFlight: number;
  /** Consecutive failed uploads (the cool-down grows with it). */
  readonly failures: number;
  /** Consecutive refusals (400/403/4xx) of the head batch. */
  readonly refusals: number;
}

export type UploaderEvent =
  | { type: 'store.loaded'; rows: readonly PendingRow[]; at: number }
  | { type: 'rows.accepted'; rows: readonly AppMetricaRow[]; at: number }
  | { type: 'upload.flush'; at: number }
  | { type: 'upload.answered'; status: number; body: string; at: number }
  | { type: 'upload.failed'; reason: string; at: number }
  | { type: 'uploader.stop' };

export type UploaderCommand =
  | { type: 'store.write'; ops: StorageOp[] }
  | { type: 'upload.send'; rows: AppMetricaRow[] }
  | { type: 'log'; level: LogLevel; message: string };

/** How an answer is handled (l. 102–106): the policy as data. */
export function classify(status: number): 'ok' | 'retry' | 'refused' {
  if (status >= 200 && status < 300) return 'ok';
  if (status >= 500 || status === 408 || status === 429) return 'retry';
  return 'refused';
}

/** The cool-down after `failures` consecutive failures: base·2^(n−1), at most max. */
export function cooldownMs(o: UploaderOptions, failures: number): number {
  return Math.min(o.cooldownMaxMs, o.cooldownBaseMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

/** Splits rows into those still fresh at `at` and the stale ones. */
function sift(rows: readonly PendingRow[], at: number, o: UploaderOptions, keep: number): { kept: PendingRow[]; stale: PendingRow[] } {
  const kept: PendingRow[] = [];
  const stale: PendingRow[] = [];
  rows.forEach((r, i) => (i < keep || fresh(r.row, at, o.ageMarginMs) ? kept : stale).push(r));
  return { kept, stale };
}

const staleWarning = (n: number, where: string): UploaderCommand => ({
  type: 'log',
  level: 'warning',
  message: `${where}, ${n} event(s) older than seven days dropped: the Post API refuses them`,
});

const hasRows = ({ context }: { context: UploaderContext }): boolean => context.rows.length > 0;

export const uploaderMachine = /* @__PURE__ */ (() =>
  setup({
    types: {
      input: {} as { options?: Partial<UploaderOptions> },
      context: {} as UploaderContext,
      events: {} as UploaderEvent,
      emitted: {} as UploaderCommand,
    },
    delays: {
      cooldown: ({ context }) => cooldownMs(context.options, context.failures),
    },
    guards: {
      hasRows,
      answeredOk: ({ event }) => event.type === 'upload.answered' && classify(event.status) === 'ok',
      refusedForGood: ({ context, event }) =>
        event.type === 'upload.answered' && classify(event.status) === 'refused' && context.refusals + 1 >= context.options.maxRefusals,
      refused: ({ event }) => event.type === 'upload.answered' && classify(event.status) === 'refused',
    },
    actions: {
      keepEarly: assign(({ context, event }) => {
        assertEvent(event, 'rows.accepted');
        return { early: [...context.early, ...event.rows] };
      }),
      /** The stored rows, then the early ones appended after them; stale ones dropped. */
      load: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'store.loaded');
        const o = context.options;
        const { kept, stale } = sift(event.rows, event.at, o, 0);
        let nextSeq = event.rows.reduce((n, r) => Math.max(n, r.seq + 1), context.nextSeq);
        const ops: StorageOp[] = [];
        if (stale.length > 0) ops.push({ op: 'remove', queue: QUEUE, seqs: stale.map((r) => r.seq) });
        let dropped = stale.length;
        for (const row of context.early) {
          if (!fresh(row, event.at, o.ageMarginMs)) {
            dropped++;
            continue;
          }
          const entry = { seq: nextSeq++, row };
          kept.push(entry);
          ops.push({ op: 'append', queue: QUEUE, seq: entry.seq, data: JSON.stringify(row), json: true });
        }
        if (dropped > 0) enqueue.emit(staleWarning(dropped, 'load'));
        if (ops.length > 0) enqueue.emit({ type: 'store.write', ops });
        enqueue.assign({ rows: kept, early: [], nextSeq });
      }),
      accept: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'rows.accepted');
        const ops: StorageOp[] = [];
        const added: PendingRow[] = [];
        let nextSeq = context.nextSeq;
        let dropped = 0;
        for (const row of event.rows) {
          if (!fresh(row, event.at, context.options.ageMarginMs)) {
            dropped++;
            continue;
          }
          const entry = { seq: nextSeq++, row };
          added.push(entry);
          ops.push({ op: 'append', queue: QUEUE, seq: entry.seq, data: JSON.stringify(row), json: true });
        }
        if (dropped > 0) enqueue.emit(staleWarning(dropped, 'export'));
        const rows = [...context.rows, ...added];
        const excess = Math.min(rows.length - context.options.maxQueueSize, rows.length - context.inFlight);
        if (excess > 0) {
          const cut = rows.splice(context.inFlight, excess);
          ops.push({ op: 'remove', queue: QUEUE, seqs: cut.map((r) => r.seq) });
          enqueue.emit({ type: 'log', level: 'warning', message: `export, the queue holds ${context.options.maxQueueSize} events; the ${excess} oldest waiting dropped` });
        }
        if (ops.length > 0) enqueue.emit({ type: 'store.write', ops });
        enqueue.assign({ rows, nextSeq });
      }),
      sendHead: enqueueActions(({ context, enqueue }) => {
        const batch = context.rows.slice(0, context.options.batchSize);
        enqueue.assign({ inFlight: batch.length });
        enqueue.emit({ type: 'upload.send', rows: batch.map((r) => r.row) });
      }),
      /** 2xx: the batch leaves the store; the next one goes with what is fresh. */
      acknowledge: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'upload.answered');
        const sent = context.rows.slice(0, context.inFlight);
        const { kept, stale } = sift(context.rows.slice(context.inFlight), event.at, context.options, 0);
        const seqs = [...sent, ...stale].map((r) => r.seq);
        if (stale.length > 0) enqueue.emit(staleWarning(stale.length, 'upload'));
        if (seqs.length > 0) enqueue.emit({ type: 'store.write', ops: [{ op: 'remove', queue: QUEUE, seqs }] });
        enqueue.emit({ type: 'log', level: 'debug', message: `upload, ${sent.length} event(s) accepted by AppMetrica (${event.status})` });
        enqueue.assign({ rows: kept, inFlight: 0, failures: 0, refusals: 0 });
      }),
      /** A refusal the last try allows: the batch is dropped with an error, the rest goes on. */
      dropRefused: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'upload.answered');
        const sent = context.rows.slice(0, context.inFlight);
        enqueue.emit({
          type: 'log',
          level: 'error',
          message: `upload, AppMetrica refused the upload ${context.refusals + 1} time(s) (status ${event.status}: ${event.body.slice(0, 200)}); ${sent.length} event(s) dropped. Check postApiKey, applicationId and profileId`,
        });
        if (sent.length > 0) enqueue.emit({ type: 'store.write', ops: [{ op: 'remove', queue: QUEUE, seqs: sent.map((r) => r.seq) }] });
        enqueue.assign({ rows: context.rows.slice(context.inFlight), inFlight: 0, refusals: 0, failures: 0 });
      }),
      noteRefusal: enqueueActions(({ context, event, enqueue }) => {
        assertEvent(event, 'upload.answered');
        enqueue.emit({
          type: 'log',
          level: 'error',
          message: `upload, AppMetrica refused the upload (status ${event.status}: ${event.body.slice(0, 200)}): a configuration error — check postApiKey, applicationId and profileId; try ${context.refusals + 1} of ${context.options.maxRefusals}`,
        });
        enqueue.assign({ refusals: context.refusals + 1, failures: context.failures + 1, inFlight: 0 });
      }),
      noteFailure: enqueueActions(({ context, event, enqueue }) => {
        const reason = event.type === 'upload.failed' ? event.reason : event.type === 'upload.answered' ? `status ${event.status}` : 'unknown';
        const failures = context.failures + 1;
        enqueue.emit({ type: 'log', level: 'warning', message: `upload, failed (${reason}); trying again in ${cooldownMs(context.options, failures) / 1000} s` });
        enqueue.assign({ failures, inFlight: 0 });
      }),
      /** Before a cool-down: what would be stale when it ends goes now (keeps nothing on the wire: inFlight is 0). */
      dropStale: enqueueActions(({ context, event, enqueue }) => {
        if (!('at' in event)) return;
        const { kept, stale } = sift(context.rows, event.at, context.options, 0);
        if (stale.length === 0) return;
        enqueue.emit(staleWarning(stale.length, 'upload'));
        enqueue.emit({ type: 'store.write', ops: [{ op: 'remove', queue: QUEUE, seqs: stale.map((r) => r.seq) }] });
        enqueue.assign({ rows: kept });
      }),
    },
  }).createMachine({
    id: 'appmetricaUploader',
    context: ({ input }) => ({
      options: { ...DEFAULT_UPLOADER, ...(input.options ?? {}) },
      rows: [],
      early: [],
      nextSeq: 1,
      inFlight: 0,
      failures: 0,
      refusals: 0,
    }),
    initial: 'loading',
    on: { 'uploader.stop': '.stopped' },
    states: {
      loading: {
        on: {
          'rows.accepted': { actions: 'keepEarly' },
          'store.loaded': { target: 'deciding', actions: 'load' },
        },
      },
      deciding: {
        always: [{ guard: 'hasRows', target: 'sending' }, { target: 'idle' }],
      },
      idle: {
        on: { 'rows.accepted': { target: 'deciding', actions: 'accept' } },
      },
      sending: {
        entry: 'sendHead',
        on: {
          'rows.accepted': { actions: 'accept' },
          'upload.answered': [
            { guard: 'answeredOk', target: 'deciding', actions: 'acknowledge' },
            { guard: 'refusedForGood', target: 'deciding', actions: 'dropRefused' },
            { guard: 'refused', target: 'coolingDown', actions: ['noteRefusal', 'dropStale'] },
            { target: 'coolingDown', actions: ['noteFailure', 'dropStale'] },
          ],
          'upload.failed': { target: 'coolingDown', actions: ['noteFailure', 'dropStale'] },
        },
      },
      coolingDown: {
        after: { cooldown: 'deciding' },
        on: {
          'rows.accepted': { actions: 'accept' },
          // flush(): the developer asks to send what can be sent now.
          'upload.flush': 'deciding',
        },
      },
      stopped: { type: 'final' },
    },
}))();
