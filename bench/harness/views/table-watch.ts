// Scenario (h): when a table holds the expected final rows. Running totals only grow, so the table's sum
// equals the expected sum (with as many rows) only once every row has its final value: a cheap check to
// poll; the row-for-row comparison runs once at the end.
import type pg from 'pg';
import { ident } from '../../../runtime/views/sql.ts';

export interface Expected {
  rows: Map<string, number>;
  sum: string;
}

export function expectedRows(expected: Map<string, unknown>): Expected {
  const rows = new Map([...expected].map(([k, v]) => [k, (v as { total: number }).total]));
  let sum = 0;
  for (const v of rows.values()) sum += v;
  return { rows, sum: String(sum) };
}

/** Whether the table has the expected number of rows and sum (false while it does not exist yet). */
export async function reachedFinal(client: pg.Client, table: string, want: Expected): Promise<boolean> {
  try {
    const r = await client.query<{ n: number; s: string }>(
      `SELECT count(*)::int AS n, coalesce(sum(total), 0)::text AS s FROM ${ident(table)}`,
    );
    return r.rows[0]?.n === want.rows.size && r.rows[0]?.s === want.sum;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return false; // not created yet
    throw err;
  }
}

/** 'yes', or what differs (the first few keys). */
export async function compareRows(client: pg.Client, table: string, want: Expected): Promise<string> {
  const r = await client.query<{ customer_id: string; total: string }>(
    `SELECT customer_id, total::text AS total FROM ${ident(table)}`,
  );
  const wrong: string[] = [];
  for (const row of r.rows) {
    const expected = want.rows.get(row.customer_id);
    if (expected === undefined || String(expected) !== row.total)
      wrong.push(`${row.customer_id}=${row.total} (want ${expected ?? 'no row'})`);
  }
  if (r.rows.length !== want.rows.size) wrong.unshift(`${r.rows.length} rows (want ${want.rows.size})`);
  return wrong.length === 0 ? 'yes' : `NO: ${wrong.slice(0, 3).join(', ')}`;
}
