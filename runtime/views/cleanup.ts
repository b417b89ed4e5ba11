// `streamfold cleanup` of a version with a view: drops the version's table (`<table>_v<n>`) and
// its positions, refusing while the stable SQL view still reads it (unless the projection left the
// YAML: then the SQL view is dropped too). Runs before the version's
// topics are deleted, so an unreachable database leaves the version as it was, to retry.
import type { Definition } from '../../projections/definition/schema.ts';
import type { DeploymentRecord } from '../../projections/versions/index.ts';
import { connectionOf, snakeCase } from '../../projections/views/table-plan.ts';
import { UserError } from '../app/errors.ts';
import { createPool, isOutage, redactUrl } from './database.ts';
import { LOCAL_POSTGRES_PORT, localPostgresUrl } from './local-postgres.ts';
import { dropVersionTable } from './stable-view.ts';

/** Drops the table of `record`'s version, if its projection has a view (the YAML's, else the record's). */
export async function dropVersionView(
  definition: Definition,
  record: DeploymentRecord,
  say: (line: string) => void,
): Promise<void> {
  const view =
    definition.projections[record.projection]?.views?.postgres ?? record.definition.views?.postgres;
  if (!view) return;
  const names = { schema: view.schema ?? 'public', table: view.table ?? snakeCase(record.projection) };
  const table = `${names.table}_v${record.version}`;
  const configured =
    view.connection && !definition.postgres?.[view.connection] ? undefined : connectionOf(definition, view);
  if (!configured)
    throw new UserError(
      `${record.projection} version ${record.version} has a view through connection ${view.connection}, which the YAML no longer declares; add it to drop ${names.schema}.${table}`,
    );
  const url = configured.url.trim() === '' ? localPostgresUrl(LOCAL_POSTGRES_PORT) : configured.url;
  const pool = createPool(url, 1, () => undefined);
  try {
    // A projection no longer in the YAML has no version left to read: its SQL view goes too.
    const gone = definition.projections[record.projection] === undefined;
    const existed = await dropVersionTable(pool, names, table, gone);
    say(
      `${existed ? 'dropped the table' : 'no table left of'} ${names.schema}.${table} and its view positions${gone ? `, and the SQL view ${names.schema}.${names.table} if it read it` : ''}`,
    );
  } catch (err) {
    if (!isOutage(err) && !(err as { code?: string }).code) throw err;
    throw new UserError(
      `could not drop ${names.schema}.${table} in PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}; nothing was removed, retry`,
    );
  } finally {
    await pool.end().catch(() => undefined);
  }
}
