/**
 * How a request is built, stored and sent (spec: SDK Storage and Requests).
 *
 * A request is created once, as a query string with the base params and the feature
 * params (`buildStoredRequest`); that string is what the queue persists. At send time
 * `buildHttpRequest` strips the endpoint tag, appends `rr` and the checksum, and picks GET
 * or POST. The stored string is never re-encoded, so `timestamp` stays the one fixed at
 * creation (the server's duplicate check depends on it).
 */
import type { TransportRequest } from '../adapters/types.js';
import type { DeviceIdType, Instant } from '../domain/types.js';
import { sha256Hex } from './checksum.js';
import { decodeComponent, decodeParamList, encodeComponent, encodeParams, encodeStoredParams, rawSegments, setOwn, splitSegment } from './encode.js';

/** spec: Custom Endpoint Override — internal tag carrying another endpoint than `/i`. */
export const ENDPOINT_TAG = 'new_end_point';

/** spec: Making Requests — every request goes to `/i` unless overridden. */
export const DEFAULT_ENDPOINT = '/i';

/** spec: Using GET or POST — data of this many characters or more goes by POST. */
export const GET_MAX_LENGTH = 2000;

export const CHECKSUM_PARAM = 'checksum256';
export const REMAINING_PARAM = 'rr';

/**
 * The device-ID types the wire knows. `URL_PROVIDED` is an ID the platform found in the URL
 * (browser `cly_id`); the device-ID machine is to report it as its own type (until then such
 * an ID is typed `DEVELOPER_SUPPLIED` and goes out as `t=0`).
 */
export type WireDeviceIdType = DeviceIdType | 'URL_PROVIDED';

/**
 * `t` — 0 developer supplied, 1 SDK generated, 2 temporary ID, 3 provided by URL (the values
 * the server and the official web SDK use: server-rules.md, "What the params do").
 */
export const DEVICE_ID_TYPE_WIRE: Readonly<Record<WireDeviceIdType, string>> = /* @__PURE__ */ Object.freeze({
  DEVELOPER_SUPPLIED: '0',
  SDK_GENERATED: '1',
  TEMPORARY_ID: '2',
  URL_PROVIDED: '3',
});

/** The base params, in wire order (spec: Making Requests). */
export const BASE_PARAMS = [
  'app_key',
  'device_id',
  'timestamp',
  'hour',
  'dow',
  'tz',
  'sdk_version',
  'sdk_name',
  'av',
  't',
] as const;

/** Params a feature may not set: the base params and what the send step owns. */
const RESERVED: ReadonlySet<string> = /* @__PURE__ */ new Set<string>([
  ...BASE_PARAMS,
  REMAINING_PARAM,
  CHECKSUM_PARAM,
  'checksum',
  ENDPOINT_TAG,
]);

export interface StoredRequestInput {
  appKey: string;
  deviceId: string;
  deviceIdType?: WireDeviceIdType | undefined;
  instant: Instant;
  sdkName: string;
  sdkVersion: string;
  appVersion: string;
  /** Feature params (`begin_session`, `events`, ...), values already strings. */
  params: Readonly<Record<string, string>>;
  /** Another endpoint than `/i`, e.g. `/o/sdk`. */
  endpoint?: string | undefined;
}

/**
 * The stored query string: base params, then the feature params in their order, then the
 * endpoint tag when the endpoint is not `/i`. A feature param that names a base param (or
 * `rr`, `checksum256`, `checksum`, the endpoint tag) is skipped: the base request wins.
 */
