/**
 * The push rules as pure functions (spec 001: Push Notifications, l. 2291-2510; write API
 * 000: Push notifications, l. 195-212): which token key each provider uses, the token
 * session params, the `[CLY]_push_action` segmentation, the stored token's decoder, and the
 * timing rule — the 60 s debounce of one token/provider (l. 2388, 2502) and the ~10 s wait
 * after `begin_session` (l. 2502). No xstate, no clock: every moment is a number given in.
 */

/** spec l. 2502: "60-second minimum interval between identical token sends". */
export const DEBOUNCE_MS = 60_000;
/** spec l. 2502: the token request goes "with a short delay after begin_session (e.g., 10 seconds)". */
export const AFTER_SESSION_MS = 10_000;
/** A push token longer than this is not a token (FCM ~160 chars, APNs 64 hex); the call is ignored. */
export const MAX_TOKEN_LENGTH = 4096;
/** Sends remembered for the debounce; a flood of distinct tokens forgets the oldest first. */
export const MAX_RECENT = 64;
/** The storage key of the last token set (spec l. 2508: "stored persistently"). */
export const PUSH_TOKEN_KEY = 'pushToken';

/**
 * Each provider's token key (spec l. 2488, 2497: `PLATFORM_token`, "e.g., android_token,
 * ios_token"; 000 l. 203-205) and the platform letter of `[CLY]_push_action`'s `p` (l. 2458-2461).
 * HMS tokens are Android tokens told apart by `token_provider` (l. 2498: "e.g., FCM, HMS").
 * The spec names no web token key: a web app registers through one of these providers.
 */
export const PUSH_PROVIDERS = /* @__PURE__ */ Object.freeze({
  FCM: { tokenKey: 'android_token', platform: 'a' },
  HMS: { tokenKey: 'android_token', platform: 'a' },
  APNS: { tokenKey: 'ios_token', platform: 'i' },
} as const);

export type PushProvider = keyof typeof PUSH_PROVIDERS;
export const DEFAULT_PROVIDER: PushProvider = 'FCM';

/** The canonical provider for a name, case-insensitively (`'fcm'`, `'APNs'`), or null. */
export function providerOf(name: unknown): PushProvider | null {
  if (typeof name !== 'string') return null;
  const upper = name.trim().toUpperCase();
  return Object.hasOwn(PUSH_PROVIDERS, upper) ? (upper as PushProvider) : null;
}

export interface TokenKey {
  /** The token; `''` unregisters the device (spec l. 2504). */
  readonly token: string;
  readonly provider: PushProvider;
}

export interface SentToken extends TokenKey {
  /** When its request was queued (ms). */
  readonly at: number;
}

export const sameToken = (a: TokenKey | null, b: TokenKey | null): boolean =>
  a !== null && b !== null && a.token === b.token && a.provider === b.provider;

/**
 * The token session request (spec l. 2481-2500): `token_session=1`, the provider's token key,
 * `token_provider`, `locale` when known, `test_mode`.
 */
export function tokenParams(t: TokenKey, locale: string | undefined, testMode: 0 | 1 | 2): Record<string, string> {
  const params: Record<string, string> = { token_session: '1' };
  params[PUSH_PROVIDERS[t.provider].tokenKey] = t.token;
  params.token_provider = t.provider;
  if (locale !== undefined && locale !== '') params.locale = locale;
  params.test_mode = String(testMode);
  return params;
}

/** `[CLY]_push_action` (spec l. 2450-2461; 000 l. 208-212: `b` "0" for the body, "1"+ for buttons). */
export const PUSH_ACTION_KEY = '[CLY]_push_action';

export function actionSegmentation(notificationId: string, button: number, provider: PushProvider): Record<string, string> {
  return { i: notificationId, b: String(button), p: PUSH_PROVIDERS[provider].platform };
}

/** The stored token, decoded (a value of another shape or an empty token reads as none). */
export function decodeStoredToken(value: unknown): TokenKey | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { token, provider } = value as Record<string, unknown>;
  const p = providerOf(provider);
  if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH || p === null) return null;
  return { token, provider: p };
}

/** What to do with a waiting token now. */
export type Due =
  /** The same token/provider went out less than 60 s ago and is what the server has: drop it. */
  | { kind: 'redundant' }
  /** Send it now. */
  | { kind: 'now' }
  /** Wait until this moment (ms): the session's settle time, or the end of its debounce window. */
  | { kind: 'at'; at: number };

/**
 * When the waiting token may be sent: not within 60 s of its own last send (spec l. 2388),
 * and not within 10 s of a `begin_session` (l. 2502). A token equal to the last one sent,
 * sent less than 60 s ago, is redundant; one sent in the window but since replaced by
 * another waits for its window to end, so the server ends with the latest token and no
 * token/provider goes out twice in 60 s.
 */
export function dueOf(pending: TokenKey, recent: readonly SentToken[], settleAt: number | null, now: number): Due {
  const last = recent.length > 0 ? recent[recent.length - 1]! : null;
  if (last !== null && sameToken(last, pending) && now - last.at < DEBOUNCE_MS) return { kind: 'redundant' };
  let at = settleAt ?? Number.NEGATIVE_INFINITY;
  for (const s of recent) if (sameToken(s, pending)) at = Math.max(at, s.at + DEBOUNCE_MS);
  return at > now ? { kind: 'at', at } : { kind: 'now' };
}

/** The sends that still count for the debounce at `now`, with the new one appended (bounded). */
export function remember(recent: readonly SentToken[], sent: SentToken): SentToken[] {
  const kept = recent.filter((s) => sent.at - s.at < DEBOUNCE_MS && !sameToken(s, sent));
  kept.push(sent);
  return kept.slice(-MAX_RECENT);
}
