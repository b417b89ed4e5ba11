// Creating and checking a view's tables: the physical table of a version (created if absent,
// compared column by column when present: a mismatch is an error, never an ALTER) and the
// positions table. The stable SQL view over them is stable-view.ts.
import type pg from 'pg';
import { UserError } from '../app/errors.ts';
import type { TablePlan } from '../../projections/views/table-plan.ts';
import { createPositionsSql, createTableSql, ident, qualified } from './sql.ts';

/** A table that exists with other columns than the definition gives: fix the YAML or drop it. */
export class ViewTableMismatch extends UserError {}

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Creates `table` and the positions table if absent; returns the table's oid. The oid identifies
 * the table's life: positions stored for another oid (a dropped and recreated table) are void.
 */
export async function ensureTable(db: Queryable, plan: TablePlan, table: string): Promise<number> {
  const name = qualified(plan.schema, table);
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(plan.schema)}`).catch(ignoreRace);
  await db.query(createPositionsSql(plan.schema)).catch(ignoreRace);
  const existing = await columnsOf(db, plan.schema, table);
  if (existing.size === 0) await db.query(createTableSql(plan, table)).catch(ignoreRace);
  else checkColumns(plan, table, existing);
  const oid = await db.query<{ oid: number }>(`SELECT to_regclass($1)::oid AS oid`, [name]);
  return Number(oid.rows[0]!.oid);
}

/** Concurrent writers may race to create the same object; the loser's error is harmless. */
function ignoreRace(err: unknown): void {
  const code = (err as { code?: string }).code;
  if (code !== '42P07' && code !== '23505' && code !== '42P06') throw err;
}

async function columnsOf(db: Queryable, schema: string, table: string): Promise<Map<string, string>> {
  const result = await db.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`,
    [schema, table],
  );
  return new Map(result.rows.map((r) => [r.column_name, r.data_type]));
}

function checkColumns(plan: TablePlan, table: string, existing: Map<string, string>): void {
  const problems: string[] = [];
  for (const c of plan.columns) {
    const type = existing.get(c.name);
    if (type === undefined) problems.push(`column ${c.name} (${c.type}) is missing`);
    else if (type !== c.type) problems.push(`column ${c.name} is ${type}, the definition gives ${c.type}`);
  }
  const expected = new Set(plan.columns.map((c) => c.name));
  for (const name of existing.keys())
    if (!expected.has(name)) problems.push(`column ${name} is not in the definition`);
  if (problems.length > 0)
    throw new ViewTableMismatch(
      `table ${plan.schema}.${table} of projection ${plan.projection} does not match its definition: ${problems.join('; ')}. streamfold never alters a table: drop it to rebuild it from the output topic, or bump the projection's version`,
    );
}
