// Standby and warm-up placement (runtime/kafka/group/standby-assignment.ts): standbys never beside
// their active task, failover to the caught-up standby, warm-ups before a task moves to a new member.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  assignWithStandbys,
  type StandbyMemberInfo,
} from '../../../runtime/kafka/group/standby-assignment.ts';
import {
  decodeAssignmentExtras,
  encodeAssignmentExtras,
} from '../../../runtime/kafka/group/assignment-user-data.ts';
import { decodeUserData, encodeUserData, taskAssignor } from '../../../runtime/kafka/group/assignor.ts';
import { AssignerProtocol, type Cluster } from 'kafkajs';

const member = (
  memberId: string,
  previousTasks: number[],
  lag: Record<number, number> = {},
): StandbyMemberInfo => ({
  memberId,
  previousTasks,
  standbyLag: new Map(Object.entries(lag).map(([t, l]) => [Number(t), l])),
});
const options = { standbyReplicas: 1, acceptableLag: 100 };

test('each task gets its standbys on other members, never beside its active copy', () => {
  const plan = assignWithStandbys([member('a', []), member('b', []), member('c', [])], 6, options);
  for (let task = 0; task < 6; task++) {
    const active = [...plan].filter(([, p]) => p.active.includes(task)).map(([id]) => id);
    const standby = [...plan].filter(([, p]) => p.standby.includes(task)).map(([id]) => id);
    assert.equal(active.length, 1, `task ${task} active once`);
    assert.equal(standby.length, 1, `task ${task} one standby`);
    assert.notEqual(active[0], standby[0], `task ${task}: standby beside its active copy`);
  }
  // Spread: two standbys per member.
  for (const p of plan.values()) assert.equal(p.standby.length, 2);
});

test('a joining member gets its share of standbys, though the others hold copies already', () => {
  const plan = assignWithStandbys(
    [
      member('a', [0, 1, 2], { 3: 0, 4: 0, 5: 0 }),
      member('b', [3, 4, 5], { 0: 0, 1: 0, 2: 0 }),
      member('c', []),
    ],
    6,
    options,
  );
  for (const [id, p] of plan) assert.equal(p.standby.length, 2, `${id}: ${JSON.stringify(p)}`);
});

test('a single member gets no standby (it would sit beside the active copy)', () => {
  const plan = assignWithStandbys([member('a', [0, 1])], 2, { ...options, standbyReplicas: 2 });
  assert.deepEqual(plan.get('a'), { active: [0, 1], standby: [], warmup: [] });
});

test('two replicas on three members: every other member keeps a copy', () => {
  const plan = assignWithStandbys([member('a', []), member('b', []), member('c', [])], 3, {
    ...options,
    standbyReplicas: 2,
  });
  for (const [, p] of plan) assert.deepEqual([...p.active, ...p.standby].sort(), [0, 1, 2]);
});

test('failover: the dead member’s tasks go to the member whose standby is caught up', () => {
  // a owned 0,1 (standbys of 2,3); b owned 2,3 and died; c is fresh.
  const plan = assignWithStandbys([member('a', [0, 1], { 2: 5, 3: 0 }), member('c', [])], 4, options);
  assert.deepEqual(plan.get('a')!.active, [0, 1, 2, 3]);
  // c is the balanced target of two tasks, without a copy: warm-ups first.
  assert.equal(plan.get('c')!.active.length, 0);
  assert.equal(plan.get('c')!.warmup.length, 2);
});

test('warm-up: a new member gets a task only once its copy is caught up', () => {
  const before = assignWithStandbys([member('a', [0, 1, 2, 3], {}), member('n', [])], 4, options);
  assert.deepEqual(before.get('a')!.active, [0, 1, 2, 3], 'the old owner keeps serving');
  assert.deepEqual(before.get('n')!.warmup, [2, 3]);
  assert.deepEqual(before.get('n')!.standby, [0, 1, 2, 3]);
  // Behind by more than acceptableLag: still not moved.
  const behind = assignWithStandbys(
    [member('a', [0, 1, 2, 3]), member('n', [], { 2: 500, 3: 50 })],
    4,
    options,
  );
  assert.deepEqual(behind.get('a')!.active, [0, 1, 2]);
  assert.deepEqual(behind.get('n')!.active, [3]);
  assert.deepEqual(behind.get('n')!.warmup, [2]);
  // Caught up: the tasks move, the old owner keeps standbys of them.
  const after = assignWithStandbys([member('a', [0, 1, 2, 3]), member('n', [], { 2: 0, 3: 10 })], 4, options);
  assert.deepEqual(after.get('a')!.active, [0, 1]);
  assert.deepEqual(after.get('n')!.active, [2, 3]);
  assert.deepEqual(after.get('n')!.warmup, []);
  assert.deepEqual(after.get('a')!.standby, [2, 3]);
});

test('a task nobody has a copy of goes to its balanced target at once', () => {
  const plan = assignWithStandbys([member('a', []), member('b', [])], 2, options);
  assert.deepEqual(plan.get('a')!.active.length + plan.get('b')!.active.length, 2);
  assert.deepEqual(plan.get('a')!.warmup, []);
  assert.deepEqual(plan.get('b')!.warmup, []);
});

