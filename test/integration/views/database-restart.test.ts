// PostgreSQL stopped for 20 s in the middle of a run and started again: the projections never
// stall (their output topics reach the oracle while the database is down), the views fall behind
// and say so, then catch up and equal the oracle row for row. And a local cluster that cannot start
// because another process holds its port says so.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import {
  ensureLocalPostgres,
  startLocalPostgres,
  stopLocalPostgres,
  type LocalPostgres,
} from '../../../runtime/views/local-postgres.ts';
import { testDir } from '../helpers.ts';
import {
  createSources,
  oracle,
  outputTables,
  plain,
  produceEvents,
  seedEvents,
  shopDefinition,
} from '../runtime/harness.ts';
import { privateCluster, withViews } from './postgres.ts';
import { type Running, startRunning, untilViewsEqual } from './running.ts';

const dir = testDir('views-restart');
const PROJECTIONS = ['balances', 'orders_enriched'];
let cluster: LocalPostgres | undefined;
let running: Running | undefined;

/** At most `ms` for a clean-up step: a stuck stop must not hang the run (it is reported). */
async function bounded(what: string, step: Promise<unknown> | undefined, ms = 20_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      process.stderr.write(`[views-restart] ${what} did not finish within ${ms} ms\n`);
      resolve();
    }, ms);
  });
  await Promise.race([step, late]);
  clearTimeout(timer);
}

after(async () => {
  await bounded('stopping the runtime', running?.stop());
  await bounded('stopping PostgreSQL', cluster?.stop());
});

test(
  'PostgreSQL down for 20 s: projections go on, views catch up and equal the oracle',
  { timeout: 300_000 },
  async () => {
    cluster = await privateCluster('views-restart');
    const shop = shopDefinition('viewsdown');
    const definition = withViews(shop.definition, cluster.url);
    await createSources(shop, 3);
    const events = seedEvents(shop, 6_000, 11);
    const first = events.slice(0, 2_000);
    await produceEvents(first);
    running = await startRunning(definition, join(dir, 'state'));
    await untilViewsEqual(cluster.url, definition, (await oracle(definition, first)).tables, PROJECTIONS);

    stopLocalPostgres({ dataDir: cluster.dataDir });
    const downAt = Date.now();
    await produceEvents(events.slice(2_000));
    const expected = await oracle(definition, events);
    // The projections do not wait for the database: their outputs reach the oracle meanwhile.
    const want = plain(new Map(PROJECTIONS.map((p) => [p, expected.tables.get(p)!])));
    for (;;) {
      const topics = plain(await outputTables(definition));
      if (isDeepStrictEqual(Object.fromEntries(PROJECTIONS.map((p) => [p, topics[p]])), want)) break;
      // Generous on a loaded machine; the views' writers never touch the projections' path.
      assert.ok(Date.now() - downAt < 90_000, 'the projections stalled while PostgreSQL was down');
      await new Promise((r) => setTimeout(r, 500));
    }
    process.stderr.write(
      `[views-restart] outputs reached the oracle ${Date.now() - downAt} ms after PostgreSQL stopped\n`,
    );
    const behind = running.views.status();
    assert.ok(
      behind.every((v) => v.lag > 0),
      `the views say they are behind: ${JSON.stringify(behind.map((v) => v.lag))}`,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - downAt))));
    assert.ok(
      running.views.status().some((v) => v.partitions.some((p) => p.state === 'waiting-for-database')),
      'a writer says it waits for the database',
    );

    startLocalPostgres(cluster.port, cluster.dataDir);
    await untilViewsEqual(cluster.url, definition, expected.tables, PROJECTIONS);
    assert.deepEqual(
      running.views.status().map((v) => v.lag),
      [0, 0],
    );
    assert.deepEqual(running.fatal, []);
  },
);

test('a local cluster whose port another process holds fails with that port named, not "pg_ctl failed"', async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as { port: number };
  try {
    await assert.rejects(
      ensureLocalPostgres({ port, dataDir: join(dir, `held-${port}`) }),
      new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use by another process`),
    );
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});
