// Blue/green versions of a view against a real broker and a real PostgreSQL: v1 (balance) and v2
// (the same sum in cents) each write their own table; when v2 is promoted, the stable SQL view
// `balances` switches to v2's table in one transaction. Readers query the stable view in a loop
// throughout, each on its own connection: every SELECT must return every account, all from v1 or
// all from v2 with the values that version computes (never a mix, never a partly filled v2),
// first v1 then v2, and never an error. Cleanup of v1 then drops its table and positions.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { Definition } from '../../../projections/definition/schema.ts';
import { cleanupVersion, DeploymentsLog } from '../../../runtime/versions/index.ts';
import { dropVersionTable } from '../../../runtime/views/stable-view.ts';
import { createTopic, kafka, produce, testDir, uniqueTopic, until } from '../helpers.ts';
import { balancesDefinition, depositEvents } from '../versions/balances-fixture.ts';
import { freshDatabase, query } from './postgres.ts';
import { type Running, startRunning } from './running.ts';

const ACCOUNTS = 40;
const EVENTS = 3000;
const READERS = 4;
const dir = testDir('views-bluegreen');
const app = uniqueTopic('viewsbg').replaceAll('-', '_');
const topic = `${app}-accounts`;
const { events, expected } = depositEvents(EVENTS, ACCOUNTS);

function definition(version: 1 | 2, url: string): Definition {
  const raw = balancesDefinition(app, topic, version) as { projections: { balances: object } };
  raw.projections.balances = { ...raw.projections.balances, views: { postgres: { url } } };
  return Definition.parse(raw);
}

type Answer = 'v1' | 'v2';

/** One SELECT on the stable view: which version answered, or why the answer is wrong. */
function classify(rows: Array<Record<string, unknown>>): Answer {
  assert.equal(rows.length, ACCOUNTS, `a complete answer has every account (got ${rows.length})`);
  const shapes = new Set(rows.map((r) => Object.keys(r).sort().join(',')));
  assert.equal(shapes.size, 1, `one version per answer, got ${[...shapes].join(' | ')}`);
  const v1 = shapes.has('account_id,balance,deposits');
  for (const r of rows) {
    const e = expected.get(String(r.account_id))!;
    const want = v1 ? { balance: e.balance } : { cents: e.balance * 100 };
    const got = v1 ? { balance: Number(r.balance) } : { cents: Number(r.cents) };
    assert.deepEqual(
      { ...got, deposits: Number(r.deposits) },
      { ...want, deposits: e.deposits },
      `row ${String(r.account_id)}`,
    );
  }
  return v1 ? 'v1' : 'v2';
}

/** A reader on its own connection, SELECTing the stable view back to back until stopped. */
function reader(url: string) {
  const seen: Answer[] = [];
  let running = true;
  const done = (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      while (running) seen.push(classify((await client.query('SELECT * FROM balances')).rows));
    } finally {
      await client.end();
    }
  })();
  let failure: Error | undefined;
  done.catch((err: unknown) => {
    failure = err instanceof Error ? err : new Error(String(err));
  });
  return {
    seen,
    failure: () => failure,
    async stop(): Promise<Answer[]> {
      running = false;
      await done.catch(() => undefined);
      if (failure) throw failure;
      return seen;
    },
  };
}

const stableAnswer = (url: string) =>
  until(
    'a complete answer from the stable view',
    async () => classify(await query<Record<string, unknown>>(url, 'SELECT * FROM balances')),
    90_000,
  );

