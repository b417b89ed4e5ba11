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

test('task p owns partition p of every input topic that has it', () => {
  const counts = new Map([
    ['orders', 3],
    ['customers', 3],
    ['small', 1],
  ]);
  assert.deepEqual(partitionsOfTasks([0, 2], counts), { orders: [0, 2], customers: [0, 2], small: [0] });
  assert.deepEqual(partitionsOfTasks([1], counts), { orders: [1], customers: [1] });
});
