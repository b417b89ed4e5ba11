// JSON errors: `{ "error": <code>, "reason": <text> }`. Reasons are fixed texts written here, never
// the request's raw input: a reflected key or path could carry markup or log-forging bytes.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'unknown_projection'
  | 'not_queryable'
  | 'payload_too_large'
  | 'unavailable'
  | 'restoring'
  | 'not_fresh'
  | 'request_timeout'
  | 'no_history'
  | 'history_trimmed'
  | 'unknown_source'
  | 'older_than_horizon'
  | 'idempotency_key_reused';

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    readonly reason: string,
    /** Seconds, sent as Retry-After (503 only). */
    readonly retryAfter?: number,
  ) {
    super(reason);
  }
}

export const errors = {
  unknownProjection: () => new HttpError(404, 'unknown_projection', 'no projection with this name'),
  notQueryable: () =>
    new HttpError(400, 'not_queryable', 'this projection is a stream: it keeps no table to query'),
  keyNotFound: () => new HttpError(404, 'not_found', 'no row with this key'),
  restoring: () =>
    new HttpError(503, 'restoring', 'the partition holding this data is restoring its state', 1),
  unavailable: (reason: string) => new HttpError(503, 'unavailable', reason, 1),
  notFresh: () =>
    new HttpError(
      503,
      'not_fresh',
      'the owner did not reach the requested offset or lag within the timeout',
      1,
    ),
  badRequest: (reason: string) => new HttpError(400, 'bad_request', reason),
  noHistory: () =>
    new HttpError(
      400,
      'no_history',
      'this projection keeps no history: declare history in its definition to read it with asOf',
    ),
  badAsOf: () =>
    new HttpError(
      400,
      'bad_request',
      'invalid asOf: write an ISO-8601 date, or a date-time with a zone (Z or +hh:mm)',
    ),
  keyNotFoundAsOf: () => new HttpError(404, 'not_found', 'no row with this key at that time'),
  historyTrimmed: () =>
    new HttpError(
      410,
      'history_trimmed',
      'that time precedes the retained history of this key (older versions were dropped)',
    ),
};

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter));
  // Also here: errors raised before routing (bad URLs) skip the onSend hook.
  reply.header('x-content-type-options', 'nosniff');
  return reply.code(err.statusCode).send({ error: err.code, reason: err.reason });
}

/** Maps every thrown error, ours or fastify's, to the JSON error shape without echoing input. */
export function errorHandler(
  err: FastifyError | HttpError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof HttpError) return sendError(reply, err);
  const status = err.statusCode ?? 500;
  if (err.validation) {
    // Ajv's messages name the parameter and the rule (`querystring/limit must be <= 1000`),
    // never the value.
    return sendError(
      reply,
      errors.badRequest(`invalid ${err.validationContext ?? 'request'}: ${safeText(err.message)}`),
    );
  }
  if (status === 413)
    return sendError(reply, new HttpError(413, 'payload_too_large', 'request body too large'));
  if (status === 408) return sendError(reply, new HttpError(408, 'request_timeout', 'request timed out'));
  if (status >= 400 && status < 500) return sendError(reply, errors.badRequest('malformed request'));
  request.log.error({ err }, 'request failed');
  return sendError(reply, new HttpError(500, 'unavailable', 'internal error'));
}

/** Keeps printable ASCII only and bounds the length: a last guard for messages we did not write. */
export function safeText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}
