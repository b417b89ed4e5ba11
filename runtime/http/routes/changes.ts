// GET /projections/{name}/changes: a projection's committed row changes as Server-Sent Events,
// from its output topic (runtime/http/feeds/: why that topic, delivery, resume, backpressure).
// Mounted beside the query routes by the query service; the bearer token is checked by the
// server's onRequest hook like every other route.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, HttpError } from '../errors.ts';
import type { Feeds } from '../feeds/feeds.ts';
import { parsePositions, type Positions } from '../feeds/positions.ts';
import { Subscription } from '../feeds/subscription.ts';
import { MAX_KEY_LENGTH } from '../schemas.ts';

interface ChangesQuery {
  key?: string;
  prefix?: string;
  lastEventId?: string;
}

const error = {
  type: 'object',
  required: ['error', 'reason'],
  properties: { error: { type: 'string' }, reason: { type: 'string' } },
} as const;

export const changesSchema = {
  summary:
    'Every committed change of the projection from now (or from Last-Event-ID) as Server-Sent Events: `change` (key, value or deleted, partition, offset, timestamp), `ready`, `compacted` + `snapshot` + `snapshot-end` when the resume position was compacted away, and `end` with a reason when the server cuts the stream (slow_consumer, shutting_down, feed_failed). Event ids are per-partition positions; send the last one as Last-Event-ID to resume without gaps or repeats.',
  params: {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*(-v[1-9][0-9]*)?$', maxLength: 128 },
    },
  },
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: {
      key: { type: 'string', maxLength: MAX_KEY_LENGTH, description: 'Only changes of this encoded key.' },
      prefix: {
        type: 'string',
        maxLength: MAX_KEY_LENGTH,
        description: 'Only encoded keys starting with this.',
      },
      lastEventId: {
        type: 'string',
        maxLength: 200_000,
        description: 'Resume position, as the Last-Event-ID header (which wins when both are sent).',
      },
    },
  },
  response: {
    200: {
      description: 'An event stream (text/event-stream).',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    },
    400: error,
    401: error,
    404: error,
    503: error,
  },
};

export function changeRoutes(app: FastifyInstance, feeds: Feeds): void {
  app.addHook('preClose', async () => feeds.close());
  app.get<{ Params: { name: string }; Querystring: ChangesQuery }>(
    '/projections/:name/changes',
    { schema: changesSchema },
    async (request, reply) => {
      const { name } = request.params;
      const { key, prefix } = request.query;
      if (key !== undefined && prefix !== undefined)
        throw errors.badRequest('key and prefix filter the same thing: give one of them');
      const topic = feeds.topicOf(name);
      if (topic === undefined) throw errors.unknownProjection();
      if (topic === null)
        throw errors.badRequest(
          'this projection writes no output topic (output: false): it has no change feed',
        );
      let feed;
      try {
        feed = await feeds.feed(name, topic);
      } catch {
        throw errors.unavailable('the output topic cannot be read now; retry');
      }
      const positions = resumePositions(request, feed.partitions) ?? new Map(feed.tailPositions);
      return stream(request, reply, feeds, feed, { key, prefix }, positions);
    },
  );
}

function resumePositions(
  request: FastifyRequest<{ Querystring: ChangesQuery }>,
  partitions: number,
): Positions | undefined {
  const header = request.headers['last-event-id'];
  const text = typeof header === 'string' ? header : request.query.lastEventId;
  if (text === undefined || text === '') return undefined;
  const parsed = parsePositions(text, partitions);
  if (typeof parsed === 'string') throw errors.badRequest(parsed);
  return parsed;
}

async function stream(
  request: FastifyRequest,
  reply: FastifyReply,
  feeds: Feeds,
  feed: Awaited<ReturnType<Feeds['feed']>>,
  filter: { key?: string; prefix?: string },
  positions: Positions,
): Promise<FastifyReply> {
  const ranges = await feed.offsets().catch(() => {
    throw errors.unavailable('the output topic cannot be read now; retry');
  });
  for (const [p, o] of positions)
    if (o > ranges.get(p)!.end)
      throw new HttpError(400, 'bad_request', 'invalid Last-Event-ID: a position is past the end of the log');
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  // EventSource reconnects after `retry` ms by itself, sending the last id it saw.
  res.write('retry: 1000\n\n');
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const sub: Subscription = new Subscription({
    feed,
    res,
    filter,
    positions,
    maxBufferedBytes: feeds.maxBufferedBytes,
    stallMs: feeds.stallMs,
    limit: feeds.limit,
    logger: request.log as never,
    onEnd: (reason) => {
      clearInterval(keepAlive);
      feeds.untrack(sub);
      if (reason !== 'client_closed') request.log.info({ reason }, 'change feed stream cut off');
    },
  });
  feeds.track(sub);
  sub.start().catch(() => sub.end('feed_failed'));
  return reply;
}
