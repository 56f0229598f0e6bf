/**
 * The AppMetrica wire, pure (spec 004): an event → its row (seconds, event_json, the device
 * fields), rows → the CSV body with its header (l. 135–141). Properties: every CSV the
 * exporter builds parses back to exactly its cells, whatever the values hold (quotes, commas,
 * CR/LF, spaces, unicode), and the local server reads the same rows from it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildCsv, csvField, deviceLocale, deviceType, eventJson, fresh, osName, parseCsv, SEVEN_DAYS_MS, toRow, uploadUrl, type AppMetricaRow } from '../../../src/integrations/appmetrica/rows.js';
import { requestRows } from '../../../src/server/appmetrica.js';
import type { ExportedEvent } from '../../../src/exporters/types.js';

const T = Date.UTC(2026, 0, 1, 12, 0, 0, 789);
const event = (over: Partial<ExportedEvent> = {}): ExportedEvent => ({ appKey: 'k', deviceId: 'dev-1', key: 'purchase', count: 1, timestamp: T, ...over });

describe('toRow', () => {
  it('maps an event with the platform facts (seed columns, seconds, json)', () => {
    const row = toRow(event({ segmentation: { item: 'sword', price: 3 }, sum: 9.5 }), 'profile-7', {
      _os: 'Android',
      _os_version: '14',
      _device: 'Pixel 8',
      _device_type: 'mobile',
      _locale: 'en-US',
      _app_version: '2.1.0',
      _resolution: '1080x2400',
    });
    expect(row).toEqual({
      profile_id: 'profile-7',
      event_name: 'purchase',
      event_timestamp: String(Math.floor(T / 1000)),
      event_json: '{"item":"sword","price":3,"_sum":9.5}',
      session_type: 'foreground',
      os_name: 'android',
      os_version: '14',
      device_model: 'Pixel 8',
      device_type: 'phone',
      device_locale: 'en_US',
      app_version_name: '2.1.0',
    });
  });

  it('leaves out what the platform does not know and values the API does not take', () => {
    const row = toRow(event(), 'p', { _os: 'Linux', _device_type: '' });
    expect(row).toEqual({ profile_id: 'p', event_name: 'purchase', event_timestamp: String(Math.floor(T / 1000)), session_type: 'foreground' });
  });

  it('event_json carries count (when not 1), sum and dur; session_type follows cly_v', () => {
    expect(eventJson({ count: 1 })).toBeUndefined();
    expect(eventJson({ count: 3, dur: 2 })).toBe('{"_count":3,"_dur":2}');
    expect(toRow(event({ segmentation: { cly_v: 0 } }), 'p', {}).session_type).toBe('background');
  });

  it('maps the platform values', () => {
    expect([osName('iOS'), osName('Windows'), osName('macOS'), osName(undefined)]).toEqual(['ios', 'windows', undefined, undefined]);
    expect([deviceType('mobile'), deviceType('tablet'), deviceType('smarttv'), deviceType('console'), deviceType(undefined)]).toEqual(['phone', 'tablet', 'tv', 'unknown', undefined]);
    expect(deviceLocale('pt-BR')).toBe('pt_BR');
  });

  it('freshness: seven days, with a margin', () => {
    const row = toRow(event(), 'p', {});
    expect(fresh(row, T + SEVEN_DAYS_MS - 1000, 0)).toBe(true);
    expect(fresh(row, T + SEVEN_DAYS_MS + 1000, 0)).toBe(false);
    expect(fresh(row, T + SEVEN_DAYS_MS - 1000, 3_600_000)).toBe(false);
  });
});

describe('CSV', () => {
  it('builds the seed sample shape: header, quoted JSON with doubled quotes', () => {
    const rows: AppMetricaRow[] = [{ profile_id: '1234567890123456789', event_name: 'event_name_1', event_timestamp: '1234567890', event_json: '{"key":"value_1"}' }];
    expect(buildCsv(rows, 1111)).toBe('application_id,profile_id,event_name,event_timestamp,event_json\n1111,1234567890123456789,event_name_1,1234567890,"{""key"":""value_1""}"\n');
  });

  it('a row without a column leaves its cell empty', () => {
    const csv = buildCsv([{ profile_id: 'a', event_name: 'x', event_timestamp: '1', os_name: 'ios' }, { profile_id: 'b', event_name: 'y', event_timestamp: '2' }], 5);
    expect(csv.split('\n')).toEqual(['application_id,profile_id,event_name,event_timestamp,os_name', '5,a,x,1,ios', '5,b,y,2,', '']);
  });

  it('escapes quotes, commas, line breaks and edge spaces', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('l1\nl2')).toBe('"l1\nl2"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(' lead')).toBe('" lead"');
  });

  it('parseCsv refuses an open quote and text after a closing quote', () => {
    expect(parseCsv('a,"b\n')).toBeNull();
    expect(parseCsv('a,"b"c\n')).toBeNull();
    expect(parseCsv('a,b\r\n1,2')).toEqual([['a', 'b'], ['1', '2']]);
  });

  it('the key goes in the query, url-encoded', () => {
    expect(uploadUrl('http://h:1/', 'k&y=1')).toBe('http://h:1/logs/v1/import/events.csv?post_api_key=k%26y%3D1');
  });

  const text = fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom('"', ',', '\n', '\r', ' ', 'a', 'é', '😀') }));
  const rowArb = fc.record(
    { profile_id: text, event_name: text, event_timestamp: fc.integer({ min: 0, max: 2e9 }).map(String), event_json: text, os_version: text, device_model: text },
    { requiredKeys: ['profile_id', 'event_name', 'event_timestamp'] },
  );

  it('property: parseCsv(buildCsv(rows)) is the header and exactly every cell', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 1e9 }), (rows, app) => {
        const parsed = parseCsv(buildCsv(rows, app));
        expect(parsed).not.toBeNull();
        const [header, ...lines] = parsed!;
        expect(lines).toHaveLength(rows.length);
        rows.forEach((r, i) => {
          header!.forEach((c, j) => expect(lines[i]![j]).toBe(c === 'application_id' ? String(app) : (r as Record<string, string>)[c] ?? ''));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('property: the local server reads back the same rows (empty cells are absent)', () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 5 }), (rows) => {
        const got = requestRows({ path: '/logs/v1/import/events.csv', rawQuery: 'post_api_key=k', rawBody: buildCsv(rows, 7) });
        expect('rows' in got).toBe(true);
        const expected = rows.map((r) => {
          const out: Record<string, string> = { post_api_key: 'k', application_id: '7' };
          for (const [k, v] of Object.entries(r)) if (v !== '') out[k] = v;
          return out;
        });
        expect((got as { rows: unknown[] }).rows).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});
