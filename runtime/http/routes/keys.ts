// GET /projections/{name}/keys/{key}[?asOf=]: answered by the owner of the key's partition; any
// other instance forwards the request there (asOf included: history lives with the rows), unless
// `allowStandby` lets a warm standby copy on this instance answer. For a
// windowed projection it lists the key's windows (`from` ≤ window start < `to`, `limit` per page).
import type { FastifyInstance } from 'fastify';
import { parseAsOf } from '../../stores/history-read.ts';
import { errors } from '../errors.ts';
import { routeSchemas } from '../schemas.ts';
import { RESTORING, type ScanRange } from '../state-source.ts';
import { parseWindowBound, windowedRow, windowsOfKey } from '../windows.ts';
import type { RouteContext } from './context.ts';
import { answerFromOwner, awaitFreshness, type FreshnessQuery, knownProjection } from './guards.ts';

interface KeyQuery extends FreshnessQuery {
  asOf?: string;
  from?: string;
  to?: string;
  limit?: number;
  allowStandby?: boolean;
}

const DEFAULT_WINDOWS = 100;

export function keyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get<{ Params: { name: string; key: string }; Querystring: KeyQuery }>(
    '/projections/:name/keys/:key',
    { schema: routeSchemas.key },
    async (request, reply) => {
      const { name, key } = request.params;
      const q = request.query;
      knownProjection(ctx, name, true);
      // Checked before forwarding: every instance knows the definition.
      let asOf: number | undefined;
      if (q.asOf !== undefined) {
        asOf = parseAsOf(q.asOf);
        if (asOf === undefined) throw errors.badAsOf();
        if (!ctx.source.hasHistory(name)) throw errors.noHistory();
      }
      const windowed = ctx.source.windowOf(name) !== undefined;
      if (!windowed && (q.from !== undefined || q.to !== undefined || q.limit !== undefined))
        throw errors.badRequest(
          'from, to and limit list the windows of a windowed projection; this one has none',
        );
      if (windowed && asOf !== undefined)
        throw errors.badRequest(
          'asOf does not apply to a windowed projection: list its windows with from/to',
        );
      const windows = windowed
        ? windowsOfKey(key, parseWindowBound(q.from, 'from'), parseWindowBound(q.to, 'to'))
        : undefined;

      const owner = ctx.source.ownerOf(name, key);
      if (!owner.local && q.allowStandby && asOf === undefined && !windows) {
        // A warm copy here answers at once, within the staleness bound; else the owner does.
        const copy = ctx.source.getFromStandby?.(name, key, q.maxLagMs);
        if (copy) {
          if (copy.row === undefined) throw errors.keyNotFound();
          return { key, ...copy.row, standby: true, stalenessMs: copy.stalenessMs };
        }
      }
      if (!owner.local) return answerFromOwner(ctx, request, reply, owner, q.timeoutMs ?? ctx.defaultWaitMs);
      await awaitFreshness(ctx, request, name, q, [owner.partition]);
      if (windows) return listWindows(ctx, name, key, owner.partition, windows, q.limit ?? DEFAULT_WINDOWS);
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
    },
  );
}

/**
 * One key's windows in the range, by window start: at most `limit`, and `next` (the start of the
 * first window left out, to pass as `from`) or null. No window is an empty list, not a 404.
 */
async function listWindows(
  ctx: RouteContext,
  name: string,
  key: string,
  partition: number,
  range: Pick<ScanRange, 'prefix' | 'from' | 'to'>,
  limit: number,
) {
  const rows = await ctx.source.scan(name, { ...range, limit: limit + 1, partitions: [partition] });
  if (rows === RESTORING) throw errors.restoring();
  const windows = rows.map(windowedRow).map(({ key: _key, partition: _p, ...window }) => window);
  return {
    key,
    partition,
    windows: windows.slice(0, limit),
    next: windows.length > limit ? windows[limit]!.windowStart : null,
  };
}