export function buildStoredRequest(input: StoredRequestInput): string {
  const list: Array<readonly [string, string]> = [
    ['app_key', input.appKey],
    ['device_id', input.deviceId],
    ['timestamp', String(input.instant.timestamp)],
    ['hour', String(input.instant.hour)],
    ['dow', String(input.instant.dow)],
    ['tz', String(input.instant.tz)],
    ['sdk_version', input.sdkVersion],
    ['sdk_name', input.sdkName],
    ['av', input.appVersion],
  ];
  if (input.deviceIdType !== undefined && Object.hasOwn(DEVICE_ID_TYPE_WIRE, input.deviceIdType)) list.push(['t', DEVICE_ID_TYPE_WIRE[input.deviceIdType]]);
  for (const [k, v] of Object.entries(input.params)) {
    if (!RESERVED.has(k)) list.push([k, v]);
  }
  if (input.endpoint !== undefined && input.endpoint !== '' && input.endpoint !== DEFAULT_ENDPOINT) {
    list.push([ENDPOINT_TAG, input.endpoint]);
  }
  return encodeStoredParams(list);
}

export interface ParsedStoredRequest {
  /** Every param but the endpoint tag, decoded; a later duplicate wins. */
  params: Record<string, string>;
  /** The endpoint the request goes to (`/i` when no tag). */
  endpoint: string;
  /** `timestamp` as written (ms for our requests); null when absent or not an integer. */
  timestamp: number | null;
  deviceId: string | null;
  appKey: string | null;
}

/**
 * Where a stored request goes and its `method`, for the success rule (`answerShape` in
 * domain/response.ts). Requests to `/i` (all but a few) are not decoded: the tag is the one
 * place `new_end_point=` can appear, since stored values escape `&` and `=`.
 */
export function storedRoute(stored: string): { endpoint: string; method?: string } {
  if (!stored.includes(`${ENDPOINT_TAG}=`)) return { endpoint: DEFAULT_ENDPOINT };
  const parsed = parseStoredRequest(stored);
  return parsed.params.method === undefined ? { endpoint: parsed.endpoint } : { endpoint: parsed.endpoint, method: parsed.params.method };
}

/** Reads a stored request back. Never throws. */
export function parseStoredRequest(stored: string): ParsedStoredRequest {
  const params: Record<string, string> = {};
  let endpoint = DEFAULT_ENDPOINT;
  for (const [k, v] of decodeParamList(stored)) {
    if (k === ENDPOINT_TAG) {
      if (v !== '') endpoint = v;
    } else setOwn(params, k, v);
  }
  const own = (key: string): string | null => (Object.hasOwn(params, key) ? (params[key] as string) : null);
  const ts = own('timestamp');
  return {
    params,
    endpoint,
    timestamp: ts !== null && /^\d{1,16}$/.test(ts) ? Number(ts) : null,
    deviceId: own('device_id'),
    appKey: own('app_key'),
  };
}

/**
 * Replaces the values of params the request already has (`device_id`, `app_key`, ...),
 * keeping every segment's position and every other segment byte for byte. Keys the
 * request does not have are not added.
 */
export function rewriteStoredRequest(stored: string, changes: Readonly<Record<string, string>>): string {
  return rawSegments(stored)
    .map((segment) => {
      const [rawKey] = splitSegment(segment);
      const key = decodeComponent(rawKey);
      return Object.hasOwn(changes, key) ? encodeStoredParams([[key, changes[key] as string]]) : segment;
    })
    .join('&');
}

/**
 * The age of a stored request in hours (spec: Request Drop by Age), or null when it has no
 * readable timestamp. A 10-digit timestamp is read as seconds, as the server does.
 */
export function requestAgeHours(stored: string, nowMs: number): number | null {
  const { timestamp } = parseStoredRequest(stored);
  if (timestamp === null) return null;
  const ms = timestamp < 1e11 ? timestamp * 1000 : timestamp;
  return (nowMs - ms) / 3_600_000;
}

export interface HttpRequestInput {
  /** Server URL without the endpoint (trailing slashes are ignored). */
  baseUrl: string;
  stored: string;
  /** spec: `rr` — the remaining request count in the queue minus 1; the caller computes it. */
  remaining: number;
  salt?: string | undefined;
  httpPostForced: boolean;
  customHeaders: Readonly<Record<string, string>>;
  timeoutMs: number;
}

