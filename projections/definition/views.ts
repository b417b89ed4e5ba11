// The language of materialized views (docs/views.md): a projection kept in a PostgreSQL table,
// declared on the projection, optionally through a connection shared at the top level.
import { z } from 'zod';
import { Name } from './primitives.ts';

/** A SQL identifier streamfold creates (table, schema, column): unquoted PostgreSQL style. */
export const SqlName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'SQL names use lower-case letters, digits and _ and do not start with a digit')
  .max(55, 'SQL names are at most 55 characters (PostgreSQL keeps 63; streamfold adds a version suffix)');

/** A PostgreSQL connection: URL and the size of its pool (shared by every view writer using it). */
export const PostgresConnection = z.strictObject({
  /**
   * postgres://user:password@host:port/database; `${VAR}` interpolation keeps secrets out of the
   * file. Empty: the local development cluster (started by `streamfold run`, like the local broker).
   */
  url: z.string(),
  /** Most connections open at once (default 4); each partition writer holds one only while it commits. */
  pool: z.number().int().min(1).max(100).default(4),
});

/** A column override: the SQL type, or `{ name, type }`. */
const ColumnOverride = z.union([
  z.string().min(1),
  z.strictObject({ name: SqlName.optional(), type: z.string().min(1).optional() }),
]);

export const PostgresView = z.strictObject({
  /** A top-level `postgres.<name>` connection; or `url` (exactly one of them). */
  connection: Name.optional(),
  url: z.string().optional(),
  /** Table (and stable SQL view) name; default: the projection's name in snake_case. */
  table: SqlName.optional(),
  /** Default: public. */
  schema: SqlName.optional(),
  /** Per projection field: a SQL type, or `{ name, type }`, replacing the derived ones. */
  columns: z.record(Name, ColumnOverride).optional(),
  /** Most changed keys per transaction (default 1000). */
  batchSize: z.number().int().min(1).max(50_000).default(1000),
});

export const ProjectionViews = z.strictObject({ postgres: PostgresView });

export type PostgresConnectionDef = z.output<typeof PostgresConnection>;
export type PostgresViewDef = z.output<typeof PostgresView>;
