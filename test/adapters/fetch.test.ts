import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTransport } from '../../src/adapters/transport/fetch.js';

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.url?.startsWith('/slow')) return; // never answers
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body, header: req.headers['x-a'] ?? null }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('fetchTransport', () => {
  it('sends GET and POST with headers and returns status and body', async () => {
    const t = fetchTransport();
    const get = await t.send({ method: 'GET', url: `${url}/i?a=1`, headers: { 'X-A': 'h' }, timeoutMs: 2000 });
    expect(get.kind).toBe('response');
    if (get.kind === 'response') {
      expect(get.status).toBe(201);
      expect(JSON.parse(get.body)).toEqual({ method: 'GET', url: '/i?a=1', body: '', header: 'h' });
      expect(get.elapsedMs).toBeGreaterThanOrEqual(0);
    }
    const post = await t.send({ method: 'POST', url: `${url}/i`, headers: {}, body: 'a=1', timeoutMs: 2000 });
    expect(post.kind === 'response' && JSON.parse(post.body).body).toBe('a=1');
  });

  it('turns a timeout into a value', async () => {
    const t = fetchTransport();
    const r = await t.send({ method: 'GET', url: `${url}/slow`, headers: {}, timeoutMs: 100 });
    expect(r.kind).toBe('timeout');
  });

  it('turns a network error into a value', async () => {
    const r = await fetchTransport().send({ method: 'GET', url: 'http://127.0.0.1:9/i', headers: {}, timeoutMs: 2000 });
    expect(r.kind).toBe('network-error');
  });

  it('uses an injected fetch and clock', async () => {
    let t0 = 1000;
    const fake = (async () => new Response('{"result":"Success"}', { status: 200 })) as typeof fetch;
    const r = await fetchTransport({ fetch: fake, now: () => (t0 += 5) }).send({ method: 'POST', url: 'http://x/i', headers: {}, body: '', timeoutMs: 10 });
    expect(r).toEqual({ kind: 'response', status: 200, body: '{"result":"Success"}', elapsedMs: 5 });
  });

  it('a timeout AbortSignal refuses is a failed send, never a throw', async () => {
    const fake = (async () => new Response('{}', { status: 200 })) as typeof fetch;
    const r = await fetchTransport({ fetch: fake }).send({ method: 'GET', url: 'http://x/i', headers: {}, timeoutMs: 2 ** 40 });
    expect(r.kind).toBe('network-error');
  });

  it('reports a thrown non-Error as a network error', async () => {
    const fake = (async () => {
      throw 'nope';
    }) as unknown as typeof fetch;
    const r = await fetchTransport({ fetch: fake }).send({ method: 'GET', url: 'http://x/i', headers: {}, timeoutMs: 10 });
    expect(r).toMatchObject({ kind: 'network-error', message: 'nope' });
  });
});
