/**
 * An AppMetrica Post API-compatible endpoint for chartly-server (spec:
 * /work/shared/spec/004_339a322340c1863a.txt): `POST /logs/v1/import/events` (one event in the
 * query, l. 18–45) and `POST /logs/v1/import/events.csv` (rows in a CSV body with a header
 * row, l. 7, l. 135–141). It validates like the API and answers with its codes (l. 102–106):
 * 200 uploaded, 403 without a (matching) `post_api_key`, 400 when a required field is missing
 * or wrong. A request is all or nothing: one bad row refuses it. Accepted rows are recorded.
 */
import { parseCsv } from '../integrations/appmetrica/rows.js';
import { fail, ok, parseUrlEncoded, type Verdict } from './rules.js';
import type { ReceivedRequest } from './types.js';

export const APPMETRICA_PATHS: readonly string[] = ['/logs/v1/import/events', '/logs/v1/import/events.csv'];

/** What the endpoint checks against; every field optional (any non-empty key and any app). */
export interface AppMetricaSettings {
  /** When given, another `post_api_key` gets 403. */
  postApiKey?: string;
  /** When given, another `application_id` gets 400. */
  applicationId?: number;
  /** The server's clock for the seven-day rule (tests pass the SDK's simulated clock); default Date.now. */
  now?: () => number;
}

/** One accepted row: every field of the row (the query's shared fields included), `post_api_key` left out. */
export type AppMetricaReceivedRow = Record<string, string> & { event_name: string; application_id: string };

export interface AppMetricaEndpoint {
  route(record: ReceivedRequest): Verdict;
  rows(): AppMetricaReceivedRow[];
  reset(): void;
}

const SEVEN_DAYS_S = 7 * 24 * 3600;

/** l. 18–45 and the sample's columns: every field the API knows. */
const KNOWN = new Set([
  'post_api_key', 'application_id', 'profile_id', 'appmetrica_device_id', 'event_name', 'timestamp', 'event_timestamp', 'event_json',
  'session_type', 'ios_ifa', 'ios_ifv', 'google_aid', 'windows_aid', 'os_name', 'os_version', 'device_manufacturer', 'device_model',
  'device_type', 'device_locale', 'app_version_name', 'app_package_name', 'connection_type', 'operator_name', 'mcc', 'mnc', 'device_ipv6',
]);
const ONE_OF: Readonly<Record<string, readonly string[]>> = {
  session_type: ['foreground', 'background'],
  os_name: ['ios', 'android', 'windows'],
  device_type: ['phone', 'tablet', 'phablet', 'tv', 'desktop', 'unknown'],
  connection_type: ['wifi', 'cell', 'unknown'],
};
const INTEGER = /^-?\d+$/;

/** The problem with one row, or undefined when the API would take it. */
export function rowProblem(row: Readonly<Record<string, string>>, nowMs: number, settings: AppMetricaSettings): string | undefined {
  const has = (k: string): boolean => (row[k] ?? '') !== '';
  if (!has('application_id') || !/^\d+$/.test(row.application_id!)) return 'Missing or invalid parameter "application_id"';
  if (settings.applicationId !== undefined && Number(row.application_id) !== settings.applicationId) return 'Unknown application_id';
  // l. 39–45: exactly one identifier.
  if (has('profile_id') === has('appmetrica_device_id')) return 'Exactly one of "profile_id" and "appmetrica_device_id" is required';
  if (has('appmetrica_device_id') && !/^\d+$/.test(row.appmetrica_device_id!)) return 'Invalid parameter "appmetrica_device_id"';
  if (!has('event_name')) return 'Missing parameter "event_name"';
  const ts = has('event_timestamp') ? row.event_timestamp! : (row.timestamp ?? '');
  if (!INTEGER.test(ts)) return 'Missing or invalid parameter "event_timestamp"';
  // l. 55: no more than seven days between the event and the upload.
  if (Math.floor(nowMs / 1000) - Number(ts) > SEVEN_DAYS_S) return 'Event is older than seven days';
  if (has('event_json')) {
    let json: unknown;
    try {
      json = JSON.parse(row.event_json!);
    } catch {
      json = undefined;
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'Invalid parameter "event_json"';
  }
  for (const [k, allowed] of Object.entries(ONE_OF)) if (has(k) && !allowed.includes(row[k]!)) return `Invalid value of "${k}"`;
  for (const k of ['mcc', 'mnc']) if (has(k) && !/^\d+$/.test(row[k]!)) return `Invalid parameter "${k}"`;
  return undefined;
}

/** The rows of a request, or the 400 problem with its shape. */
export function requestRows(record: Pick<ReceivedRequest, 'path' | 'rawQuery' | 'rawBody'>): { rows: Record<string, string>[] } | { problem: string } {
  const query = parseUrlEncoded(record.rawQuery);
  if (!record.path.endsWith('.csv')) return { rows: [{ ...parseUrlEncoded(record.rawBody), ...query }] };
  const records = parseCsv(record.rawBody);
  if (records === null) return { problem: 'Malformed CSV: an unterminated or misplaced quote' };
  const [header, ...lines] = records.filter((r) => !(r.length === 1 && r[0] === ''));
  if (header === undefined) return { problem: 'Missing CSV header row' };
  const unknown = header.find((c) => !KNOWN.has(c));
  if (unknown !== undefined) return { problem: `Unknown CSV column ${JSON.stringify(unknown)}` };
  if (new Set(header).size !== header.length) return { problem: 'Duplicate CSV column' };
  if (lines.length === 0) return { problem: 'No rows in the CSV body' };
  const rows: Record<string, string>[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.length !== header.length) return { problem: `CSV row ${i + 1} has ${line.length} fields, the header ${header.length}` };
    const row: Record<string, string> = { ...query };
    header.forEach((c, j) => {
      if (line[j] !== '') row[c] = line[j]!;
    });
    rows.push(row);
  }
  return { rows };
}

export function createAppMetricaEndpoint(settings: () => AppMetricaSettings): AppMetricaEndpoint {
  let received: AppMetricaReceivedRow[] = [];
  return {
    route(record) {
      if (record.method !== 'POST') return fail(405, 'Method not allowed');
      const s = settings();
      const parsed = requestRows(record);
      if ('problem' in parsed) return fail(400, parsed.problem);
      // l. 105: 403 without a (valid) token; the key may come in the query or as a column.
      for (const row of parsed.rows) {
        const key = row.post_api_key ?? '';
        if (key === '' || (s.postApiKey !== undefined && key !== s.postApiKey)) return fail(403, 'Invalid or missing post_api_key');
      }
      const now = (s.now ?? Date.now)();
      for (const [i, row] of parsed.rows.entries()) {
        const problem = rowProblem(row, now, s);
        if (problem !== undefined) return fail(400, parsed.rows.length > 1 ? `Row ${i + 1}: ${problem}` : problem);
      }
      for (const row of parsed.rows) {
        const kept = { ...row };
        delete kept.post_api_key;
        received.push(kept as AppMetricaReceivedRow);
      }
      return ok({ result: 'Success', rows: parsed.rows.length });
    },
    rows: () => received.slice(),
    reset: () => {
      received = [];
    },
  };
}
