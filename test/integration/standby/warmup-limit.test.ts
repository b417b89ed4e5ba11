// processing.maxWarmupReplicas on the real broker, as Kafka Streams' max.warmup.replicas: one
// instance runs every task, a second joins with a limit of one warm-up. Its share of tasks moves one
// at a time, each after its own warm-up and probing rebalance, never more than one warm-up at once,
// and every key is served right by the second instance at the end.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { testDir } from '../helpers.ts';
import { startInstance } from '../http/instance.ts';
import { waitCaughtUp } from '../runtime/harness.ts';
import { seed, standbyDefinition, sweep, until } from './fixture.ts';

const PARTITIONS = 6;
const dir = testDir('standby-warmup-limit');

test(
  'maxWarmupReplicas 1: a joining instance takes its tasks one warm-up at a time',
  { timeout: 300_000 },
  async () => {
    const f = standbyDefinition('standby-warm', 0, 20_000, ', maxWarmupReplicas: 1');
    await seed(f, PARTITIONS);
    const a = await startInstance(f.definition, join(dir, 'a'), PARTITIONS);
    await waitCaughtUp(a.app, 120_000);
    const b = await startInstance(f.definition, join(dir, 'b'), PARTITIONS);
    const seen = { maxWarmups: 0, taskCounts: [] as number[] };
    const sample = () => {
      seen.maxWarmups = Math.max(seen.maxWarmups, b.app.standbys.warmupIds().size);
      const n = b.app.taskIds().length;
      if (seen.taskCounts.at(-1) !== n) seen.taskCounts.push(n);
    };
    const watch = setInterval(sample, 20);
    try {
      await until(
        'B runs its share of the tasks',
        () =>
          b.app.taskIds().length === PARTITIONS / 2 &&
          [...b.app.taskMap().values()].every((t) => t.state === 'running'),
        180_000,
      );
      // the last move may land between two samples, just before the wait sees it
      sample();
      clearInterval(watch);
      console.log(JSON.stringify(seen));
      assert.equal(seen.maxWarmups, 1, 'never more than one warm-up at once');
      assert.deepEqual(seen.taskCounts, [0, 1, 2, 3], 'one task moves per probing rebalance');
      await waitCaughtUp(b.app, 120_000);
      await sweep(b.url, f);
    } finally {
      clearInterval(watch);
      await b.stop();
      await a.stop();
    }
  },
);
