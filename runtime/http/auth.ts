// Optional bearer token for every endpoint; admin endpoints (POST /admin/...) always need one, so
// an instance started without a token refuses them.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

export function bearerToken(request: FastifyRequest): string | undefined {
  return bearerOf(request.headers.authorization);
}

/** The token of an `Authorization: Bearer <token>` header value. */
export function bearerOf(h: string | undefined): string | undefined {
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(h);
  return m?.[1];
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws 401/403 unless the request may proceed. */
export function authorize(request: FastifyRequest, token: string | undefined, admin: boolean): void {
  if (token === undefined) {
    if (admin)
      throw new HttpError(403, 'forbidden', 'admin endpoints need the server to be started with a token');
    return;
  }
  if (!tokenMatches(bearerToken(request), token))
    throw new HttpError(401, 'unauthorized', 'missing or wrong bearer token');
}
