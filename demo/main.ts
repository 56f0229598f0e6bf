/**
 * The main demo: a real session against the bundled local Countly-compatible server.
 * Starts `chartly-server` on 127.0.0.1, creates an SDK instance on the embedded defaults,
 * begins a session, records a few events and a view, flushes, and prints what the server
 * received and validated.
 *
 *   npm run demo
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCountly, fileStorage, nodePlatform } from '../src/node.js';
import { startServer } from '../src/server/index.js';

const APP_KEY = 'chartly-demo-app-key';

async function main(): Promise<void> {
  const server = await startServer({ appKeys: [APP_KEY] });
  const dir = await mkdtemp(join(tmpdir(), 'chartly-demo-'));
  console.log(`local Countly-compatible server: ${server.url}`);

  const countly = createCountly({
    url: server.url,
    appKey: APP_KEY,
    storage: fileStorage(dir),
    platform: nodePlatform(),
    appVersion: '1.0.0',
    logListener: (message, level) => {
      if (level === 'warning' || level === 'error') console.log(`  sdk ${level}: ${message}`);
    },
  });
  await countly.ready;
  console.log(`device ID: ${countly.deviceId.get()} (${countly.deviceId.type()})`);

  countly.events.record('app_opened');
  countly.events.record('purchase', { count: 1, sum: 2.99, segmentation: { screen: 'main', currency: 'EUR' } });
  countly.events.start('checkout');
  const viewId = countly.views.startAutoStopped('Home', { referrer: 'demo' });
  countly.events.end('checkout', { segmentation: { items: 3 } });
  countly.events.record('level_completed', { segmentation: { level: 2, score: 500 } });
  if (viewId) countly.views.stopById(viewId);
  countly.lifecycle.background();

  await countly.queue.flush();
  const state = countly.getState();
  await countly.shutdown();

  console.log(`\nthe server received ${server.received.length} request(s):`);
  for (const r of server.received) {
    const p = r.params;
    const what = [
      p.begin_session ? 'begin_session' : '',
      p.session_duration ? `session_duration=${p.session_duration}` : '',
      p.end_session ? 'end_session' : '',
      p.events ? `events=${(JSON.parse(p.events) as Array<{ key: string }>).map((e) => e.key).join(',')}` : '',
      p.consent ? 'consent' : '',
      p.hc ? `health check hc=${p.hc}` : '',
      p.method ? `method=${p.method}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    console.log(`  ${r.method} ${r.path} -> ${r.status} ${JSON.stringify(r.response)}  ${what}`);
  }
  const accepted = server.accepted().length;
  console.log(`\naccepted and validated: ${accepted}/${server.received.length}; events: ${server.events().length}; left in queue: ${state.queue.requests}`);
  await server.close();
  await rm(dir, { recursive: true, force: true });
  if (accepted === 0 || accepted !== server.received.length) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
