// Failover with standby replicas, on the real broker: two instances with `standbyReplicas: 1` hold
// a projection of STANDBY_TEST_KEYS distinct keys (default 100 000; `npm run test:standby:large`
// runs 1 000 000); the one in a child process is SIGKILLed. The survivor takes its tasks over from
// its standby copies: every key is served again (200, right row) within 2 s of the takeover, the
// takeover restores only the standbys' tail, and queries answer only 200 or 503 throughout. The
// restore without standbys (the same changelog partitions read from scratch, what a failover
// without standbys does) is measured in the same test. With allowStandby=true the survivor answers
// the dead instance's keys from its standbys before the group even notices the death.
// STANDBY_TEST_REPLICAS=0 runs the same test without standbys: it must fail.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { compileTopology } from '../../../projections/graph/compile.ts';
import { changelogTopic } from '../../../runtime/kafka/admin/index.ts';
import { KafkaChangelogSource, restoreStores } from '../../../runtime/kafka/restore/index.ts';
import { stateDirectory, TaskStores } from '../../../runtime/stores/index.ts';
import { storeNames } from '../../../runtime/tasks/index.ts';
import { kafka, testDir } from '../helpers.ts';
import { startInstance } from '../http/instance.ts';
import { waitCaughtUp } from '../runtime/harness.ts';
import {
  type Fixture,
  longestGap,
  sampleKeys,
  seed,
  spawnInstance,
  standbyDefinition,
  startSampler,
  sweep,
  until,
} from './fixture.ts';
import { partitionOfKey } from '../../../runtime/http/partitioner.ts';

const PARTITIONS = 4;
const KEYS = Number(process.env.STANDBY_TEST_KEYS ?? 100_000);
const REPLICAS = Number(process.env.STANDBY_TEST_REPLICAS ?? 1);
const dir = testDir('standby');

/** What a failover without standbys restores: the tasks' changelog partitions from scratch. */
async function restoreFromScratch(f: Fixture, tasks: number[]): Promise<{ ms: number; records: number }> {
  const names = storeNames(compileTopology(f.definition));
  const t0 = performance.now();
  let records = 0;
  for (const id of tasks) {
    const stores = await TaskStores.open({
      location: stateDirectory(join(dir, 'scratch'), f.definition.application, id),
      changelogOf: (store) => ({ topic: changelogTopic(store), partition: id }),
    });
    const source = await KafkaChangelogSource.connect(kafka('streamfold-test-scratch'));
    try {
      records += (await restoreStores({ stores, names, source })).records;
    } finally {
      await source.close();
      await stores.close();
    }
  }
  return { ms: performance.now() - t0, records };
}

test(
  `failover with standbyReplicas ${REPLICAS}: every key served again within 2 s of the takeover (${KEYS} keys)`,
  { timeout: 900_000 },
  async () => {
    const f = standbyDefinition('standby-failover', REPLICAS, KEYS);
    await seed(f, PARTITIONS);
    const a = await startInstance(f.definition, join(dir, 'a'), PARTITIONS);
    // B joins once A has processed everything: under at-least-once a task that moves while its
    // commit is in flight may count records twice (as after a crash), which is not this test's subject.
    await waitCaughtUp(a.app, 300_000);
    const b = await spawnInstance(f, dir, 'b', PARTITIONS);
    try {
      await until(
        'both instances own tasks',
        () => {
          const o = a.ownership();
          const urls = new Set(o?.endpoints.values());
          return !!o?.stable && o.endpoints.size === PARTITIONS && urls.has(a.url) && urls.has(b.url);
        },
        120_000,
      );
      await waitCaughtUp(a.app, 300_000);
      const sweepMs = await sweep(a.url, f); // B's keys through forwarding: B caught up too
      const bTasks = [...Array(PARTITIONS).keys()].filter((t) => !a.app.taskIds().includes(t));
      assert.ok(bTasks.length > 0 && bTasks.length < PARTITIONS, 'each instance owns tasks');
      if (REPLICAS > 0)
        await until(
          'A’s standbys of B’s tasks caught up',
          () => bTasks.every((t) => a.app.standbys.tasks.get(t)?.lag === 0),
          120_000,
        );

      // Few keys per partition, so each is asked again within a few requests (the served time is exact).
      const sample = sampleKeys(f, PARTITIONS, 5);
      const plain = startSampler(() => [a.url], sample, f);
      const relaxed = startSampler(() => [a.url], sample, f, '?allowStandby=true');
      await new Promise((r) => setTimeout(r, 500));
      const killedAt = Date.now();
      b.child.kill('SIGKILL');
      await until('A was assigned every task', () => a.app.assignedTaskIds().length === PARTITIONS, 60_000);
      const assignedAt = Date.now();
      let runningAt = 0;
      await until(
        'A runs every task',
        () => {
          runningAt = Date.now();
          return [...a.app.taskMap().values()].filter((t) => t.state === 'running').length === PARTITIONS;
        },
        120_000,
      );
      // Each sampled key of B's partitions answered 200 again: the latest first-200 after the takeover.
      const bKeys = sample.filter((k) => bTasks.includes(partitionOfKey(k, PARTITIONS)));
      await until(
        'every sampled key served again',
        () =>
          bKeys.every((k) =>
            plain.answers.some((x) => x.key === k && x.at >= assignedAt && x.status === 200),
          ),
        30_000,
      );
      await plain.stop();
      await relaxed.stop();
      const servedAt = Math.max(
        ...bKeys.map(
          (k) => plain.answers.find((x) => x.key === k && x.at >= assignedAt && x.status === 200)!.at,
        ),
      );
      const takeover = a.app.restoreLog.filter((r) => r.at >= killedAt && bTasks.includes(r.task));
      const tailRecords = takeover.reduce((n, r) => n + r.records, 0);
      const finalSweepMs = await sweep(a.url, f);
      const scratch = await restoreFromScratch(f, bTasks);
      const beforeDeath = relaxed.answers.filter((x) => x.at >= killedAt && x.at < assignedAt - 1_000);
      console.log(
        JSON.stringify({
          keys: KEYS,
          standbyReplicas: REPLICAS,
          sweepMs,
          finalSweepMs,
          killToAssignedMs: assignedAt - killedAt,
          assignedToRunningMs: runningAt - assignedAt,
          assignedToServedMs: servedAt - assignedAt,
          takeoverRestore: takeover.map((r) => ({ task: r.task, records: r.records, ms: Math.round(r.ms) })),
          restoreWithoutStandbys: { records: scratch.records, ms: Math.round(scratch.ms) },
          longestGapMs: longestGap(plain.answers).ms,
          longestGapAllowStandbyMs: longestGap(relaxed.answers).ms,
          allowStandbyBeforeRebalance: {
            answers: beforeDeath.length,
            fromStandby: beforeDeath.filter((x) => x.standby).length,
            non200: beforeDeath.filter((x) => x.status !== 200).length,
          },
        }),
      );
      assert.ok(
        servedAt - assignedAt <= 2_000,
        `served again ${servedAt - assignedAt} ms after the takeover`,
      );
      assert.ok(
        tailRecords <= 1_000 && tailRecords < scratch.records / 10,
        `the takeover restored ${tailRecords} records (from scratch: ${scratch.records})`,
      );
      // Until the group notices the death, the standbys answer B's keys.
      assert.ok(beforeDeath.length > 0 && beforeDeath.every((x) => x.status === 200));
      assert.ok(beforeDeath.some((x) => x.standby));
    } finally {
      b.child.kill('SIGKILL');
      await a.stop();
    }
  },
);
