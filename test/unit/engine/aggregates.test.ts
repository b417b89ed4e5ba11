// Each aggregate on its own: stream mode adds, table mode adds and retracts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGGREGATES, aggregateSpec, type Accumulator } from '../../../projections/aggregates/index.ts';

/** Applies add(value, row) / retract(value, row) steps and returns the result after each. */
function steps(acc: Accumulator<any>, ops: Array<['+' | '-', unknown, string?]>): unknown[] {
  let s = acc.init();
  return ops.map(([op, v, row = 'r']) => {
    s = op === '+' ? acc.add(s, v, row) : acc.retract!(s, v, row);
    // every state must survive JSON (the runtime stores it in LevelDB)
    s = JSON.parse(JSON.stringify(s));
    return acc.result(s);
  });
}

void describe('aggregate registry', () => {
  void it('describes every aggregate with docs and table-state cost', () => {
    assert.deepEqual(
      AGGREGATES.map((a) => a.name),
      ['sum', 'count', 'min', 'max', 'avg', 'latest', 'first', 'collect_list', 'collect_set'],
    );
    for (const a of AGGREGATES) {
      assert.ok(a.docs.length > 20, a.name);
      assert.ok(a.tableState.length > 10, a.name);
      assert.equal(typeof a.table({}).retract, 'function', `${a.name} retracts over tables`);
    }
    assert.throws(() => aggregateSpec('median'), /unknown aggregate/);
  });
});

void describe('sum', () => {
  void it('starts at 0, skips nulls, retracts', () => {
    assert.deepEqual(
      steps(aggregateSpec('sum').table({}), [
        ['+', null],
        ['+', 5],
        ['+', 2.5],
        ['-', 5],
        ['-', null],
      ]),
      [0, 5, 7.5, 2.5, 2.5],
    );
  });
  void it('uses IEEE-754 addition like ksqlDB', () => {
    assert.deepEqual(
      steps(aggregateSpec('sum').stream({}), [
        ['+', 500.9],
        ['+', 300.8],
      ]),
      [500.9, 801.7],
    );
  });
});

void describe('count', () => {
  void it('counts non-null contributions and retracts them', () => {
    assert.deepEqual(
      steps(aggregateSpec('count').table({}), [
        ['+', 1],
        ['+', null],
        ['+', 'x'],
        ['-', 1],
        ['-', null],
      ]),
      [1, 1, 2, 1, 1],
    );
  });
});

void describe('avg', () => {
  void it('is a double of sum/count, nulls ignored, null when empty', () => {
    assert.deepEqual(
      steps(aggregateSpec('avg').table({}), [
        ['+', 1],
        ['+', 2],
        ['+', null],
        ['-', 1],
        ['-', 2],
      ]),
      [1, 1.5, 1.5, 2, null],
    );
  });
});

void describe('min / max', () => {
  void it('stream: skip nulls, null while only nulls were seen', () => {
    assert.deepEqual(
      steps(aggregateSpec('min').stream({}), [
        ['+', null],
        ['+', 5],
        ['+', -2],
        ['+', null],
        ['+', 7],
      ]),
      [null, 5, -2, -2, -2],
    );
    assert.deepEqual(
      steps(aggregateSpec('max').stream({}), [
        ['+', 'B'],
        ['+', 'A'],
        ['+', 'C'],
      ]),
      ['B', 'B', 'C'],
    );
  });
  void it('table: retracting the extreme reveals the next one, duplicates counted', () => {
    const ops: Array<['+' | '-', unknown]> = [
      ['+', 3],
      ['+', 1],
      ['+', 1],
      ['+', 9],
      ['-', 1],
      ['-', 1],
      ['-', 9],
      ['-', 3],
    ];
    assert.deepEqual(steps(aggregateSpec('min').table({}), ops), [3, 1, 1, 1, 1, 3, 3, null]);
    assert.deepEqual(steps(aggregateSpec('max').table({}), ops), [3, 3, 3, 9, 9, 9, 3, null]);
  });
});

void describe('latest / first', () => {
  void it('stream latest ignores nulls by default, keeps them with ignoreNulls: false', () => {
    assert.deepEqual(
      steps(aggregateSpec('latest').stream({}), [
        ['+', 12],
        ['+', null],
        ['+', 13],
      ]),
      [12, 12, 13],
    );
    assert.deepEqual(
      steps(aggregateSpec('latest').stream({ ignoreNulls: false }), [
        ['+', 12],
        ['+', null],
        ['+', 13],
      ]),
      [12, null, 13],
    );
  });
  void it('stream first keeps the first value', () => {
    assert.deepEqual(
      steps(aggregateSpec('first').stream({}), [
        ['+', null],
        ['+', 'a'],
        ['+', 'b'],
      ]),
      [null, 'a', 'a'],
    );
    assert.deepEqual(
      steps(aggregateSpec('first').stream({ ignoreNulls: false }), [
        ['+', null],
        ['+', 'a'],
      ]),
      [null, null],
    );
  });
  void it('table latest falls back to the previous row when the latest leaves', () => {
    const acc = aggregateSpec('latest').table({});
    assert.deepEqual(
      steps(acc, [
        ['+', 'a', 'r1'],
        ['+', 'b', 'r2'],
        ['+', 'c', 'r3'],
        ['-', 'c', 'r3'],
        ['-', 'a', 'r1'],
        ['-', 'b', 'r2'],
      ]),
      ['a', 'b', 'c', 'b', 'b', null],
    );
  });
  void it('table first: an in-place update keeps the row first', () => {
    const acc = aggregateSpec('first').table({});
    let s = acc.init();
    s = acc.add(s, 'a', 'r1');
    s = acc.add(s, 'b', 'r2');
    s = acc.replace!(s, 'a', 'a2', 'r1');
    assert.equal(acc.result(s), 'a2');
    s = acc.retract!(s, 'a2', 'r1');
    assert.equal(acc.result(s), 'b');
  });
});

void describe('collect_list / collect_set', () => {
  void it('stream list keeps arrival order up to the limit', () => {
    assert.deepEqual(
      steps(aggregateSpec('collect_list').stream({ limit: 2 }), [
        ['+', 1],
        ['+', null],
        ['+', 2],
        ['+', 3],
      ]).at(-1),
      [1, 2],
    );
  });
  void it('table list removes the retracted row only', () => {
    const acc = aggregateSpec('collect_list').table({});
    assert.deepEqual(
      steps(acc, [
        ['+', 'x', 'r1'],
        ['+', 'y', 'r2'],
        ['+', 'x', 'r3'],
        ['-', 'x', 'r1'],
      ]).at(-1),
      ['y', 'x'],
    );
  });
  void it('set: distinct by value; over a table a value leaves when its last row does', () => {
    assert.deepEqual(
      steps(aggregateSpec('collect_set').stream({}), [
        ['+', { a: 1 }],
        ['+', { a: 1 }],
        ['+', 2],
      ]).at(-1),
      [{ a: 1 }, 2],
    );
    const acc = aggregateSpec('collect_set').table({});
    assert.deepEqual(
      steps(acc, [
        ['+', 'x', 'r1'],
        ['+', 'x', 'r2'],
        ['-', 'x', 'r1'],
        ['-', 'x', 'r2'],
      ]),
      [['x'], ['x'], ['x'], []],
    );
  });
  void it('results never alias state', () => {
    const acc = aggregateSpec('collect_list').stream({});
    const s = acc.add(acc.init(), 1, 'r');
    const out = acc.result(s) as unknown[];
    acc.add(s, 2, 'r');
    assert.deepEqual(out, [1]);
  });
});
