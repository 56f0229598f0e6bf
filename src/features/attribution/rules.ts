/**
 * The attribution rules as pure functions (spec 001: Attribution, l. 4421-4503): the direct
 * attribution's two special cases and the indirect attribution's cleaning. Nothing here
 * logs or throws: each result carries its messages, and the namespace logs them.
 */

/** Longer campaign data or attribution values are not attribution data: refused. */
export const MAX_ATTRIBUTION_LENGTH = 4096;
/** Indirect attribution reads at most this many pairs (the spec's examples hold one or two). */
export const MAX_INDIRECT_PAIRS = 100;

/** The constants the spec asks for (l. 4471): the keys of the usual advertising IDs. */
export const AttributionIndirectKey = /* @__PURE__ */ Object.freeze({ IDFA: 'idfa', AdvertisingID: 'adid' } as const);

export interface Message {
  level: 'error' | 'warning';
  text: string;
}

export type DirectResult = { params: Record<string, string>; messages: Message[] } | { params: null; messages: Message[] };

const usable = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '' && v.length <= MAX_ATTRIBUTION_LENGTH;
const err = (text: string): Message => ({ level: 'error', text });

/**
 * `{"cid":…,"cuid":…}` as JSON, or the spec's own notation with bare keys
 * (`{cid:"…", cuid:"…"}`, l. 4437); null when it is neither.
 */
export function parseCampaignData(data: string): Record<string, unknown> | null {
  const attempt = (text: string): Record<string, unknown> | null => {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  return attempt(data) ?? attempt(data.replace(/([{,]\s*)([A-Za-z_$][\w$]*)\s*:/g, '$1"$2":'));
}

/**
 * `recordDirect(type, data)` (l. 4433-4463): type `countly` → `campaign_id` (mandatory, a
 * non-empty string) and `campaign_user` (optional: left out when missing or invalid);
 * type `_special_test` → `attribution_data` with the data as given (the request encoding
 * HTTP-encodes it). Invalid or empty data, another type, or a missing campaign ID → an error
 * and no request.
 */
export function directAttribution(type: unknown, data: unknown): DirectResult {
  if (typeof type !== 'string' || type === '') return { params: null, messages: [err(`type must be a non-empty string, got ${typeName(type)}; call ignored`)] };
  if (!usable(data)) {
    const why = typeof data === 'string' && data.length > MAX_ATTRIBUTION_LENGTH ? `longer than ${MAX_ATTRIBUTION_LENGTH} characters` : `not a non-empty string (${typeName(data)})`;
    return { params: null, messages: [err(`data is ${why}; call ignored`)] };
  }
  if (type === '_special_test') return { params: { attribution_data: data }, messages: [] };
  if (type !== 'countly') return { params: null, messages: [err(`unknown attribution type (known: "countly", "_special_test"); call ignored`)] };
  const parsed = parseCampaignData(data);
  if (parsed === null) return { params: null, messages: [err('data must be a JSON object like {"cid":"…","cuid":"…"}; call ignored')] };
  const cid = Object.hasOwn(parsed, 'cid') ? parsed.cid : undefined;
  if (!usable(cid)) return { params: null, messages: [err(`the campaign ID "cid" is missing or not a non-empty string (${typeName(cid)}); call ignored`)] };
  const params: Record<string, string> = { campaign_id: cid };
  const messages: Message[] = [];
  const cuid = Object.hasOwn(parsed, 'cuid') ? parsed.cuid : undefined;
  if (usable(cuid)) params.campaign_user = cuid;
  else if (cuid !== undefined) messages.push({ level: 'warning', text: `the campaign user ID "cuid" is not a non-empty string (${typeName(cuid)}); only the campaign ID is sent` });
  return { params, messages };
}

export interface IndirectResult {
  /** The `aid` param (a JSON object of the valid pairs), or null when none is left. */
  aid: string | null;
  messages: Message[];
}

/**
 * `recordIndirect(values)` (l. 4465-4503): every pair whose key or value is not a non-empty
 * string is removed with an error (the keys are not checked against `idfa`/`adid`, l. 4483);
 * `__proto__` is removed too (it cannot be a key of a plain object). No valid pair left → an
 * error and no request. `entries` are the pairs as read (each value read once).
 */
export function indirectAttribution(entries: ReadonlyArray<readonly [string, unknown]>): IndirectResult {
  const messages: Message[] = [];
  const kept: Array<[string, string]> = [];
  for (const [key, value] of entries) {
    if (key.trim() === '' || key === '__proto__' || key.length > MAX_ATTRIBUTION_LENGTH) {
      messages.push(err(`key ${shownKey(key)} is not a usable key; pair removed`));
    } else if (!usable(value)) {
      messages.push(err(`value of ${shownKey(key)} is not a non-empty string of at most ${MAX_ATTRIBUTION_LENGTH} characters (${typeName(value)}); pair removed`));
    } else kept.push([key, value]);
  }
  if (kept.length === 0) {
    messages.push(err('no valid attribution value left; call ignored'));
    return { aid: null, messages };
  }
  return { aid: JSON.stringify(Object.fromEntries(kept)), messages };
}

/** What a bad value was, without its (possibly huge or hostile) content. */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return v === '' ? 'an empty string' : v.trim() === '' ? 'a blank string' : `a string of ${v.length} characters`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? 'a number' : 'an infinite number';
  if (typeof v !== 'object') return typeof v;
  try {
    return Array.isArray(v) ? 'an array' : 'an object';
  } catch {
    return 'an object'; // a revoked proxy
  }
}

const shownKey = (key: string): string => `[${key.length > 64 ? `${key.slice(0, 64)}…` : key}]`;
