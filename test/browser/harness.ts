/**
 * What the Chromium end-to-end suites share: Debian's Chromium (never a downloaded browser)
 * driven by playwright-core, a person's user agent (the browser platform treats
 * "HeadlessChrome" as a bot: spec "Bot/Crawler Detection"), fixture bundles built by esbuild,
 * and small static servers on 127.0.0.1.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startServer } from '../../src/server/index.js';

export const CHROMIUM = process.env.CHARTLY_CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

/** The browser's user agent with "HeadlessChrome" read as a person's Chrome. */
export async function personUserAgent(browser: Browser): Promise<string> {
  const probe = await browser.newPage();
  try {
    return (await probe.evaluate(() => navigator.userAgent)).replace('HeadlessChrome', 'Chrome');
  } finally {
    await probe.close();
  }
}

/** A fixture entry under `fixtures/` bundled for the browser (ESM). */
export async function bundleFixture(entry: string): Promise<string> {
  const result = await build({ entryPoints: [`${FIXTURES}${entry}`], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
  const out = result.outputFiles[0];
  if (!out) throw new Error(`esbuild produced no bundle for ${entry}`);
  return out.text;
}

export interface Listener {
  readonly origin: string;
  readonly server: Server;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A server on a free 127.0.0.1 port. */
export async function listen(handler: Handler): Promise<Listener> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Serves `files` by path (no-store); `fallback` answers every other path (default: 404). */
export function staticFiles(files: Readonly<Record<string, { type: string; body: string }>>, fallback?: Handler): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const file = files[path];
    if (file) {
      res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-store' });
      res.end(file.body);
    } else if (fallback) fallback(req, res);
    else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  };
}

export const HTML = 'text/html; charset=utf-8';
export const JS = 'text/javascript; charset=utf-8';

/** Serves `bundle` at `/bundle.js` and `html` at every other path (a single-page app's routes). */
export function startAppServer(html: string, bundle: string): Promise<Listener> {
  const page: Handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': HTML, 'Cache-Control': 'no-store' });
    res.end(html);
  };
  return listen(staticFiles({ '/bundle.js': { type: JS, body: bundle } }, page));
}

/** Calls `window[global][fn](...args)` in the page (only JSON-serializable values cross). */
export const driverCall =
  <D>(page: import('playwright-core').Page, global: string) =>
  <T>(fn: keyof D & string, ...args: unknown[]): Promise<T> =>
    page.evaluate(({ g, name, list }) => (window as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[g]![name]!(...list), { g: global, name: fn, list: args }) as Promise<T>;

/**
 * The life of a suite that loads one fixture page: Chromium and the app server for the file,
 * a fresh Countly server per test, and the browser contexts a test opens closed after it.
 * Call inside the suite's `describe`.
 */
export function useAppSuite(fixture: string): {
  readonly pages: Listener;
  readonly server: import('../../src/server/index.js').CountlyTestServer;
  /** The person's user agent every context gets ("HeadlessChrome" read as "Chrome"). */
  readonly userAgent: string;
  /** A fresh profile (its own IndexedDB) with a person's user agent, closed after the test. */
  newContext(options?: import('playwright-core').BrowserContextOptions): Promise<import('playwright-core').BrowserContext>;
} {
  let browser: Browser | undefined;
  let pages: Listener | undefined;
  let userAgent = '';
  let server: import('../../src/server/index.js').CountlyTestServer | undefined;
  const contexts: Array<import('playwright-core').BrowserContext> = [];
  beforeAll(async () => {
    const [html, bundle, launched] = await Promise.all([readFile(`${FIXTURES}index.html`, 'utf8'), bundleFixture(fixture), launchChromium()]);
    browser = launched;
    pages = await startAppServer(html, bundle);
    userAgent = await personUserAgent(browser);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await pages?.close();
  });
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    await server?.close();
  });
  return {
    get pages() {
      if (!pages) throw new Error('useAppSuite: no page server outside a test');
      return pages;
    },
    get server() {
      if (!server) throw new Error('useAppSuite: no server outside a test');
      return server;
    },
    get userAgent() {
      return userAgent;
    },
    async newContext(options = {}) {
      if (!browser) throw new Error('useAppSuite: no browser outside a test');
      const context = await browser.newContext({ userAgent, ...options });
      contexts.push(context);
      return context;
    },
  };
}
