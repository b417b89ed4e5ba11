// Checks shared by the routes: a known projection, a queryable one, freshness waits, and answering
// from the owner of a partition.
import { errors } from '../errors.ts';
import { forwardGet, isForwarded } from '../forwarding.ts';
import { type MinOffset, parseMinOffsets, waitForLag } from '../freshness.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Owner } from '../state-source.ts';
import type { RouteContext } from './context.ts';

export interface FreshnessQuery {
  minOffset?: string[];
  maxLagMs?: number;
  timeoutMs?: number;
}

export function knownProjection(ctx: RouteContext, name: string, needTable: boolean): void {
  if (!ctx.source.has(name)) throw errors.unknownProjection();
  if (needTable && !ctx.source.queryable(name)) throw errors.notQueryable();
}

/**
 * Waits until every minOffset holds (asking the owner of a remote partition through its partition
 * route) and until the given local partitions lag at most maxLagMs. 503 not_fresh on timeout.
 */
export async function awaitFreshness(
  ctx: RouteContext,
  request: FastifyRequest,
  projection: string,
  q: FreshnessQuery,
  lagPartitions: number[],
): Promise<void> {
  const mins = parseMinOffsets(q.minOffset);
  if (mins.length === 0 && q.maxLagMs === undefined) return;
  const waitMs = q.timeoutMs ?? ctx.defaultWaitMs;
  const deadline = Date.now() + waitMs;
  const checks = mins.map((m) => awaitOffset(ctx, request, projection, m, waitMs));
  const maxLag = q.maxLagMs;
  if (maxLag !== undefined)
    for (const p of lagPartitions)
      checks.push(waitForLag(() => ctx.source.partitionStatus(projection, p)?.lagMs, maxLag, deadline));
  const ok = await Promise.all(checks);
  if (!ok.every(Boolean)) throw errors.notFresh();
}

async function awaitOffset(
  ctx: RouteContext,
  request: FastifyRequest,
  projection: string,
  m: MinOffset,
  waitMs: number,
): Promise<boolean> {
  const owners = ctx.source.owners(projection);
  const owner = owners[m.partition];
  if (!owner) throw errors.badRequest('invalid minOffset: no such partition');
  if (owner.local) return ctx.source.waitFor(projection, m.partition, m.offset, waitMs);
  if (owner.endpoint === null)
    throw errors.unavailable('the owner of a partition is not known yet (rebalance); retry');
  const path = `/projections/${projection}/partitions/${m.partition}?minOffset=${m.partition}:${m.offset}&timeoutMs=${waitMs}`;
  const res = await forwardGet(owner.endpoint, path, request, waitMs + ctx.forwardTimeoutMs);
  return res.status === 200;
}

/**
 * Sends the request on to the owner of the data and answers with its answer; 503 when the owner is
 * not known or the request was already forwarded once (a stale ownership view, never a loop).
 */
export async function answerFromOwner(
  ctx: RouteContext,
  request: FastifyRequest,
  reply: FastifyReply,
  owner: Owner,
  waitMs: number,
  what = 'key',
): Promise<FastifyReply> {
  if (isForwarded(request) || owner.endpoint === null)
    throw errors.unavailable(`the owner of this ${what} is changing (rebalance); retry`);
  const res = await forwardGet(owner.endpoint, request.url, request, waitMs + ctx.forwardTimeoutMs);
  if (res.retryAfter) reply.header('retry-after', res.retryAfter);
  return reply.code(res.status).type('application/json').send(res.body);
}
