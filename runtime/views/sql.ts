// The SQL streamfold sends for a view: table DDL, the positions table, and the batch statements
// (multi-row INSERT … ON CONFLICT, DELETE … IN), with rows converted to their columns' types.
import type { TablePlan, ViewColumn } from '../../projections/views/table-plan.ts';

export const POSITIONS_TABLE = 'streamfold_view_positions';
/** PostgreSQL's limit on bind parameters per statement is 65535. */
const MAX_PARAMETERS = 60_000;

export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const qualified = (schema: string, name: string): string => `${ident(schema)}.${ident(name)}`;

/** The physical table of one projection version; the stable name is a SQL view over it. */
export const physicalTable = (plan: TablePlan, version: number): string => `${plan.table}_v${version}`;

export function createTableSql(plan: TablePlan, table: string): string {
  const columns = plan.columns.map((c) => `${ident(c.name)} ${c.type}${isKey(c) ? ' NOT NULL' : ''}`);
  const pk = plan.primaryKey.map(ident).join(', ');
  return `CREATE TABLE ${qualified(plan.schema, table)} (${columns.join(', ')}, PRIMARY KEY (${pk}))`;
}

export function createPositionsSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(schema, POSITIONS_TABLE)} (
    view_table text NOT NULL, partition integer NOT NULL, topic text NOT NULL,
    next_offset bigint NOT NULL, table_oid oid NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (view_table, partition))`;
}

const isKey = (c: ViewColumn) => c.from.kind === 'key' || c.from.kind === 'key-component';

/** Keys per statement so that one statement stays under the parameter limit. */
export const keysPerStatement = (plan: TablePlan, batchSize: number): number =>
  Math.max(1, Math.min(batchSize, Math.floor(MAX_PARAMETERS / plan.columns.length)));

export interface Statement {
  text: string;
  values: unknown[];
}

export function upsertSql(
  plan: TablePlan,
  table: string,
  rows: Array<{ key: string; row: unknown }>,
): Statement {
  const values: unknown[] = [];
  const tuples = rows.map(({ key, row }) => {
    const parts = plan.columns.map((c) => {
      values.push(columnValue(c, key, row));
      return `$${values.length}`;
    });
    return `(${parts.join(', ')})`;
  });
  const names = plan.columns.map((c) => ident(c.name));
  const updates = plan.columns
    .filter((c) => !isKey(c))
    .map((c) => `${ident(c.name)} = EXCLUDED.${ident(c.name)}`);
  const onConflict = updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING';
  return {
    text: `INSERT INTO ${qualified(plan.schema, table)} (${names.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (${plan.primaryKey.map(ident).join(', ')}) ${onConflict}`,
    values,
  };
}

export function deleteSql(plan: TablePlan, table: string, keys: string[]): Statement {
  const keyColumns = plan.columns.filter(isKey);
  const values: unknown[] = [];
  const tuples = keys.map((key) => {
    const parts = keyColumns.map((c) => {
      values.push(columnValue(c, key, null));
      return `$${values.length}`;
    });
    return `(${parts.join(', ')})`;
  });
  return {
    text: `DELETE FROM ${qualified(plan.schema, table)} WHERE (${keyColumns.map((c) => ident(c.name)).join(', ')}) IN (${tuples.join(', ')})`,
    values,
  };
}

const NUMERIC = new Set(['double precision', 'real', 'bigint', 'integer', 'smallint', 'numeric']);

/** A row value in its column's type; a value that does not fit (text in a number column) is NULL. */
export function columnValue(column: ViewColumn, key: string, row: unknown): unknown {
  let value: unknown;
  switch (column.from.kind) {
    case 'key':
      return key;
    case 'key-component': {
      const component = (JSON.parse(key) as Record<string, unknown>)[column.from.component];
      return typeof component === 'string' ? component : JSON.stringify(component ?? null);
    }
    case 'row':
      value = row;
      break;
    case 'field':
      value = (row as Record<string, unknown> | null)?.[column.from.field];
  }
  if (value === undefined || value === null) return null;
  if (column.type === 'jsonb' || column.type === 'json') return JSON.stringify(value);
  if (NUMERIC.has(column.type) || column.type.startsWith('numeric')) {
    const n = typeof value === 'number' ? value : Number.NaN;
    if (!Number.isFinite(n)) return null;
    return column.type === 'bigint' || column.type === 'integer' || column.type === 'smallint'
      ? Math.trunc(n)
      : n;
  }
  if (column.type === 'boolean') return typeof value === 'boolean' ? value : null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
