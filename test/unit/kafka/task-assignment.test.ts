// Task assignment: tasks are spread evenly and each owned once, stay with their previous owner when balance
// allows (a rebalance moves and restores little), and task p owns partition p of every input topic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignTasks, partitionsOfTasks } from '../../../runtime/kafka/group/task-assignment.ts';

test('spreads tasks evenly and covers each task exactly once', () => {
  const plan = assignTasks(
    [
      { memberId: 'b', previousTasks: [] },
      { memberId: 'a', previousTasks: [] },
      { memberId: 'c', previousTasks: [] },
    ],
    7,
  );
  const all = [...plan.values()].flat().sort((x, y) => x - y);
  assert.deepEqual(all, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...plan.values()].map((t) => t.length).sort(), [2, 2, 3]);
});

test('keeps previous owners when a member joins (sticky)', () => {
  const plan = assignTasks(
    [
      { memberId: 'a', previousTasks: [0, 1, 2, 3, 4, 5] },
      { memberId: 'b', previousTasks: [] },
    ],
    6,
  );
  assert.deepEqual(plan.get('a'), [0, 1, 2]);
  assert.deepEqual(plan.get('b'), [3, 4, 5]);
  const again = assignTasks(
    [
      { memberId: 'a', previousTasks: [0, 1, 2] },
      { memberId: 'b', previousTasks: [3, 4, 5] },
      { memberId: 'c', previousTasks: [] },
    ],
    6,
  );
  assert.deepEqual(again.get('a'), [0, 1]);
  assert.deepEqual(again.get('b'), [3, 4]);
  assert.deepEqual(again.get('c'), [2, 5]);
});

test('a task claimed by two members goes to one of them only', () => {
  const plan = assignTasks(
    [
      { memberId: 'a', previousTasks: [0, 1] },
      { memberId: 'b', previousTasks: [0, 1] },
    ],
    2,
  );
  assert.deepEqual([...plan.values()].flat().sort(), [0, 1]);
});

test('a task nobody runs goes to the member whose copy on disk is the furthest along', () => {
  const local = (sums: Record<number, number>) =>
    new Map(Object.entries(sums).map(([t, n]) => [Number(t), n]));
  // A restart of both: the member ids are new, the state directories are not. Both hold an old
  // copy of task 0; b's is further along.
  const restart = assignTasks(
    [
      { memberId: 'a', previousTasks: [], localState: local({ 0: 40, 1: 90, 3: 90, 5: 90 }) },
      { memberId: 'b', previousTasks: [], localState: local({ 0: 95, 2: 90, 4: 90 }) },
    ],
    6,
  );
  assert.deepEqual(restart.get('a'), [1, 3, 5]);
  assert.deepEqual(restart.get('b'), [0, 2, 4]);
  // A running owner keeps its task over a copy on another member's disk.
  const running = assignTasks(
    [
      { memberId: 'a', previousTasks: [0] },
      { memberId: 'b', previousTasks: [], localState: local({ 0: 99, 1: 1 }) },
    ],
    2,
  );
  assert.deepEqual(running.get('a'), [0]);
  assert.deepEqual(running.get('b'), [1]);
  // A member back after a restart: the other ran every task meanwhile and keeps those only it has.
  const back = assignTasks(
    [
      { memberId: 'a', previousTasks: [0, 1, 2, 3, 4, 5] },
      { memberId: 'b', previousTasks: [], localState: local({ 1: 50, 3: 50, 5: 50 }) },
    ],
    6,
  );
  assert.deepEqual(back.get('a'), [0, 2, 4]);
  assert.deepEqual(back.get('b'), [1, 3, 5]);
  // b holds copies of every task (it once took them all over); its own, run until it stopped, are
  // the ones closest to a's: those go back to it.
  const closest = assignTasks(
    [
      {
        memberId: 'a',
        previousTasks: [0, 1, 2, 3, 4, 5],
        runningOffsets: local({ 0: 100, 1: 100, 2: 100, 3: 100, 4: 100, 5: 100 }),
      },
      { memberId: 'b', previousTasks: [], localState: local({ 0: 60, 1: 98, 2: 60, 3: 99, 4: 60, 5: 97 }) },
    ],
    6,
  );
  assert.deepEqual(closest.get('a'), [0, 2, 4]);
  assert.deepEqual(closest.get('b'), [1, 3, 5]);
  // Local state never unbalances: a member with every task on disk still gets its share only.
  const all = assignTasks(
    [
      { memberId: 'a', previousTasks: [], localState: local({ 0: 1, 1: 1, 2: 1, 3: 1 }) },
      { memberId: 'b', previousTasks: [] },
    ],
    4,
  );
  assert.deepEqual(all.get('a'), [0, 1]);
  assert.deepEqual(all.get('b'), [2, 3]);
});

test('task p owns partition p of every input topic that has it', () => {
  const counts = new Map([
    ['orders', 3],
    ['customers', 3],
    ['small', 1],
  ]);
  assert.deepEqual(partitionsOfTasks([0, 2], counts), { orders: [0, 2], customers: [0, 2], small: [0] });
  assert.deepEqual(partitionsOfTasks([1], counts), { orders: [1], customers: [1] });
});
