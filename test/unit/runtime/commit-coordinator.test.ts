// The commit coordinator's flights, with a transport whose transactions end when the test says so:
// under exactly-once (independent tasks) the commits of different tasks are in flight at once,
// never two of one task (its changelog and LevelDB batches keep their order); a task requested
// while its commit is in flight commits right after it, without waiting for the other tasks'
// commits; at-least-once (a shared producer) keeps one commit in flight per instance; settle()
// waits for every flight.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommitCoordinator } from '../../../runtime/app/commit-coordinator.ts';
import { Mutex } from '../../../runtime/app/mutex.ts';
import type { RuntimeContext } from '../../../runtime/app/runtime-context.ts';
import type { CommitOutcome, CommitTransport, Task, TaskCommit } from '../../../runtime/tasks/index.ts';

/** A transaction the test ends: `end(task)` completes the oldest open one of that task. */
class ManualTransport implements CommitTransport {
  readonly open: Array<{ tasks: number[]; done: () => void }> = [];
  /** Most commits of one task ever in flight at once, and of all tasks. */
  maxPerTask = 0;
  maxOverall = 0;
  constructor(readonly independentTasks: boolean) {}

  commit(commits: TaskCommit[]): Promise<CommitOutcome[]> {
    const tasks = commits.map((c) => c.task);
    return new Promise((resolve) => {
      this.open.push({
        tasks,
        done: () => resolve(commits.map(() => ({ changelogOffsets: new Map(), offsetsCommitted: true }))),
      });
      const open = this.open.flatMap((o) => o.tasks);
      this.maxOverall = Math.max(this.maxOverall, open.length);
      for (const t of open) this.maxPerTask = Math.max(this.maxPerTask, open.filter((x) => x === t).length);
    });
  }

  openTasks(): number[] {
    return this.open.flatMap((o) => o.tasks).sort();
  }

  end(task: number): void {
    const i = this.open.findIndex((o) => o.tasks.includes(task));
    assert.ok(i >= 0, `no open transaction of task ${task}`);
    this.open.splice(i, 1)[0]!.done();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The part of a Task the coordinator uses; counts its prepared and completed commits. */
function fakeTask(id: number) {
  const task = {
    id,
    state: 'running',
    needsCommit: true,
    committed: new Map<string, number>(),
    prepared: 0,
    completed: 0,
    prepareCommit(): TaskCommit {
      task.prepared++;
      return {
        task: id,
        changelog: [],
        records: [],
        offsets: new Map(),
        deadLetters: [],
        appends: [],
      } as never;
    },
    completeCommit(): Promise<void> {
      task.completed++;
      return Promise.resolve();
    },
    rollback(): void {},
  };
  return task;
}

function setUp(independentTasks: boolean) {
  const transport = new ManualTransport(independentTasks);
  const failures: unknown[] = [];
  const ctx = {
    logger: { error() {}, warn() {}, debug() {}, isLevelEnabled: () => false },
    lock: new Mutex(),
    state: 'running',
    clients: { admin: null, consumer: null, transport, topicPlan: null },
    fail: (err: unknown) => failures.push(err),
  } as unknown as RuntimeContext;
  const fakes = [fakeTask(0), fakeTask(1)];
  const tasks = new Map(fakes.map((t) => [t.id, t as unknown as Task]));
  const coordinator = new CommitCoordinator({
    ctx,
    tasks,
    sinks: [],
    commitIntervalMs: 600_000,
    resync: () => assert.fail('no transaction fails here'),
    commitSoonLingerMs: 0,
  });
  return { transport, fakes, coordinator, failures };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(ok(), what);
};

describe('CommitCoordinator', () => {
  it('exactly-once: one commit in flight per task, the tasks side by side', async () => {
    const { transport, fakes, coordinator, failures } = setUp(true);
    coordinator.commitSoon(0);
    coordinator.commitSoon(1);
    await until('both tasks in flight', () => transport.openTasks().join() === '0,1');
    // Task 0 is asked again while its commit is in flight: it waits for that one, not for task 1's.
    coordinator.commitSoon(0);
    coordinator.commitSoon(0, true);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(transport.openTasks(), [0, 1]);
    transport.end(0);
    await until('task 0 commits again while task 1 is in flight', () => fakes[0]!.prepared === 2);
    assert.deepEqual(transport.openTasks(), [0, 1]);
    transport.end(0);
    transport.end(1);
    await coordinator.settle();
    assert.deepEqual(
      fakes.map((t) => [t.prepared, t.completed]),
      [
        [2, 2],
        [1, 1],
      ],
    );
    assert.equal(transport.maxPerTask, 1, 'two commits of one task overlapped');
    assert.equal(transport.maxOverall, 2);
    assert.deepEqual(failures, []);
  });

  it('settle() and commitAllAndSettle() wait for every task in flight', async () => {
    const { transport, fakes, coordinator } = setUp(true);
    coordinator.commitSoon(0);
    await until('task 0 in flight', () => transport.openTasks().join() === '0');
    let settled = false;
    const all = coordinator.commitAllAndSettle().then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(settled, false);
    transport.end(0);
    await until('both prepared', () => transport.openTasks().join() === '0,1');
    assert.equal(settled, false);
    transport.end(0);
    transport.end(1);
    await all;
    assert.deepEqual(
      fakes.map((t) => t.completed),
      [2, 1],
    );
  });

  it('at-least-once: one commit in flight per instance', async () => {
    const { transport, coordinator } = setUp(false);
    coordinator.commitSoon(0);
    await until('task 0 in flight', () => transport.openTasks().join() === '0');
    coordinator.commitSoon(1);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(transport.openTasks(), [0], 'task 1 waits for the shared flight');
    transport.end(0);
    await until('task 1 follows', () => transport.openTasks().join() === '1');
    transport.end(1);
    await coordinator.settle();
    assert.equal(transport.maxOverall, 1);
  });
});
