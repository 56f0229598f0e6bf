/**
 * Whether a send delivered the request (spec: Request Queue): a 2xx status, a body that is
 * a JSON object, and that object has the field `result` (whatever its value — the server
 * also answers 200 with a `result` when it drops a request for a bad checksum, and the
 * request must still leave the queue).
 */
import type { TransportResult } from '../adapters/types.js';

export type Classification = { ok: true } | { ok: false; reason: string };

export function classifyResult(result: TransportResult): Classification {
  switch (result.kind) {
    case 'timeout':
      return { ok: false, reason: `timed out after ${result.elapsedMs} ms` };
    case 'network-error':
      return { ok: false, reason: `network error [${result.message}]` };
    case 'response':
      return classifyResponse(result.status, result.body);
  }
}

function classifyResponse(status: number, body: string): Classification {
  if (!(status >= 200 && status < 300)) return { ok: false, reason: `HTTP status ${status}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: `status ${status}, response is not JSON` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: `status ${status}, response is not a JSON object` };
  }
  if (!Object.hasOwn(parsed, 'result')) return { ok: false, reason: `status ${status}, response has no "result"` };
  return { ok: true };
}
