// POST /commands/{name} and GET /commands/{name}/{id}?key= (docs/http.md, "Commands"): the body
// is the command's input; the instance owning the entity's partition decides it (runtime/commands/),
// any other forwards the request there. The answer waits for the commit that carries the outcome:
// 201 accepted (200 for a retry answered from the stored outcome), 409 rejected or a version
// conflict, 422 an Idempotency-Key used before for another request, 400 invalid input, 503 + Retry-After while the partition restores or moves, 202 with a
// URL to poll when the commit takes longer than the wait.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { CommandRequest, CommandResult, StoredOutcome } from '../../commands/index.ts';
import { encodeKey } from '../../../projections/keys.ts';
import { commandTrace } from '../../metrics/command-trace.ts';
import { errors, HttpError, safeText } from '../errors.ts';
import { forwardRequest, isForwarded } from '../forwarding.ts';
import type { RouteContext } from './context.ts';

/** What the routes need from the runtime's command executor (attached once the application runs). */
export interface CommandGateway {
  /** The declared command names (a 404 for others, before anything is forwarded). */
  names: ReadonlySet<string>;
  /** The projection whose partitions are the entity's (ownership for forwarding). */
  ownershipProjection: string;
  /** The entity key in a body, when the body names one (forwarding happens before validation). */
  keyOf(command: string, body: unknown): unknown;
  execute(request: CommandRequest): Promise<CommandResult>;
  /** The commands' OpenAPI document (projections/commands/openapi.ts), merged into /openapi.json. */
  openApi?: { paths?: unknown };
  /** A stored outcome, when this instance owns the key's partition. */
  outcome(command: string, id: string, key: unknown): { local: boolean; outcome?: StoredOutcome } | undefined;
}

const MAX_ID_LENGTH = 200;
const DEFAULT_WAIT_MS = 10_000;

const postSchema = {
  summary: 'Execute a command (the body is its input; Idempotency-Key header for retries)',
  params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
  querystring: {
    type: 'object',
    properties: {
      expectedVersion: { type: 'string', description: 'any, no_stream, exists or a version number' },
      timeoutMs: {
        type: 'integer',
        minimum: 0,
        maximum: 60_000,
        description: 'how long to wait for the outcome',
      },
    },
    additionalProperties: false,
  },
} as const;

const outcomeSchema = {
  summary: "A command's outcome by its id (the entity key in `key`), within the outcome horizon",
  params: {
    type: 'object',
    properties: { name: { type: 'string' }, id: { type: 'string', maxLength: MAX_ID_LENGTH } },
    required: ['name', 'id'],
  },
  querystring: {
    type: 'object',
    properties: { key: { type: 'string', description: 'the entity key of the command' } },
    required: ['key'],
    additionalProperties: false,
  },
} as const;

