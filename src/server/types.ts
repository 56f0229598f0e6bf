/** The public shapes of chartly-server: its options, what it records, faults, and its handle. */
import type { AppMetricaReceivedRow, AppMetricaSettings } from './appmetrica.js';

export interface ServerOptions {
  /** 0 (default) = any free port. */
  port?: number;
  /** When given, other app keys get 400 "App does not exist"; default: any non-empty key. */
  appKeys?: string[];
  /** When given, `checksum256` (and sha1 `checksum`) are verified. */
  salt?: string;
  /** Duplicate detection per device (spec: server-rules.md §6). */
  preventDuplicates?: boolean;
  /** The `c` object answered to /o/sdk?method=sc (default {}). */
  behaviorSettings?: Record<string, unknown>;
  /** Answered to method=rc, filtered by `keys` / `omit_keys`. */
  remoteConfig?: Record<string, unknown>;
  /** Answered to method=ab_fetch_variants, filtered by `key` (default {}). */
  abVariants?: Record<string, Array<{ name: string; value: unknown }>>;
  /** Answered to method=ab_fetch_experiments (default []). */
  abExperiments?: unknown[];
  /** The `result` list answered to method=feedback (default []). */
  feedbackWidgets?: unknown[];
  /** Answered to `/o/surveys/{type}/widget?widget_id=ID`, keyed by widget ID (an entry's `type`, when set, must match the path). */
  widgetData?: Record<string, Record<string, unknown>>;
  /** Answered to /o/sdk/content; null (default) = "No content block found!". */
  contentBlock?: Record<string, unknown> | null;
  /** Answered to /o/sdk/content with `content_id=<key>` (a preview); other IDs get `contentBlock`. */
  contentPreviews?: Record<string, Record<string, unknown>>;
  /** The AppMetrica Post API endpoint's checks (`/logs/v1/import/events[.csv]`). */
  appMetrica?: AppMetricaSettings;
  /** One line per request when given. */
  log?: (line: string) => void;
}

/** What the server did with one item of an /i/bulk request. */
export interface BulkItem {
  params: Record<string, string>;
  status: number;
  response: unknown;
  accepted: boolean;
  error?: string;
}

export interface ReceivedRequest {
  id: number;
  method: string;
  /** Path without query, e.g. '/i'. */
  path: string;
  /** Decoded; body fields override query fields. */
  params: Record<string, string>;
  rawQuery: string;
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
  /** 0 while unanswered, and for dropped or hung requests. */
  status: number;
  /** What the server answered (parsed JSON), or null when dropped/hung/malformed. */
  response: unknown;
  /** True when the data was processed (counted). */
  accepted: boolean;
  error?: string;
  receivedAt: number;
  /** For /i/bulk: the outcome of each item of `requests`. */
  bulk?: BulkItem[];
}

export type Fault =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'latency'; ms: number }
  | { kind: 'malformed'; body?: string; status?: number }
  | { kind: 'no-result' }
  | { kind: 'drop' }
  | { kind: 'hang' };

export type ServerEvent = Record<string, unknown> & { key: string; device_id: string };

/** The answers and rules that may change while the server runs. */
export type ServerSettings = Omit<ServerOptions, 'port' | 'log'>;

export interface CountlyTestServer {
  readonly url: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly received: readonly ReceivedRequest[];
  accepted(): ReceivedRequest[];
  /** Every event of accepted /i (and /i/bulk item) requests, flattened, in order. */
  events(): ServerEvent[];
  /** Every row the AppMetrica endpoint accepted, in order (`post_api_key` left out). */
  appMetrica(): AppMetricaReceivedRow[];
  /** Applied one each to the next requests, in order. */
  injectFaults(...faults: Fault[]): void;
  /** Applied to every request until cleared (after the queued ones). */
  setFault(fault: Fault | null): void;
  /**
   * Answers every request whose params match with `status` (default 400) and `body` (default
   * `{"result":"Rejected"}`), before any rule runs, until cleared with `null`: a request the
   * server refuses every time (a "poison" request), among others it accepts.
   */
  rejectWhen(match: ((params: Readonly<Record<string, string>>) => boolean) | null, answer?: { status?: number; body?: string }): void;
  /** Changes answers and rules from now on (merged into the current ones). */
  configure(settings: ServerSettings): void;
  /** Forgets received requests, faults and the duplicate-detection memory. */
  reset(): void;
  waitFor(predicate: (r: ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Closes, including hung connections. */
  close(): Promise<void>;
}
