// pg vs postgres (porsager) on the views' write path: batches of multi-row INSERT … ON CONFLICT
// (and the position UPDATE) in one transaction each, same table, same rows, alternating clients.
// Usage: node --import tsx bench/views/pg-clients.ts <postgres-url> [rows=200000] [batch=1000]
import pg from 'pg';
import postgres from 'postgres';

const [url, rowsArg, batchArg] = process.argv.slice(2);
if (!url) throw new Error('usage: pg-clients.ts <postgres-url> [rows] [batch]');
const ROWS = Number(rowsArg ?? 200_000);
const BATCH = Number(batchArg ?? 1000);
const KEYS = 50_000;

function batchRows(b: number): Array<[string, number, number, string]> {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = (b * BATCH + i) % KEYS;
    return [`a${n}`, n * 1.5 + b, b, `owner ${n}`];
  });
}

async function withPg(): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  await client.query('TRUNCATE bench_rows');
  const t0 = performance.now();
  for (let b = 0; b < ROWS / BATCH; b++) {
    const rows = batchRows(b);
    const values = rows.flat();
    const tuples = rows.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4})`);
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO bench_rows (k, balance, deposits, owner) VALUES ${tuples.join(', ')} ON CONFLICT (k) DO UPDATE SET balance = EXCLUDED.balance, deposits = EXCLUDED.deposits, owner = EXCLUDED.owner`,
      values,
    );
    await client.query('UPDATE bench_position SET next_offset = $1 WHERE id = 1', [b]);
    await client.query('COMMIT');
  }
  const ms = performance.now() - t0;
  client.release();
  await pool.end();
  return ms;
}

async function withPostgres(): Promise<number> {
  const sql = postgres(url!, { max: 1 });
  await sql`TRUNCATE bench_rows`;
  const t0 = performance.now();
  for (let b = 0; b < ROWS / BATCH; b++) {
    const rows = batchRows(b).map(([k, balance, deposits, owner]) => ({ k, balance, deposits, owner }));
    await sql.begin(async (tx) => {
      await tx`INSERT INTO bench_rows ${tx(rows)} ON CONFLICT (k) DO UPDATE SET balance = EXCLUDED.balance, deposits = EXCLUDED.deposits, owner = EXCLUDED.owner`;
      await tx`UPDATE bench_position SET next_offset = ${b} WHERE id = 1`;
    });
  }
  const ms = performance.now() - t0;
  await sql.end();
  return ms;
}

const setup = new pg.Client({ connectionString: url });
await setup.connect();
await setup.query('DROP TABLE IF EXISTS bench_rows; DROP TABLE IF EXISTS bench_position');
await setup.query(
  'CREATE TABLE bench_rows (k text PRIMARY KEY, balance double precision, deposits bigint, owner text)',
);
await setup.query('CREATE TABLE bench_position (id int PRIMARY KEY, next_offset bigint)');
await setup.query('INSERT INTO bench_position VALUES (1, 0)');
await setup.end();

const results: Record<string, number[]> = { pg: [], postgres: [] };
for (let rep = 0; rep < 3; rep++) {
  results.pg!.push(await withPg());
  results.postgres!.push(await withPostgres());
}
for (const [name, times] of Object.entries(results)) {
  const sorted = [...times].sort((a, b) => a - b);
  const rate = (ms: number) => Math.round((ROWS / ms) * 1000);
  console.log(
    `${name.padEnd(9)} median ${rate(sorted[1]!)} rows/s (runs: ${times.map((t) => rate(t)).join(', ')}) — ${ROWS} rows in batches of ${BATCH}`,
  );
}
