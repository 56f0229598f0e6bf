/**
 * The AppMetrica Post API wire, pure (spec: /work/shared/spec/004_339a322340c1863a.txt):
 * an exported event → one row of `/logs/v1/import/events.csv`, and rows → the CSV body with
 * its header row (l. 135–141). No clock, no I/O: the exporter stamps and sends.
 */
import type { ExportedEvent } from '../../exporters/types.js';

/** The API host of the seed's request format (l. 18). */
export const DEFAULT_URL = 'https://api.appmetrica.yandex.ru';
/** The batched form: the body is CSV when the path ends in `.csv` (l. 7). */
export const CSV_PATH = '/logs/v1/import/events.csv';

/** l. 55: "no more than seven days" between the event and the upload. */
export const SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000;

/**
 * One row as stored in the exporter's queue: every column but `application_id`, which is
 * added when the body is built (it is an option, not a fact of the event). Values are strings
 * as they go on the wire.
 */
export type AppMetricaRow = Readonly<Record<string, string>>;

/**
 * The columns, in the order they appear in the header. `profile_id` is the one identifier
 * the exporter sends (l. 39–45: exactly one of `profile_id` / `appmetrica_device_id`).
 */
export const COLUMNS = [
  'application_id',
  'profile_id',
  'event_name',
  'event_timestamp',
  'event_json',
  'session_type',
  'os_name',
  'os_version',
  'device_model',
  'device_type',
  'device_locale',
  'app_version_name',
] as const;

/** l. 69–72, l. 79: the values the API knows for these two. */
export const OS_NAMES: readonly string[] = ['ios', 'android', 'windows'];
export const DEVICE_TYPES: readonly string[] = ['phone', 'tablet', 'phablet', 'tv', 'desktop', 'unknown'];

/** Countly's `_device_type` values (the platforms' metrics) → AppMetrica's `device_type`. */
const DEVICE_TYPE_OF: Readonly<Record<string, string>> = {
  mobile: 'phone',
  phone: 'phone',
  tablet: 'tablet',
  phablet: 'phablet',
  desktop: 'desktop',
  tv: 'tv',
  smarttv: 'tv',
};

/** `_os` → `os_name`, only for the three values the API accepts (l. 73). */
export function osName(os: string | undefined): string | undefined {
  const name = os?.trim().toLowerCase();
  return name !== undefined && OS_NAMES.includes(name) ? name : undefined;
}

export function deviceType(type: string | undefined): string | undefined {
  if (type === undefined || type.trim() === '') return undefined;
  return DEVICE_TYPE_OF[type.trim().toLowerCase()] ?? 'unknown';
}

/** l. 77: `en_US`; browsers and Node report `en-US`. */
export function deviceLocale(locale: string | undefined): string | undefined {
  const l = locale?.trim();
  return l === undefined || l === '' ? undefined : l.replace(/-/g, '_');
}

/**
 * `event_json` (l. 57): the segmentation, plus the event's numbers Countly has and AppMetrica
 * has no column for — `_count` (only when not 1), `_sum`, `_dur` (only when not 0). Absent when all are empty.
 */
export function eventJson(event: Pick<ExportedEvent, 'count' | 'sum' | 'dur' | 'segmentation'>): string | undefined {
  const attrs: Record<string, unknown> = { ...(event.segmentation ?? {}) };
  if (event.count !== 1) attrs._count = event.count;
  // Countly sends sum/dur 0 for events without them: only a value says something.
  if (event.sum !== undefined && event.sum !== 0) attrs._sum = event.sum;
  if (event.dur !== undefined && event.dur !== 0) attrs._dur = event.dur;
  if (Object.keys(attrs).length === 0) return undefined;
  try {
    return JSON.stringify(attrs);
  } catch {
    return undefined;
  }
}

/**
 * l. 61–63: `foreground` counts the user in the Events report, `background` (the API's
 * default) only the device. An event recorded in the app is the user's: `foreground`, unless
 * visibility tracking (`cly_v`) says the app was in the background.
 */
