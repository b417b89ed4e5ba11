// A `--workers` worker's first assignments (runtime/app/group-membership.ts), on a stub consumer: held
// (partitions paused, no task opened) while the leader counts fewer of its sibling workers than it
// expects, applied once they are all in the generation, or after WORKERS_JOIN_WAIT_MS at most; an
// instance that is no worker applies every assignment at once.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { AssignerProtocol } from 'kafkajs';
import { GroupMembership, WORKERS_JOIN_WAIT_MS } from '../../../runtime/app/group-membership.ts';
import { Mutex } from '../../../runtime/app/mutex.ts';
import { encodeAssignmentExtras } from '../../../runtime/kafka/group/assignment-user-data.ts';

function setup(workers?: { id: string; awaitAtStart: number }) {
  const applied: number[][] = [];
  const paused: unknown[] = [];
  let onJoin: (e: { payload: Record<string, unknown> }) => void = () => undefined;
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (event: string, fn: typeof onJoin) => {
      if (event === 'join') onJoin = fn;
    },
    pause: (p: unknown[]) => paused.push(...p),
  };
  const logger = { info() {}, warn() {}, error() {}, debug() {} };
  const ctx = { logger, lock: new Mutex(), fail: (err: unknown) => assert.fail(String(err)) };
  const taskManager = {
    taskIds: () => [],
    localState: () => ({}),
    runningOffsets: () => ({}),
    standbys: { lagReport: () => ({}), probe: 0 },
    applyAssignment: async (byTask: Map<number, string[]>) => void applied.push([...byTask.keys()]),
  };
  const membership = new GroupMembership(ctx as never, taskManager as never, {
    groupId: 'g',
    endpoint: null,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    rebalanceTimeoutMs: 30_000,
    standbyReplicas: 0,
    acceptableRecoveryLag: 0,
    workers,
  });
  membership.createConsumer({ consumer: () => consumer } as never);
  /** A join as kafkajs reports it, after decoding the assignment (which keeps its extras). */
  const join = (memberId: string, tasks: number[], workersInGroup?: number) => {
    const userData =
      workersInGroup === undefined
        ? Buffer.alloc(0)
        : encodeAssignmentExtras(memberId, { standby: [], warmup: [], workers: workersInGroup });
    AssignerProtocol.MemberAssignment.decode(
      AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: { t: tasks }, userData }),
    );
    onJoin({ payload: { memberId, memberAssignment: { t: tasks } } });
  };
  const settle = () => new Promise((r) => setImmediate(r));
  return { applied, paused, join, settle };
}

test('a cold-started worker holds its assignment until all its siblings are in the group', async () => {
  const w = setup({ id: 'set', awaitAtStart: 2 });
  w.join('m-1', [0, 1, 2, 3], 1);
  await w.settle();
  assert.deepEqual(w.applied, [], 'alone in the group: nothing opened');
  assert.deepEqual(w.paused, [{ topic: 't', partitions: [0, 1, 2, 3] }], 'its partitions paused');
  w.join('m-1', [0, 2], 2);
  await w.settle();
  assert.deepEqual(w.applied, [[0, 2]], 'only the assignment with both workers is applied');
  w.join('m-1', [0, 1, 2, 3], 1); // a sibling restarting later: no hold any more
  await w.settle();
  assert.deepEqual(w.applied, [
    [0, 2],
    [0, 1, 2, 3],
  ]);
});

test('a worker whose siblings do not come runs what it holds after the wait', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const w = setup({ id: 'set', awaitAtStart: 2 });
    w.join('m-1', [0, 1], 1);
    await w.settle();
    mock.timers.tick(WORKERS_JOIN_WAIT_MS - 1);
    await w.settle();
    assert.deepEqual(w.applied, []);
    mock.timers.tick(1);
    await w.settle();
    assert.deepEqual(w.applied, [[0, 1]]);
  } finally {
    mock.timers.reset();
  }
});

test('an instance that is no worker (or a restarted worker) applies every assignment at once', async () => {
  for (const workers of [undefined, { id: 'set', awaitAtStart: 0 }]) {
    const w = setup(workers);
    w.join('m-2', [3], 1);
    await w.settle();
    assert.deepEqual(w.applied, [[3]]);
  }
});
