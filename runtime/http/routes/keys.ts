// GET /projections/{name}/keys/{key}[?asOf=]: answered by the owner of the key's partition; any
// other instance forwards the request there (asOf included: history lives with the rows).
import type { FastifyInstance } from 'fastify';
import { parseAsOf } from '../../stores/history-read.ts';
import { errors } from '../errors.ts';
import { forwardGet, isForwarded } from '../forwarding.ts';
import { routeSchemas } from '../schemas.ts';
import { RESTORING } from '../state-source.ts';
import type { RouteContext } from './context.ts';
import { awaitFreshness, type FreshnessQuery, knownProjection } from './guards.ts';

export function keyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{
    Params: { name: string; key: string };
    Querystring: FreshnessQuery & { asOf?: string; allowStandby?: boolean };
  }>('/projections/:name/keys/:key', { schema: routeSchemas.key }, async (request, reply) => {
    const { name, key } = request.params;
    knownProjection(ctx, name, true);
    // Checked before forwarding: every instance knows the definition.
    let asOf: number | undefined;
    if (request.query.asOf !== undefined) {
      asOf = parseAsOf(request.query.asOf);
      if (asOf === undefined) throw errors.badAsOf();
      if (!ctx.source.hasHistory(name)) throw errors.noHistory();
    }
    const owner = ctx.source.ownerOf(name, key);
    if (!owner.local && request.query.allowStandby && asOf === undefined) {
      // A warm copy here answers at once, within the staleness bound; else the owner does.
      const copy = ctx.source.getFromStandby?.(name, key, request.query.maxLagMs);
      if (copy) {
        if (copy.row === undefined) throw errors.keyNotFound();
        return { key, ...copy.row, standby: true, stalenessMs: copy.stalenessMs };
      }
    }
    if (!owner.local) {
      if (isForwarded(request) || owner.endpoint === null)
        throw errors.unavailable('the owner of this key is changing (rebalance); retry');
      const wait = request.query.timeoutMs ?? ctx.defaultWaitMs;
      const res = await forwardGet(owner.endpoint, request.url, request, wait + ctx.forwardTimeoutMs);
      if (res.retryAfter) reply.header('retry-after', res.retryAfter);
      return reply.code(res.status).type('application/json').send(res.body);
    }
    await awaitFreshness(ctx, request, name, request.query, [owner.partition]);
    if (asOf !== undefined) {
      const then = ctx.source.getAsOf(name, key, asOf);
      if (then === RESTORING) throw errors.restoring();
      if (then === undefined)
        throw errors.unavailable('the owner of this key is changing (rebalance); retry');
      if (then.kind === 'trimmed') throw errors.historyTrimmed();
      if (then.kind === 'absent') throw errors.keyNotFoundAsOf();
      return { key, value: then.value, partition: then.partition, updatedAt: then.since };
    }
    const row = ctx.source.get(name, key);
    if (row === RESTORING) throw errors.restoring();
    if (row === undefined) throw errors.keyNotFound();
    return { key, ...row };
  });
}
