// Views in PostgreSQL against a real broker and a real PostgreSQL: the tables equal the
// pure-engine oracle row for row; a dropped table is rebuilt from the output topic alone; a table
// that does not match its definition, bad credentials and a missing database are user errors.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Definition } from '../../../projections/definition/schema.ts';
import { UserError } from '../../../runtime/app/errors.ts';
import { silentLogger } from '../../../runtime/log/logger.ts';
import { startViews } from '../../../runtime/views/index.ts';
import { testDir } from '../helpers.ts';
import { createSources, oracle, produceEvents, seedEvents, shopDefinition } from '../runtime/harness.ts';
import { freshDatabase, postgresUrl, query, withViews } from './postgres.ts';
import { type Running, startRunning, untilViewsEqual } from './running.ts';

const dir = testDir('views');

const PROJECTIONS = ['balances', 'orders_enriched'];

let url: string;
let shop: ReturnType<typeof shopDefinition>;
let definition: Definition;
let running: Running;
let expected: Awaited<ReturnType<typeof oracle>>;

before(async () => {
  url = await freshDatabase();
  shop = shopDefinition('views');
  definition = withViews(shop.definition, url);
  await createSources(shop, 3);
  const events = seedEvents(shop, 4_000, 7);
  await produceEvents(events);
  expected = await oracle(definition, events);
  running = await startRunning(definition, join(dir, 'state'));
});

after(async () => {
  await running?.stop();
});

test('each view equals the oracle row for row', { timeout: 120_000 }, async () => {
  await untilViewsEqual(url, definition, expected.tables, PROJECTIONS);
  assert.ok(expected.tables.get('balances')!.size > 20, 'the test has rows to compare');
  // The stable names are SQL views over the version's table; positions sit beside them.
  const kinds = await query<{ table_name: string; table_type: string }>(
    url,
    `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
  );
  assert.deepEqual(kinds, [
    { table_name: 'balances', table_type: 'VIEW' },
    { table_name: 'balances_v1', table_type: 'BASE TABLE' },
    { table_name: 'orders_enriched', table_type: 'VIEW' },
    { table_name: 'orders_enriched_v1', table_type: 'BASE TABLE' },
    { table_name: 'streamfold_view_positions', table_type: 'BASE TABLE' },
  ]);
  const status = running.views.status();
  assert.deepEqual(
    status.map((v) => [v.projection, v.lag, v.partitions.map((p) => p.state)]),
    PROJECTIONS.map((p) => [p, 0, ['following', 'following', 'following']]),
  );
  assert.deepEqual(running.fatal, []);
});

test('a dropped table is rebuilt from the output topic alone', { timeout: 120_000 }, async () => {
  await untilViewsEqual(url, definition, expected.tables, PROJECTIONS);
  // Nothing new arrives: the projections are idle, only the output topic can refill the table.
  await query(url, 'DROP TABLE balances_v1 CASCADE');
  await untilViewsEqual(url, definition, expected.tables, PROJECTIONS);
  const [count] = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM balances_v1');
  assert.equal(count!.n, expected.tables.get('balances')!.size);
});

test('a table that does not match its definition stops the start', { timeout: 60_000 }, async () => {
  const other = await freshDatabase();
  await query(other, 'CREATE TABLE balances_v1 (account_id text PRIMARY KEY, balance text)');
  const d = withViews(shop.definition, other);
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
  const err = await startViews({
    definition: d,
    brokers,
    runtime: running.runtime,
    logger: silentLogger(),
    onFatal: () => undefined,
  }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof UserError, String(err));
  assert.match(
    err.message,
    /table public\.balances_v1 of projection balances does not match its definition: column balance is text, the definition gives double precision; column deposits \(bigint\) is missing/,
  );
  // Never altered.
  const columns = await query(
    other,
    `SELECT column_name FROM information_schema.columns WHERE table_name = 'balances_v1'`,
  );
  assert.equal(columns.length, 2);
});

test('a missing database and bad credentials are one-line user errors', { timeout: 60_000 }, async () => {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
  const missing = new URL(postgresUrl());
  missing.pathname = '/no_such_database';
  const badUser = new URL(postgresUrl());
  badUser.username = 'nobody_here';
  for (const [u, pattern] of [
    [missing, /the database does not exist/],
    [badUser, /role "nobody_here" does not exist|may not connect/],
  ] as const) {
    const err = await startViews({
      definition: withViews(shop.definition, u.toString()),
      brokers,
      runtime: running.runtime,
      logger: silentLogger(),
      onFatal: () => undefined,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof UserError, String(err));
    assert.match(err.message, pattern);
    assert.doesNotMatch(err.message, /\n/);
  }
});
