// Requests for data another instance owns are forwarded to it (not redirected: clients need to
// know one address, and the token never travels to a URL the client did not choose). A forwarded
// request carries FORWARDED_HEADER; an instance never forwards such a request again, so a stale
// ownership view costs a 503, never a loop.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FastifyRequest } from 'fastify';
import { errors } from './errors.ts';

export const FORWARDED_HEADER = 'x-streamfold-forwarded';

export function isForwarded(request: FastifyRequest): boolean {
  return request.headers[FORWARDED_HEADER] !== undefined;
}

export interface ForwardedResponse {
  status: number;
  body: string;
  retryAfter?: string;
}

/** GETs `path` (with its query string) from `endpoint`; 503 errors when it cannot be reached. */
export function forwardGet(
  endpoint: string,
  pathAndQuery: string,
  request: FastifyRequest,
  timeoutMs: number,
): Promise<ForwardedResponse> {
  return forwardRequest(endpoint, pathAndQuery, request, timeoutMs);
}

/**
 * Sends the request on to `endpoint` (GET, or POST with a JSON body and the Idempotency-Key of a
 * command); 503 errors when it cannot be reached.
 */
export async function forwardRequest(
  endpoint: string,
  pathAndQuery: string,
  request: FastifyRequest,
  timeoutMs: number,
  post?: { body: unknown },
): Promise<ForwardedResponse> {
  const headers: Record<string, string> = { [FORWARDED_HEADER]: '1', accept: 'application/json' };
  if (typeof request.headers.authorization === 'string')
    headers.authorization = request.headers.authorization;
  if (post) {
    headers['content-type'] = 'application/json';
    const key = request.headers['idempotency-key'];
    if (typeof key === 'string') headers['idempotency-key'] = key;
  }
  // Appended, never resolved: a path like `//host/x` must not leave the owner's origin.
  const url = new URL(endpoint.replace(/\/+$/, '') + pathAndQuery);
  if (url.origin !== new URL(endpoint).origin) throw errors.badRequest('malformed URL');
  let res: ForwardedResponse;
  try {
    res = await exchange(url, headers, timeoutMs, post ? JSON.stringify(post.body) : undefined);
  } catch {
    throw errors.unavailable('the instance that owns this data did not answer; retry');
  }
  if (res.status >= 500 && res.status !== 503)
    throw errors.unavailable('the instance that owns this data failed to answer; retry');
  return res;
}

// Keep-alive connections to the other instances. node:http rather than fetch: fetch (undici's
// WHATWG Request, Headers, streams) was 13–16% of each instance's busy main thread when two
// instances forwarded half of 64 clients' commands to each other
// (bench/results/commands/2026-12-08-what-bounds-64-clients.md).
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/** One request and its whole answer as text, within `timeoutMs`; rejects when it cannot complete. */
function exchange(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
  body?: string,
): Promise<ForwardedResponse> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: body === undefined ? 'GET' : 'POST',
        headers:
          body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: agents[url.protocol as keyof typeof agents],
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('the answer was cut off')));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Parses a forwarded JSON answer; a peer speaking nonsense is unavailable, not our 500. */
export function parseForwarded<T>(f: ForwardedResponse): T {
  try {
    return JSON.parse(f.body) as T;
  } catch {
    throw errors.unavailable('the instance that owns this data sent an unreadable answer; retry');
  }
}
