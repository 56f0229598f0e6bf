/**
 * Fault injection and reject rules of chartly-server: the queued and sticky faults, the
 * "poison request" rule, and what each fault does to a request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault, ReceivedRequest } from './types.js';

export type RejectMatch = (params: Readonly<Record<string, string>>) => boolean;

export interface Rejection {
  match: RejectMatch;
  status: number;
  body: string;
}

export interface FaultControl {
  /** The next queued fault, else the sticky one. */
  take(): Fault | undefined;
  inject(faults: Fault[]): void;
  setSticky(fault: Fault | null): void;
  rejectWhen(match: RejectMatch | null, answer?: { status?: number; body?: string }): void;
  /** The active reject rule when it matches `params`. */
  rejectionFor(params: Readonly<Record<string, string>>): Rejection | undefined;
  reset(): void;
}

export function createFaultControl(): FaultControl {
  let queuedFaults: Fault[] = [];
  let stickyFault: Fault | null = null;
  let rejection: Rejection | null = null;
  return {
    take: () => queuedFaults.shift() ?? stickyFault ?? undefined,
    inject: (faults) => {
      queuedFaults.push(...faults);
    },
    setSticky: (fault) => {
      stickyFault = fault;
    },
    rejectWhen: (match, answer = {}) => {
      rejection = match === null ? null : { match, status: answer.status ?? 400, body: answer.body ?? '{"result":"Rejected"}' };
    },
    rejectionFor: (params) => (rejection !== null && rejection.match(params) ? rejection : undefined),
    reset: () => {
      queuedFaults = [];
      stickyFault = null;
      rejection = null;
    },
  };
}

/** What a fault needs from the handler. */
export interface FaultIo {
  answer(res: ServerResponse, record: ReceivedRequest, status: number, text: string): void;
  finish(record: ReceivedRequest): void;
  /** Resolves after `ms`, or at once when the server closes (then answers `false`). */
  sleep(ms: number): Promise<boolean>;
}

/** Applies `fault`; `true` = go on handling the request, `false` = it has been dealt with. */
export async function applyFault(
  fault: Fault,
  req: IncomingMessage,
  res: ServerResponse,
  record: ReceivedRequest,
  io: FaultIo,
): Promise<boolean> {
  switch (fault.kind) {
    case 'latency':
      return io.sleep(fault.ms);
    case 'status':
      record.error = `fault: status ${fault.status}`;
      io.answer(res, record, fault.status, fault.body ?? '{"result":"Error"}');
      return false;
    case 'malformed':
      record.error = 'fault: malformed';
      io.answer(res, record, fault.status ?? 200, fault.body ?? 'not json');
      return false;
    case 'no-result':
      record.error = 'fault: no-result';
      io.answer(res, record, 200, '{"ok":true}');
      return false;
    case 'drop':
      record.error = 'fault: drop';
      req.socket.destroy();
      io.finish(record);
      return false;
    case 'hang':
      record.error = 'fault: hang';
      io.finish(record);
      return false;
  }
}
