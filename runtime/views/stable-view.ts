// The stable SQL view readers query (`<table>`) over the physical table of the version queries
// read (`<table>_v<n>`): switched in one transaction, once the new table has caught up with its
// output topic; and a retired version's table, dropped at cleanup together with its positions.
import type pg from 'pg';
import type { TablePlan } from '../../projections/views/table-plan.ts';
import { UserError } from '../app/errors.ts';
import { POSITIONS_TABLE, qualified } from './sql.ts';
import { type Queryable, ViewTableMismatch } from './table.ts';

type Names = Pick<TablePlan, 'schema' | 'table'>;

/** The physical table the stable view reads now, or undefined when there is no view yet. */
export async function stableViewTarget(db: Queryable, plan: Names): Promise<string | undefined> {
  const result = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.view_table_usage WHERE view_schema = $1 AND view_name = $2`,
    [plan.schema, plan.table],
  );
  return result.rows[0]?.table_name;
}

/**
 * Whether `table` holds its output topic up to `ends` (per partition, read before this call): every
 * partition's position, stored for the table as it is now (its oid), has reached its end.
 */
export async function tableCaughtUp(
  db: Queryable,
  plan: Names,
  table: string,
  ends: Map<number, number>,
): Promise<boolean> {
  const result = await db.query<{ partition: number; next_offset: string }>(
    `SELECT partition, next_offset FROM ${qualified(plan.schema, POSITIONS_TABLE)}
     WHERE view_table = $1 AND table_oid = to_regclass($2)::oid`,
    [table, qualified(plan.schema, table)],
  );
  const positions = new Map(result.rows.map((r) => [r.partition, Number(r.next_offset)]));
  return [...ends].every(([partition, end]) => end === 0 || (positions.get(partition) ?? -1) >= end);
}

/**
 * Points the stable name at `table` in ONE transaction: a reader's statement sees the old table or
 * the new one, never a mix. Instances switching the same view take turns (an advisory lock); the
 * later finds the switch done. Returns whether this call switched it.
 */
export async function switchStableView(pool: pg.Pool, plan: Names, table: string): Promise<boolean> {
  const stable = qualified(plan.schema, plan.table);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await lockName(client, plan);
    const kind = await client.query<{ relkind: string }>(
      `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [plan.schema, plan.table],
    );
    const relkind = kind.rows[0]?.relkind;
    if (relkind !== undefined && relkind !== 'v')
      throw new ViewTableMismatch(
        `${plan.schema}.${plan.table} exists and is no SQL view; streamfold keeps the rows in ${plan.schema}.${table} and needs the name ${plan.table} for the view over it: rename or drop the existing relation`,
      );
    if ((await stableViewTarget(client, plan)) === table) {
      await client.query('COMMIT');
      return false;
    }
    const select = `SELECT * FROM ${qualified(plan.schema, table)}`;
    if (relkind === 'v' && (await sameColumns(client, plan, table))) {
      await client.query(`CREATE OR REPLACE VIEW ${stable} AS ${select}`);
    } else {
      // Versions may differ in columns, which CREATE OR REPLACE refuses: drop and create instead.
      await client.query(`DROP VIEW IF EXISTS ${stable}`);
      await client.query(`CREATE VIEW ${stable} AS ${select}`);
    }
    await client.query('COMMIT');
    return true;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Drops a retired version's table and its positions, in one transaction. While the stable view
 * still reads it, refuses, unless `withStable` (the projection left the YAML): then the stable view
 * goes too. Returns whether the table existed.
 */
export async function dropVersionTable(
  pool: pg.Pool,
  plan: Names,
  table: string,
  withStable = false,
): Promise<boolean> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await lockName(client, plan);
    const readByStable = (await stableViewTarget(client, plan)) === table;
    if (readByStable && withStable)
      await client.query(`DROP VIEW IF EXISTS ${qualified(plan.schema, plan.table)}`);
    else if (readByStable)
      throw new UserError(
        `the SQL view ${plan.schema}.${plan.table} still reads ${plan.schema}.${table}; a running instance switches it to the active version's table once that one has caught up: retry then`,
      );
    const existed = await client.query<{ oid: string | null }>(`SELECT to_regclass($1)::oid AS oid`, [
      qualified(plan.schema, table),
    ]);
    await client.query(`DROP TABLE IF EXISTS ${qualified(plan.schema, table)}`);
    const positions = await client.query<{ oid: string | null }>(`SELECT to_regclass($1)::oid AS oid`, [
      qualified(plan.schema, POSITIONS_TABLE),
    ]);
    if (positions.rows[0]?.oid != null)
      await client.query(`DELETE FROM ${qualified(plan.schema, POSITIONS_TABLE)} WHERE view_table = $1`, [
        table,
      ]);
    await client.query('COMMIT');
    return existed.rows[0]?.oid != null;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Serializes the transactions that change the stable view of one name. */
async function lockName(client: Queryable, plan: Names): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `streamfold view ${plan.schema}.${plan.table}`,
  ]);
}

/** Whether the stable view's columns are the table's, name for name and type for type. */
async function sameColumns(db: Queryable, plan: Names, table: string): Promise<boolean> {
  const columns = async (name: string) =>
    (
      await db.query<{ c: string }>(
        `SELECT column_name || ' ' || data_type AS c FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [plan.schema, name],
      )
    ).rows
      .map((r) => r.c)
      .join(', ');
  return (await columns(plan.table)) === (await columns(table));
}
