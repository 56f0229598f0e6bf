/**
 * chartly-server's AppMetrica Post API endpoint (src/server/appmetrica.ts; spec 004): what it
 * accepts and how it refuses, over HTTP — 200 and recorded rows, 403 for the key, 400 for a
 * missing or wrong field, two identifiers, an event past seven days, a malformed CSV.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';

const NOW = Date.UTC(2026, 0, 10);
const TS = String(Math.floor(NOW / 1000) - 3600);
let server: CountlyTestServer;

beforeEach(async () => {
  server = await startServer({ appMetrica: { postApiKey: 'KEY', applicationId: 1111, now: () => NOW } });
});
afterEach(async () => {
  await server.close();
});

async function post(path: string, query: string, body = '', method = 'POST'): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${server.url}${path}?${query}`, { method, ...(method === 'POST' ? { body, headers: { 'Content-Type': 'text/csv' } } : {}) });
  return { status: res.status, body: await res.json() };
}
const csv = (body: string, query = 'post_api_key=KEY') => post('/logs/v1/import/events.csv', query, body);

describe('AppMetrica endpoint', () => {
  it('accepts the seed-shaped CSV and records every row', async () => {
    const body = `application_id,profile_id,event_name,event_timestamp,event_json,device_type\n1111,p1,first,${TS},"{""key"":""a,b""}",phone\n1111,p2,second,${TS},,\n`;
    expect(await csv(body)).toEqual({ status: 200, body: { result: 'Success', rows: 2 } });
    expect(server.appMetrica()).toEqual([
      { application_id: '1111', profile_id: 'p1', event_name: 'first', event_timestamp: TS, event_json: '{"key":"a,b"}', device_type: 'phone' },
      { application_id: '1111', profile_id: 'p2', event_name: 'second', event_timestamp: TS },
    ]);
    server.reset();
    expect(server.appMetrica()).toEqual([]);
  });

  it('accepts one event in the query (application_id and timestamp there too)', async () => {
    const r = await post('/logs/v1/import/events', `post_api_key=KEY&application_id=1111&appmetrica_device_id=123&event_name=e&timestamp=${TS}`);
    expect(r.status).toBe(200);
    expect(server.appMetrica()).toEqual([{ application_id: '1111', appmetrica_device_id: '123', event_name: 'e', timestamp: TS }]);
  });

  it('403 without the (right) post_api_key', async () => {
    const body = `application_id,profile_id,event_name,event_timestamp\n1111,p,e,${TS}\n`;
    expect((await csv(body, '')).status).toBe(403);
    expect((await csv(body, 'post_api_key=OTHER')).status).toBe(403);
    expect(server.appMetrica()).toEqual([]);
  });

  it.each([
    ['no application_id', `profile_id,event_name,event_timestamp\np,e,${TS}\n`, 'Missing or invalid parameter "application_id"'],
    ['another application', `application_id,profile_id,event_name,event_timestamp\n2222,p,e,${TS}\n`, 'Unknown application_id'],
    ['no identifier', `application_id,event_name,event_timestamp\n1111,e,${TS}\n`, 'Exactly one of "profile_id" and "appmetrica_device_id" is required'],
    ['two identifiers', `application_id,profile_id,appmetrica_device_id,event_name,event_timestamp\n1111,p,1,e,${TS}\n`, 'Exactly one of "profile_id" and "appmetrica_device_id" is required'],
    ['no event_name', `application_id,profile_id,event_timestamp\n1111,p,${TS}\n`, 'Missing parameter "event_name"'],
    ['a timestamp in ms', `application_id,profile_id,event_name,event_timestamp\n1111,p,e,${TS}.5\n`, 'Missing or invalid parameter "event_timestamp"'],
    ['older than seven days', `application_id,profile_id,event_name,event_timestamp\n1111,p,e,${Number(TS) - 7 * 86400}\n`, 'Event is older than seven days'],
    ['event_json not an object', `application_id,profile_id,event_name,event_timestamp,event_json\n1111,p,e,${TS},[1]\n`, 'Invalid parameter "event_json"'],
    ['an unknown os_name', `application_id,profile_id,event_name,event_timestamp,os_name\n1111,p,e,${TS},linux\n`, 'Invalid value of "os_name"'],
    ['an open quote', `application_id,profile_id,event_name,event_timestamp\n1111,"p,e,${TS}\n`, 'Malformed CSV: an unterminated or misplaced quote'],
    ['a short row', `application_id,profile_id,event_name,event_timestamp\n1111,p,e\n`, 'CSV row 1 has 3 fields, the header 4'],
    ['an unknown column', `application_id,profile_id,event_name,event_timestamp,color\n1111,p,e,${TS},red\n`, 'Unknown CSV column "color"'],
    ['no rows', 'application_id,profile_id,event_name,event_timestamp\n', 'No rows in the CSV body'],
    ['an empty body', '', 'Missing CSV header row'],
  ])('400 for %s', async (_name, body, result) => {
    expect(await csv(body)).toEqual({ status: 400, body: { result } });
    expect(server.appMetrica()).toEqual([]);
  });

  it('one bad row refuses the whole request, naming the row', async () => {
    const body = `application_id,profile_id,event_name,event_timestamp\n1111,p,ok,${TS}\n1111,p,,${TS}\n`;
    expect(await csv(body)).toEqual({ status: 400, body: { result: 'Row 2: Missing parameter "event_name"' } });
    expect(server.appMetrica()).toEqual([]);
  });

  it('405 for GET', async () => {
    expect((await post('/logs/v1/import/events', 'post_api_key=KEY', '', 'GET')).status).toBe(405);
  });
});
