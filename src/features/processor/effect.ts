import { catchError, concat, defer, EMPTY, filter, from, mergeMap, of, type Observable } from 'rxjs';
import { buildHttpRequest, buildHttpRequestNow, requestAgeHours, storedRoute } from '../../protocol/request.js';
import type { TransportRequest } from '../../adapters/types.js';
import type { Command, TransportCommand } from '../../effects/commands.js';
import { httpInputOf, type Effect, type EffectDeps, type SdkEvent } from '../../effects/deps.js';
import { blocks } from '../../domain/holds.js';

const isTransportCommand = (c: Command): c is TransportCommand =>
  c.type === 'transport.sendHead' || c.type === 'requests.remove' || c.type === 'requests.deadLetter' || c.type === 'requests.handOff';

/** The head being sent and the request built for it (one send at a time). */
interface InFlight {
  seq: number;
  request: TransportRequest;
}

/** Drops heads older than the drop age (spec: Request Drop by Age). */
function dropStaleHeads(deps: EffectDeps, hours: number): number {
  if (hours <= 0) return 0;
  let dropped = 0;
  for (let head = deps.queue.peek(); head; head = deps.queue.peek()) {
    const age = requestAgeHours(head.data, deps.clock.now());
    if (age === null || age <= hours) break;
    deps.writer.push(deps.queue.remove(head.seq));
    dropped++;
  }
  if (dropped > 0) deps.log.warning('RequestQueue', `send, dropped ${dropped} request(s) older than ${hours} hours`);
  return dropped;
}

function sendHead(deps: EffectDeps, dropAgeHours: number, track: (sent: InFlight | null) => void): Observable<SdkEvent> {
  const dropped = dropStaleHeads(deps, dropAgeHours);
  const head = deps.queue.peek();
  const queueLength = deps.queue.length;
  const changed: SdkEvent[] = dropped > 0 ? [{ type: 'queue.changed', requests: queueLength, events: deps.eventStore.size }] : [];
  if (!head) return from([...changed, { type: 'transport.idle' as const, queueLength }]);
  if (!deps.queue.isDurable(head.seq)) return concat(from(changed), afterDurable(deps, dropAgeHours, head.seq, head.createdAt, track));
  const started = deps.clock.now();
  const attempt = async (): Promise<SdkEvent> => {
    const request = await buildHttpRequest(httpInputOf(deps, head.data, queueLength - 1));
    if (blocks(deps.holds(), 'flush')) {
      deps.log.debug('Network', `send, request [${head.seq}] withheld: sending went on hold before it left`);
      const now = deps.clock.now();
      return { type: 'transport.failed', withheld: true, reason: 'withheld', seq: head.seq, elapsedMs: 0, createdAt: head.createdAt, completedAt: now, queueLength };
    }
    deps.log.debug('Network', `send, ${request.method} ${request.url} (${queueLength} queued)`);
    track({ seq: head.seq, request });
    const result = await deps.transport.send(request).finally(() => track(null));
    const completedAt = deps.clock.now();
    const base = { seq: head.seq, elapsedMs: result.elapsedMs, createdAt: head.createdAt, completedAt, queueLength };
    if (result.kind === 'response') {
      deps.log.debug('Network', `send, answered ${result.status} in ${result.elapsedMs} ms: ${result.body.slice(0, 200)}`);
      const route = storedRoute(head.data);
      return { type: 'transport.succeeded', status: result.status, body: result.body, ...(route.endpoint === '/i' ? {} : { route }), ...base };
    }
    const reason = result.kind === 'timeout' ? 'timeout' : `network error: ${result.message}`;
    deps.log.debug('Network', `send, failed: ${reason}`);
    return { type: 'transport.failed', reason, ...base };
  };
  const failed = (error: unknown): Observable<SdkEvent> =>
    of({
      type: 'transport.failed',
      seq: head.seq,
      reason: `send failed: ${String(error)}`,
      elapsedMs: deps.clock.now() - started,
      createdAt: head.createdAt,
      completedAt: deps.clock.now(),
      queueLength,
    });
  return concat(from(changed), defer(() => from(attempt())).pipe(catchError(failed)));
}

/**
 * Only a request whose creating write is durable may be sent: one sent from memory before its
 * group lands is sent again after a crash — the events it carries are still stored as events
 * and go out in a new request. The head waits for the writer (at most the group in flight and
 * the next one); the processor stays in `sending`, so a running flush covers it. A write the
 * storage refuses fails the send (cool-down; the retry asks the writer to try again).
 */
