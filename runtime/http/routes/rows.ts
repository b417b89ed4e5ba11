// GET /projections/{name}/rows: range and prefix scans over every partition. The instance asked
// scans its own partitions and fans out to each other owner, naming the partitions it expects
// that owner to cover (an owner that no longer holds one answers 503, so a rebalance can never
// make a page miss or repeat rows). Every owner returns its first `limit` rows after the cursor;
// the merged first `limit` are the page, and the cursor is the last key returned. A windowed
// projection's rows are one per (key, window), in key then window-start order; pages are merged on
// the stored keys, and only the answer names each row's key and window (windows.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { errors } from '../errors.ts';
import { forwardGet, isForwarded, parseForwarded } from '../forwarding.ts';
import { compareUtf8 } from '../key-order.ts';
import { routeSchemas } from '../schemas.ts';
import { RESTORING, type ScannedRow } from '../state-source.ts';
import { windowedRow } from '../windows.ts';
import type { RouteContext } from './context.ts';
import { awaitFreshness, type FreshnessQuery, knownProjection } from './guards.ts';

interface RowsQuery extends FreshnessQuery {
  prefix?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
  partitions?: string;
}

interface Page {
  rows: ScannedRow[];
  next: string | null;
}

export function rowRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Params: { name: string }; Querystring: RowsQuery }>(
    '/projections/:name/rows',
    { schema: routeSchemas.rows },
    async (request) => {
      const { name } = request.params;
      const q = request.query;
      knownProjection(ctx, name, true);
      const range = { prefix: q.prefix, from: q.from, to: q.to };
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, range);
      const owners = ctx.source.owners(name);

      if (isForwarded(request)) {
        // A fan-out leg: scan exactly the partitions the coordinator believes we own.
        const wanted = (q.partitions ?? '').split(',').filter(Boolean).map(Number);
        if (wanted.length === 0) throw errors.badRequest('a forwarded scan names its partitions');
        if (wanted.some((p) => !owners[p]?.local))
          throw errors.unavailable('partition ownership is changing (rebalance); retry');
        await awaitFreshness(ctx, request, name, { maxLagMs: q.maxLagMs, timeoutMs: q.timeoutMs }, wanted);
        return localPage(ctx, name, { ...range, after, limit: q.limit, partitions: wanted }, range);
      }

      const local = owners.filter((o) => o.local).map((o) => o.partition);
      const remote = new Map<string, number[]>();
      for (const o of owners) {
        if (o.local) continue;
        if (o.endpoint === null)
          throw errors.unavailable('the owner of a partition is not known yet (rebalance); retry');
        remote.set(o.endpoint, [...(remote.get(o.endpoint) ?? []), o.partition]);
      }
      // maxLagMs of remote partitions is checked by their owners (it travels with each leg).
      await awaitFreshness(ctx, request, name, q, local);
      const legs: Promise<Page>[] = [];
      if (local.length > 0)
        legs.push(localPage(ctx, name, { ...range, after, limit: q.limit, partitions: local }, range));
      for (const [endpoint, partitions] of remote)
        legs.push(remotePage(ctx, request, endpoint, name, q, partitions));
      const pages = await Promise.all(legs);
      const merged = pages.flatMap((p) => p.rows).sort((a, b) => compareUtf8(a.key, b.key));
      const rows = merged.slice(0, q.limit);
      const more = merged.length > q.limit || pages.some((p) => p.next !== null);
      const next = more && rows.length > 0 ? encodeCursor(rows.at(-1)!.key, range) : null;
      return { rows: ctx.source.windowOf(name) ? rows.map(windowedRow) : rows, next };
    },
  );
}

async function localPage(
  ctx: RouteContext,
  name: string,
  scan: { prefix?: string; from?: string; to?: string; after?: string; limit: number; partitions: number[] },
  range: { prefix?: string; from?: string; to?: string },
): Promise<Page> {
  // One row more than the page tells whether another page exists.
  const rows = await ctx.source.scan(name, { ...scan, limit: scan.limit + 1 });
  if (rows === RESTORING) throw errors.restoring();
  const page = rows.slice(0, scan.limit);
  return { rows: page, next: rows.length > scan.limit ? encodeCursor(page.at(-1)!.key, range) : null };
}

async function remotePage(
  ctx: RouteContext,
  request: FastifyRequest,
  endpoint: string,
  name: string,
  q: RowsQuery,
  partitions: number[],
): Promise<Page> {
  const params = new URLSearchParams();
  for (const k of ['prefix', 'from', 'to', 'cursor'] as const) if (q[k] !== undefined) params.set(k, q[k]);
  params.set('limit', String(q.limit));
  params.set('partitions', partitions.join(','));
  if (q.maxLagMs !== undefined) params.set('maxLagMs', String(q.maxLagMs));
  if (q.timeoutMs !== undefined) params.set('timeoutMs', String(q.timeoutMs));
  const wait = q.maxLagMs === undefined ? 0 : (q.timeoutMs ?? ctx.defaultWaitMs);
  const res = await forwardGet(
    endpoint,
    `/projections/${name}/rows?${params}`,
    request,
    wait + ctx.forwardTimeoutMs,
  );
  if (res.status !== 200) {
    const body = parseForwarded<{ error?: string }>(res);
    if (body.error === 'restoring') throw errors.restoring();
    if (body.error === 'not_fresh') throw errors.notFresh();
    throw errors.unavailable(`a partition owner refused the scan (${res.status}); retry`);
  }
  return parseForwarded<Page>(res);
}