export function commandRoutes(app: FastifyInstance, ctx: RouteContext, gateway: CommandGateway): void {
  if (commandTrace)
    app.addHook('onResponse', async (request, reply) => {
      const id = request.headers['idempotency-key'];
      if (request.method === 'POST' && typeof id === 'string' && request.url.startsWith('/commands/'))
        commandTrace?.recordHttp(id, reply.elapsedTime);
    });
  app.post<{
    Params: { name: string };
    Querystring: { expectedVersion?: string; timeoutMs?: number };
    Body: unknown;
  }>('/commands/:name', { schema: postSchema }, async (request, reply) => {
    const { name } = request.params;
    if (!gateway.names.has(name)) throw new HttpError(404, 'not_found', 'no command with this name');
    const idHeader = request.headers['idempotency-key'];
    if (
      idHeader !== undefined &&
      (typeof idHeader !== 'string' || idHeader.length === 0 || idHeader.length > MAX_ID_LENGTH)
    )
      throw errors.badRequest(
        `Idempotency-Key must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
      );
    const wait = request.query.timeoutMs ?? DEFAULT_WAIT_MS;
    // The id is known here, so a 202 can name it even when the client sent none.
    const id = idHeader ?? randomUUID();
    const pending = gateway.execute({
      command: name,
      body: request.body,
      id,
      expectedVersion: request.query.expectedVersion,
      httpReceivedAt: commandTrace ? performance.now() - reply.elapsedTime : undefined,
    });
    const result = await Promise.race([pending, delay(wait)]);
    if (result === undefined) {
      // Still waiting for its commit: the outcome will be stored (or the command fails and a
      // retry with the same id decides again). The client polls for it.
      void pending.catch(() => undefined);
      const key = encodeKey(gateway.keyOf(name, request.body));
      const poll = `/commands/${encodeURIComponent(name)}/${encodeURIComponent(id)}?key=${encodeURIComponent(key)}`;
      return reply.code(202).header('location', poll).send({ command: name, id, outcome: 'pending', poll });
    }
    if (result.status === 'elsewhere') {
      const key = gateway.keyOf(name, request.body);
      const owner = ctx.source.ownerOf(gateway.ownershipProjection, encodeKey(key));
      if (isForwarded(request) || owner.local || owner.endpoint === null)
        throw errors.unavailable('the owner of this entity is changing (rebalance); retry');
      const res = await forwardRequest(owner.endpoint, request.url, request, wait + ctx.forwardTimeoutMs, {
        body: request.body,
      });
      if (res.retryAfter) reply.header('retry-after', res.retryAfter);
      return reply.code(res.status).type('application/json').send(res.body);
    }
    return sendResult(reply, name, result);
  });

  app.get<{ Params: { name: string; id: string }; Querystring: { key: string } }>(
    '/commands/:name/:id',
    { schema: outcomeSchema },
    async (request, reply) => {
      const { name, id } = request.params;
      if (!gateway.names.has(name)) throw new HttpError(404, 'not_found', 'no command with this name');
      const found = gateway.outcome(name, id, request.query.key);
      if (!found?.local) {
        const owner = ctx.source.ownerOf(gateway.ownershipProjection, request.query.key);
        if (isForwarded(request) || owner.local || owner.endpoint === null)
          throw errors.unavailable('the owner of this entity is changing (rebalance); retry');
        const res = await forwardRequest(owner.endpoint, request.url, request, ctx.forwardTimeoutMs);
        if (res.retryAfter) reply.header('retry-after', res.retryAfter);
        return reply.code(res.status).type('application/json').send(res.body);
      }
      if (!found.outcome)
        throw new HttpError(
          404,
          'not_found',
          'no outcome for this command id (not decided, or past the horizon)',
        );
      return sendOutcome(reply, name, id, found.outcome, true);
    },
  );
}

function sendResult(reply: FastifyReply, name: string, result: CommandResult): FastifyReply {
  switch (result.status) {
    case 'unknown_command':
      throw new HttpError(404, 'not_found', 'no command with this name');
    case 'invalid':
      reply.header('x-content-type-options', 'nosniff');
      return reply.code(400).send({
        error: 'bad_request',
        reason: 'invalid command input',
        errors: result.errors.map((e) => ({ field: safeText(e.field), message: safeText(e.message) })),
      });
    case 'unavailable':
      throw errors.unavailable(safeText(result.reason));
    case 'elsewhere':
      throw errors.unavailable('the owner of this entity is changing (rebalance); retry');
    case 'reused':
      // The IETF Idempotency-Key draft's answer to a key reused for another request.
      throw new HttpError(
        422,
        'idempotency_key_reused',
        result.command === name
          ? 'this Idempotency-Key was used for this command with another body or expectedVersion: send a new key for a new request, the same key only to retry the same request'
          : `this Idempotency-Key was used for command ${result.command}: send a new key for a new request, the same key only to retry the same request`,
      );
    case 'decided':
      return sendOutcome(reply, name, result.id, result.outcome, result.replayed);
  }
}

function sendOutcome(
  reply: FastifyReply,
  command: string,
  id: string,
  outcome: StoredOutcome,
  replayed: boolean,
): FastifyReply {
  const { at: _at, ...rest } = outcome;
  const status = outcome.outcome === 'accepted' ? (replayed ? 200 : 201) : 409;
  return reply.code(status).send({ command, id, replayed, ...rest });
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
