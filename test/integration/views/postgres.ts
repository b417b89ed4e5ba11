// PostgreSQL for the view tests: the cluster scripts/test.mjs started (STREAMFOLD_TEST_POSTGRES_URL),
// a fresh database per test, a private cluster for tests that stop the server, and reading a view
// back as an oracle-shaped table (encoded key → row, null fields left out).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createServer } from 'node:net';
import pg from 'pg';
import { Catalog } from '../../../projections/definition/catalog.ts';
import { buildModel } from '../../../projections/definition/model.ts';
import type { Definition } from '../../../projections/definition/schema.ts';
import { canonicalJson } from '../../../projections/keys.ts';
import { planTable } from '../../../projections/views/table-plan.ts';
import { ensureLocalPostgres, type LocalPostgres } from '../../../runtime/views/local-postgres.ts';
import { testDir } from '../helpers.ts';

// bigint columns (counts) back as numbers, as the oracle has them.
pg.types.setTypeParser(20, Number);

export function postgresUrl(): string {
  const url = process.env.STREAMFOLD_TEST_POSTGRES_URL;
  if (!url)
    throw new Error(
      'STREAMFOLD_TEST_POSTGRES_URL is not set: run the tests through npm test (scripts/test.mjs)',
    );
  return url;
}

/** A new, empty database on the cluster of `url`; returns its URL. */
export async function freshDatabase(url = postgresUrl()): Promise<string> {
  const name = `t_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A cluster of the test's own (it may be stopped and restarted): stop it at the end. */
export async function privateCluster(name: string): Promise<LocalPostgres> {
  const port = await freePort();
  return ensureLocalPostgres({ port, dataDir: join(testDir(name), `pg-${port}`) });
}

export async function query<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const withoutNulls = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null && v !== undefined));

/** The rows of `projection`'s SQL view, keyed and shaped like the oracle's table (nulls left out). */
export async function viewTable(
  url: string,
  definition: Definition,
  projection: string,
): Promise<Record<string, unknown>> {
  const plan = planTable(definition, new Catalog(buildModel(definition)), projection).plan!;
  const rows = await query<Record<string, unknown>>(url, `SELECT * FROM "${plan.schema}"."${plan.table}"`);
  const out: Array<[string, unknown]> = [];
  for (const r of rows) {
    const key = plan.columns.find((c) => c.from.kind === 'key');
    const encoded = key
      ? String(r[key.name])
      : canonicalJson(
          Object.fromEntries(
            plan.columns.flatMap((c) =>
              c.from.kind === 'key-component' ? [[c.from.component, r[c.name]]] : [],
            ),
          ),
        );
    const row: Record<string, unknown> = {};
    for (const c of plan.columns) if (c.from.kind === 'field') row[c.from.field] = r[c.name];
    out.push([encoded, withoutNulls(row)]);
  }
  return Object.fromEntries(out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** An oracle table in the same shape: sorted keys, null fields left out. */
export function oracleTable(rows: Map<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    [...rows]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [k, withoutNulls(v as Record<string, unknown>)]),
  );
}

/** The shop definition with views on balances and orders_enriched into the database at `url`. */
export function withViews(definition: Definition, url: string): Definition {
  const d = structuredClone(definition);
  d.postgres = { main: { url, pool: 4 } };
  d.projections.balances!.views = {
    postgres: { connection: 'main', columns: { owner: 'text' }, batchSize: 1000 },
  };
  d.projections.orders_enriched!.views = { postgres: { connection: 'main', batchSize: 1000 } };
  return d;
}
