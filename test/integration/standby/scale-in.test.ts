// Scale-in with warm-ups, on the real broker: two instances with `standbyReplicas: 1` serve a
// projection under a steady load; a third joins. Its tasks move only once its warm-up copies are
// caught up (probing rebalances), so the takeover restores only their tail, and no key query fails
// meanwhile: every answer is 200 with the right row, or 503 for a moment (a rebalance), never a
// wrong value or a false 404, and no key goes without a 200 for more than 2 s.
// STANDBY_TEST_REPLICAS=0 runs it without standbys: warm-ups alone must pass it too.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { testDir } from '../helpers.ts';
import { type Instance, startInstance } from '../http/instance.ts';
import { waitCaughtUp } from '../runtime/harness.ts';
import {
  longestGap,
  sampleKeys,
  seed,
  standbyDefinition,
  startLoad,
  startSampler,
  sweep,
  until,
} from './fixture.ts';

const PARTITIONS = 6;
const KEYS = Number(process.env.STANDBY_TEST_KEYS ?? 100_000);
const REPLICAS = Number(process.env.STANDBY_TEST_REPLICAS ?? 1);
const dir = testDir('standby-scale');

const owners = (i: Instance): Set<string | null> => new Set(i.ownership()?.endpoints.values());

test(
  `scale-in with standbyReplicas ${REPLICAS}: a third instance joins under load, no key query fails (${KEYS} keys)`,
  { timeout: 900_000 },
  async () => {
    const f = standbyDefinition('standby-scale', REPLICAS, KEYS);
    await seed(f, PARTITIONS);
    const a = await startInstance(f.definition, join(dir, 'a'), PARTITIONS);
    // B joins once A has processed the seed: under at-least-once a task that moves while its commit
    // is in flight may count records twice (as after a crash). The load below writes only to HOT
    // keys, which the sampler and the sweep do not check.
    await waitCaughtUp(a.app, 300_000);
    const b = await startInstance(f.definition, join(dir, 'b'), PARTITIONS);
    let c: Instance | undefined;
    try {
      await until('A and B own tasks', () => owners(a).has(a.url) && owners(a).has(b.url), 120_000);
      await waitCaughtUp(a.app, 300_000);
      await waitCaughtUp(b.app, 300_000);
      await sweep(a.url, f);

      const load = startLoad(f, 200);
      const urls = [a.url, b.url];
      const sampler = startSampler(() => urls, sampleKeys(f, PARTITIONS, 20), f);
      await new Promise((r) => setTimeout(r, 2_000));
      const joinedAt = Date.now();
      c = await startInstance(f.definition, join(dir, 'c'), PARTITIONS);
      // Clients reach C once it knows the group (as a load balancer waits for readiness).
      await until('C sees the group', () => c!.ownership()?.stable === true, 60_000);
      urls.push(c.url);
      await until(
        'C runs tasks and every instance sees it',
        () =>
          c!.app.taskIds().length > 0 &&
          [...c!.app.taskMap().values()].every((t) => t.state === 'running') &&
          [a, b, c!].every((i) => i.ownership()?.stable && owners(i).has(c!.url)),
        180_000,
      );
      const movedAt = Date.now();
      await new Promise((r) => setTimeout(r, 3_000)); // queries go on after the move
      await sampler.stop();
      const produced = await load.stop();
      const takeover = c.app.restoreLog.filter((r) => c!.app.taskIds().includes(r.task));
      const tailRecords = takeover.reduce((n, r) => n + r.records, 0);
      const gap = longestGap(sampler.answers);
      const non200 = sampler.answers.filter((x) => x.status !== 200).length;
      console.log(
        JSON.stringify({
          keys: KEYS,
          standbyReplicas: REPLICAS,
          loadRecords: produced,
          joinToMovedMs: movedAt - joinedAt,
          tasksOnC: c.app.taskIds(),
          takeoverRestore: takeover.map((r) => ({ task: r.task, records: r.records, ms: Math.round(r.ms) })),
          answers: sampler.answers.length,
          non200,
          longestGapMs: gap.ms,
        }),
      );
      await waitCaughtUp(c.app, 120_000);
      await sweep(c.url, f);
      assert.ok(gap.ms <= 2_000, `key ${gap.key} went ${gap.ms} ms without a 200`);
      assert.ok(tailRecords <= 2_000, `C restored ${tailRecords} records when its tasks moved (not warm)`);
    } finally {
      await c?.stop();
      await b.stop();
      await a.stop();
    }
  },
);
