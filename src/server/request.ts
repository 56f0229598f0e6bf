/** Request parsing for chartly-server: the URL split, body reading and body decoding, and the answer headers. */
import type { IncomingMessage } from 'node:http';
import { parseJsonBody, parseUrlEncoded, type Params } from './rules.js';

export const BASE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Access-Control-Allow-Origin': '*',
} as const;

// spec: server-rules.md "HTTP" — the preflight answer.
export const CORS_HEADERS = {
  ...BASE_HEADERS,
  'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
  'Access-Control-Allow-Headers': 'countly-token, Content-Type',
} as const;

/** A request URL's path (without query) and raw query (without fragment). */
export function splitUrl(url: string): { path: string; rawQuery: string } {
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt === -1 ? '' : url.slice(queryAt + 1).split('#')[0] ?? '';
  return { path, rawQuery };
}

/** The whole body as text, or `undefined` when the client went away. */
export function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // After 'end' this resolve is a no-op; before it, the client went away mid-body.
    req.on('close', () => resolve(undefined));
    req.on('error', () => resolve(undefined));
  });
}

/** spec: server-rules.md "HTTP" — urlencoded bodies, and JSON bodies; `null` = unparseable JSON. */
export function parseBody(rawBody: string, contentType: string | undefined): Params | null {
  if (rawBody === '') return {};
  if (contentType !== undefined && contentType.toLowerCase().includes('application/json')) return parseJsonBody(rawBody);
  return parseUrlEncoded(rawBody);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
