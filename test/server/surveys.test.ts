/**
 * `/o/surveys/{type}/widget` of the local server (SDK guide l. 3497–3509, 3724–3731): a
 * feedback widget's data by `widget_id`, behind the same app, device and checksum checks as
 * `/o/sdk`; the pure handler and the route over real HTTP.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type CountlyTestServer } from '../../src/server/index.js';
import { handleSurveys } from '../../src/server/surveys.js';
import { fail } from '../../src/server/rules.js';

const DATA = { nps1: { _id: 'nps1', type: 'nps', msg: { mainQuestion: 'How likely?' } }, any: { _id: 'any', questions: [] } };
const open = (): undefined => undefined;

describe('handleSurveys (pure)', () => {
  it('answers the widget data of widget_id under its type', () => {
    expect(handleSurveys('/o/surveys/nps/widget', { widget_id: 'nps1' }, { widgetData: DATA }, open)).toEqual({ status: 200, body: DATA.nps1, accepted: true });
    // An entry without a type is found under every type.
    expect(handleSurveys('/o/surveys/survey/widget/', { widget_id: 'any' }, { widgetData: DATA }, open).status).toBe(200);
  });

  it('404 for an unknown widget or another type; 400 for a missing widget_id or an unknown path', () => {
    expect(handleSurveys('/o/surveys/nps/widget', { widget_id: 'nope' }, { widgetData: DATA }, open)).toMatchObject({ status: 404, body: { result: 'Widget not found' } });
    expect(handleSurveys('/o/surveys/rating/widget', { widget_id: 'nps1' }, { widgetData: DATA }, open).status).toBe(404);
    expect(handleSurveys('/o/surveys/nps/widget', { widget_id: '__proto__' }, {}, open).status).toBe(404);
    expect(handleSurveys('/o/surveys/nps/widget', {}, { widgetData: DATA }, open)).toMatchObject({ status: 400, body: { result: 'Missing parameter "widget_id"' } });
    expect(handleSurveys('/o/surveys/poll/widget', { widget_id: 'nps1' }, { widgetData: DATA }, open)).toMatchObject({ status: 400, body: { result: 'Invalid path' } });
  });

  it('the gate speaks first', () => {
    const gate = () => fail(400, 'App does not exist');
    expect(handleSurveys('/o/surveys/nps/widget', { widget_id: 'nps1' }, { widgetData: DATA }, gate)).toMatchObject({ status: 400, accepted: false });
  });
});

describe('/o/surveys over HTTP', () => {
  let server: CountlyTestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const get = async (query: string) => {
    const res = await fetch(`${server!.url}/o/surveys/nps/widget?${query}`);
    return { status: res.status, json: (await res.json()) as unknown };
  };

  it('GET with the base params answers the data and records shown=1', async () => {
    server = await startServer({ widgetData: DATA });
    expect(await get('app_key=a&device_id=d&widget_id=nps1&shown=1')).toEqual({ status: 200, json: DATA.nps1 });
    expect(server.received[0]).toMatchObject({ method: 'GET', path: '/o/surveys/nps/widget', accepted: true, params: { shown: '1', widget_id: 'nps1' } });
  });

  it('app key, device ID and checksum are checked as for /o/sdk', async () => {
    server = await startServer({ widgetData: DATA, appKeys: ['a'], salt: 'salt' });
    expect((await get('device_id=d&widget_id=nps1')).status).toBe(400);
    expect(await get('app_key=b&device_id=d&widget_id=nps1')).toEqual({ status: 400, json: { result: 'App does not exist' } });
    expect(await get('app_key=a&device_id=d&widget_id=nps1')).toEqual({ status: 200, json: { result: 'Request does not have checksum' } });
    const query = 'app_key=a&device_id=d&widget_id=nps1';
    const sum = createHash('sha256').update(query + 'salt').digest('hex');
    expect(await get(`${query}&checksum256=${sum}`)).toEqual({ status: 200, json: DATA.nps1 });
  });

  it('configure() changes the data from the next request', async () => {
    server = await startServer();
    expect((await get('app_key=a&device_id=d&widget_id=nps1')).status).toBe(404);
    server.configure({ widgetData: DATA });
    expect((await get('app_key=a&device_id=d&widget_id=nps1')).status).toBe(200);
  });
});