function afterDurable(deps: EffectDeps, dropAgeHours: number, seq: number, createdAt: number, track: (sent: InFlight | null) => void): Observable<SdkEvent> {
  const through = deps.queue.lastSeq;
  const started = deps.clock.now();
  return defer(() => from(deps.writer.whenDurable())).pipe(
    mergeMap((durable): Observable<SdkEvent> => {
      if (durable) {
        deps.queue.markDurableThrough(through);
        return sendHead(deps, dropAgeHours, track);
      }
      const reason = 'not sent: the storage refused the write that holds it';
      deps.log.debug('Network', `send, request [${seq}] ${reason}`);
      const now = deps.clock.now();
      return of({ type: 'transport.failed', seq, reason, elapsedMs: now - started, createdAt, completedAt: now, queueLength: deps.queue.length });
    }),
  );
}

/** Moves a refused request aside: out of the queue, into the capped dead-letter store, in one group. */
function deadLetter(deps: EffectDeps, seq: number, reason: string): SdkEvent {
  // It is the head (one send at a time); the scan covers a queue changed under the send.
  const head = deps.queue.peek();
  const request = head?.seq === seq ? head : deps.queue.toArray().find((r) => r.seq === seq);
  if (request) deps.writer.push([...deps.queue.remove(seq), ...deps.deadLetters.add({ request: request.data, reason, at: deps.clock.now() })]);
  return { type: 'queue.changed', requests: deps.queue.length, events: deps.eventStore.size };
}

/** At most this many requests are offered at page exit: the browser's budgets end far sooner. */
const EXIT_OFFER_MAX = 100;

/**
 * The page is going away: the queue, head first, goes to `Transport.sendOnExit` now, built
 * without waiting (no task runs after this). What the transport accepted leaves the queue, in
 * memory and in storage, so the next visit never sends it again; the rest stays queued. The
 * request in flight is offered as the very object `send` got, so the transport can tell it
 * already outlives the page. With a salt nothing is offered: the checksum needs Web Crypto,
 * which only answers in a later task.
 */
function handOff(deps: EffectDeps, inFlight: InFlight | null): Observable<SdkEvent> {
  const sendOnExit = deps.transport.sendOnExit;
  if (typeof sendOnExit !== 'function' || deps.queue.length === 0) return EMPTY;
  const entries = deps.queue.toArray().slice(0, EXIT_OFFER_MAX);
  const requests: TransportRequest[] = [];
  for (const [i, entry] of entries.entries()) {
    if (inFlight?.seq === entry.seq) {
      requests.push(inFlight.request);
      continue;
    }
    const request = buildHttpRequestNow(httpInputOf(deps, entry.data, deps.queue.length - 1 - i));
    if (!request) break;
    requests.push(request);
  }
  if (requests.length === 0) {
    deps.log.debug('Network', 'exit, the queue stays for the next visit: requests with a checksum cannot be built without waiting');
    return EMPTY;
  }
  let accepted = 0;
  try {
    const n = sendOnExit.call(deps.transport, requests);
    accepted = Number.isInteger(n) ? Math.min(Math.max(n, 0), requests.length) : 0;
  } catch (error) {
    deps.log.error('Network', `exit, the transport's sendOnExit failed (the queue stays for the next visit): ${String(error)}`);
    return EMPTY;
  }
  if (accepted === 0) {
    deps.log.debug('Network', 'exit, the transport accepted nothing; the queue stays for the next visit');
    return EMPTY;
  }
  for (const entry of entries.slice(0, accepted)) deps.writer.push(deps.queue.remove(entry.seq));
  deps.log.info('Network', `exit, handed ${accepted} request(s) to the browser to deliver after the page is gone; ${deps.queue.length} stay queued`);
  return of({ type: 'queue.changed', requests: deps.queue.length, events: deps.eventStore.size });
}

/** The request processor's I/O: send the head of the queue, remove delivered requests, move refused ones aside. */
export const transportEffect: Effect = (cmd$, deps) => {
  let inFlight: InFlight | null = null;
  const track = (sent: InFlight | null): void => {
    inFlight = sent;
  };
  return cmd$.pipe(
    filter(isTransportCommand),
    mergeMap((c): Observable<SdkEvent> => {
      if (c.type === 'requests.remove') {
        deps.writer.push(deps.queue.remove(c.seq));
        return of({ type: 'queue.changed', requests: deps.queue.length, events: deps.eventStore.size });
      }
      if (c.type === 'requests.deadLetter') return of(deadLetter(deps, c.seq, c.reason));
      if (c.type === 'requests.handOff') return handOff(deps, inFlight);
      return sendHead(deps, c.dropAgeHours, track);
    }),
  );
};