test('user data carries the standby lag and the probe; the assignment names its member', () => {
  const data = decodeUserData(
    encodeUserData({ endpoint: 'http://x', tasks: [1], standbyLag: { 2: 7 }, probe: 3 }),
  );
  assert.deepEqual(data, {
    endpoint: 'http://x',
    tasks: [1],
    standbyLag: { 2: 7 },
    probe: 3,
    taskOffsets: {},
    localState: {},
    workerSet: '',
  });
  assert.deepEqual(decodeUserData(Buffer.from('{"endpoint":null,"tasks":[0]}')).standbyLag, {});
  const sb = decodeAssignmentExtras(encodeAssignmentExtras('m-1', { standby: [1, 2], warmup: [2] }));
  assert.deepEqual(sb, { member: 'm-1', standby: [1, 2], warmup: [2] });
  const w = decodeAssignmentExtras(encodeAssignmentExtras('m-2', { standby: [], warmup: [], workers: 2 }));
  assert.deepEqual(w, { member: 'm-2', standby: [], warmup: [], workers: 2 });
  assert.equal(decodeAssignmentExtras(Buffer.alloc(0)), undefined);
  assert.equal(decodeAssignmentExtras(Buffer.from('{"other":1}')), undefined);
});

test('the leader tells each worker how many workers of its supervisor are in the generation', async () => {
  const cluster = { findTopicPartitionMetadata: () => [{}, {}, {}, {}] } as unknown as Cluster;
  const assigner = taskAssignor(() => ({ endpoint: null, tasks: [] }))({ cluster } as never);
  const subscribe = (memberId: string, workerSet?: string) => ({
    memberId,
    memberMetadata: AssignerProtocol.MemberMetadata.encode({
      version: 1,
      topics: ['t'],
      userData: encodeUserData({ endpoint: null, tasks: [], ...(workerSet ? { workerSet } : {}) }),
    }),
  });
  const assignments = await assigner.assign({
    members: [subscribe('w0', 'set-1'), subscribe('w1', 'set-1'), subscribe('x', 'set-2'), subscribe('y')],
    topics: ['t'],
  });
  const workersOf = (id: string) => {
    const a = assignments.find((m) => m.memberId === id)!;
    const userData = AssignerProtocol.MemberAssignment.decode(a.memberAssignment)!.userData;
    return decodeAssignmentExtras(userData)?.workers;
  };
  assert.equal(workersOf('w0'), 2);
  assert.equal(workersOf('w1'), 2);
  assert.equal(workersOf('x'), 1);
  assert.equal(workersOf('y'), undefined); // not a worker: no extras without standbys
});

test('without standbys a joining member still warms up before tasks move to it', () => {
  const plan = assignWithStandbys([member('a', [0, 1, 2, 3]), member('b', [])], 4, {
    standbyReplicas: 0,
    acceptableLag: 100,
  });
  assert.deepEqual(plan.get('a'), { active: [0, 1, 2, 3], standby: [], warmup: [] });
  assert.deepEqual(plan.get('b'), { active: [], standby: [2, 3], warmup: [2, 3] });
});

test('a database on disk within the acceptable lag of the live owner takes its task at once', () => {
  const sums = (s: Record<number, number>) => new Map(Object.entries(s).map(([t, n]) => [Number(t), n]));
  const plan = assignWithStandbys(
    [
      { ...member('a', [0, 1, 2, 3]), runningOffsets: sums({ 0: 900, 1: 900, 2: 900, 3: 900 }) },
      // b is back from a restart: task 2's copy is 50 records behind a's, task 3's 500
      { ...member('b', []), localState: sums({ 2: 850, 3: 400 }) },
    ],
    4,
    { standbyReplicas: 0, acceptableLag: 100 },
  );
  assert.deepEqual(plan.get('a'), { active: [0, 1, 3], standby: [], warmup: [] });
  assert.deepEqual(plan.get('b'), { active: [2], standby: [3], warmup: [3] });
});

test('maxWarmups: at most that many warm-ups in the group; the rest follow once those moved', () => {
  const limited = { standbyReplicas: 0, acceptableLag: 100, maxWarmups: 1 };
  // c joins a and b: it is the balanced target of two tasks, neither of which it has a copy of.
  const first = assignWithStandbys(
    [member('a', [0, 1, 2]), member('b', [3, 4, 5]), member('c', [])],
    6,
    limited,
  );
  assert.deepEqual(first.get('c'), { active: [], standby: [2], warmup: [2] });
  assert.deepEqual(first.get('a')!.active, [0, 1, 2], 'the old owners keep serving');
  assert.deepEqual(first.get('b')!.active, [3, 4, 5]);
  const warmups = [...first.values()].reduce((n, p) => n + p.warmup.length, 0);
  assert.equal(warmups, 1);
  // Its warm-up caught up (the probe): task 2 moves, and the next task warms up.
  const second = assignWithStandbys(
    [member('a', [0, 1, 2]), member('b', [3, 4, 5]), member('c', [], { 2: 0 })],
    6,
    limited,
  );
  assert.deepEqual(second.get('c')!.active, [2]);
  assert.deepEqual(second.get('c')!.warmup, [5]);
  assert.deepEqual(second.get('b')!.active, [3, 4, 5]);
  // Without the limit both warm up at once.
  const unlimited = assignWithStandbys([member('a', [0, 1, 2]), member('b', [3, 4, 5]), member('c', [])], 6, {
    standbyReplicas: 0,
    acceptableLag: 100,
  });
  assert.deepEqual(unlimited.get('c')!.warmup, [2, 5]);
});
