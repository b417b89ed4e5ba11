// The CI-sized exactly-once crash test (the full size: npm run crash-test): the real CLI under
// exactly_once, killed with SIGKILL and restarted, ends with output topics and stores equal to the
// pure-engine oracle, sums included, and so do the PostgreSQL views of balances and orders_enriched (SELECT); the local state is caught up after each crash, never wiped.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { crashRun } from './crash-run.ts';
import { testDir } from '../helpers.ts';
import { freshDatabase } from '../views/postgres.ts';

const dir = testDir('crash');

const log = (line: string) => process.stderr.write(`[crash] ${line}\n`);

test(
  'SIGKILL at 3 random moments: outputs, stores and PostgreSQL views equal the oracle',
  { timeout: 360_000 },
  async () => {
    const r = await crashRun({
      workDir: join(dir, 'one'),
      events: 20_000,
      kills: 3,
      seed: 5,
      instances: 1,
      log,
      postgresUrl: await freshDatabase(),
    });
    assert.deepEqual(r.tables.actual, r.tables.expected);
    // Killed mid-batch as often as not: SELECT on each view still equals the oracle row for row.
    assert.deepEqual(r.views?.actual, r.views?.expected);
    assert.deepEqual(r.stores.actual, r.stores.expected);
    assert.deepEqual(r.wiped, [], 'a restart rebuilt a store that had a checkpoint');
    assert.equal(r.checkpoints.length, 3);
    for (const c of r.checkpoints) {
      assert.ok(c.offsets > 0, 'the killed instance left checkpoints');
      assert.ok(c.rows > 0, 'the killed instance left rows');
    }
  },
);

test(
  'two instances, one of them killed repeatedly: outputs and stores equal the oracle',
  { timeout: 240_000 },
  async () => {
    const r = await crashRun({
      workDir: join(dir, 'two'),
      events: 10_000,
      kills: 3,
      seed: 6,
      instances: 2,
      log,
    });
    assert.deepEqual(r.tables.actual, r.tables.expected);
    assert.deepEqual(r.stores.actual, r.stores.expected);
  },
);
