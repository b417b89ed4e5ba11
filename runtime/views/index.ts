// Materialized views in PostgreSQL (docs/views.md): started by `streamfold run` beside the
// projections, observed in /projections, /metrics and the dashboard.
import { Counter, Gauge } from 'prom-client';
import type { Definition } from '../../projections/definition/schema.ts';
import type { Logger } from '../log/logger.ts';
import type { QueryService } from '../serve/query-service.ts';
import type { VersionedRuntime } from '../versions/versioned-runtime.ts';
import { UserError } from '../app/errors.ts';
import { ensureLocalPostgres } from './local-postgres.ts';
import { ViewsRuntime } from './views-runtime.ts';

export { ViewDatabaseError } from './database.ts';
export { ViewTableMismatch } from './table.ts';
export { type ViewStatus, ViewsRuntime } from './views-runtime.ts';

export interface StartViewsOptions {
  definition: Definition;
  brokers: string[];
  runtime: VersionedRuntime;
  logger: Logger;
  service?: QueryService;
  onFatal: (err: Error) => void;
}

/** Starts the views the definition declares (none: undefined). */
export async function startViews(options: StartViewsOptions): Promise<ViewsRuntime | undefined> {
  if (!ViewsRuntime.wanted(options.definition)) return undefined;
  const definition = await withLocalPostgres(options.definition, options.logger);
  const registry = options.service?.metrics.registry;
  const rows = registry
    ? new Counter({
        name: 'streamfold_view_rows_total',
        help: 'Rows upserted or deleted in PostgreSQL views',
        labelNames: ['projection'],
        registers: [registry],
      })
    : undefined;
  const views: ViewsRuntime = new ViewsRuntime({
    definition,
    brokers: options.brokers,
    deployment: options.runtime,
    logger: options.logger,
    onFatal: options.onFatal,
    onApplied: (projection, n) => rows?.inc({ projection }, n),
  });
  if (registry)
    new Gauge({
      name: 'streamfold_view_lag_records',
      help: 'Output-topic records not yet applied to the PostgreSQL view',
      labelNames: ['projection', 'version'],
      registers: [registry],
      collect() {
        this.reset();
        for (const v of views.status())
          this.set({ projection: v.projection, version: String(v.version) }, v.lag);
      },
    });
  try {
    await views.start();
  } catch (err) {
    await views.stop().catch(() => undefined);
    throw err;
  }
  options.service?.showViews(() => views.status());
  return views;
}

/** An empty URL means the local development cluster: started here, like the local broker. */
async function withLocalPostgres(definition: Definition, logger: Logger): Promise<Definition> {
  const empty = (url: string | undefined) => url !== undefined && url.trim() === '';
  const projections = Object.values(definition.projections);
  const needed =
    Object.values(definition.postgres ?? {}).some((c) => empty(c.url)) ||
    projections.some((p) => empty(p.views?.postgres.url));
  if (!needed) return definition;
  let url: string;
  try {
    const local = await ensureLocalPostgres({ log: (line) => logger.info(line) });
    url = local.url;
    logger.info(
      `no PostgreSQL URL configured: using the local cluster${local.started ? ', started now; stop it with npm run postgres:stop' : ''}. Look at the views: psql ${url}`,
    );
  } catch (err) {
    throw new UserError(
      `a view has no PostgreSQL URL and the local cluster could not start: ${(err as Error).message}`,
    );
  }
  const fill = <T extends { url?: string }>(c: T): T => (empty(c.url) ? { ...c, url } : c);
  return {
    ...definition,
    postgres: Object.fromEntries(Object.entries(definition.postgres ?? {}).map(([n, c]) => [n, fill(c)])),
    projections: Object.fromEntries(
      Object.entries(definition.projections).map(([n, p]) => [
        n,
        p.views ? { ...p, views: { postgres: fill(p.views.postgres) } } : p,
      ]),
    ),
  };
}