const tables = async (url: string) =>
  (
    await query<{ table_name: string; table_type: string }>(
      url,
      `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    )
  ).map((t) => `${t.table_name} ${t.table_type}`);

test(
  'blue/green views: the stable SQL view switches in one transaction; cleanup drops the old table',
  { timeout: 240_000 },
  async () => {
    const url = await freshDatabase();
    const state = join(dir, 'state');
    await createTopic(topic, { partitions: 2, configs: { 'retention.ms': -1 } });
    await produce(topic, events);
    const run = (version: 1 | 2): Promise<Running> =>
      startRunning(definition(version, url), state, {
        pollMs: 200,
        // v2 commits less often: it cannot have caught up before the readers have seen v1.
        groupOptions: (group) => (group === app ? {} : { commitIntervalMs: 1_500 }),
      });

    const one = await run(1);
    assert.equal(await stableAnswer(url), 'v1');
    await one.stop();

    // Deploy v2: it builds its own table while the stable view keeps reading v1's. The positions
    // table is locked until queries have switched to v2 and a second more: v2's table cannot catch
    // up meanwhile, and the stable view must wait for it.
    const lock = new pg.Client({ connectionString: url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE streamfold_view_positions IN SHARE MODE');
    const two = await run(2);
    const readers = Array.from({ length: READERS }, () => reader(url));
    await until('queries switch to v2', async () =>
      two.runtime.target('balances') === 'balances-v2' ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    await lock.query('COMMIT');
    await lock.end();
    assert.ok(
      readers.every((r) => r.seen.length > 0 && r.seen.every((a) => a === 'v1')),
      "the stable view reads v1 until v2's table has caught up",
    );
    // A failing reader fails the test at once, with its reason.
    await until('the stable view reads v2', async () => {
      const failed = readers.find((r) => r.failure());
      if (failed) return true;
      return readers.every((r) => r.seen.at(-1) === 'v2') ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    for (const r of readers) {
      const seen = await r.stop();
      const firstV2 = seen.indexOf('v2');
      console.log(`# reader: ${firstV2} answers from v1, then ${seen.length - firstV2} from v2`);
      assert.ok(firstV2 > 0, 'v1 answered first, then v2');
      assert.ok(
        seen.slice(firstV2).every((a) => a === 'v2'),
        'no v1 answer after the switch',
      );
    }
    assert.deepEqual(
      two.views.status().map((v) => [v.version, v.table, v.stable, v.current]),
      [
        [1, 'public.balances_v1', 'public.balances', false],
        [2, 'public.balances_v2', 'public.balances', true],
      ],
    );
    assert.deepEqual(two.fatal, []);
    await two.stop();

    // After a restart only v2 runs; cleanup of v1 drops its table and positions while v2 answers.
    const three = await run(2);
    assert.equal(await stableAnswer(url), 'v2');
    assert.deepEqual(await tables(url), [
      'balances VIEW',
      'balances_v1 BASE TABLE',
      'balances_v2 BASE TABLE',
      'streamfold_view_positions BASE TABLE',
    ]);
    const admin = kafka('streamfold-test-views-cleanup').admin();
    await admin.connect();
    const log = await DeploymentsLog.open(kafka('streamfold-test-views-cleanup'), admin, app);
    const lines: string[] = [];
    try {
      await cleanupVersion({
        admin,
        log,
        application: app,
        stateDir: state,
        projection: 'balances',
        version: 1,
        declared: 2,
        definition: definition(2, url),
        say: (l) => lines.push(l),
      });
    } finally {
      await log.close();
      await admin.disconnect();
    }
    assert.ok(
      lines.includes('dropped the table public.balances_v1 and its view positions'),
      lines.join('\n'),
    );
    assert.deepEqual(await tables(url), [
      'balances VIEW',
      'balances_v2 BASE TABLE',
      'streamfold_view_positions BASE TABLE',
    ]);
    const positions = await query<{ view_table: string }>(
      url,
      'SELECT DISTINCT view_table FROM streamfold_view_positions ORDER BY view_table',
    );
    assert.deepEqual(
      positions.map((p) => p.view_table),
      ['balances_v2'],
    );
    assert.equal(await stableAnswer(url), 'v2');
    await three.stop();
  },
);

test('cleanup refuses the table the SQL view reads, unless the projection left the YAML', async () => {
  const url = await freshDatabase();
  await query(url, 'CREATE TABLE gone_v1 (k text PRIMARY KEY)');
  await query(url, 'CREATE VIEW gone AS SELECT * FROM gone_v1');
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const names = { schema: 'public', table: 'gone' };
    await assert.rejects(dropVersionTable(pool, names, 'gone_v1'), /still reads public\.gone_v1/);
    assert.deepEqual(await tables(url), ['gone VIEW', 'gone_v1 BASE TABLE']);
    assert.equal(await dropVersionTable(pool, names, 'gone_v1', true), true);
    assert.deepEqual(await tables(url), []);
  } finally {
    await pool.end();
  }
});