export function sessionType(segmentation: ExportedEvent['segmentation']): 'foreground' | 'background' {
  return segmentation?.cly_v === 0 ? 'background' : 'foreground';
}

/**
 * One event → its row. `profileId` is the identifier already chosen (the `profileId` option
 * applied to the device ID); `metrics` are the platform's device facts (`_os`, ...).
 */
export function toRow(event: ExportedEvent, profileId: string, metrics: Readonly<Record<string, string>>): AppMetricaRow {
  const row: Record<string, string> = {
    profile_id: profileId,
    event_name: event.key,
    // l. 52 / l. 138: UNIX time in seconds.
    event_timestamp: String(Math.floor(event.timestamp / 1000)),
  };
  const json = eventJson(event);
  if (json !== undefined) row.event_json = json;
  row.session_type = sessionType(event.segmentation);
  const facts: Array<[string, string | undefined]> = [
    ['os_name', osName(metrics._os)],
    ['os_version', metrics._os_version],
    ['device_model', metrics._device],
    ['device_type', deviceType(metrics._device_type)],
    ['device_locale', deviceLocale(metrics._locale)],
    ['app_version_name', metrics._app_version],
  ];
  for (const [column, value] of facts) if (typeof value === 'string' && value !== '') row[column] = value;
  return row;
}

/** When the row's event happened, ms since the epoch (second precision). */
export const rowTime = (row: AppMetricaRow): number => Number(row.event_timestamp) * 1000;

/** l. 55: still within the API's seven days at `now`, with `marginMs` to spare. */
export const fresh = (row: AppMetricaRow, now: number, marginMs: number): boolean => rowTime(row) >= now - SEVEN_DAYS_MS + marginMs;

/**
 * RFC 4180 field: quoted when it holds a quote, a comma, CR or LF (or starts or ends with
 * a space), quotes doubled — the seed's `"{""key"":""value_1""}"` (l. 140).
 */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The CSV body (l. 139–141): the header row, then one line per row. The columns are those in
 * `COLUMNS` that at least one row (or `application_id`) fills, in that order; a row without
 * a value leaves its cell empty. Lines end with `\n`.
 */
export function buildCsv(rows: readonly AppMetricaRow[], applicationId: number): string {
  const used = COLUMNS.filter((c) => c === 'application_id' || rows.some((r) => Object.hasOwn(r, c)));
  const app = String(applicationId);
  const lines = [used.join(',')];
  for (const r of rows) lines.push(used.map((c) => csvField(c === 'application_id' ? app : (Object.hasOwn(r, c) ? r[c] : '') ?? '')).join(','));
  return `${lines.join('\n')}\n`;
}

/** The upload URL: the key goes in the query, as in the seed's sample (l. 135). */
export function uploadUrl(baseUrl: string, postApiKey: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${CSV_PATH}?post_api_key=${encodeURIComponent(postApiKey)}`;
}

/**
 * RFC 4180 parser (the inverse of `buildCsv`, used by the local server and the tests):
 * records of fields; quoted fields may hold commas, quotes and line breaks. `null` when a
 * quote is left open or text follows a closing quote.
 */
export function parseCsv(text: string): string[][] | null {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  const n = text.length;
  let quoted = false;
  let afterQuote = false;
  while (i < n) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        afterQuote = true;
      } else field += ch;
      i++;
      continue;
    }
    if (ch === ',') {
      record.push(field);
      field = '';
      afterQuote = false;
    } else if (ch === '\n' || ch === '\r') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      afterQuote = false;
      if (ch === '\r' && text[i + 1] === '\n') i++;
    } else if (afterQuote) {
      return null;
    } else if (ch === '"' && field === '') {
      quoted = true;
    } else field += ch;
    i++;
  }
  if (quoted) return null;
  if (field !== '' || record.length > 0 || afterQuote) {
    record.push(field);
    records.push(record);
  }
  return records;
}