const CONTENT_TYPE = 'Content-Type';
const FORM_URLENCODED = 'application/x-www-form-urlencoded';

/**
 * Turns a stored request into the HTTP request to send.
 * - The endpoint tag is stripped and routes the request (spec: Custom Endpoint Override).
 * - `rr` is appended (spec: Making Requests), then, with a salt, `checksum256` = lowercase
 *   hex SHA-256 of the exact payload string + salt (spec: Parameter Tampering). The server
 *   removes `&checksum256=<v>` from the raw query/body and hashes the rest + salt, so the
 *   checksum is always last and computed over exactly what is sent. A stale `rr` or
 *   checksum in the stored string is dropped so neither appears twice.
 * - POST when forced, when the request carries `crash`, or when the payload is 2000
 *   characters or more (spec: Using GET or POST; GET vs POST Request Threshold); POST sends
 *   the payload as an urlencoded body, GET as the query.
 * - Custom headers go on every request, but never replace Content-Type.
 * Rejects only when Web Crypto is missing and a salt is set.
 */
export async function buildHttpRequest(input: HttpRequestInput): Promise<TransportRequest> {
  const payload = payloadOf(input);
  const signed = input.salt !== undefined && input.salt !== '' ? `${payload.text}&${CHECKSUM_PARAM}=${await sha256Hex(payload.text + input.salt)}` : payload.text;
  return assemble(input, payload, signed);
}

/**
 * `buildHttpRequest` without waiting: for the moment a page goes away, when no task will run
 * again. `null` when the request needs a checksum (Web Crypto only hashes asynchronously).
 */
export function buildHttpRequestNow(input: HttpRequestInput): TransportRequest | null {
  if (input.salt !== undefined && input.salt !== '') return null;
  const payload = payloadOf(input);
  return assemble(input, payload, payload.text);
}

interface Payload {
  readonly text: string;
  readonly endpoint: string;
  readonly crash: boolean;
}

/** The stored request's params for the wire, `rr` appended, and where it goes. */
function payloadOf(input: HttpRequestInput): Payload {
  let endpoint = DEFAULT_ENDPOINT;
  let crash = false;
  const kept: string[] = [];
  for (const segment of rawSegments(input.stored)) {
    const [rawKey, rawValue] = splitSegment(segment);
    const key = decodeComponent(rawKey);
    if (key === ENDPOINT_TAG) {
      const value = decodeComponent(rawValue);
      if (value !== '') endpoint = value.startsWith('/') ? value : `/${value}`;
      continue;
    }
    if (key === REMAINING_PARAM || key === CHECKSUM_PARAM) continue;
    if (key === 'crash') crash = true;
    // Stored requests escape only what would split them; the wire gets every component encoded.
    kept.push(`${encodeComponent(key)}=${encodeComponent(decodeComponent(rawValue))}`);
  }
  const remaining = Number.isFinite(input.remaining) ? Math.max(0, Math.floor(input.remaining)) : 0;
  kept.push(encodeParams([[REMAINING_PARAM, String(remaining)]]));
  return { text: kept.join('&'), endpoint, crash };
}

function assemble(input: HttpRequestInput, payload: Payload, text: string): TransportRequest {
  const post = input.httpPostForced || payload.crash || text.length >= GET_MAX_LENGTH;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.customHeaders)) {
    // A custom Content-Type would break the urlencoded body (and mean nothing on a GET).
    if (name.toLowerCase() !== CONTENT_TYPE.toLowerCase()) setOwn(headers, name, value);
  }
  const url = input.baseUrl.replace(/\/+$/, '') + payload.endpoint;
  if (post) {
    headers[CONTENT_TYPE] = FORM_URLENCODED;
    return { method: 'POST', url, headers, body: text, timeoutMs: input.timeoutMs };
  }
  return { method: 'GET', url: `${url}?${text}`, headers, timeoutMs: input.timeoutMs };
}
