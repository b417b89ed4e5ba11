// When an instance asks for a probing rebalance (runtime/standby/standby-tasks.ts): once all its
// warm-ups caught up; after the probing interval, once any did, so that one copy that cannot catch
// up holds back neither the others nor, under maxWarmupReplicas, the group's next warm-ups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from '../../../runtime/log/logger.ts';
import type { StandbyTask } from '../../../runtime/standby/standby-task.ts';
import { StandbyTasks } from '../../../runtime/standby/standby-tasks.ts';

/** A standby whose rounds and lag the test sets. */
interface FakeCopy {
  id: number;
  rounds: number;
  lag: number | undefined;
  close(): Promise<void>;
  stalenessMs(): number | undefined;
}

function instance(probingIntervalMs: number) {
  const copies = new Map<number, FakeCopy>();
  let asked = 0;
  const logger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;
  const standbys = new StandbyTasks({
    acceptableLag: 100,
    probingIntervalMs,
    checkMs: 3_600_000, // the test calls checkWarmups itself
    requestRebalance: () => asked++,
    logger,
    createTask: (options: { id: number }) => {
      const copy: FakeCopy = {
        id: options.id,
        rounds: 0,
        lag: undefined,
        close: async () => {},
        stalenessMs: () => undefined,
      };
      copies.set(options.id, copy);
      return copy as unknown as StandbyTask;
    },
  } as unknown as ConstructorParameters<typeof StandbyTasks>[0]);
  /** A round that began after the assignment ended this far behind. */
  const progress = (id: number, lag: number) => {
    const c = copies.get(id)!;
    c.rounds += 2;
    c.lag = lag;
  };
  return { standbys, progress, asked: () => asked };
}

test('all warm-ups caught up: a rebalance is asked for at once', async () => {
  const { standbys, progress, asked } = instance(60_000);
  await standbys.apply([1, 2], [1, 2]);
  const t0 = Date.now() + 5_000; // past the minimum gap between probes
  progress(1, 0);
  standbys.checkWarmups(t0);
  assert.equal(asked(), 0, 'task 2 is still behind');
  progress(2, 50);
  standbys.checkWarmups(t0);
  assert.equal(asked(), 1);
  await standbys.closeAll();
});

test('after the probing interval, one caught-up warm-up is enough; before it, not', async () => {
  const { standbys, progress, asked } = instance(30_000);
  await standbys.apply([1, 2], [1, 2]);
  progress(1, 0);
  progress(2, 1_000_000); // cannot catch up
  standbys.checkWarmups(Date.now() + 29_000);
  assert.equal(asked(), 0, 'within the interval: wait for all');
  standbys.checkWarmups(Date.now() + 31_000);
  assert.equal(asked(), 1, 'interval passed: task 1 moves without waiting for task 2');
  standbys.checkWarmups(Date.now() + 40_000);
  assert.equal(asked(), 1, 'asked once per assignment');
  await standbys.closeAll();
});

test('no warm-up caught up: no rebalance, however long', async () => {
  const { standbys, progress, asked } = instance(1_000);
  await standbys.apply([1], [1]);
  progress(1, 5_000);
  standbys.checkWarmups(Date.now() + 3_600_000);
  assert.equal(asked(), 0);
  await standbys.closeAll();
});
