/**
 * Whether a send delivered the request (spec: Request Queue): a 2xx status and a body of the
 * shape the request's endpoint and method answer with (`answerShape`). For `/i` that is a JSON
 * object with the field `result` (whatever its value — the server also answers 200 with a
 * `result` when it drops a request for a bad checksum, and the request must still leave the
 * queue); a queued `/o/sdk` download answers with the data itself.
 */
import type { TransportResult } from '../adapters/types.js';

export type Classification = { ok: true } | { ok: false; reason: string };

/** Where a request went: its endpoint (`/i` when none) and its `method` param, if any. */
export interface RequestRoute {
  readonly endpoint: string;
  readonly method?: string | undefined;
}

/**
 * What a valid answer looks like (server-rules.md; SDK guide "Remote Config", "A/B Testing",
 * "User Feedback", "Content Zone", "SDK Behavior Settings"):
 * - `result`: a JSON object holding `result` — `/i`, `/i/bulk`, and the `/o/sdk` calls that
 *   acknowledge (`ab` enrolment, `feedback`'s widget list in `result`), and any endpoint not known;
 * - `object`: any JSON object — the data answers: `rc` values, `ab_fetch_variants`, `sc` settings
 *   `{v,t,c}`, content `{html, geo}` or its "no content" object, widget data;
 * - `json`: any JSON object or array — `ab_fetch_experiments` answers with an array.
 */
export type AnswerShape = 'result' | 'object' | 'json';

const SDK_METHOD_SHAPES: Readonly<Record<string, AnswerShape>> = /* @__PURE__ */ Object.freeze({
  rc: 'object',
  ab_fetch_variants: 'object',
  ab_fetch_experiments: 'json',
  sc: 'object',
  feedback: 'result',
  ab: 'result',
});

export function answerShape(route: RequestRoute | undefined): AnswerShape {
  if (route === undefined) return 'result';
  const { endpoint, method } = route;
  if (endpoint === '/o/sdk') return (method !== undefined && Object.hasOwn(SDK_METHOD_SHAPES, method) ? SDK_METHOD_SHAPES[method] : undefined) ?? 'json';
  if (endpoint === '/o/sdk/content' || endpoint.startsWith('/o/surveys/')) return 'object';
  return 'result';
}

export function classifyResult(result: TransportResult, route?: RequestRoute): Classification {
  switch (result.kind) {
    case 'timeout':
      return { ok: false, reason: `timed out after ${result.elapsedMs} ms` };
    case 'network-error':
      return { ok: false, reason: `network error [${result.message}]` };
    case 'response':
      return classifyResponse(result.status, result.body, answerShape(route));
  }
}

function classifyResponse(status: number, body: string, shape: AnswerShape): Classification {
  if (!(status >= 200 && status < 300)) return { ok: false, reason: `HTTP status ${status}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: `status ${status}, response is not JSON` };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, reason: `status ${status}, response is not a JSON ${shape === 'json' ? 'object or array' : 'object'}` };
  if (Array.isArray(parsed)) return shape === 'json' ? { ok: true } : { ok: false, reason: `status ${status}, response is not a JSON object` };
  if (shape === 'result' && !Object.hasOwn(parsed, 'result')) return { ok: false, reason: `status ${status}, response has no "result"` };
  return { ok: true };
}

/**
 * What the request processor does with an answer. Beyond the spec's success rule (which only
 * says "retry until it is completed", SDK guide l. 327), some answers can never heal: retrying
 * them forever blocks everything queued behind (one request answered 400 was retried 21 times
 * in 20 s while the queue filled up to its limit).
 *
 * - `delivered`: the spec's success rule holds and the server kept the data.
 * - `retry`: may heal (5xx, 408, 429, a non-JSON answer, a timeout, a network error): the
 *   spec's rule applies — cool down, then the same request again.
 * - `rejected`: cannot heal. `client-error` is a 4xx other than 408 (timeout) and 429 (too
 *   many requests); `checksum` is the server's 200 `{"result":"Request does not match
 *   checksum"}` / `"Request does not have checksum"` (server-rules.md, `/i` step 5): by the
 *   spec's rule it leaves the queue, but the server dropped the data.
 */
export type Verdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; reason: string }
  | { kind: 'rejected'; cause: RejectionCause; reason: string };

export type RejectionCause = 'client-error' | 'checksum';

/** 408 Request Timeout and 429 Too Many Requests are 4xx answers that heal by waiting. */
const TRANSIENT_CLIENT_ERRORS: ReadonlySet<number> = /* @__PURE__ */ new Set([408, 429]);

/** The server's answers for a request it dropped over its checksum (server-rules.md, `/i` step 5). */
const CHECKSUM_RESULTS: ReadonlySet<string> = /* @__PURE__ */ new Set(['Request does not match checksum', 'Request does not have checksum']);

export function judge(result: TransportResult, route?: RequestRoute): Verdict {
  const classified = classifyResult(result, route);
  if (result.kind !== 'response') return classified.ok ? { kind: 'delivered' } : { kind: 'retry', reason: classified.reason };
  const { status, body } = result;
  if (status >= 400 && status < 500 && !TRANSIENT_CLIENT_ERRORS.has(status)) {
    return { kind: 'rejected', cause: 'client-error', reason: `HTTP status ${status}${resultText(body)}` };
  }
  if (!classified.ok) return { kind: 'retry', reason: classified.reason };
  const text = resultOf(body);
  if (text !== undefined && CHECKSUM_RESULTS.has(text)) return { kind: 'rejected', cause: 'checksum', reason: `status ${status}, ${text}` };
  return { kind: 'delivered' };
}

/** The `result` string of a JSON object body, if any. */
function resultOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const r = (parsed as { result?: unknown }).result;
      return typeof r === 'string' ? r : undefined;
    }
  } catch {
    // not JSON: no result
  }
  return undefined;
}

const resultText = (body: string): string => {
  const r = resultOf(body);
  return r === undefined ? '' : `, ${JSON.stringify(r.slice(0, 200))}`;
};
