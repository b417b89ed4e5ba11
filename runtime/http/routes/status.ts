// Health, readiness and projection/partition status.
import type { FastifyInstance } from 'fastify';
import { type HealthState, healthz, readyz } from '../../metrics/health.ts';
import { errors } from '../errors.ts';
import { routeSchemas } from '../schemas.ts';
import type { RouteContext } from './context.ts';
import { answerFromOwner, awaitFreshness, type FreshnessQuery, knownProjection } from './guards.ts';

export function statusRoutes(app: FastifyInstance, ctx: RouteContext, health?: HealthState): void {
  app.get('/healthz', { schema: routeSchemas.health }, async (_request, reply) => {
    if (!health) return { status: 'ok' };
    const r = healthz(health);
    return reply.code(r.statusCode).send(r.body);
  });

  app.get('/readyz', { schema: routeSchemas.ready }, async (_request, reply) => {
    if (!health) {
      if (!ctx.source.ready()) throw errors.restoring();
      return { status: 'ready' };
    }
    const r = readyz(health);
    if (r.statusCode === 503) reply.header('retry-after', '1');
    return reply.code(r.statusCode).send(r.body);
  });

  app.get('/projections', { schema: routeSchemas.projections }, async () => ({
    projections: await ctx.source.projections(),
    ...(ctx.views ? { views: ctx.views() } : {}),
  }));

  app.get<{ Params: { name: string } }>(
    '/projections/:name',
    { schema: routeSchemas.projection },
    async (request) => {
      knownProjection(ctx, request.params.name, false);
      const all = await ctx.source.projections();
      const p = all.find((x) => x.name === request.params.name);
      if (!p) throw errors.unknownProjection();
      return p;
    },
  );

  app.get<{ Params: { name: string; partition: number }; Querystring: FreshnessQuery }>(
    '/projections/:name/partitions/:partition',
    { schema: routeSchemas.partition },
    async (request, reply) => {
      const { name, partition } = request.params;
      knownProjection(ctx, name, false);
      const owner = ctx.source.owners(name)[partition];
      if (!owner) throw errors.badRequest('no such partition');
      if (!owner.local)
        return answerFromOwner(
          ctx,
          request,
          reply,
          owner,
          request.query.timeoutMs ?? ctx.defaultWaitMs,
          'partition',
        );
      for (const m of request.query.minOffset?.flatMap((x) => x.split(',')) ?? [])
        if (!m.startsWith(`${partition}:`))
          throw errors.badRequest('invalid minOffset: it must name this partition');
      await awaitFreshness(ctx, request, name, request.query, [partition]);
      const status = ctx.source.partitionStatus(name, partition);
      if (!status) throw errors.unavailable('the owner of this partition is changing (rebalance); retry');
      return status;
    },
  );
}
