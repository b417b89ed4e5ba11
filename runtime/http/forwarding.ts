// Requests for data another instance owns are forwarded to it (not redirected: clients need to
// know one address, and the token never travels to a URL the client did not choose). A forwarded
// request carries FORWARDED_HEADER; an instance never forwards such a request again, so a stale
// ownership view costs a 503, never a loop.
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
  let res: Response;
  try {
    res = await fetch(url, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
      ...(post ? { method: 'POST', body: JSON.stringify(post.body) } : {}),
    });
  } catch {
    throw errors.unavailable('the instance that owns this data did not answer; retry');
  }
  const body = await res.text().catch(() => {
    throw errors.unavailable('the instance that owns this data did not answer; retry');
  });
  if (res.status >= 500 && res.status !== 503)
    throw errors.unavailable('the instance that owns this data failed to answer; retry');
  return { status: res.status, body, retryAfter: res.headers.get('retry-after') ?? undefined };
}

/** Parses a forwarded JSON answer; a peer speaking nonsense is unavailable, not our 500. */
export function parseForwarded<T>(f: ForwardedResponse): T {
  try {
    return JSON.parse(f.body) as T;
  } catch {
    throw errors.unavailable('the instance that owns this data sent an unreadable answer; retry');
  }
}
